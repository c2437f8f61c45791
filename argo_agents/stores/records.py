"""The store-neutral records that the four adapters write.

Every record carries the entity's id, version and content hash: the adapters
use them as the idempotence key and the version fence (an older version never
overwrites a newer one), so a retried or re-ordered write changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class CacheEntry:
    """A JSON value cached in Redis under ``key`` with a TTL."""

    key: str
    value: Any
    version: int
    hash: str
    ttl_s: int | None = None


@dataclass(frozen=True, slots=True)
class NodeRecord:
    """A graph node, merged by ``id`` under ``label``; ``props`` are scalars or lists."""

    label: str
    id: str
    version: int
    hash: str
    props: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class EdgeRecord:
    """A relationship ``(src)-[type]->(dst)`` between nodes merged by id."""

    type: str
    src_label: str
    src_id: str
    dst_label: str
    dst_id: str
    props: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class WarehouseRow:
    """An append-only warehouse row; ``row_id`` is deterministic (id + version)."""

    table: str
    row_id: str
    values: dict[str, Any]


@dataclass(frozen=True, slots=True)
class VectorRecord:
    """A vector keyed by ``id`` in the collection for its entity type."""

    collection: str
    id: str
    version: int
    hash: str
    document: str
    embedding: list[float]
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StoredVersion:
    """What a store holds for an entity: used by conflict checks and `verify`."""

    id: str
    version: int
    hash: str


@dataclass(frozen=True, slots=True)
class WriteResult:
    """Outcome of a batch write: ids applied, ids skipped as stale (older version)."""

    applied: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class AppendItem:
    """One event to append: see `RedisStreams.append`."""

    entity_field: str  # key of the per-entity version counter
    ledger_key: str
    ledger_field: str
    exact_version: bool  # True: use `version`; False: next version, at least `version`
    version: int
    hash: str
    operation: str
    ts_ms: int
    stream: str
    payload: bytes
    replay: bool = False


@dataclass(frozen=True, slots=True)
class StreamEntry:
    """An entry read from a stream: where it is and its fields (str keys)."""

    stream: str
    id: str
    fields: dict[str, Any]
