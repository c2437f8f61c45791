"""The sync matrix: which stores receive each entity type, as data in one place.

It follows the source design (docs/store-model.md): knowledge and patterns go to all
four stores; metrics, audit records, agent activities and events only to the
warehouse; session data only to Redis; relationships only to the graph. The
per-source rule is applied on top: a change that *came from* a store is not
written back to it, and knowledge keeps the source document's own table
(from Redis → Neo4j, BigQuery, Vector; from Neo4j → Redis, BigQuery; from
BigQuery → Redis, Neo4j; from Vector → Redis).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from argo_agents.stores.factory import STORE_NAMES

REDIS, NEO4J, BIGQUERY, VECTOR = STORE_NAMES  # VECTOR is "chroma": one name everywhere
STORES: tuple[str, ...] = STORE_NAMES
SIMILAR = "similar"  # follow-up stage: SIMILAR_TO edges from vector search results
SIMILAR_TYPES = frozenset({"knowledge", "chunk"})  # entity types that get SIMILAR_TO edges


@dataclass(frozen=True)
class EntitySpec:
    """Where one entity type lives and under which name in each store."""

    targets: frozenset[str]
    label: str | None = None  # graph node label
    table: str | None = None  # warehouse table (append-only, read via `<table>_latest`)
    ttl_type: str = "default"  # key of `Settings.cache_ttl`
    by_source: Mapping[str, frozenset[str]] = field(default_factory=dict)
    edge_only: bool = False  # the graph holds an edge, not a node (relationships)

    def targets_for(self, source: str) -> frozenset[str]:
        """Targets of a change that came from ``source`` (a store never gets its own change)."""
        if source in self.by_source:
            return self.by_source[source]
        return self.targets - {source}


def _spec(*targets: str, **kw: object) -> EntitySpec:
    return EntitySpec(targets=frozenset(targets), **kw)  # type: ignore[arg-type]


_KNOWLEDGE_BY_SOURCE = {
    REDIS: frozenset({NEO4J, BIGQUERY, VECTOR}),
    NEO4J: frozenset({REDIS, BIGQUERY}),
    BIGQUERY: frozenset({REDIS, NEO4J}),
    VECTOR: frozenset({REDIS}),
}

SYNC_MATRIX: Mapping[str, EntitySpec] = MappingProxyType(
    {
        "knowledge": _spec(
            REDIS,
            NEO4J,
            BIGQUERY,
            VECTOR,
            label="Knowledge",
            table="knowledge_base",
            ttl_type="knowledge",
            by_source=_KNOWLEDGE_BY_SOURCE,
        ),
        "pattern": _spec(
            REDIS, NEO4J, BIGQUERY, VECTOR, label="Pattern", table="patterns", ttl_type="pattern"
        ),
        "goal": _spec(
            REDIS, NEO4J, BIGQUERY, VECTOR, label="Goal", table="events", ttl_type="context"
        ),
        "plan": _spec(REDIS, NEO4J, BIGQUERY, label="Plan", table="events", ttl_type="context"),
        "step": _spec(REDIS, NEO4J, label="Step", ttl_type="context"),
        "step_result": _spec(
            REDIS, NEO4J, BIGQUERY, VECTOR, label="StepResult", table="events", ttl_type="context"
        ),
        "agent": _spec(REDIS, NEO4J, label="Agent", ttl_type="agent"),
        "collaboration": _spec(NEO4J, BIGQUERY, label="Collaboration", table="agent_activities"),
        "agent_activity": _spec(BIGQUERY, table="agent_activities"),
        "event": _spec(BIGQUERY, table="events"),
        "metric": _spec(BIGQUERY, table="metrics"),
        "audit": _spec(BIGQUERY, table="audit_logs"),
        "session_data": _spec(REDIS, ttl_type="context"),
        "relationship": _spec(NEO4J, edge_only=True),
        "embedding": _spec(VECTOR, REDIS, ttl_type="knowledge"),
        # Ingested documents (`argo ingest`): the document's metadata is cached while hot,
        # a node and a knowledge_base row; its chunks are vectors and nodes (not rows: the
        # warehouse keeps one row per document, the chunks' text lives in the vector store).
        "document": _spec(
            REDIS, NEO4J, BIGQUERY, label="Document", table="knowledge_base", ttl_type="knowledge"
        ),
        "chunk": _spec(NEO4J, VECTOR, label="Chunk"),
        "ingest_run": _spec(BIGQUERY, table="ingest_runs"),
    }
)


def spec_for(entity_type: str) -> EntitySpec:
    """The matrix entry of ``entity_type`` (callers validate the type first)."""
    return SYNC_MATRIX[entity_type]


def targets_of(entity_type: str, source: str) -> frozenset[str]:
    """Stores an event of ``entity_type`` from ``source`` must reach."""
    return SYNC_MATRIX[entity_type].targets_for(source)


def stages_of(entity_type: str, source: str) -> frozenset[str]:
    """Targets plus follow-up stages: knowledge written to both graph and vector store
    also gets SIMILAR_TO edges to its nearest neighbours (docs/store-model.md)."""
    targets = targets_of(entity_type, source)
    if (
        entity_type in SIMILAR_TYPES
        and VECTOR in targets
        and NEO4J in SYNC_MATRIX[entity_type].targets
    ):
        return targets | {SIMILAR}
    return targets


def labels() -> list[str]:
    """Every graph node label the matrix uses (for uniqueness constraints)."""
    found = {s.label for s in SYNC_MATRIX.values() if s.label}
    return sorted(found | {"Agent"})


def tables() -> list[str]:
    """Every warehouse table the matrix uses."""
    return sorted({s.table for s in SYNC_MATRIX.values() if s.table})
