"""One store stopped while 1,000 events flow: the others are not blocked; it catches up."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest

from argo_agents.local_stack import LocalStack
from argo_agents.local_stack.stack import free_port
from argo_agents.stores.factory import open_vectors
from argo_agents.sync import SyncEvent
from tests.conftest import make_settings
from tests.integration.test_sync_support import (  # noqa: F401  (fixtures)
    assert_holds,
    make_engine_fixture,
    sync_stores_fixture,
    uid,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def own_chroma(endpoints, tmp_path_factory):
    """A Chroma server of this test's own (the other stores are the session's)."""
    settings = make_settings(
        Path(tmp_path_factory.mktemp("chroma-outage")),
        stack_chroma_port=free_port(),  # a restart keeps the port
        store_timeout_s=2.0,
        redis_url=endpoints.redis_url,
        neo4j_uri=endpoints.neo4j_uri,
        bigquery_endpoint="http://unused",
    )
    stack = LocalStack(settings)
    stack.up(only=["chroma"])
    yield stack
    stack.down()


def test_stopped_store_blocks_nobody_and_catches_up(
    make_engine, sync_stores, endpoints, own_chroma
):
    port = int(own_chroma._read_state()["chroma"]["ports"]["main"])
    vectors = open_vectors(endpoints.with_(chroma_port=port, timeout_s=2.0))
    engine = make_engine(dataclasses.replace(sync_stores, vectors=vectors), batch_max=500)
    run = uid("outage")
    events = [
        SyncEvent(
            entity_type="knowledge", entity_id=f"{run}-{i}", data={"text": f"outage item {i}"}
        )
        for i in range(500)
    ]
    events += [
        SyncEvent(entity_type="metric", entity_id=f"{run}-m{i}", data={"name": "n", "value": i})
        for i in range(500)
    ]
    with_versions = [e.model_copy(update={"version": 1}) for e in events]

    # Half the events flow to all four stores; then the vector store goes away while
    # the other half is published. (Draining for a fixed time instead depended on the
    # machine's speed: a fast run finished every knowledge event before the outage.)
    before = [e for i, e in enumerate(events) if i % 500 < 250]
    during = [e for i, e in enumerate(events) if i % 500 >= 250]
    engine.publish(before)
    assert engine.drain(timeout_s=60).complete
    own_chroma.down()
    engine.publish(during)
    t0 = time.monotonic()
    report = engine.drain(timeout_s=12)
    assert not report.complete  # the knowledge events wait for the vector store...
    ids = [e.entity_id for e in events if e.entity_type == "knowledge"]
    held = engine.ctx.reader
    # ...but every other store took everything meanwhile.
    assert len(held.versions("redis", "knowledge", ids)) == 500
    assert len(held.versions("neo4j", "knowledge", ids)) == 500
    assert len(held.versions("bigquery", "knowledge", ids)) == 500
    assert_holds(engine, [e for e in with_versions if e.entity_type == "metric"])
    assert engine.receipt([]).published == 0
    status = engine.status()
    assert status.stores["chroma"].last_error and status.warnings
    assert engine.dead_letters() == []
    assert time.monotonic() - t0 < 30

    own_chroma.up(only=["chroma"])  # same port, same data
    report = engine.drain(timeout_s=90)
    assert report.complete
    assert_holds(engine, with_versions)
    assert engine.verify().divergence == 0
    vectors.close()
