"""OpenTelemetry spans around sync publishes and store writes (the ``otel`` extra),
collected with the SDK's in-memory exporter from a real engine on the local stack."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from argo_agents.sync import SyncEvent
from argo_agents.sync.engine import Backpressure
from argo_agents.sync.events import InvalidEventError
from argo_agents.sync.matrix import SYNC_MATRIX
from tests.integration.test_sync_support import (  # noqa: F401  (fixtures)
    make_engine_fixture,
    sync_stores_fixture,
    uid,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def exporter() -> Iterator[InMemorySpanExporter]:
    """The process's SDK provider (set once) with an in-memory exporter on it."""
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    memory = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    yield memory
    memory.shutdown()


def mine(exporter: InMemorySpanExporter, name: str, namespace_events: int) -> list[ReadableSpan]:
    return [
        s
        for s in exporter.get_finished_spans()
        if s.name == name and (s.attributes or {}).get("argo.events") == namespace_events
    ]


def test_a_publish_and_each_store_write_are_spans_with_store_count_and_outcome(
    exporter, make_engine
):
    engine = make_engine()
    events = [SyncEvent(entity_type="goal", entity_id=uid("goal"), data={"text": "t"})
              for _ in range(7)]  # fmt: skip
    exporter.clear()
    engine.publish(events)
    assert engine.drain(timeout_s=60).dead_lettered == 0

    (published,) = mine(exporter, "argo.sync.publish", 7)
    assert published.attributes == {
        "argo.store": "redis",
        "argo.events": 7,
        "argo.outcome": "published",
    }
    writes = {
        s.attributes["argo.store"]: s.attributes for s in mine(exporter, "argo.sync.store_write", 7)
    }
    assert set(writes) == set(SYNC_MATRIX["goal"].targets)  # one span per store the goal goes to
    for attributes in writes.values():
        assert attributes["argo.outcome"] == "applied"
        assert attributes["argo.applied"] == 7
        assert attributes["argo.rejected"] == 0
    # the writes ran inside no publish: each is its own trace root, timed on its own
    assert all(s.parent is None for s in mine(exporter, "argo.sync.store_write", 7))


def test_a_refused_publish_is_a_span_that_says_why(exporter, make_engine):
    engine = make_engine(max_outbox=2)
    exporter.clear()
    too_many = [SyncEvent(entity_type="goal", entity_id=uid("goal"), data={}) for _ in range(3)]
    with pytest.raises(Backpressure):
        engine.publish(too_many)
    unknown = SyncEvent(entity_type="goal", entity_id=uid("goal"), data={})
    unknown = unknown.model_copy(update={"entity_type": "no_such_entity"})
    with pytest.raises(InvalidEventError):
        engine.publish([unknown])

    (backpressure,) = mine(exporter, "argo.sync.publish", 3)
    assert backpressure.attributes["argo.outcome"] == "error: Backpressure"
    assert backpressure.status.status_code == trace.StatusCode.ERROR
    (invalid,) = mine(exporter, "argo.sync.publish", 1)
    assert invalid.attributes["argo.outcome"].startswith("error: ")
    assert invalid.status.status_code == trace.StatusCode.ERROR
