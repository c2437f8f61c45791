"""Conflicts, one test per strategy: every store converges on the strategy's answer.

A "concurrent writer" is simulated by writing straight into the graph store
(as a process bypassing the outbox would): the graph then holds version 2
with other data than the event the engine is about to apply as version 2.
"""

from __future__ import annotations

import pytest

from argo_agents.sync import ConflictStrategy, SyncEvent
from argo_agents.sync.conflicts import ConflictMovedOn
from argo_agents.sync.mappers import to_cache_entry, to_node, to_vector
from argo_agents.sync.matrix import STORES, spec_for
from tests.integration.test_sync_support import (  # noqa: F401  (fixtures)
    assert_holds,
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


@pytest.mark.parametrize(
    ("strategy", "expect"),
    [
        (ConflictStrategy.LAST_WRITE_WINS, "c"),
        (ConflictStrategy.HIGHEST_CONFIDENCE, "b"),
        (ConflictStrategy.MERGE, "merged"),
    ],
)
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
    assert held["redis"] == held["neo4j"] == held["chroma"] == {}
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


# ---- resolutions never roll back newer data (compare-and-set) -----------------------------


def race_at_v3(engine):
    """v1 and v2 everywhere; the graph then gets v3 behind the engine's back; the engine is
    handed v3 (a conflict on v3). Returns the entity id."""
    eid = uid("cas")
    engine.publish([knowledge(eid, {"text": "v1"})])
    engine.publish([knowledge(eid, {"text": "v2"})])
    assert engine.drain(timeout_s=30).complete
    rogue = knowledge(eid, {"text": "v3 written behind the engine's back"}, version=3)
    engine.ctx.stores.graph.upsert_nodes([to_node(rogue, spec_for(K))])
    engine.publish([knowledge(eid, {"text": "v3 incoming"}, version=3)])
    return eid


def published_as(event: SyncEvent, version: int) -> SyncEvent:
    return event.model_copy(update={"version": version})


def test_a_conflict_is_not_resolved_over_a_version_published_before_it_settles(
    make_engine, monkeypatch
):
    engine = make_engine()  # last write wins
    eid = race_at_v3(engine)
    v4 = knowledge(eid, {"text": "v4 by another goal, still in the outbox"})
    handle, sent = engine.ctx.conflicts.handle, []

    def settle(jobs):  # v4 is published after v3 was read, before its conflict is settled
        if jobs and not sent:
            sent.extend(engine.publish([v4]))
        return handle(jobs)

    monkeypatch.setattr(engine.ctx.conflicts, "handle", settle)
    report = engine.drain(timeout_s=30)
    assert report.complete and report.conflicts == 1 and sent
    assert_holds(engine, [published_as(v4, 4)])  # v4's data in every store, the rogue gone
    [dropped] = engine.ctx.conflicts.superseded()
    assert (dropped.entity_id, dropped.version, dropped.newest, dropped.how) == (
        eid,
        3,
        4,
        "last_write_wins",
    )
    assert "v4 was published after v3" in dropped.reason
    assert engine.ctx.conflicts.newest([(K, eid)]) == {(K, eid): 4}  # nothing above v4
    assert engine.verify(K).divergence == 0


def test_a_version_published_between_the_check_and_the_append_is_not_overwritten(
    make_engine, monkeypatch
):
    engine = make_engine()  # last write wins
    eid = race_at_v3(engine)
    v4 = knowledge(eid, {"text": "v4 published in the moment after the check"})
    newest, sent = engine.ctx.conflicts.newest, []

    def check_then_race(entities):  # the check sees v3 as the newest; then v4 arrives
        found = newest(entities)
        if not sent:
            sent.extend(engine.publish([v4]))
        return found

    monkeypatch.setattr(engine.ctx.conflicts, "newest", check_then_race)
    report = engine.drain(timeout_s=30)
    assert report.complete and report.conflicts == 1 and sent
    assert_holds(engine, [published_as(v4, 4)])
    [dropped] = engine.ctx.conflicts.superseded()
    assert (dropped.entity_id, dropped.version, dropped.newest) == (eid, 3, 4)
    assert newest([(K, eid)]) == {(K, eid): 4}  # the resolution was never appended
    assert engine.verify(K).divergence == 0


def test_publish_if_newest_appends_at_exactly_the_next_version_or_not_at_all(make_engine):
    engine = make_engine()
    eid = uid("cas")
    engine.publish([knowledge(eid, {"text": "v1"}), knowledge(eid, {"text": "v2"})])
    on_v2 = knowledge(
        eid, {"text": "a resolution of v2"}, base_version=2, operation_id="resolve:test"
    )
    [first] = engine.ctx.conflicts.publish_if_newest([on_v2])
    assert first is not None and (first.version, first.base_version) == (3, 2)
    other = knowledge(uid("cas"), {"text": "another entity"}, base_version=0)
    assert engine.ctx.conflicts.publish_if_newest([on_v2, other])[0] is None  # v3 exists
    assert engine.ctx.conflicts.newest([(K, eid)]) == {(K, eid): 3}
    assert engine.drain(timeout_s=30).complete
    assert_holds(engine, [first])


@pytest.mark.parametrize("strategy", [ConflictStrategy.ROLLBACK, ConflictStrategy.MERGE])
def test_rollback_and_merge_do_not_undo_a_newer_version(make_engine, monkeypatch, strategy):
    engine = make_engine(strategies={K: strategy})
    eid = race_at_v3(engine)
    v4 = knowledge(eid, {"text": "v4 a concurrent writer's legitimate update"})
    handle, sent = engine.ctx.conflicts.handle, []

    def settle(jobs):
        if jobs and not sent:
            sent.extend(engine.publish([v4]))
        return handle(jobs)

    monkeypatch.setattr(engine.ctx.conflicts, "handle", settle)
    assert engine.drain(timeout_s=30).complete and sent
    assert_holds(engine, [published_as(v4, 4)])
    assert [d.how for d in engine.ctx.conflicts.superseded()] == [strategy.value]


def test_rollback_snapshot_is_the_newest_state_before_the_event_not_a_stale_cache(make_engine):
    engine = make_engine(strategies={K: ConflictStrategy.ROLLBACK})
    eid = uid("rb-stale")
    v1, v2 = knowledge(eid, {"text": "v1"}), knowledge(eid, {"text": "v2"})
    engine.publish([v1, v2])
    assert engine.drain(timeout_s=30).complete
    engine.ctx.stores.cache.invalidate([f"{K}:{eid}"])  # the cache holds an old copy
    engine.ctx.stores.cache.put_many([to_cache_entry(published_as(v1, 1), 3600)])
    rogue = knowledge(eid, {"text": "v3 written behind the engine's back"}, version=3)
    engine.ctx.stores.graph.upsert_nodes([to_node(rogue, spec_for(K))])
    engine.publish([knowledge(eid, {"text": "v3 incoming"}, version=3)])
    assert engine.drain(timeout_s=30).complete
    assert converged(engine, eid) == (4, v2.data)  # v2 restored, not the cache's v1


def test_manual_resolution_after_a_newer_write_is_refused_and_the_newer_write_survives(make_engine):
    engine = make_engine(strategies={K: ConflictStrategy.MANUAL})
    eid, a, b, c = setup_race(engine)  # conflict on v2, parked
    assert engine.drain(timeout_s=30).complete
    [parked] = engine.conflicts()
    v3 = knowledge(eid, {"text": "D written after the conflict was parked"})
    engine.publish([v3])
    assert engine.drain(timeout_s=30).complete
    assert_holds(engine, [published_as(v3, 3)])

    with pytest.raises(ConflictMovedOn) as refused:
        engine.resolve_conflict(parked.id, "incoming")
    message = str(refused.value)
    assert "v3 was published after it was parked" in message
    assert "Nothing was published" in message and f"--show {parked.id[:16]}" in message
    assert engine.ctx.outbox.sizes() == (0, 0)
    assert_holds(engine, [published_as(v3, 3)])  # C did not come back over D

    # Inspecting again shows what the stores hold now, and resolving is checked against it.
    shown = engine.conflict(parked.id)
    assert (shown.stored_data, shown.newest) == (v3.data, 3)
    assert shown.stored["neo4j"]["version"] == 3
    engine.resolve_conflict(parked.id, "stored")
    assert engine.drain(timeout_s=30).complete
    assert engine.conflicts() == []
    assert converged(engine, eid) == (4, v3.data)


def test_manual_resolution_reads_the_stored_side_again(make_engine):
    engine = make_engine(strategies={K: ConflictStrategy.MANUAL})
    eid, a, b, c = setup_race(engine)
    assert engine.drain(timeout_s=30).complete
    [parked] = engine.conflicts()
    assert parked.stored_data == b
    b3 = {"text": "B changed again behind the engine's back"}
    engine.ctx.stores.graph.upsert_nodes([to_node(knowledge(eid, b3, version=3), spec_for(K))])

    with pytest.raises(ConflictMovedOn, match="neo4j now holds v3"):
        engine.resolve_conflict(parked.id, "stored")
    assert engine.ctx.outbox.sizes() == (0, 0)
    [refreshed] = engine.conflicts()
    assert refreshed.stored_data == b3  # not the B captured when it was parked
    engine.resolve_conflict(parked.id, "stored")
    assert engine.drain(timeout_s=30).complete
    assert converged(engine, eid) == (4, b3)


def test_a_conflict_whose_entity_moved_on_before_it_was_parked_is_not_parked(
    make_engine, monkeypatch
):
    engine = make_engine(strategies={K: ConflictStrategy.MANUAL})
    eid = race_at_v3(engine)
    v4 = knowledge(eid, {"text": "v4"})
    handle, sent = engine.ctx.conflicts.handle, []

    def settle(jobs):
        if jobs and not sent:
            sent.extend(engine.publish([v4]))
        return handle(jobs)

    monkeypatch.setattr(engine.ctx.conflicts, "handle", settle)
    assert engine.drain(timeout_s=30).complete and sent
    assert engine.conflicts() == []  # v4 is judged on its own: nothing for a human
    assert_holds(engine, [published_as(v4, 4)])


def test_manual_resolution_waits_for_a_newer_version_still_in_the_outbox(make_engine):
    engine = make_engine(strategies={K: ConflictStrategy.MANUAL})
    eid, a, b, c = setup_race(engine)
    assert engine.drain(timeout_s=30).complete
    [parked] = engine.conflicts()
    v3 = knowledge(eid, {"text": "v3 not applied yet"})
    engine.publish([v3])  # in flight: no store holds it when the human resolves

    with pytest.raises(ConflictMovedOn, match="v3 was published"):
        engine.resolve_conflict(parked.id, "stored")
    assert engine.conflict(parked.id).newest == 2  # what a store holds is all one could see
    assert engine.drain(timeout_s=30).complete  # v3 applied (and nothing else appended)
    assert_holds(engine, [published_as(v3, 3)])
    with pytest.raises(ConflictMovedOn):  # shown v2 data, v3 is newer: still refused
        engine.resolve_conflict(parked.id, "incoming")
    shown = engine.conflict(parked.id)
    assert (shown.newest, shown.stored_data) == (3, v3.data)
    engine.resolve_conflict(parked.id, "stored")
    assert engine.drain(timeout_s=30).complete
    assert converged(engine, eid) == (4, v3.data)
