"""Sync metrics in Redis, shared by every worker: counters, latencies, batches, store state.

Workers add to them after each batch (two round trips); `status` reads them
back. Latency is measured from the outbox entry's id (the publish time Redis
stamped) to the moment the event was applied everywhere, so it includes
queueing, which is what a user waits for. Warnings (docs/sync-protocol.md): error
rate over 10 %, latency over 1 s. With ``ARGO_SYNC_SPANS=1`` workers also keep
each batch's timeline (`spans`), which says where that latency goes.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Mapping, Sequence
from typing import Any

from argo_agents.stores.ports import StreamPort
from argo_agents.sync.config import SyncConfig
from argo_agents.sync.keys import Keys
from argo_agents.sync.matrix import NEO4J, STORES
from argo_agents.sync.reports import StoreStatus, SyncStatus
from argo_agents.sync.spans import BatchSpans

WINDOW_S = 60.0


class Metrics:
    """Record and read the metrics of one namespace."""

    def __init__(self, redis: StreamPort, keys: Keys, config: SyncConfig) -> None:
        self.redis, self.keys, self.config = redis, keys, config

    def record_batch(
        self,
        *,
        events: int,
        seconds: float,
        latencies_ms: Sequence[int],
        store_latencies_ms: Mapping[str, Sequence[int]],
        counters: Mapping[str, int],
        store_errors: Mapping[str, str],
    ) -> None:
        """Add one batch's figures."""
        now_ms = int(time.time() * 1000)
        errors = counters.get("failures", 0) + counters.get("dead_lettered", 0)
        state: dict[str, str] = {}
        for store, lat in store_latencies_ms.items():
            if lat:
                state[f"{store}:ok_ms"] = str(now_ms)
        if store_errors:  # rare: when did each failing store's current streak start?
            fields = [f"{s}:{k}" for s in store_errors for k in ("ok_ms", "failing_ms")]
            known = dict(
                zip(fields, self.redis.hget_fields(self.keys.store_state, fields), strict=True)
            )
        for store, err in store_errors.items():
            state[f"{store}:error"] = err[:300]
            state[f"{store}:error_ms"] = str(now_ms)
            if int(known[f"{store}:failing_ms"] or 0) <= int(known[f"{store}:ok_ms"] or 0):
                state[f"{store}:failing_ms"] = str(now_ms)
        self.redis.hset_many(
            {self.keys.store_state: state},
            incr={self.keys.metrics: {k: v for k, v in counters.items() if v}},
        )
        lists: dict[str, list[Any]] = {
            self.keys.latencies(): list(latencies_ms),
            self.keys.batches: [f"{now_ms},{events},{errors},{seconds:.4f}"],
        }
        lists.update({self.keys.latencies(s): list(v) for s, v in store_latencies_ms.items()})
        self.redis.push_capped(lists, self.config.latency_samples)

    @property
    def spans_key(self) -> str:
        """List of recent batches' spans (`spans.BatchSpans`), when workers keep them."""
        return f"{self.keys.prefix}:spans"

    def record_spans(self, spans: BatchSpans) -> None:
        """Keep one batch's spans (capped at ``latency_samples`` batches)."""
        self.redis.push_capped({self.spans_key: [spans.encode()]}, self.config.latency_samples)

    def spans(self, count: int | None = None) -> list[BatchSpans]:
        """The newest ``count`` batches' spans (default ``latency_samples``), newest first."""
        raw = self.redis.lrange(self.spans_key, count or self.config.latency_samples)
        return [BatchSpans.decode(v) for v in raw]

    def status(self, *, outbox: int, in_flight: int, dead_letters: int, parked: int) -> SyncStatus:
        """Current figures and warnings."""
        counters = {k: int(v) for k, v in self.redis.hget_all(self.keys.metrics).items()}
        state = self.redis.hget_all(self.keys.store_state)
        now = time.time()
        recent = []
        for line in self.redis.lrange(self.keys.batches, 500):
            end_ms, n, errors, secs = line.split(",")
            if now - int(end_ms) / 1000 <= WINDOW_S:
                recent.append((int(end_ms) / 1000, int(n), int(errors), float(secs)))
        events = sum(r[1] for r in recent)
        span = (max(r[0] for r in recent) - min(r[0] - r[3] for r in recent)) if recent else 0
        s = SyncStatus(
            outbox=outbox,
            in_flight=in_flight,
            dead_letters=dead_letters,
            parked_conflicts=parked,
            processed=counters.get("processed", 0),
            retries=counters.get("retries", 0),
            conflicts=counters.get("conflicts", 0),
            dead_lettered=counters.get("dead_lettered", 0),
            failures=counters.get("failures", 0),
            throughput=events / span if span > 0 else 0.0,
            error_rate=(sum(r[2] for r in recent) / events) if events else 0.0,
        )
        s.p50_ms, s.p95_ms = _percentiles(
            self.redis.lrange(self.keys.latencies(), self.config.latency_samples)
        )
        for store in STORES:
            ok_ms = int(state.get(f"{store}:ok_ms", 0) or 0)
            err_ms = int(state.get(f"{store}:error_ms", 0) or 0)
            # a store that has failed since its last success lags from its first failure
            since = int(state.get(f"{store}:failing_ms", 0) or 0) if err_ms > ok_ms else 0
            since = min(since, ok_ms) if since and ok_ms else since or ok_ms
            s.stores[store] = StoreStatus(
                applied=counters.get(f"applied:{store}", 0),
                p95_ms=_percentiles(self.redis.lrange(self.keys.latencies(store), 500))[1],
                lag_s=round(now - since / 1000, 1) if outbox and since else 0.0,
                last_error=state.get(f"{store}:error", "") if err_ms > ok_ms else "",
                avg_write_ms=_mean(counters, store),
            )
        s.redis_memory = self.redis.memory_share()
        s.warnings = self._warnings(s)
        return s

    def _warnings(self, s: SyncStatus) -> list[str]:
        """The health and bottleneck rules, each with what to do."""
        cfg, found = self.config, []
        if s.error_rate > cfg.warn_error_rate:
            found.append(
                f"error rate {s.error_rate:.0%} over the last minute is above "
                f"{cfg.warn_error_rate:.0%}: see `argo sync dlq` and the "
                f"stores' last errors"
            )
        if s.p95_ms is not None and s.p95_ms > cfg.warn_latency_s * 1000:
            found.append(
                f"p95 publish→applied latency {s.p95_ms:.0f} ms is above "
                f"{cfg.warn_latency_s:.1f} s: add workers or check the "
                f"slowest store"
            )
        graph = s.stores.get(NEO4J)
        if (
            graph
            and graph.avg_write_ms is not None
            and graph.avg_write_ms > cfg.warn_graph_write_ms
        ):
            found.append(
                f"graph writes take {graph.avg_write_ms:.0f} ms on average, above "
                f"{cfg.warn_graph_write_ms:.0f} ms: check the graph server's load and indexes"
            )
        if s.redis_memory is not None and s.redis_memory > cfg.warn_redis_memory:
            found.append(
                f"Redis uses {s.redis_memory:.0%} of its maxmemory (above "
                f"{cfg.warn_redis_memory:.0%}): raise maxmemory or drain the outbox "
                "before it refuses writes"
            )
        for store, st in s.stores.items():
            if st.last_error:
                found.append(f"{store} is failing: {st.last_error}")
        return found


def _mean(counters: Mapping[str, int], store: str) -> float | None:
    writes = counters.get(f"writes:{store}", 0)
    return round(counters.get(f"write_ms:{store}", 0) / writes, 1) if writes else None


def _percentiles(values: Sequence[str]) -> tuple[float | None, float | None]:
    nums = sorted(float(v) for v in values)
    if not nums:
        return None, None
    if len(nums) == 1:
        return nums[0], nums[0]
    q = statistics.quantiles(nums, n=20, method="inclusive")
    return statistics.median(nums), q[18]
