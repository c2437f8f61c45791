"""A large publish is appended in atomic chunks, and a failure between chunks is told exactly.

One Redis script call per chunk keeps any single call short: Redis serves every
worker from one thread, and a 40,000-event script once outlived the client's
socket timeout. The interruption test kills its own Redis between two chunks.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from argo_agents.local_stack import LocalStack
from argo_agents.stores.errors import StoreUnavailable
from argo_agents.stores.redis_stream import RedisStreams
from argo_agents.sync import PublishInterrupted, SyncEvent
from argo_agents.sync.keys import Keys
from argo_agents.sync.outbox import Outbox
from tests.conftest import make_settings
from tests.integration.test_store_faults import kill
from tests.integration.test_sync_support import (  # noqa: F401  (fixtures)
    assert_holds,
    make_engine_fixture,
    sync_stores_fixture,
    uid,
)

pytestmark = pytest.mark.integration


def test_publish_larger_than_a_chunk_keeps_versions_and_reaches_every_store(make_engine):
    engine = make_engine(publish_chunk=40)
    ids = [uid("goal") for _ in range(70)]
    # The same goals twice: the second round's versions are assigned in later chunks.
    events = [
        SyncEvent(entity_type="goal", entity_id=i, data={"text": f"round {r}"})
        for r in (1, 2)
        for i in ids
    ]
    published = engine.publish(events)
    assert len(published) == len(set(published)) == 140
    assert engine.ctx.outbox.sizes()[0] == 140
    report = engine.drain(timeout_s=60)
    assert report.dead_lettered == 0
    newest = [e.model_copy(update={"version": 2}) for e in events[70:]]
    assert_holds(engine, newest)


@pytest.fixture
def lone_redis(tmp_path: Path) -> Iterator[tuple[LocalStack, str]]:
    local = LocalStack(make_settings(tmp_path, store_timeout_s=1.0))
    yield local, local.up(only=["redis"]).redis_url
    local.down()


def test_redis_dying_between_chunks_reports_the_accepted_events(lone_redis):
    stack, url = lone_redis
    streams = RedisStreams.from_url(url, timeout_s=1.0)
    outbox = Outbox(streams, Keys("test:chunks"), "g", chunk=25, chunk_bytes=1 << 20)
    outbox.setup()
    real_append, calls = streams.append, []

    def append_then_die(*args, **kwargs):  # the third chunk finds Redis dead
        calls.append(1)
        if len(calls) == 3:
            kill(stack, "redis")
        return real_append(*args, **kwargs)

    streams.append = append_then_die  # type: ignore[method-assign]
    events = [
        SyncEvent(entity_type="goal", entity_id=uid("goal"), data={"n": n}) for n in range(60)
    ]
    with pytest.raises(PublishInterrupted) as caught:
        outbox.append(events)
    err = caught.value
    assert isinstance(err, StoreUnavailable)  # callers that retry outages still catch it
    assert [e.entity_id for e in err.published] == [e.entity_id for e in events[:50]]
    assert all(e.version == 1 for e in err.published)
    assert "accepted 50 of 60" in str(err) and "remaining 10" in str(err)
