"""Every version each store holds of one entity type, page by page (for `recover`).

Where `reader` asks about known ids, this walks whole stores: the graph by
label (keyset pages over ``id``), the warehouse by table (the latest version
per id, the rule of its ``*_latest`` views, with the entity-type filter
applied before the ranking), Chroma by collection, the Redis cache by key
pattern, and the namespace's own ledger (a Redis that lost only its counters
still knows what it published). Nodes that are only edge ends (``version``
-1) are left out, as `versions` does.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from argo_agents.stores.factory import Stores
from argo_agents.stores.ports import StreamPort
from argo_agents.stores.redis_cache import KEY_PREFIX
from argo_agents.sync import mappers
from argo_agents.sync.keys import Keys
from argo_agents.sync.matrix import BIGQUERY, NEO4J, REDIS, SYNC_MATRIX, VECTOR, spec_for

LEDGER = "ledger"
SOURCES = (LEDGER, BIGQUERY, NEO4J, VECTOR, REDIS)  # on a tie the earlier one's record is kept
PAGE = 1000

_GRAPH_PAGE = """
MATCH (n:{label}) WHERE n.version >= 0 AND n.id > $after
RETURN n.id AS id, n.version AS version, n.hash AS hash, n.source AS source,
       n.updated_at AS ts
ORDER BY n.id LIMIT $limit
"""


@dataclass(frozen=True, slots=True)
class Held:
    """One entity's version in one store, with what that store knows of its event."""

    entity_id: str
    version: int
    hash: str
    operation: str = ""  # "" when the store does not say
    source: str = ""
    ts_ms: int = 0


class StoreScanner:
    """Pages of `Held` per store and entity type."""

    def __init__(self, stores: Stores, redis: StreamPort, keys: Keys, page: int = PAGE) -> None:
        self.stores = stores
        self.redis = redis
        self.keys = keys
        self.page = page

    def scan(self, source: str, entity_type: str) -> Iterator[list[Held]]:
        """Pages of what ``source`` (a store, or `LEDGER`) holds of ``entity_type``."""
        spec = spec_for(entity_type)
        if source == LEDGER:
            yield from self._ledger(entity_type)
        elif source not in spec.targets or spec.edge_only:
            return  # never written there by the engine (and an edge has no id to count)
        elif source == NEO4J and spec.label:
            yield from self._graph(spec.label)
        elif source == BIGQUERY and spec.table:
            yield from self._warehouse(entity_type, spec.table)
        elif source == VECTOR:
            yield from self._vectors(entity_type)
        elif source == REDIS:
            yield from self._cache(entity_type)

    def _ledger(self, entity_type: str) -> Iterator[list[Held]]:
        page: list[Held] = []
        for entity_id, raw in self.redis.hscan(self.keys.ledger(entity_type), count=self.page):
            version, hash_, operation, source, ts = raw.split("|", 4)
            page.append(Held(entity_id, int(version), hash_, operation, source, int(ts)))
            if len(page) >= self.page:
                yield page
                page = []
        if page:
            yield page

    def _graph(self, label: str) -> Iterator[list[Held]]:
        after = ""
        while True:
            rows = self.stores.graph.query(
                _GRAPH_PAGE.format(label=label), {"after": after, "limit": self.page}
            )
            if not rows:
                return
            yield [
                Held(
                    r["id"],
                    int(r["version"]),
                    r["hash"] or "",
                    "",
                    r.get("source") or "",
                    _ms(r.get("ts")),
                )
                for r in rows
            ]
            after = rows[-1]["id"]

    def _warehouse(self, entity_type: str, table: str) -> Iterator[list[Held]]:
        sharers = [t for t, s in SYNC_MATRIX.items() if s.table == table]
        prefixed = mappers.warehouse_id(entity_type, "x", table) != "x"
        if len(sharers) == 1:
            where, params = "TRUE", {}
        elif prefixed:
            where, params = "entity_type = @t", {"t": entity_type}
        else:  # the table's own type: its rows may carry no entity_type
            where, params = "(entity_type = @t OR entity_type IS NULL)", {"t": entity_type}
        rows = self.stores.warehouse.query(
            f"SELECT id, version, hash, operation, source, timestamp, metadata "
            f"FROM {{dataset}}.{table} WHERE {where} "
            f"QUALIFY ROW_NUMBER() OVER (PARTITION BY id ORDER BY version DESC) = 1",
            params,
        )
        page: list[Held] = []
        for r in rows:
            meta = r.get("metadata") or {}
            if isinstance(meta, str | bytes):
                meta = orjson.loads(meta)
            entity_id = r["id"]
            if prefixed:
                entity_id = (
                    meta.get("entity_id") if isinstance(meta, dict) else None
                ) or entity_id.removeprefix(f"{entity_type}:")
            page.append(
                Held(
                    str(entity_id),
                    int(r["version"] or 0),
                    r["hash"] or "",
                    r.get("operation") or "",
                    r.get("source") or "",
                    _ms(r.get("timestamp")),
                )
            )
            if len(page) >= self.page:
                yield page
                page = []
        if page:
            yield page

    def _vectors(self, entity_type: str) -> Iterator[list[Held]]:
        from argo_agents.stores.vector import HASH_KEY, VERSION_KEY

        offset = 0
        while True:
            page = self.stores.vectors.metadata_page(entity_type, limit=self.page, offset=offset)
            if not page:
                return
            yield [
                Held(
                    i,
                    int(m.get(VERSION_KEY, -1)),
                    str(m.get(HASH_KEY, "")),
                    "",
                    str(m.get("source") or ""),
                )
                for i, m in page
            ]
            offset += len(page)

    def _cache(self, entity_type: str) -> Iterator[list[Held]]:
        prefix = KEY_PREFIX + mappers.cache_key(entity_type, "")
        for keys in self.redis.scan_keys(prefix + "*", count=self.page):
            short = [k.removeprefix(KEY_PREFIX) for k in keys]
            found = self.stores.cache.versions(short)
            yield [
                Held(k.removeprefix(mappers.cache_key(entity_type, "")), v.version, v.hash)
                for k, v in found.items()
            ]


def _ms(value: Any) -> int:
    """Milliseconds since the epoch of a stored timestamp (0 when absent or unreadable)."""
    if isinstance(value, str) and value:
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return 0
    return int(value.timestamp() * 1000) if isinstance(value, datetime) else 0
