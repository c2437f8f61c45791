"""Sync engine throughput: `python bench/sync_throughput.py N [--workers W] [--data-dir D]`.

Prints, in one run on the local stack:
  (a) N knowledge events with precomputed embeddings (all four stores + SIMILAR_TO edges),
  (b) N activity/metric events (warehouse only),
each as fully-applied events/s and p50/p95 publish→applied latency; each store's raw
batch-write rate measured alone (the ceiling); the naive baseline of the source design
(each event written store by store, one call per store) on a sample; and the ratios.

A producer publishes in chunks while W in-process workers drain the outbox; the
backlog is capped so latency reflects a steady flow, not one huge queue.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from argo_agents.config import Settings
from argo_agents.local_stack import LocalStack
from argo_agents.stores.embeddings import HashingEmbedder
from argo_agents.stores.factory import Stores, open_stores
from argo_agents.sync import SyncConfig, SyncEngine, SyncEvent, mappers
from argo_agents.sync.matrix import spec_for

DIM = 384
BACKLOG_CAP = 4000  # entries waiting: keeps latency that of a steady flow


def knowledge(n: int, run: str) -> list[SyncEvent]:
    rnd = random.Random(1)
    return [SyncEvent(entity_type="knowledge", entity_id=f"{run}-k{i}",
                      data={"text": f"knowledge {i}: caching policy {i % 97} for service "
                                    f"{i % 13}",
                            "embedding": [rnd.gauss(0, 1) for _ in range(DIM)]})
            for i in range(n)]


def activities(n: int, run: str) -> list[SyncEvent]:
    out = []
    for i in range(n):
        if i % 2:
            out.append(SyncEvent(entity_type="metric", entity_id=f"{run}-m{i}",
                                 data={"name": "latency_ms", "value": i * 0.5}))
        else:
            out.append(SyncEvent(entity_type="agent_activity", entity_id=f"{run}-a{i}",
                                 data={"agent_id": f"agent-{i % 5}", "task_id": f"t{i}",
                                       "activity_type": "analysis", "success": True,
                                       "duration_s": 1.25}))
    return out


def run_engine(stores: Stores, events: list[SyncEvent], workers: int, similar_k: int,
               data_dir: Path) -> tuple[float, float | None, float | None]:
    """Fully-applied events/s and p50/p95 latency (ms) through the whole engine.

    Workers are `argo sync worker` processes (as in production), so they do not share
    this process's interpreter lock with the publisher or each other.
    """
    settings = dict(batch_size=500, batch_max=2000, latency_samples=len(events),
                    similar_k=similar_k, claim_idle_ms=30_000)
    cfg = SyncConfig(namespace=f"bench:{uuid.uuid4().hex[:8]}", **settings)
    engine = SyncEngine(stores, HashingEmbedder(DIM), cfg)
    engine.setup()
    env = {**os.environ, "ARGO_DATA_DIR": str(data_dir), "ARGO_EMBEDDING_PROVIDER": "hashing",
           "ARGO_SYNC_NAMESPACE": cfg.namespace,
           **{f"ARGO_SYNC_{k.upper()}": str(v) for k, v in settings.items()}}
    code = "from argo_agents.cli.sync_commands import sync_app; sync_app(['worker'])"
    procs = [subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE,
                              text=True) for _ in range(workers)]
    try:
        for p in procs:  # each worker says "sync worker <name> on namespace …" when ready
            assert p.stdout is not None and "sync worker" in p.stdout.readline()
        t0 = time.monotonic()
        for start in range(0, len(events), 500):
            while engine.ctx.outbox.sizes()[0] > BACKLOG_CAP:
                time.sleep(0.01)
            engine.publish(events[start:start + 500])
        while engine.ctx.outbox.sizes()[0]:
            time.sleep(0.02)
        elapsed = time.monotonic() - t0
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            p.wait(timeout=60)
    lat = sorted(float(x) for x in engine.ctx.redis.lrange(engine.ctx.keys.latencies(),
                                                           len(events)))
    status = engine.status()
    assert status.processed == len(events) and status.dead_letters == 0, status
    engine.reset()
    p95 = statistics.quantiles(lat, n=20)[18] if len(lat) > 1 else None
    return len(events) / elapsed, (statistics.median(lat) if lat else None), p95


def raw_rates(stores: Stores, events: list[SyncEvent]) -> dict[str, float]:
    """Each store's own batch-write rate (records/s), alone, with the engine's records."""
    spec = spec_for("knowledge")
    evs = [e.model_copy(update={"version": 1}) for e in events]
    writes = {
        "redis": lambda b: stores.cache.put_many([mappers.to_cache_entry(e, 3600) for e in b]),
        "neo4j": lambda b: stores.graph.upsert_nodes([mappers.to_node(e, spec) for e in b]),
        "bigquery": lambda b: stores.warehouse.insert_rows([mappers.to_row(e, spec) for e in b]),
        "vector": lambda b: stores.vectors.upsert(
            [mappers.to_vector(e, e.data["embedding"]) for e in b]),
    }
    rates = {}
    for name, write in writes.items():
        fresh = [e.model_copy(update={"entity_id": f"raw-{name}-{e.entity_id}"}) for e in evs]
        t0 = time.monotonic()
        for start in range(0, len(fresh), 1000):
            write(fresh[start:start + 1000])
        rates[name] = len(fresh) / (time.monotonic() - t0)
    return rates


def naive_rate(stores: Stores, events: list[SyncEvent]) -> float:
    """The source design's path: each event written store by store, one call per store."""
    spec = spec_for("knowledge")
    t0 = time.monotonic()
    for e in events:
        e = e.model_copy(update={"version": 1, "entity_id": f"naive-{e.entity_id}"})
        stores.cache.put_many([mappers.to_cache_entry(e, 3600)])
        stores.graph.upsert_nodes([mappers.to_node(e, spec)])
        stores.warehouse.insert_rows([mappers.to_row(e, spec)])
        stores.vectors.upsert([mappers.to_vector(e, e.data["embedding"])])
    return len(events) / (time.monotonic() - t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--naive-sample", type=int, default=200)
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="local stack directory (default: a fresh temporary one)")
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="argo-bench-"))
    stack = LocalStack(Settings(_env_file=None, data_dir=data_dir))  # type: ignore[call-arg]
    print(f"local stack in {data_dir} …")
    endpoints = stack.up()
    stores = open_stores(endpoints, stack.settings)
    run = uuid.uuid4().hex[:6]
    try:
        k_events = knowledge(args.n, run)
        print(f"(a) {args.n} knowledge events → 4 stores + SIMILAR_TO, {args.workers} workers")
        a = run_engine(stores, k_events, args.workers, 5, data_dir)
        print(f"    {a[0]:8.0f} events/s   p50 {a[1]:.0f} ms   p95 {a[2]:.0f} ms")
        a0 = run_engine(stores, knowledge(args.n, run + "x"), args.workers, 0, data_dir)
        print(f"    {a0[0]:8.0f} events/s   p50 {a0[1]:.0f} ms   p95 {a0[2]:.0f} ms "
              f"(without SIMILAR_TO edges)")
        print(f"(b) {args.n} activity/metric events → warehouse")
        b = run_engine(stores, activities(args.n, run), args.workers, 5, data_dir)
        print(f"    {b[0]:8.0f} events/s   p50 {b[1]:.0f} ms   p95 {b[2]:.0f} ms")
        sample = min(args.n, 5000)
        raw = raw_rates(stores, knowledge(sample, run + "r"))
        print(f"raw batch-write rates alone ({sample} records, batches of 1,000):")
        for name, rate in raw.items():
            print(f"    {name:9} {rate:8.0f} records/s")
        naive = naive_rate(stores, knowledge(args.naive_sample, run + "n"))
        slowest = min(raw, key=raw.get)  # type: ignore[arg-type]
        print(f"naive store-by-store baseline ({args.naive_sample} events): {naive:.0f} events/s")
        print("ratios:")
        print(f"    (a) / slowest raw store ({slowest}): {a[0] / raw[slowest]:.0%} "
              f"(target ≥ 80 %); without SIMILAR_TO: {a0[0] / raw[slowest]:.0%}")
        print(f"    (a) / naive baseline: {a[0] / naive:.1f}x (target ≥ 10x)")
        print(f"    (b) / 5,000 events/s target: {b[0] / 5000:.0%}; "
              f"(b) / raw bigquery: {b[0] / raw['bigquery']:.0%}")
    finally:
        stores.close()
        if args.data_dir is None:
            stack.down()


if __name__ == "__main__":
    main()
