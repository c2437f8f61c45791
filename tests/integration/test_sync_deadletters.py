"""Poison events go to the dead letters with their reason; the rest flow; replay applies them."""

from __future__ import annotations

import dataclasses

import pytest

from argo_agents.stores.errors import StoreRejected
from argo_agents.sync import SyncEvent
from tests.integration.test_sync_support import (  # noqa: F401  (fixtures)
    assert_holds,
    make_engine_fixture,
    sync_stores_fixture,
    uid,
)

pytestmark = pytest.mark.integration


class RefusingGraph:
    """The real graph store, refusing any batch holding a node whose text says "poison"
    until `fixed` (as a schema or validation rule of the real store would)."""

    def __init__(self, real):
        self.real, self.fixed, self.refused = real, False, 0

    def upsert_nodes(self, nodes):
        if not self.fixed and any("poison" in str(n.props.get("text", "")) for n in nodes):
            self.refused += 1
            raise StoreRejected(
                "neo4j", self.real.address, "property value refused", hint="fix the data"
            )
        return self.real.upsert_nodes(nodes)

    def __getattr__(self, name):
        return getattr(self.real, name)


def test_poison_event_is_dead_lettered_the_rest_flow_and_replay_applies_it(
    make_engine, sync_stores
):
    graph = RefusingGraph(sync_stores.graph)
    engine = make_engine(dataclasses.replace(sync_stores, graph=graph), batch_size=50)
    run = uid("poison")
    good = [
        SyncEvent(entity_type="knowledge", entity_id=f"{run}-{i}", data={"text": f"ok {i}"})
        for i in range(40)
    ]
    poison = SyncEvent(
        entity_type="knowledge", entity_id=f"{run}-bad", data={"text": "poison pill"}
    )
    engine.publish(good[:20] + [poison] + good[20:])
    report = engine.drain(timeout_s=60)
    assert report.complete and report.dead_lettered == 1
    assert graph.refused >= 2  # the batch was split until the poison stood alone

    assert_holds(engine, [e.model_copy(update={"version": 1}) for e in good])
    [letter] = engine.dead_letters()
    assert letter.store == "neo4j" and "property value refused" in letter.error
    assert letter.event is not None and letter.event.entity_id == poison.entity_id
    # The stores that accepted the poison event kept it; only the graph lacks it.
    held = engine.ctx.reader
    assert poison.entity_id in held.versions("redis", "knowledge", [poison.entity_id])
    assert held.versions("neo4j", "knowledge", [poison.entity_id]) == {}
    receipt = engine.receipt([letter.event.event_id])
    assert receipt.dead_lettered == 1
    assert engine.status().dead_letters == 1

    graph.fixed = True
    assert engine.replay(all_=True) == [letter.event.event_id]
    assert engine.drain(timeout_s=60).complete
    assert engine.dead_letters() == []
    assert_holds(engine, [poison.model_copy(update={"version": 1})])
    assert engine.verify("knowledge").divergence == 0
