"""Conflicts, one test per strategy: every store converges on the strategy's answer.

A "concurrent writer" is simulated by writing straight into the graph store
(as a process bypassing the outbox would): the graph then holds version 2
with other data than the event the engine is about to apply as version 2.
"""

from __future__ import annotations

import pytest

from argo_agents.sync import ConflictStrategy, SyncEvent
from argo_agents.sync.mappers import to_node, to_vector
from argo_agents.sync.matrix import STORES, spec_for
from tests.integration.test_sync_support import (  # noqa: F401  (fixtures)
    make_engine_fixture,
    sync_stores_fixture,
    uid,
)

pytestmark = pytest.mark.integration
K = "knowledge"


def knowledge(eid: str, data: dict, **kw) -> SyncEvent:
    return SyncEvent(entity_type=K, entity_id=eid, data=data, **kw)


def setup_race(engine, *, confidence: float = 1.0, incoming_conf: float = 1.0):
    """v1 A everywhere; the graph then gets v2 B behind the engine's back; the engine is
    handed v2 C. Returns (entity id, A, B, C)."""
    eid = uid("conflict")
    a = {"text": "A original", "keep": "from A"}
    b = {"text": "B written behind the engine's back", "only_b": 1}
    c = {"text": "C incoming", "only_c": 2}
    engine.publish([knowledge(eid, a, version=1)])
    assert engine.drain(timeout_s=30).complete
    rogue = knowledge(eid, b, version=2, confidence=confidence)
    engine.ctx.stores.graph.upsert_nodes([to_node(rogue, spec_for(K))])
    engine.publish([knowledge(eid, c, version=2, confidence=incoming_conf)])
    return eid, a, b, c


def converged(engine, eid: str):
    """The single (version, hash) every store holds, and the cached data."""
    held = {s: engine.ctx.reader.versions(s, K, [eid]).get(eid) for s in STORES}
    assert all(held.values()), held
    assert len({(h.version, h.hash) for h in held.values()}) == 1, held
    data = engine.ctx.stores.cache.get_many([f"{K}:{eid}"])[f"{K}:{eid}"]
    return held["redis"].version, data


@pytest.mark.parametrize(("strategy", "expect"), [
    (ConflictStrategy.LAST_WRITE_WINS, "c"),
    (ConflictStrategy.HIGHEST_CONFIDENCE, "b"),
    (ConflictStrategy.MERGE, "merged"),
])
def test_automatic_strategies_converge_every_store(make_engine, strategy, expect):
    engine = make_engine(strategies={K: strategy})
    eid, a, b, c = setup_race(engine, confidence=0.99, incoming_conf=0.5)
    report = engine.drain(timeout_s=30)
    assert report.complete and report.conflicts == 1
    version, data = converged(engine, eid)
    assert version == 3  # the resolution is a new version above every stored one
    if expect == "c":
        assert data == c
    elif expect == "b":
        assert data == b
    else:  # stored side is more confident: its clashing "text" stays, both sides' keys kept
        assert data == {**c, **b}
    assert engine.verify(K).divergence == 0
    assert engine.status().conflicts == 1


def test_manual_conflict_is_parked_then_resolved_by_a_human(make_engine):
    engine = make_engine(strategies={K: ConflictStrategy.MANUAL})
    eid, a, b, c = setup_race(engine)
    assert engine.drain(timeout_s=30).complete
    [parked] = engine.conflicts()
    assert parked.event.entity_id == eid and parked.stored["neo4j"]["version"] == 2
    assert parked.stored_data == b
    assert engine.verify(K).parked == 1
    engine.resolve_conflict(parked.id, "stored")
    assert engine.drain(timeout_s=30).complete
    assert engine.conflicts() == []
    version, data = converged(engine, eid)
    assert (version, data) == (3, b)


def test_rollback_restores_every_store_to_the_state_before_the_event(make_engine):
    engine = make_engine(strategies={K: ConflictStrategy.ROLLBACK})
    eid, a, b, c = setup_race(engine)
    assert engine.drain(timeout_s=30).complete
    version, data = converged(engine, eid)
    assert (version, data) == (3, a)  # Redis, BigQuery and Chroma had taken C: compensated
    assert engine.verify(K).divergence == 0


def test_rollback_of_a_create_deletes_it_everywhere(make_engine):
    engine = make_engine(strategies={K: ConflictStrategy.ROLLBACK})
    eid = uid("rb-create")
    # Only the vector store (which keeps no whole state to restore) got a rogue version 1,
    # so before the event no store held the entity: undoing the create deletes it.
    rogue = knowledge(eid, {"text": "rogue"}, version=1)
    engine.ctx.stores.vectors.upsert([to_vector(rogue, [1.0] + [0.0] * 383)])
    engine.publish([knowledge(eid, {"text": "new"}, version=1)])
    assert engine.drain(timeout_s=30).complete
    held = {s: engine.ctx.reader.versions(s, K, [eid]) for s in STORES}
    assert held["redis"] == held["neo4j"] == held["vector"] == {}
    assert held["bigquery"][eid].version == 2  # the delete row
    assert engine.verify(K).divergence == 0


def test_a_writer_that_raced_the_base_version_is_detected_before_writing(make_engine):
    engine = make_engine()  # last write wins
    eid = uid("base")
    engine.publish([knowledge(eid, {"text": "v1"})])
    engine.drain(timeout_s=30)
    engine.publish([knowledge(eid, {"text": "v2 by someone else"})])
    engine.drain(timeout_s=30)
    engine.publish([knowledge(eid, {"text": "edit of v1"}, base_version=1)])  # assigned v3
    report = engine.drain(timeout_s=30)
    assert report.conflicts == 1
    version, data = converged(engine, eid)
    assert (version, data) == (4, {"text": "edit of v1"})
