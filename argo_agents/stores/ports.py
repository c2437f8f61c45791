"""What ARGO needs of each store: four small typed ports.

Batch methods are the main path. Every write is keyed by entity id and
version; an adapter applies a record only when the stored version is older
(or absent), and reports the rest as stale. Every method raises
`StoreUnavailable` when the server cannot be reached within the configured
timeout and `StoreRejected` when the server refuses the data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from argo_agents.stores.records import (
    CacheEntry,
    EdgeRecord,
    NodeRecord,
    StoredVersion,
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
    ) -> list[VectorHit]:
        """The ``k`` nearest vectors, optionally filtered by metadata."""

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


@dataclass(frozen=True, slots=True)
class VectorHit:
    """One similarity-search result; ``similarity`` = 1 − cosine distance."""

    id: str
    similarity: float
    document: str
    metadata: dict[str, Any]
