"""Install DuckDB's extensions for bqemulator from PyPI wheels, offline.

bqemulator runs `INSTALL spatial` (and avro) at start, which downloads from
the DuckDB extension repository unless the extension is already installed.
There is no internet here, so we INSTALL each one from the file shipped in
the `duckdb-extension-*` wheels (same DuckDB version, pinned in pyproject).
"""

from __future__ import annotations

import importlib
from pathlib import Path

from argo_agents.local_stack.errors import StackError

REQUIRED = ("spatial", "json", "icu")
OPTIONAL = ("avro",)


def _extension_file(name: str) -> Path | None:
    try:
        module = importlib.import_module(f"duckdb_extension_{name}")
    except ImportError:
        return None
    if module.__file__ is None:
        return None
    root = Path(module.__file__).parent / "extensions"
    found = sorted(root.glob(f"v*/{name}.duckdb_extension"))
    return found[-1] if found else None


def install_extensions() -> list[str]:
    """Install every extension bqemulator needs; return their names.

    Raises `StackError` naming the wheel to install when a required one is missing
    or was built for another DuckDB version.
    """
    import duckdb

    con = duckdb.connect()
    installed = {
        row[0]
        for row in con.execute(
            "SELECT extension_name FROM duckdb_extensions() WHERE installed"
        ).fetchall()
    }
    done: list[str] = []
    for name in REQUIRED + OPTIONAL:
        if name in installed:
            done.append(name)
            continue
        path = _extension_file(name)
        if path is None:
            if name in OPTIONAL:
                continue
            raise StackError(
                f"DuckDB extension '{name}' is not installable offline: install the wheel "
                f"`pip install duckdb-extension-{name}=={duckdb.__version__}` "
                "(its version must equal DuckDB's)"
            )
        try:
            # DuckDB's INSTALL takes no parameters; the path is our own
            # site-packages file, never user data.
            con.execute(f"INSTALL '{path.as_posix()}'")
        except duckdb.Error as exc:
            if name in OPTIONAL:
                continue
            raise StackError(
                f"DuckDB {duckdb.__version__} refused extension file {path}: {exc}. "
                f"Reinstall `duckdb-extension-{name}=={duckdb.__version__}`"
            ) from exc
        done.append(name)
    con.close()
    return done
