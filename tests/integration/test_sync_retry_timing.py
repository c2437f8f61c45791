"""Transient failures are retried when due: colliding graph writers, and a store that was down.

A worker's failed entries used to wait until they had idled ``claim_idle_ms``
(15 s by default) before anyone took them up again, and colliding graph writers
(a deadlock, an MVCC conflict) were treated as an outage that opened the
store's circuit. Both made a busy moment cost seconds to minutes of latency.
"""

from __future__ import annotations

import dataclasses
import time

import pytest

from argo_agents.stores.errors import StoreBusy
from argo_agents.stores.factory import open_vectors
from argo_agents.stores.records import NodeRecord
from argo_agents.sync import SyncEvent
from tests.integration.test_sync_store_outage import own_chroma  # noqa: F401  (fixture)
from tests.integration.test_sync_support import (  # noqa: F401  (fixtures)
    assert_holds,
    make_engine_fixture,
    sync_stores_fixture,
    uid,
)

pytestmark = pytest.mark.integration


def test_colliding_graph_writers_are_reported_busy(sync_stores):
    graph, node = sync_stores.graph, uid("thing")
    graph.setup(["Thing"])
    graph.upsert_nodes([NodeRecord("Thing", node, 1, "h", {})])
    driver, db = graph._driver, graph.database  # two open transactions on one node
    with driver.session(database=db) as s1, driver.session(database=db) as s2:
        first, second = s1.begin_transaction(), s2.begin_transaction()
        first.run("MATCH (n:Thing {id: $id}) SET n.v = 1", id=node).consume()
        second.run("MATCH (n:Thing {id: $id}) SET n.v = 2", id=node).consume()
        first.commit()
        with pytest.raises(StoreBusy, match="concurrent writers collided"), graph._errors():
            second.commit()


def test_a_workers_failed_entries_are_retried_when_due(
    make_engine,
    sync_stores,
    endpoints,
    own_chroma,  # noqa: F811  (the fixture, imported)
):
    port = int(own_chroma._read_state()["chroma"]["ports"]["main"])
    vectors = open_vectors(endpoints.with_(chroma_port=port, timeout_s=2.0))
    # Nobody may claim the entries (120 s idle): only the worker's own retry can apply them.
    engine = make_engine(dataclasses.replace(sync_stores, vectors=vectors), claim_idle_ms=120_000)
    events = [
        SyncEvent(entity_type="knowledge", entity_id=uid("k"), data={"text": f"item {i}"})
        for i in range(40)
    ]
    own_chroma.down()
    engine.publish(events)
    assert not engine.drain(timeout_s=3).complete  # the vector store is down: they fail
    own_chroma.up(only=["chroma"])  # same port, same data
    t0 = time.monotonic()
    assert engine.drain(timeout_s=40).complete
    assert time.monotonic() - t0 < 40
    assert_holds(engine, [e.model_copy(update={"version": 1}) for e in events])
    vectors.close()
