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
"""

from __future__ import annotations

import sys
from typing import Any


def _notify_only(self: Any, project_id: str, dataset_id: str, table_id: str) -> None:
    """`SnapshotManager.record_change` without `capture` (see the module docstring)."""
    from bqemulator.domain.events import TableDataChanged

    self._events.publish(TableDataChanged(project_id, dataset_id, table_id))


def main(argv: list[str] | None = None) -> None:
    """Run ``bqemulator <argv>`` with snapshots off; exits with the command's status."""
    from bqemulator.cli import main as cli
    from bqemulator.versioning.snapshots import SnapshotManager

    SnapshotManager.record_change = _notify_only  # type: ignore[method-assign,assignment]
    cli.main(args=argv if argv is not None else sys.argv[1:], prog_name="bqemulator")


if __name__ == "__main__":
    main()
