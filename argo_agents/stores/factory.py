"""Build store adapters from endpoints: the only place that picks an adapter class.

Heavy clients are imported lazily, so importing ARGO does not import four
database drivers. `open_stores` is what a composition root calls;
`check_health` is what the local stack polls while servers start.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from argo_agents.config.endpoints import Endpoints
from argo_agents.stores.errors import StoreError

if TYPE_CHECKING:
    from argo_agents.config.settings import Settings
    from argo_agents.stores.graph import Neo4jGraph
    from argo_agents.stores.ports import (
        CachePort,
        GraphPort,
        LeasePort,
        RecordPort,
        Store,
        StreamPort,
        VectorPort,
        WarehousePort,
    )
    from argo_agents.stores.redis_cache import RedisCache
    from argo_agents.stores.vector import ChromaVectors
    from argo_agents.stores.warehouse import BigQueryWarehouse

STORE_NAMES = ("redis", "neo4j", "bigquery", "chroma")
"""The four stores, by the one name each has everywhere (matrix, stack, receipts, CLI)."""


def open_cache(endpoints: Endpoints, settings: Settings | None = None) -> RedisCache:
    """The Redis cache, with TTLs from ``settings.cache_ttl`` (defaults otherwise)."""
    from argo_agents.stores.redis_cache import RedisCache

    return RedisCache.from_endpoints(endpoints, settings.cache_ttl if settings else None)


def open_graph(endpoints: Endpoints) -> Neo4jGraph:
    """The graph store (Neo4j or ArcadeDB over Bolt)."""
    from argo_agents.stores.graph import Neo4jGraph

    return Neo4jGraph.from_endpoints(endpoints)


def open_warehouse(endpoints: Endpoints) -> BigQueryWarehouse:
    """The BigQuery warehouse (or its emulator)."""
    from argo_agents.stores.warehouse import BigQueryWarehouse

    return BigQueryWarehouse.from_endpoints(endpoints)


def open_vectors(endpoints: Endpoints) -> ChromaVectors:
    """The Chroma vector store."""
    from argo_agents.stores.vector import ChromaVectors

    return ChromaVectors.from_endpoints(endpoints)


_OPENERS: dict[str, Callable[[Endpoints], Store]] = {
    "redis": open_cache,
    "neo4j": open_graph,
    "bigquery": open_warehouse,
    "chroma": open_vectors,
}


def check_health(name: str, endpoints: Endpoints) -> None:
    """Raise `StoreUnavailable` unless store ``name`` answers.

    For Neo4j this runs a query in the configured database, so it succeeds
    only once the database exists (ArcadeDB creates it just after opening
    the Bolt port).
    """
    if name not in _OPENERS:
        raise ValueError(f"unknown store {name!r}; choose from {', '.join(STORE_NAMES)}")
    adapter = _OPENERS[name](endpoints)
    try:
        adapter.health()
    finally:
        adapter.close()


@dataclass(frozen=True)
class Stores:
    """The adapters of one process, opened together and closed together.

    Typed on the ports: what ARGO needs of each store, not which client serves it.
    ``records``, ``locks`` and ``streams`` share the cache's Redis connection.
    """

    cache: CachePort
    graph: GraphPort
    warehouse: WarehousePort
    vectors: VectorPort
    records: RecordPort
    """Compare-and-set records (the approval gate's own record)."""
    locks: LeasePort
    """Per-entity leases (a compare-and-set for the vector store's writes)."""
    streams: StreamPort
    """The sync engine's outbox: streams, version counters and progress."""

    def all(self) -> dict[str, Store]:
        """Adapters by store name."""
        return {
            "redis": self.cache,
            "neo4j": self.graph,
            "bigquery": self.warehouse,
            "chroma": self.vectors,
        }

    def health(self) -> dict[str, StoreError | None]:
        """Per store: None when healthy, else the error (never raises)."""
        result: dict[str, StoreError | None] = {}
        for name, adapter in self.all().items():
            try:
                adapter.health()
                result[name] = None
            except StoreError as exc:
                result[name] = exc
        return result

    def close(self) -> None:
        """Close every adapter."""
        for adapter in self.all().values():
            adapter.close()


def open_stores(endpoints: Endpoints, settings: Settings | None = None) -> Stores:
    """Open all four adapters; if one cannot be opened, close the others and re-raise."""
    opened: list[Store] = []
    try:
        cache = open_cache(endpoints, settings)
        opened.append(cache)
        graph = open_graph(endpoints)
        opened.append(graph)
        warehouse = open_warehouse(endpoints)
        opened.append(warehouse)
        vectors = open_vectors(endpoints)  # connects at once (chromadb checks the server)
        opened.append(vectors)
    except BaseException:
        for adapter in opened:
            adapter.close()
        raise
    from argo_agents.stores.redis_locks import RedisLocks
    from argo_agents.stores.redis_records import RedisRecords
    from argo_agents.stores.redis_stream import RedisStreams

    client, address = cache.client, cache.address  # one Redis pool for all four roles
    return Stores(
        cache=cache,
        graph=graph,
        warehouse=warehouse,
        vectors=vectors,
        records=RedisRecords(client, address),
        locks=RedisLocks(client, address),
        streams=RedisStreams(client, address),
    )
