"""Mappers: one event → the record each store writes (cache entry, node + edges, row, vector).

Pure functions, no I/O. Every record carries the event's version and hash,
which the adapters use as their fence. Content conventions (what the
orchestrator puts in ``data``): ``text`` is the document / title,
``embedding`` an optional precomputed vector (kept out of every store but the
vector store), ``relations`` edges from this entity's node, and type-specific
fields that become graph properties, warehouse columns and vector metadata.
"""

from __future__ import annotations

from typing import Any

import orjson

from argo_agents.stores.records import (
    CacheEntry,
    EdgeRecord,
    NodeRecord,
    VectorRecord,
    WarehouseRow,
)
from argo_agents.sync.events import SyncEvent
from argo_agents.sync.matrix import EntitySpec

_RESERVED = {"id", "version", "hash"}  # node properties the fence owns
_SKIP = {"embedding", "relations"}  # not properties: the vector and the edges
_SHARED_TABLES = {"events", "agent_activities"}  # rows of several entity types


def content(event: SyncEvent) -> dict[str, Any]:
    """The entity's data as stored outside the vector store (no embedding)."""
    if "embedding" not in event.data:
        return event.data
    return {k: v for k, v in event.data.items() if k != "embedding"}


def cache_key(entity_type: str, entity_id: str) -> str:
    """Where Redis holds an entity: ``<type>:<id>`` (the adapter adds ``argo:cache:``)."""
    return f"{entity_type}:{entity_id}"


def warehouse_id(entity_type: str, entity_id: str, table: str) -> str:
    """Row key in the warehouse; tables shared by several types prefix the type."""
    if table in _SHARED_TABLES and not _owns_table(entity_type, table):
        return f"{entity_type}:{entity_id}"
    return entity_id


def _owns_table(entity_type: str, table: str) -> bool:
    return (entity_type, table) in {("event", "events"), ("agent_activity", "agent_activities")}


def document_text(event: SyncEvent) -> str:
    """The text the vector store indexes: ``text``, else a title-like field, else the JSON."""
    data = event.data
    for key in ("text", "content", "description", "title", "name", "summary"):
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            return value
    return orjson.dumps(content(event), option=orjson.OPT_SORT_KEYS).decode()


def _scalar_props(data: dict[str, Any]) -> dict[str, Any]:
    """Graph-safe properties: scalars and scalar lists as they are, the rest as JSON text
    (Neo4j refuses map-valued properties)."""
    props: dict[str, Any] = {}
    for key, value in data.items():
        if key in _SKIP or key in _RESERVED or value is None:
            continue
        if isinstance(value, str | int | float | bool):
            props[key] = value
        elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            props[key] = value
        else:
            props[key] = orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    return props


def _sync_props(event: SyncEvent) -> dict[str, Any]:
    return {
        "entity_type": event.entity_type,
        "source": event.source,
        "confidence": event.confidence,
        "updated_at": event.timestamp.isoformat(),
        "operation_id": event.operation_id or "",
    }


def to_cache_entry(event: SyncEvent, ttl_s: int | None) -> CacheEntry:
    """The cached value is the entity's data itself, so readers need no envelope."""
    return CacheEntry(
        key=cache_key(event.entity_type, event.entity_id),
        value=content(event),
        version=int(event.version or 0),
        hash=event.hash,
        ttl_s=ttl_s,
    )


def to_node(event: SyncEvent, spec: EntitySpec) -> NodeRecord:
    """The entity's node; ``data`` keeps the exact JSON so any store can be repaired from it."""
    body = content(event)
    props = {
        **_scalar_props(body),
        **_sync_props(event),
        "data": orjson.dumps(body, option=orjson.OPT_SORT_KEYS).decode(),
    }
    assert spec.label is not None
    return NodeRecord(
        label=spec.label,
        id=event.entity_id,
        version=int(event.version or 0),
        hash=event.hash,
        props=props,
    )


def to_edges(event: SyncEvent, spec: EntitySpec) -> list[EdgeRecord]:
    """Edges from ``data["relations"]``, a collaboration's edge, or a relationship entity."""
    data = event.data
    if spec.edge_only:  # a relationship entity: the edge is the whole entity
        # (its data always names the edge: `events` refuses a relationship without it)
        return [
            EdgeRecord(
                type=str(data["type"]),
                src_label=str(data["src_label"]),
                src_id=str(data["src_id"]),
                dst_label=str(data["dst_label"]),
                dst_id=str(data["dst_id"]),
                props={
                    **_scalar_props(data.get("props") or {}),
                    "version": int(event.version or 0),
                },
            )
        ]
    edges = []
    if spec.label:
        for rel in data.get("relations") or []:
            # the source's version on its edges: a newer version's edges replace these
            edges.append(
                EdgeRecord(
                    type=rel["type"],
                    src_label=spec.label,
                    src_id=event.entity_id,
                    dst_label=rel["label"],
                    dst_id=str(rel["id"]),
                    props={
                        **_scalar_props(rel.get("props") or {}),
                        "src_version": int(event.version or 0),
                    },
                )
            )
    if event.entity_type == "collaboration" and data.get("agent_id") and data.get("partner_id"):
        edges.append(
            EdgeRecord(
                type="COLLABORATED_WITH",
                src_label="Agent",
                src_id=str(data["agent_id"]),
                dst_label="Agent",
                dst_id=str(data["partner_id"]),
                props={
                    "success": bool(data.get("success", True)),
                    "collaboration_id": event.entity_id,
                    "task_id": str(data.get("task_id") or ""),
                },
            )
        )
    return edges


def to_row(event: SyncEvent, spec: EntitySpec) -> WarehouseRow:
    """An append-only row; a delete is a row with operation "delete" (the latest view
    then shows the delete, which is how `verify` knows the entity is gone)."""
    assert spec.table is not None
    data = content(event)
    values: dict[str, Any] = {
        "id": warehouse_id(event.entity_type, event.entity_id, spec.table),
        "version": int(event.version or 0),
        "hash": event.hash,
        "entity_type": event.entity_type,
        "operation": event.operation.value,
        "source": event.source,
        "timestamp": event.timestamp.isoformat(),
        "content": data,
        "metadata": {
            "confidence": event.confidence,
            "operation_id": event.operation_id,
            "entity_id": event.entity_id,
        },
    }
    for column, kind in _TABLE_COLUMNS.get(spec.table, {}).items():
        values[column] = _coerce(data.get(column, _derived(column, data)), kind)
    if spec.table == "events":
        values["event_type"] = str(
            data.get("event_type") or f"{event.entity_type}_{event.operation.value}"
        )
    if spec.table == "knowledge_base":
        values["title"] = str(data.get("title") or document_text(event)[:200])
    return WarehouseRow(table=spec.table, row_id=event.event_id, values=values)


# Typed columns beside the JSON ones (see stores.warehouse_schema): filled from `data`
# when present and convertible, else NULL; the value is always kept in `content` too.
_TABLE_COLUMNS: dict[str, dict[str, type]] = {
    "agent_activities": {
        "agent_id": str,
        "task_id": str,
        "activity_type": str,
        "success": bool,
        "duration_ms": int,
    },
    "patterns": {"task_type": str, "success_rate": float},
    "metrics": {"name": str, "value": float},
    "audit_logs": {"actor": str, "action": str},
    "ingest_runs": {"job_id": str, "documents": int, "chunks": int, "seconds": float},
}


def _derived(column: str, data: dict[str, Any]) -> Any:
    """A column's value computed from what ARGO's records carry (seconds → ms)."""
    seconds = _coerce(data.get("duration_s"), float)
    return round(seconds * 1000) if column == "duration_ms" and seconds is not None else None


def _coerce(value: Any, kind: type) -> Any:
    if value is None:
        return None
    if kind is bool:
        return value if isinstance(value, bool) else None
    if kind is int:
        return value if isinstance(value, int) and not isinstance(value, bool) else None
    if kind is float:
        return (
            float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
        )
    return value if isinstance(value, str) else orjson.dumps(value).decode()


def to_vector(event: SyncEvent, embedding: list[float]) -> VectorRecord:
    """A vector in the collection named after the entity type."""
    metadata = {
        k: v
        for k, v in _scalar_props(content(event)).items()
        if not isinstance(v, list) and k != "text"
    }
    metadata.update({"confidence": event.confidence, "source": event.source})
    return VectorRecord(
        collection=event.entity_type,
        id=event.entity_id,
        version=int(event.version or 0),
        hash=event.hash,
        document=document_text(event),
        embedding=embedding,
        metadata=metadata,
    )


def similar_edge(event: SyncEvent, other_id: str, similarity: float) -> EdgeRecord:
    """``(item)-[:SIMILAR_TO {similarity_score}]->(neighbour)`` between knowledge nodes.

    The edge carries the item's version, like its other relations, so the item's next
    version replaces its neighbours instead of adding to them (`prune_edges`)."""
    label = "Knowledge" if event.entity_type == "knowledge" else event.entity_type.title()
    return EdgeRecord(
        type="SIMILAR_TO",
        src_label=label,
        src_id=event.entity_id,
        dst_label=label,
        dst_id=other_id,
        props={
            "similarity_score": round(float(similarity), 6),
            "src_version": int(event.version or 0),
        },
    )


def data_from_node(props: dict[str, Any]) -> dict[str, Any] | None:
    """The entity's data back from its node (None if the node predates the convention)."""
    raw = props.get("data")
    return orjson.loads(raw) if isinstance(raw, str) else None
