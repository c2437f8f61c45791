"""Prometheus metrics of the sync engine, read from Redis at scrape time.

Every worker records its figures in Redis (`Metrics`), so any one process can
export the whole group's view: a scrape reads `SyncEngine.status()` and turns
it into gauges and counters. `argo sync worker --metrics-port N` serves it, and
`argo bridge --metrics-port N` serves it with the runs' figures.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from argo_agents.stores.errors import StoreError
from argo_agents.sync.engine import SyncEngine


class SyncCollector(Collector):
    """One scrape = one `SyncEngine.status()` (a handful of Redis reads)."""

    def __init__(self, engine: SyncEngine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        """The engine's figures; ``argo_sync_up`` 0 when Redis cannot be read."""
        up = GaugeMetricFamily("argo_sync_up", "1 when the sync figures could be read")
        try:
            s = self.engine.status()
        except StoreError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        for name, help_, value in (
            ("outbox_events", "Events waiting in the outbox (in flight included)", s.outbox),
            ("in_flight_events", "Events delivered to a worker, not yet finished", s.in_flight),
            ("dead_letters", "Events in the dead-letter stream", s.dead_letters),
            ("parked_conflicts", "Conflicts waiting for a human", s.parked_conflicts),
            ("throughput_events_per_second", "Applied events/s over the last minute", s.throughput),
            ("error_rate", "Share of events that failed over the last minute", s.error_rate),
            ("latency_p95_ms", "p95 publish-to-applied latency", s.p95_ms or 0.0),
            ("warnings", "Health and bottleneck rules currently broken", len(s.warnings)),
        ):
            yield GaugeMetricFamily(f"argo_sync_{name}", help_, value=value)
        for name, help_, value in (
            ("processed", "Events finished by the workers", s.processed),
            ("retries", "Store write retries", s.retries),
            ("dead_lettered", "Events sent to the dead letters", s.dead_lettered),
            ("failures", "Events whose batch failed and were retried later", s.failures),
        ):
            yield CounterMetricFamily(f"argo_sync_{name}", help_, value=value)
        applied = CounterMetricFamily("argo_sync_store_applied", "Events applied", labels=["store"])
        lag = GaugeMetricFamily(
            "argo_sync_store_lag_seconds", "Time a store has not kept up", labels=["store"]
        )
        p95 = GaugeMetricFamily(
            "argo_sync_store_latency_p95_ms", "p95 publish-to-applied latency", labels=["store"]
        )
        write = GaugeMetricFamily(
            "argo_sync_store_write_ms", "Mean time of one batched write", labels=["store"]
        )
        for store, st in s.stores.items():
            applied.add_metric([store], st.applied)
            lag.add_metric([store], st.lag_s)
            p95.add_metric([store], st.p95_ms or 0.0)
            write.add_metric([store], st.avg_write_ms or 0.0)
        yield from (applied, lag, p95, write)


def serve_metrics(
    engine: SyncEngine,
    port: int,
    addr: str = "127.0.0.1",
    extra: Sequence[Collector] = (),
) -> None:
    """Serve ``/metrics`` on ``addr:port`` from a daemon thread: the sync figures and
    ``extra`` collectors (the bridge adds its runs and requests)."""
    registry = CollectorRegistry()
    registry.register(SyncCollector(engine))
    for collector in extra:
        registry.register(collector)
    start_http_server(port, addr=addr, registry=registry)
