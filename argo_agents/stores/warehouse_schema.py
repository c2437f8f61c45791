"""The warehouse tables as data: one place for columns, types and partitioning.

The BigQuery adapter builds tables and views from `SCHEMAS`; the sync
engine's mappers read it to know which columns a row may carry. No client is
imported here, so the mappers can use it without loading BigQuery.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Column:
    """One column: BigQuery standard-SQL type and mode."""

    name: str
    type: str
    mode: str = "NULLABLE"


@dataclass(frozen=True, slots=True)
class TableSchema:
    """A table's columns and the TIMESTAMP column it is DAY-partitioned on (if any)."""

    columns: tuple[Column, ...]
    partition_field: str | None = None

    @property
    def names(self) -> frozenset[str]:
        """Column names."""
        return frozenset(c.name for c in self.columns)

    @property
    def types(self) -> dict[str, str]:
        """Column name → BigQuery type."""
        return {c.name: c.type for c in self.columns}

    @property
    def json_columns(self) -> frozenset[str]:
        """Columns of type JSON (written as JSON text, read back as Python values)."""
        return frozenset(c.name for c in self.columns if c.type == "JSON")


COMMON: tuple[Column, ...] = (
    Column("id", "STRING", "REQUIRED"),
    Column("version", "INT64"),
    Column("hash", "STRING"),
    Column("entity_type", "STRING"),
    Column("operation", "STRING"),
    Column("source", "STRING"),
    Column("timestamp", "TIMESTAMP"),
    Column("content", "JSON"),
    Column("metadata", "JSON"),
)


def _table(*extra: Column, partitioned: bool = False) -> TableSchema:
    return TableSchema(COMMON + extra, "timestamp" if partitioned else None)


SCHEMAS: dict[str, TableSchema] = {
    "events": _table(Column("event_type", "STRING"), partitioned=True),
    "agent_activities": _table(
        Column("agent_id", "STRING"),
        Column("task_id", "STRING"),
        Column("activity_type", "STRING"),
        Column("success", "BOOL"),
        Column("duration_ms", "INT64"),
        partitioned=True,
    ),
    "knowledge_base": _table(Column("title", "STRING")),
    "patterns": _table(Column("task_type", "STRING"), Column("success_rate", "FLOAT64")),
    "metrics": _table(Column("name", "STRING"), Column("value", "FLOAT64"), partitioned=True),
    "audit_logs": _table(Column("actor", "STRING"), Column("action", "STRING"), partitioned=True),
    "ingest_runs": _table(
        Column("job_id", "STRING"),
        Column("documents", "INT64"),
        Column("chunks", "INT64"),
        Column("seconds", "FLOAT64"),
        partitioned=True,
    ),
}

TABLES: tuple[str, ...] = tuple(SCHEMAS)
LATEST_SUFFIX = "_latest"


@dataclass(frozen=True, slots=True)
class Backfill:
    """A column added to an existing table, filled from an older column if it is there."""

    table: str
    column: str
    from_column: str
    expression: str  # SQL over ``from_column`` (our own text, never user data)


# Tables created by an earlier ARGO get the newer columns on setup (see
# `BigQueryWarehouse.setup`); their old columns stay, unused.
BACKFILLS: tuple[Backfill, ...] = (
    Backfill(
        "agent_activities",
        "duration_ms",
        "duration_s",
        "CAST(ROUND(duration_s * 1000) AS INT64)",
    ),
)
