"""What ARGO needs of each store: four small typed ports.

Batch methods are the main path. Every write is keyed by entity id and
version; an adapter applies a record only when the stored version is older
(or absent), and reports the rest as stale. Every method raises
`StoreUnavailable` when the server cannot be reached within the configured
timeout and `StoreRejected` when the server refuses the data.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from argo_agents.stores.records import (
    AppendItem,
    CacheEntry,
    EdgeRecord,
    NodeRecord,
    StoredVersion,
    StreamEntry,
    VectorRecord,
    WarehouseRow,
    WriteResult,
)


@runtime_checkable
class Store(Protocol):
    """Common to every adapter."""

    name: str
    address: str

    def health(self) -> None:
        """Return when the store answers; raise `StoreUnavailable` otherwise."""

    def close(self) -> None:
        """Release connections."""


class CachePort(Store, Protocol):
    """Redis: versioned JSON values with TTLs, workload counters, pub/sub."""

    def put_many(self, entries: Sequence[CacheEntry]) -> WriteResult:
        """Compare-version-and-set each entry with its TTL, in one round trip."""

    def get_many(self, keys: Sequence[str]) -> dict[str, Any]:
        """Values of the keys that exist."""

    def versions(self, keys: Sequence[str]) -> dict[str, StoredVersion]:
        """Version and hash stored under each existing key."""

    def delete_many(self, keys: Sequence[str], *, version: int | None = None) -> int:
        """Delete keys (only those at or below ``version`` when given)."""

    def add_workload(self, agent_id: str, delta: int) -> int:
        """Change an agent's workload counter (never below zero); return it."""

    def workloads(self, agent_ids: Sequence[str]) -> dict[str, int]:
        """Current workload of each agent (0 when unknown)."""

    def publish(self, channel: str, message: Mapping[str, Any]) -> int:
        """Publish a JSON message (fire-and-forget notifications only)."""

    def ttl_for(self, entity_type: str) -> int:
        """How long a cached value of ``entity_type`` lives, in seconds."""


class RecordPort(Protocol):
    """Small JSON documents that change only by compare-and-set on a revision."""

    def get(self, key: str) -> tuple[int, dict[str, Any]] | None:
        """The record's revision and document, or None when there is none."""

    def compare_and_set(
        self, key: str, expected_rev: int, doc: dict[str, Any], *, ttl_s: int = 0
    ) -> bool:
        """Write ``doc`` if the stored revision is ``expected_rev`` (0 = none yet)."""


class LeasePort(Protocol):
    """Short per-key leases (a compare-and-set for stores that have none)."""

    def acquire(self, keys: Sequence[str], token: str, ttl_ms: int) -> set[str]:
        """Take the free leases among ``keys``; return the keys taken."""

    def release(self, keys: Sequence[str], token: str) -> int:
        """Drop the leases ``token`` still holds."""


class StreamPort(Protocol):
    """Redis as the sync engine's outbox: streams, version counters, ledgers, progress.

    Built by the store factory on the cache's connection (one Redis pool per
    process). Errors as every port: `StoreUnavailable` for an outage or a busy
    server, `StoreRejected` for a refused command.
    """

    name: str
    address: str

    def hgetall_many(self, keys: Sequence[str]) -> list[dict[str, str]]:
        """HGETALL of each key, in one round trip."""

    def hset_many(
        self,
        values: Mapping[str, Mapping[str, Any]],
        ttl_s: int | None = None,
        incr: Mapping[str, Mapping[str, int]] | None = None,
    ) -> None:
        """HSET (and HINCRBY) fields of several hashes, refreshing their TTL."""

    def hget_fields(self, key: str, fields: Sequence[str]) -> list[str | None]:
        """HMGET."""

    def hget_all(self, key: str) -> dict[str, str]:
        """HGETALL of one key."""

    def hdel(self, key: str, fields: Sequence[str]) -> int:
        """HDEL."""

    def hscan(self, key: str, count: int = 500) -> Iterator[tuple[str, str]]:
        """Every field of a large hash, without blocking the server."""

    def hlen(self, key: str) -> int:
        """HLEN."""

    def mget(self, keys: Sequence[str]) -> list[str | None]:
        """MGET."""

    def set_many(self, values: Mapping[str, Any], ttl_s: int) -> None:
        """SET with expiry for several keys, in one round trip."""

    def push_capped(self, lists: Mapping[str, Sequence[Any]], cap: int) -> None:
        """LPUSH values and trim each list to its ``cap`` newest items."""

    def lrange(self, key: str, count: int) -> list[str]:
        """The ``count`` newest items of a list."""

    def scan_delete(self, pattern: str) -> int:
        """Delete every key matching ``pattern`` (tests and `reset`)."""

    def ensure_group(self, streams: Sequence[str], group: str) -> None:
        """Create the consumer group (and empty stream) where missing; idempotent."""

    def append(
        self,
        counter_key: str,
        items: Sequence[AppendItem],
        *,
        guard_key: str,
        at_floors: bool = False,
    ) -> list[tuple[int, str]]:
        """Assign versions, update the ledger and XADD, atomically; (version, entry id)."""

    def read_group(
        self,
        group: str,
        consumer: str,
        streams: Sequence[str],
        count: int,
        block_ms: int | None = None,
    ) -> list[StreamEntry]:
        """New entries for ``consumer``, taking streams in the given order until ``count``."""

    def read_own_pending(
        self, group: str, consumer: str, streams: Sequence[str], count: int
    ) -> list[StreamEntry]:
        """Entries delivered to ``consumer`` and not yet acknowledged, oldest first."""

    def claim_idle(
        self,
        stream: str,
        group: str,
        consumer: str,
        min_idle_ms: int,
        count: int,
        start: str = "0-0",
    ) -> tuple[list[StreamEntry], str]:
        """XAUTOCLAIM entries idle longer than ``min_idle_ms`` (their worker died or failed)."""

    def renew(
        self, group: str, consumer: str, ids_by_stream: Mapping[str, Sequence[str]]
    ) -> list[str]:
        """Reset the idle time of ``consumer``'s pending entries (no delivery is counted)."""

    def drop_idle_consumers(
        self, stream: str, group: str, min_idle_ms: int, *, only: str = "", keep: str = ""
    ) -> list[str]:
        """XGROUP DELCONSUMER every consumer with nothing pending, idle ``min_idle_ms``."""

    def ack_delete(
        self,
        group: str,
        ids_by_stream: Mapping[str, Sequence[str]],
        delete_keys: Sequence[str] = (),
    ) -> None:
        """XACK and XDEL entries (the stream holds only unfinished work) and drop keys."""

    def raise_versions(
        self, counter_key: str, ledger_key: str, items: Sequence[tuple[str, int, str, str]]
    ) -> int:
        """Raise counters and ledger entries to at least each item's version, atomically."""

    def set_guard(
        self, guard_key: str, counter_key: str, value: str, *, only_if_missing: bool
    ) -> str:
        """Vouch for ``counter_key`` with guard id ``value``; return the guard's id now."""

    def guard(self, guard_key: str) -> str | None:
        """The guard's id (None when there is no guard)."""

    def drop_guard(self, guard_key: str) -> None:
        """Remove the guard: appends are refused until `set_guard`."""

    def scan_keys(self, pattern: str, count: int = 1000) -> Iterator[list[str]]:
        """Keys matching ``pattern``, in pages of about ``count`` (SCAN: never blocks Redis)."""

    def server_config(self, names: Sequence[str]) -> dict[str, str] | None:
        """CONFIG GET of each name; None when the server refuses CONFIG (managed Redis)."""

    def memory_share(self) -> float | None:
        """Memory used as a share of ``maxmemory``; None when no limit is set or unknown."""

    def stream_sizes(self, streams: Sequence[str], group: str) -> dict[str, tuple[int, int]]:
        """(entries, pending) per stream; entries include pending ones."""

    def xlen(self, stream: str) -> int:
        """Entries in a stream (0 when it does not exist)."""

    def xadd(self, stream: str, fields: Mapping[str, Any]) -> str:
        """Append one entry (dead letters)."""

    def xadd_once(self, stream: str, index: str, member: str, fields: Mapping[str, Any]) -> str:
        """Append one entry unless ``index`` already maps ``member`` to one; return its id."""

    def xdel_indexed(
        self, stream: str, index: str, ids: Sequence[str], members: Sequence[str]
    ) -> int:
        """Delete entries by id and their ``index`` members, in one transaction."""

    def xrange(self, stream: str, count: int = 100, start: str = "-") -> list[StreamEntry]:
        """Entries of a stream, oldest first."""

    def xdel(self, stream: str, ids: Sequence[str]) -> int:
        """Delete entries by id."""


class GraphPort(Store, Protocol):
    """Neo4j (or ArcadeDB over Bolt): nodes by id, relationships, paths."""

    def setup(self, labels: Sequence[str]) -> None:
        """Create a uniqueness constraint on ``id`` per label, idempotently."""

    def upsert_nodes(self, nodes: Sequence[NodeRecord]) -> WriteResult:
        """MERGE nodes by id with a version fence (UNWIND batches per label)."""

    def upsert_edges(self, edges: Sequence[EdgeRecord]) -> None:
        """MERGE relationships between nodes merged by id."""

    def delete_edges(self, edges: Sequence[EdgeRecord]) -> int:
        """Delete the relationships ``(src)-[type]->(dst)``; return how many were deleted."""

    def prune_edges(self, label: str, versions: Mapping[str, int]) -> int:
        """Delete outgoing edges an earlier version of each node wrote."""

    def delete_nodes(
        self, label: str, ids: Sequence[str], *, versions: Mapping[str, int] | None = None
    ) -> int:
        """DETACH DELETE nodes by id (not newer than ``versions``); return how many."""

    def get_nodes(self, label: str, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Properties of the nodes that exist."""

    def versions(self, label: str, ids: Sequence[str]) -> dict[str, StoredVersion]:
        """Version and hash of the nodes that exist."""

    def query(self, cypher: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run a parameterized read query; rows as dicts."""

    def related(
        self, label: str, node_id: str, *, max_depth: int = 3, limit: int = 50
    ) -> list[tuple[str, str, int]]:
        """(label, id, distance) of nodes within ``max_depth`` hops, nearest first."""


class WarehousePort(Store, Protocol):
    """BigQuery: append-only partitioned tables read through ``*_latest`` views."""

    tables: tuple[str, ...]

    def setup(self) -> None:
        """Create the dataset, the tables and their latest-version views."""

    def insert_rows(self, rows: Sequence[WarehouseRow]) -> None:
        """Streaming insert with each row's deterministic ``row_id``."""

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run SQL with named query parameters (``@name``); ``{dataset}`` is expanded."""

    def versions(self, table: str, ids: Sequence[str]) -> dict[str, StoredVersion]:
        """Latest version and hash per id (the rule of the table's latest view)."""


class VectorPort(Store, Protocol):
    """Chroma: one collection per entity type, upsert by id, similarity search."""

    def upsert(self, records: Sequence[VectorRecord]) -> WriteResult:
        """Upsert vectors whose stored version is older or absent."""

    def delete(self, collection: str, ids: Sequence[str]) -> None:
        """Delete vectors by id."""

    def search(
        self,
        collection: str,
        embedding: Sequence[float],
        *,
        k: int = 5,
        where: Mapping[str, Any] | None = None,
        ids: Sequence[str] | None = None,
    ) -> list[VectorHit]:
        """The ``k`` nearest vectors, optionally filtered by metadata; with ``ids``, the
        ``k`` nearest among those vectors only, ranked exactly."""

    def ids_containing(self, collection: str, word: str, *, limit: int) -> list[str]:
        """Ids of up to ``limit`` vectors whose document contains ``word``, ignoring case
        (the store's full-text index; which ``limit`` ids when more match is unspecified)."""

    def search_many(
        self,
        collection: str,
        embeddings: Sequence[Sequence[float]],
        *,
        k: int = 5,
        where: Mapping[str, Any] | None = None,
        content: bool = True,
    ) -> list[list[VectorHit]]:
        """`search` for each embedding, in order, in as few requests as the store allows.

        ``content=False`` returns ids and similarities only (empty document and
        metadata), which spares the store fetching them."""

    def versions(self, collection: str, ids: Sequence[str]) -> dict[str, StoredVersion]:
        """Version and hash of the vectors that exist."""

    def metadata_page(
        self, collection: str, *, limit: int, offset: int
    ) -> list[tuple[str, dict[str, Any]]]:
        """(id, metadata) of up to ``limit`` vectors from ``offset`` (a full scan, paged)."""


@dataclass(frozen=True, slots=True)
class VectorHit:
    """One similarity-search result; ``similarity`` = 1 − cosine distance."""

    id: str
    similarity: float
    document: str
    metadata: dict[str, Any]
