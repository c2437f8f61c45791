"""The sync matrix as docs/store-model.md states it, including the per-source rule."""

import pytest

from argo_agents.sync.matrix import (
    BIGQUERY,
    NEO4J,
    REDIS,
    SIMILAR,
    SYNC_MATRIX,
    VECTOR,
    labels,
    stages_of,
    tables,
    targets_of,
)

EXPECTED = {
    "knowledge": {REDIS, NEO4J, BIGQUERY, VECTOR},
    "pattern": {REDIS, NEO4J, BIGQUERY, VECTOR},
    "metric": {BIGQUERY},
    "audit": {BIGQUERY},
    "agent_activity": {BIGQUERY},
    "event": {BIGQUERY},
    "session_data": {REDIS},
    "goal": {REDIS, NEO4J, BIGQUERY, VECTOR},
    "plan": {REDIS, NEO4J, BIGQUERY},
    "step": {REDIS, NEO4J},
    "step_result": {REDIS, NEO4J, BIGQUERY, VECTOR},
    "collaboration": {NEO4J, BIGQUERY},
    "relationship": {NEO4J},
    "agent": {REDIS, NEO4J},
}


@pytest.mark.parametrize("etype", sorted(EXPECTED))
def test_targets_from_the_orchestrator(etype):
    assert targets_of(etype, "orchestrator") == EXPECTED[etype]


@pytest.mark.parametrize(
    ("source", "targets"),
    [
        (REDIS, {NEO4J, BIGQUERY, VECTOR}),
        (NEO4J, {REDIS, BIGQUERY}),
        (BIGQUERY, {REDIS, NEO4J}),
        (VECTOR, {REDIS}),
    ],
)
def test_knowledge_follows_the_source_documents_table(source, targets):
    assert targets_of("knowledge", source) == targets


def test_a_store_never_receives_its_own_change():
    for etype in SYNC_MATRIX:
        for store in (REDIS, NEO4J, BIGQUERY, VECTOR):
            assert store not in targets_of(etype, store)


def test_knowledge_in_the_vector_store_gets_similar_edges():
    assert SIMILAR in stages_of("knowledge", "orchestrator")
    assert SIMILAR not in stages_of("knowledge", NEO4J)
    assert SIMILAR not in stages_of("metric", "orchestrator")


def test_tables_and_labels_exist_in_the_warehouse_schema():
    from argo_agents.stores.warehouse_schema import SCHEMAS

    assert set(tables()) <= set(SCHEMAS)
    assert {"Knowledge", "Goal", "Agent", "Collaboration"} <= set(labels())
