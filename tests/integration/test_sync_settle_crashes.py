"""A worker that dies between two steps of settling a batch leaves no double and no loss."""

from __future__ import annotations

import dataclasses

import pytest

from argo_agents.sync import SyncEvent
from tests.integration.test_sync_conflicts import converged, setup_race
from tests.integration.test_sync_deadletters import RefusingGraph
from tests.integration.test_sync_support import (  # noqa: F401  (fixtures)
    assert_holds,
    make_engine_fixture,
    raw_row_counts,
    sync_stores_fixture,
    uid,
)

pytestmark = pytest.mark.integration


class Crash(Exception):
    """The process dies here (the test goes on as the next worker)."""


def crash_once(monkeypatch, obj, name):
    """Make ``obj.name`` raise `Crash` the first time it is called, as a dying process would."""
    real = getattr(obj, name)
    calls = {"n": 0}

    def dying(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise Crash(name)
        return real(*args, **kwargs)

    monkeypatch.setattr(obj, name, dying)


def test_a_crash_between_dead_lettering_and_acknowledging_leaves_one_dead_letter(
    make_engine, sync_stores, monkeypatch
):
    graph = RefusingGraph(sync_stores.graph)
    engine = make_engine(dataclasses.replace(sync_stores, graph=graph))
    run = uid("settle")
    good = [
        SyncEvent(entity_type="knowledge", entity_id=f"{run}-{i}", data={"text": f"ok {i}"})
        for i in range(10)
    ]
    poison = SyncEvent(
        entity_type="knowledge", entity_id=f"{run}-bad", data={"text": "poison pill"}
    )
    engine.publish([*good, poison])
    crash_once(monkeypatch, engine.ctx.outbox, "finish")  # after the DLQ add, before the ack
    worker = engine.worker("doomed")
    with pytest.raises(Crash):
        worker.step(block_ms=10)
    worker.applier.close()
    assert len(engine.dead_letters()) == 1
    assert engine.drain(timeout_s=60).complete  # another worker claims the batch again
    [letter] = engine.dead_letters()
    assert letter.event is not None and letter.event.entity_id == poison.entity_id
    assert_holds(engine, [e.model_copy(update={"version": 1}) for e in good])

    # a crash between the replay's append and the removal of the dead letter
    graph.fixed = True
    crash_once(monkeypatch, engine.ctx.redis, "xdel_indexed")
    with pytest.raises(Crash):
        engine.replay(all_=True)
    assert engine.replay(all_=True) == [letter.event.event_id]  # the operator tries again
    assert engine.drain(timeout_s=60).complete
    assert engine.dead_letters() == []
    assert_holds(engine, [poison.model_copy(update={"version": 1})])
    assert raw_row_counts(sync_stores, "knowledge_base", [poison.entity_id]) == {
        poison.entity_id: 1
    }, "replayed twice, applied once"


def test_a_crash_between_publishing_a_resolution_and_acknowledging_publishes_one(
    make_engine, monkeypatch
):
    engine = make_engine()  # last-write-wins
    eid, _, _, c = setup_race(engine)
    crash_once(monkeypatch, engine.ctx.outbox, "finish")  # resolution out, conflict not acked
    worker = engine.worker("doomed")
    with pytest.raises(Crash):
        worker.step(block_ms=10)
    worker.applier.close()
    assert engine.drain(timeout_s=60).complete  # the conflict is delivered again
    version, data = converged(engine, eid)
    assert (version, data) == (3, c), "one resolution, not a second one at v4"
    assert engine.verify("knowledge").divergence == 0
