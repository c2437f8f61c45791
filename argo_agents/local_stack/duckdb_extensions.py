"""Install DuckDB's extensions for bqemulator from PyPI wheels, offline.

bqemulator runs `INSTALL spatial` (and avro) at start, which downloads from
the DuckDB extension repository unless the extension is already installed.
There is no internet here, so we INSTALL each one from the file shipped in
the `duckdb-extension-*` wheels (same DuckDB version, pinned in
`stack-requirements.txt`).

This module runs under the local stack's own interpreter (where DuckDB lives,
see `stack_env`), as a script (`argo stack install` checks the environment with
it) and from `bqemulator_runner` before each start; so it imports nothing of ARGO.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

REQUIRED = ("spatial", "json", "icu")
OPTIONAL = ("avro",)


class ExtensionError(RuntimeError):
    """A required DuckDB extension cannot be installed offline; the message says which wheel."""


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

    Raises `ExtensionError` naming the wheel to install when a required one is
    missing or was built for another DuckDB version.
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
            raise ExtensionError(
                f"DuckDB extension '{name}' is not installable offline: the wheel "
                f"duckdb-extension-{name}=={duckdb.__version__} is missing from the local "
                "stack's environment; run `argo stack install`"
            )
        try:
            # DuckDB's INSTALL takes no parameters; the path is our own
            # site-packages file, never user data.
            con.execute(f"INSTALL '{path.as_posix()}'")
        except duckdb.Error as exc:
            if name in OPTIONAL:
                continue
            raise ExtensionError(
                f"DuckDB {duckdb.__version__} refused extension file {path}: {exc}. "
                "Reinstall the local stack's environment: `argo stack install --force`"
            ) from exc
        done.append(name)
    con.close()
    return done


def main() -> int:
    """Install the extensions; print their names, or the error and exit 2."""
    try:
        print(" ".join(install_extensions()))
    except ExtensionError as exc:
        print(exc, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
