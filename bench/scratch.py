"""A benchmark's scratch directory: its local stack lives there, and it goes when the
benchmark exits (a 100,000-document run leaves ~0.5 GB of server data behind otherwise).

Removed at interpreter exit, so after the benchmark's own ``finally`` has stopped the
stack's servers; a directory passed with ``--data-dir`` is the caller's and stays.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path


def scratch_dir(prefix: str) -> Path:
    """A new temporary directory, removed when the process exits."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path
