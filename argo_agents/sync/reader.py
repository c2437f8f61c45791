"""Read back what each store holds for a set of entities: versions, and full states.

Used where the engine must look before (or instead of) writing: conflict
checks, ROLLBACK snapshots, MERGE, `verify` and its repair. Versions come
from each port's `versions`; full data from the stores that keep it whole
(Redis value, the node's ``data`` property, the warehouse ``content``
column). The vector store keeps only text and metadata, so it is never the
source of a state, only of a version.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson

from argo_agents.stores.factory import Stores
from argo_agents.stores.records import StoredVersion
from argo_agents.sync import mappers
from argo_agents.sync.matrix import BIGQUERY, NEO4J, REDIS, VECTOR, spec_for
from argo_agents.sync.strategies import Side

READABLE = (REDIS, NEO4J, BIGQUERY)  # stores that hold an entity's whole data


class StateReader:
    """Versions and states of entities of one type, store by store."""

    def __init__(self, stores: Stores) -> None:
        self.stores = stores

    def versions(
        self, store: str, entity_type: str, ids: Sequence[str]
    ) -> dict[str, StoredVersion]:
        """Stored version and hash per entity id (ids that exist)."""
        spec = spec_for(entity_type)
        if not ids or store not in spec.targets:
            return {}  # the store never holds this type: asking could even create a collection
        if store == REDIS:
            keys = {mappers.cache_key(entity_type, i): i for i in ids}
            found = self.stores.cache.versions(list(keys))
            return {keys[k]: v for k, v in found.items()}
        if store == NEO4J:
            if spec.edge_only or not spec.label:
                return {}
            return dict(self.stores.graph.versions(spec.label, list(ids)))
        if store == BIGQUERY:
            assert spec.table is not None
            keys = {mappers.warehouse_id(entity_type, i, spec.table): i for i in ids}
            found = self.stores.warehouse.versions(spec.table, list(keys))
            return {keys[k]: v for k, v in found.items()}
        if store == VECTOR:
            return dict(self.stores.vectors.versions(entity_type, list(ids)))
        raise ValueError(f"unknown store {store!r}")

    def states(self, store: str, entity_type: str, ids: Sequence[str]) -> dict[str, Side]:
        """Whole stored state per entity id, from a store that keeps whole data."""
        spec = spec_for(entity_type)
        if not ids or store not in spec.targets:
            return {}
        if store == REDIS:
            keys = {mappers.cache_key(entity_type, i): i for i in ids}
            values = self.stores.cache.get_many(list(keys))
            versions = self.stores.cache.versions(list(keys))
            return {
                keys[k]: Side(
                    data=v if isinstance(v, dict) else {"value": v},
                    version=versions[k].version if k in versions else 0,
                )
                for k, v in values.items()
            }
        if store == NEO4J and spec.label and not spec.edge_only:
            nodes = self.stores.graph.get_nodes(spec.label, list(ids))
            return {
                i: Side(
                    data=mappers.data_from_node(p),
                    confidence=_float(p.get("confidence")),
                    timestamp=_time(p.get("updated_at")),
                    version=int(p.get("version", 0)),
                )
                for i, p in nodes.items()
            }
        if store == BIGQUERY and spec.table:
            keys = {mappers.warehouse_id(entity_type, i, spec.table): i for i in ids}
            rows = self._rows(spec.table, list(keys))
            return {keys[r["id"]]: _side_from_row(r) for r in rows if r.get("id") in keys}
        return {}

    def _rows(self, table: str, ids: list[str]) -> list[dict[str, Any]]:
        sql = (
            f"SELECT id, version, operation, content, metadata, timestamp "
            f"FROM {{dataset}}.{table}_latest WHERE id IN UNNEST(@ids)"
        )
        return self.stores.warehouse.query(sql, {"ids": ids})

    def first_state(
        self, stores: Sequence[str], entity_type: str, ids: Sequence[str]
    ) -> dict[str, Side]:
        """State per id from the first readable store (in ``READABLE`` order) that has it."""
        found: dict[str, Side] = {}
        for store in [s for s in READABLE if s in stores]:
            missing = [i for i in ids if i not in found]
            if not missing:
                break
            found.update(
                {
                    i: s
                    for i, s in self.states(store, entity_type, missing).items()
                    if s.data is not None
                }
            )
        return found


def _side_from_row(row: dict[str, Any]) -> Side:
    if row.get("operation") == "delete":
        return Side(data=None, version=int(row.get("version") or 0))
    content = row.get("content")
    meta = row.get("metadata") or {}
    if isinstance(content, str | bytes):
        content = orjson.loads(content)
    if isinstance(meta, str | bytes):
        meta = orjson.loads(meta)
    return Side(
        data=content,
        confidence=_float(meta.get("confidence")),
        timestamp=_time(row.get("timestamp")),
        version=int(row.get("version") or 0),
    )


def _float(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def _time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None
