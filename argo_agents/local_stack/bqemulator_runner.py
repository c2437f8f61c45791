"""Child-process entry point for bqemulator, without a full table copy on every write.

bqemulator implements BigQuery time travel by copying the *whole* table into a
new snapshot table after every write (streaming insert, DML, load) and keeping
each copy for `time_travel_retention_days` (default 7). ARGO appends rows in
batches and never queries ``FOR SYSTEM_TIME AS OF``, so each insert paid a copy
of everything before it: at 100,000 knowledge rows the emulator held 18 GB and
the machine swapped. This runner keeps the change notification (it invalidates
the query cache and marks materialised views stale) and skips the copy; a
time-travel query then reads the live table. Everything else is bqemulator's
own ``start`` command, with the same arguments.

It runs as a script (``python -I bqemulator_runner.py start ...``) under the
local stack's own interpreter (see `stack_env`), where bqemulator and DuckDB
live and ARGO does not: it imports nothing of ARGO but its sibling
`duckdb_extensions.py`, loaded by path.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any


def _notify_only(self: Any, project_id: str, dataset_id: str, table_id: str) -> None:
    """`SnapshotManager.record_change` without `capture` (see the module docstring)."""
    from bqemulator.domain.events import TableDataChanged

    self._events.publish(TableDataChanged(project_id, dataset_id, table_id))


def _install_duckdb_extensions() -> None:
    """Install spatial/json/icu from their wheels (a no-op once installed); exit 2 if not."""
    path = Path(__file__).with_name("duckdb_extensions.py")
    spec = importlib.util.spec_from_file_location("argo_duckdb_extensions", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    try:
        module.install_extensions()
    except module.ExtensionError as exc:
        print(f"bqemulator runner: {exc}", file=sys.stderr, flush=True)
        sys.exit(2)


def main(argv: list[str] | None = None) -> None:
    """Run ``bqemulator <argv>`` with snapshots off; exits with the command's status."""
    _install_duckdb_extensions()
    from bqemulator.cli import main as cli
    from bqemulator.versioning.snapshots import SnapshotManager

    SnapshotManager.record_change = _notify_only  # type: ignore[method-assign,assignment]
    cli.main(args=argv if argv is not None else sys.argv[1:], prog_name="bqemulator")


if __name__ == "__main__":
    main()
