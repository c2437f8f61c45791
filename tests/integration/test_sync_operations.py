"""Operating the sync engine: a Prometheus scrape and the health rules."""

from __future__ import annotations

import urllib.request

import pytest

from argo_agents.local_stack.processes import free_port
from argo_agents.sync import SyncEvent
from argo_agents.sync.prometheus import serve_metrics
from tests.integration.test_sync_support import (  # noqa: F401  (fixtures)
    make_engine_fixture,
    sync_stores_fixture,
    uid,
)

pytestmark = pytest.mark.integration


def _events(n: int) -> list[SyncEvent]:
    return [
        SyncEvent(entity_type="knowledge", entity_id=uid("k"), data={"text": f"note {i}"})
        for i in range(n)
    ]


def _scrape(port: int) -> dict[str, float]:
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read()
    samples = {}
    for line in body.decode().splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            samples[name] = float(value)
    return samples


def test_a_scrape_shows_what_the_workers_applied_per_store(make_engine):
    engine = make_engine()
    engine.publish(_events(12))
    assert engine.drain(timeout_s=60).complete
    port = free_port()
    serve_metrics(engine, port)

    m = _scrape(port)
    assert m["argo_sync_up"] == 1
    assert m["argo_sync_processed_total"] == 12
    assert m["argo_sync_outbox_events"] == 0 and m["argo_sync_dead_letters"] == 0
    for store in ("redis", "neo4j", "bigquery", "chroma"):
        assert m[f'argo_sync_store_applied_total{{store="{store}"}}'] == 12
        assert m[f'argo_sync_store_write_ms{{store="{store}"}}'] > 0


def test_health_rules_warn_about_a_slow_graph_and_a_full_redis(make_engine, sync_stores):
    # warn_graph_write_ms=0: every real graph write is slower than that, so the rule fires.
    engine = make_engine(warn_graph_write_ms=0)
    engine.publish(_events(3))
    engine.drain(timeout_s=60)
    client = sync_stores.cache.client  # the test session's own Redis server
    used = int(client.info("memory")["used_memory"])
    client.config_set("maxmemory", str(int(used / 0.9)))  # 90 % used, without evicting
    try:
        status = engine.status()
    finally:
        client.config_set("maxmemory", "0")
    warnings = " | ".join(status.warnings)
    assert "graph writes take" in warnings and "check the graph server" in warnings
    assert status.redis_memory is not None and status.redis_memory > 0.8
    assert "Redis uses" in warnings and "raise maxmemory" in warnings
    assert engine.status().redis_memory is None  # no limit: no share, no warning
