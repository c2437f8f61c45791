"""The local BigQuery's disk use grows with the rows written, not with the number of writes.

bqemulator copies the whole table after every write (for time travel, which
ARGO never queries); the stack runs it without those copies
(`local_stack.bqemulator_runner`). Without that, 40 appends of 250 rows to one
table stored about 20 times the data, and a 100,000-event benchmark swapped
the machine out (18 GB in the emulator).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path

import pytest

from argo_agents.local_stack import LocalStack
from argo_agents.stores.records import WarehouseRow
from argo_agents.stores.warehouse import BigQueryWarehouse
from tests.conftest import make_settings

pytestmark = pytest.mark.integration

BATCHES, ROWS, TEXT_BYTES = 40, 250, 2000


def disk_bytes(root: Path) -> int:
    return sum(f.stat().st_size for f in root.rglob("*") if f.is_file())


def test_appends_do_not_store_a_copy_of_the_table_each(tmp_path):
    stack = LocalStack(make_settings(tmp_path))
    try:
        warehouse = BigQueryWarehouse.from_endpoints(stack.up(only=["bigquery"]))
        warehouse.setup()
        data_dir = tmp_path / "stack" / "bigquery"
        before = disk_bytes(data_dir)
        now = datetime.now(UTC)
        for b in range(BATCHES):
            warehouse.insert_rows(
                [
                    WarehouseRow(
                        "knowledge_base",
                        f"k{b}-{i}:1",
                        {
                            "id": f"k{b}-{i}",
                            "version": 1,
                            "hash": "h",
                            "entity_type": "knowledge",
                            "operation": "create",
                            "source": "test",
                            "timestamp": now,
                            "title": secrets.token_hex(TEXT_BYTES // 2),
                        },
                    )
                    for i in range(ROWS)
                ]
            )
        warehouse.close()
        written = BATCHES * ROWS * TEXT_BYTES
        grown = disk_bytes(data_dir) - before
        # One copy of the data (plus the write-ahead log and DuckDB's block slack) is
        # well under 4x; a copy per append would be about BATCHES / 2 = 20x.
        assert grown < 4 * written, f"{grown / written:.1f}x the data written"
    finally:
        stack.down()
