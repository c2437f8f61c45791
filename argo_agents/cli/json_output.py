"""`--json` for the commands that report once: one JSON object on stdout, stable keys.

Reports are pydantic models or dataclasses (with events inside); `pydantic_core`
turns any of them into plain JSON, so each command prints what its API returns
and no second, hand-kept shape can drift from it. Diagnostics go to stderr.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic_core import to_jsonable_python
from rich.console import Console

diagnostics = Console(stderr=True)


def print_json(value: Any) -> None:
    """``value`` as one line of JSON on stdout (a value JSON has no type for: its text)."""
    print(json.dumps(to_jsonable_python(value, fallback=str), ensure_ascii=False), flush=True)
