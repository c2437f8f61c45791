"""Sync engine throughput: `python bench/sync_throughput.py N [--workers W] [--data-dir D]`.

Prints, in one run on the local stack:
  (a) N knowledge events with precomputed embeddings (all four stores + SIMILAR_TO edges),
  (b) N activity/metric events (warehouse only),
each as fully-applied events/s and p50/p95 publish→applied latency; each store's raw
batch-write rate measured alone (the ceiling); the naive baseline of the source design
(each event written store by store, one call per store) on a sample; and the ratios.
After (a), a paced phase at half its rate measures latency, and prints where the time
goes (`argo_agents.sync.spans`: outbox wait, baton, preparation, each store, settling)
and which part makes the tail, next to a same-run baseline whose workers go without the
baton (`argo_agents.sync.batch_size`; skip it with --no-baseline).

A producer publishes in chunks while W `argo sync worker` processes drain the
outbox; the backlog is capped so latency reflects a steady flow, not one huge
queue. Every phase also prints the CPU each part used per event (`cpu_meter`):
on a small machine the sum of those, not any one store, is what bounds the rate.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import signal
import statistics
import subprocess
import sys
import time
import uuid
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path

import chromadb
from cpu_meter import CpuMeter, report
from scratch import scratch_dir

from argo_agents.config import Settings
from argo_agents.config.endpoints import Endpoints
from argo_agents.local_stack import LocalStack
from argo_agents.stores import vector
from argo_agents.stores.embeddings import HashingEmbedder
from argo_agents.stores.factory import Stores, open_stores
from argo_agents.sync import SyncConfig, SyncEngine, SyncEvent, mappers
from argo_agents.sync import spans as timing
from argo_agents.sync.matrix import VECTOR, spec_for
from argo_agents.sync.spans import ENV_FLAG, PHASES, BatchSpans

DIM = 384
BACKLOG_CAP = 4000  # entries waiting: keeps latency that of a steady flow
# The same-run baseline of the latency phase: workers without the baton (`batch_size`).
NO_BATON = "import argo_agents.sync.batch_size as b; b.BATON_WAIT_S = 0; "
QUIET = "ignore::FutureWarning"  # google-api-core's Python-version notices, once per process
warnings.filterwarnings("ignore", category=FutureWarning)


@dataclass
class Phase:
    """One engine run: fully-applied rate, latency and CPU used per part."""

    rate: float
    p50_ms: float | None
    p95_ms: float | None
    cpu: dict[str, float]
    retries: int = 0  # store writes tried again (outages, colliding writers)
    failures: int = 0  # events left for a later round
    spans: list[BatchSpans] = field(default_factory=list)  # each batch's timeline

    def print(self, events: int) -> None:
        print(
            f"    {self.rate:8.0f} events/s   p50 {self.p50_ms or 0:.0f} ms   "
            f"p95 {self.p95_ms or 0:.0f} ms   retries {self.retries}   "
            f"failures {self.failures}"
        )
        print("\n".join(report(self.cpu, events)))


def knowledge(n: int, run: str) -> list[SyncEvent]:
    rnd = random.Random(1)
    return [
        SyncEvent(
            entity_type="knowledge",
            entity_id=f"{run}-k{i}",
            data={
                "text": f"knowledge {i}: caching policy {i % 97} for service {i % 13}",
                "embedding": [rnd.gauss(0, 1) for _ in range(DIM)],
            },
        )
        for i in range(n)
    ]


def activities(n: int, run: str) -> list[SyncEvent]:
    out = []
    for i in range(n):
        if i % 2:
            out.append(
                SyncEvent(
                    entity_type="metric",
                    entity_id=f"{run}-m{i}",
                    data={"name": "latency_ms", "value": i * 0.5},
                )
            )
        else:
            out.append(
                SyncEvent(
                    entity_type="agent_activity",
                    entity_id=f"{run}-a{i}",
                    data={
                        "agent_id": f"agent-{i % 5}",
                        "task_id": f"t{i}",
                        "activity_type": "analysis",
                        "success": True,
                        "duration_s": 1.25,
                    },
                )
            )
    return out


def run_engine(
    stores: Stores,
    servers: dict[str, int],
    events: list[SyncEvent],
    workers: int,
    similar_k: int,
    data_dir: Path,
    pace: float | None = None,
    prelude: str = "",
) -> Phase:
    """Fully-applied events/s, p50/p95 latency (ms) and CPU per part, through the engine.

    Without ``pace`` the publisher keeps up to `BACKLOG_CAP` entries waiting (the
    rate is the engine's capacity; latency is mostly queueing); with it, events
    are published at ``pace`` per second.

    Workers are `argo sync worker` processes (as in production), so they do not share
    this process's interpreter lock with the publisher or each other; ``prelude``
    (Python) runs in them first (`NO_BATON`). They keep each batch's spans, so the
    phase says where the time went (`print_breakdown`).

    Long because the phase is one measured sequence (start workers, publish, wait,
    collect figures, stop) that reads best without jumps.
    """
    settings = dict(
        batch_size=500,
        batch_max=2000,
        latency_samples=len(events),
        similar_k=similar_k,
        claim_idle_ms=30_000,
    )
    cfg = SyncConfig(namespace=f"bench:{uuid.uuid4().hex[:8]}", **settings)
    engine = SyncEngine(stores, HashingEmbedder(DIM), cfg)
    engine.setup()
    env = {
        **os.environ,
        "ARGO_DATA_DIR": str(data_dir),
        "ARGO_EMBEDDING_PROVIDER": "hashing",
        "ARGO_SYNC_NAMESPACE": cfg.namespace,
        "PYTHONWARNINGS": QUIET,
        ENV_FLAG: "1",
        **{f"ARGO_SYNC_{k.upper()}": str(v) for k, v in settings.items()},
    }
    code = prelude + "from argo_agents.cli.sync_commands import sync_app; sync_app(['worker'])"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        for _ in range(workers)
    ]
    try:
        for p in procs:  # each worker says "sync worker <name> on namespace …" when ready
            assert p.stdout is not None and "sync worker" in p.stdout.readline()
        meter = CpuMeter(
            {**{n: [pid] for n, pid in servers.items()}, "sync workers": [p.pid for p in procs]},
            this="publisher",
        )
        t0 = time.monotonic()
        if pace:  # a steady flow below capacity: latency is then the engine's own
            step = max(1, int(pace / 20))  # 20 publishes a second
            for i, start in enumerate(range(0, len(events), step)):
                time.sleep(max(0.0, t0 + i * step / pace - time.monotonic()))
                engine.publish(events[start : start + step])
        else:
            for start in range(0, len(events), 500):
                while engine.ctx.outbox.sizes()[0] > BACKLOG_CAP:
                    time.sleep(0.01)
                engine.publish(events[start : start + 500])
        while engine.ctx.outbox.sizes()[0]:
            time.sleep(0.02)
        elapsed = time.monotonic() - t0
        cpu = meter.used()  # before the workers exit and leave /proc
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            p.wait(timeout=60)
    lat = sorted(
        float(x) for x in engine.ctx.redis.lrange(engine.ctx.keys.latencies(), len(events))
    )
    status = engine.status()
    assert status.processed == len(events) and status.dead_letters == 0, status
    spans = engine.ctx.metrics.spans(len(events))
    engine.reset()
    p95 = statistics.quantiles(lat, n=20)[18] if len(lat) > 1 else None
    return Phase(
        len(events) / elapsed,
        statistics.median(lat) if lat else None,
        p95,
        cpu,
        status.retries,
        status.failures,
        spans,
    )


def print_latency(label: str, phase: Phase, events: int) -> None:
    """A latency phase: the engine's own p50/p95, where the time went, CPU per part."""
    print(
        f"  {label}: p50 {phase.p50_ms or 0:.0f} ms   p95 {phase.p95_ms or 0:.0f} ms "
        f"(target ≤ 250 ms)   retries {phase.retries}"
    )
    print_breakdown(phase.spans)
    print("\n".join(report(phase.cpu, events)))


def print_breakdown(spans: list[BatchSpans]) -> None:
    """Where publish→applied time goes (see `argo_agents.sync.spans`), and what the tail is."""
    parts = timing.breakdown(spans)
    if not parts["total"]:
        return
    slow, typical = timing.tail_profile(parts, 95)
    stores = [k for k in parts if k not in ("total", *PHASES)]
    print(
        "    where the time goes, ms per event (stores write in parallel: 'writes' is the "
        "slowest; similar beside the vector write, the events carry their embeddings):"
    )
    print(
        f"      {'':12} {'p50':>7} {'p95':>7} {'p99':>7}   {'slowest 5 %':>11} "
        f"{'fastest half':>12}  (means)"
    )
    for k in ("total", *PHASES[:-1], *stores, PHASES[-1]):
        p50, p95, p99 = timing.percentiles(parts[k])
        label = ("  " + k) if k in stores else k
        print(
            f"      {label:12} {p50:7.0f} {p95:7.0f} {p99:7.0f}   {slow[k]:11.0f} "
            f"{typical[k]:12.0f}"
        )
    extra = {k: slow[k] - typical[k] for k in PHASES}
    worst = max(extra, key=lambda k: extra[k])
    gap = slow["total"] - typical["total"]
    line = (
        f"    the tail: the slowest 5 % take {gap:.0f} ms longer than the fastest half; "
        f"{worst} accounts for {extra[worst]:.0f} ms of it ({extra[worst] / gap:.0%})"
        if gap > 0
        else "    the tail: none"
    )
    if worst == "writes" and stores:
        store = max(stores, key=lambda k: slow[k] - typical[k])
        line += f", most of it {store} (+{slow[store] - typical[store]:.0f} ms)"
    print(line)
    sizes = sorted(len(b.published_ms) for b in spans)
    windows = sorted(
        (b.apply_ms, b.written_ms)
        for b in spans
        if b.apply_ms is not None and b.written_ms is not None
    )
    overlapping, last_end = 0, float("-inf")
    for i, (start, end) in enumerate(windows):  # writing while another batch was writing
        later = i + 1 < len(windows) and windows[i + 1][0] < end
        overlapping += start < last_end or later
        last_end = max(last_end, end)
    retried = [b for b in spans if b.retries]
    print(
        f"    {len(sizes)} batches: events per batch p50 {statistics.median(sizes):.0f}, "
        f"p95 {timing.percentiles(sizes, (95,))[0]:.0f}, max {sizes[-1]}; "
        f"{overlapping} wrote while another batch did; {len(retried)} tried a store again "
        f"({sum(len(b.published_ms) for b in retried)} events)"
    )


def empty_collection(endpoints: Endpoints, entity_type: str) -> None:
    """Drop the entity type's Chroma collection, so a phase starts from empty as the raw
    rate does (HNSW inserts and searches slow as a collection grows)."""
    client = chromadb.HttpClient(host=endpoints.chroma_host, port=endpoints.chroma_port)
    with contextlib.suppress(chromadb.errors.NotFoundError):
        client.delete_collection(vector.PREFIX + entity_type)


def precreate(endpoints: Endpoints, settings: list[str]) -> dict[str, object]:
    """Create the knowledge collection with ARGO's HNSW settings and ``settings``
    (``key=int``); the workers then open it as it is (get-or-create keeps a
    collection's settings)."""
    config: dict[str, object] = dict(vector.HNSW_CONFIG)
    for item in settings:
        key, _, value = item.partition("=")
        config[key.strip()] = int(value)
    empty_collection(endpoints, "knowledge")
    client = chromadb.HttpClient(host=endpoints.chroma_host, port=endpoints.chroma_port)
    client.create_collection(
        vector.PREFIX + "knowledge",
        embedding_function=None,
        configuration={"hnsw": config},  # type: ignore[typeddict-item]
    )
    return config


def raw_rates(
    stores: Stores, servers: dict[str, int], events: list[SyncEvent]
) -> dict[str, tuple[float, float]]:
    """Each store's own batch-write rate (records/s) alone, with the engine's records,
    and the cores its server kept busy meanwhile."""
    spec = spec_for("knowledge")
    evs = [e.model_copy(update={"version": 1}) for e in events]
    fresh_collection = f"rawbench{uuid.uuid4().hex[:8]}"
    writes = {
        "redis": lambda b: stores.cache.put_many([mappers.to_cache_entry(e, 3600) for e in b]),
        "neo4j": lambda b: stores.graph.upsert_nodes([mappers.to_node(e, spec) for e in b]),
        "bigquery": lambda b: stores.warehouse.insert_rows([mappers.to_row(e, spec) for e in b]),
        # A collection of its own: HNSW inserts slow as a collection grows, so the
        # ceiling starts from empty, as (a) did.
        VECTOR: lambda b: stores.vectors.upsert(
            [
                replace(mappers.to_vector(e, e.data["embedding"]), collection=fresh_collection)
                for e in b
            ]
        ),
    }
    rates = {}
    for name, write in writes.items():
        fresh = [e.model_copy(update={"entity_id": f"raw-{name}-{e.entity_id}"}) for e in evs]
        meter = CpuMeter({name: [servers[name]]})
        t0 = time.monotonic()
        for start in range(0, len(fresh), 1000):
            write(fresh[start : start + 1000])
        elapsed = time.monotonic() - t0
        rates[name] = (len(fresh) / elapsed, meter.used()[name] / elapsed)
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


def main() -> None:  # noqa: PLR0915 (see the docstring)
    """Long because it is the benchmark's script, in reading order: options, the
    baselines, each phase and its report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--naive-sample", type=int, default=200)
    parser.add_argument(
        "--raw-sample",
        type=int,
        default=None,
        help="records per store for the raw rates (default: N)",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="local stack directory (default: a fresh temporary one)",
    )
    parser.add_argument(
        "--latency-only", action="store_true", help="only (a) and the half-load latency phase"
    )
    parser.add_argument(
        "--no-baseline",
        action="store_true",
        help="skip the half-load phase's same-run baseline (no baton)",
    )
    parser.add_argument(
        "--hnsw",
        action="append",
        default=[],
        metavar="KEY=INT",
        help="create the knowledge collection with this HNSW setting before (a), e.g. "
        "sync_threshold=4000 (how often Chroma persists its index), to measure a Chroma "
        "setting against ARGO's (stores/vector.py); repeatable",
    )
    parser.add_argument(
        "--spans-out",
        type=Path,
        default=None,
        help="write the half-load phase's batch spans here (JSON lines; "
        "the baseline's to the same name + .baseline)",
    )
    args = parser.parse_args()
    data_dir = args.data_dir or scratch_dir("argo-bench-")
    stack = LocalStack(Settings(_env_file=None, data_dir=data_dir))  # type: ignore[call-arg]
    print(f"local stack in {data_dir} …")
    endpoints = stack.up()
    servers = {s.name: s.pid for s in stack.status() if s.pid}
    stores = open_stores(endpoints, stack.settings)
    run = uuid.uuid4().hex[:6]
    try:
        if args.hnsw:
            print(f"knowledge collection created with {precreate(endpoints, args.hnsw)}")
        print(f"(a) {args.n} knowledge events → 4 stores + SIMILAR_TO, {args.workers} workers")
        a = run_engine(stores, servers, knowledge(args.n, run), args.workers, 5, data_dir)
        a.print(args.n)
        half, n_paced = a.rate / 2, min(args.n, 5000)
        print(f"    at half that rate ({half:.0f}/s, {n_paced} events), publish → applied:")
        base = None
        if not args.no_baseline:  # first: the collection grows, so this favours the baseline
            base = run_engine(
                stores,
                servers,
                knowledge(n_paced, run + "q"),
                args.workers,
                5,
                data_dir,
                pace=half,
                prelude=NO_BATON,
            )
            print_latency("baseline, workers without the baton", base, n_paced)
        lat = run_engine(
            stores, servers, knowledge(n_paced, run + "p"), args.workers, 5, data_dir, pace=half
        )
        print_latency("the engine as it is", lat, n_paced)
        if base and base.p95_ms and base.p50_ms and lat.p95_ms and lat.p50_ms:
            print(
                f"    vs the baseline: p50 {lat.p50_ms / base.p50_ms:.2f}x, "
                f"p95 {lat.p95_ms / base.p95_ms:.2f}x"
            )
        if args.spans_out:  # JSON lines, oldest batch first; the baseline's beside them
            for path, phase in (
                (args.spans_out, lat),
                (args.spans_out.with_suffix(".baseline" + args.spans_out.suffix), base),
            ):
                if phase:
                    path.write_bytes(b"\n".join(b.encode() for b in reversed(phase.spans)))
        if args.latency_only:
            return
        print("(a′) the same without SIMILAR_TO edges")
        empty_collection(endpoints, "knowledge")
        a0 = run_engine(stores, servers, knowledge(args.n, run + "x"), args.workers, 0, data_dir)
        a0.print(args.n)
        print(f"(b) {args.n} activity/metric events → warehouse")
        b = run_engine(stores, servers, activities(args.n, run), args.workers, 5, data_dir)
        b.print(args.n)
        sample = args.raw_sample or args.n
        raw = raw_rates(stores, servers, knowledge(sample, run + "r"))
        print(f"raw batch-write rates alone ({sample} knowledge records, batches of 1,000):")
        for name, (rate, cores) in raw.items():
            print(f"    {name:9} {rate:8.0f} records/s   server busy {cores:.2f} cores")
        naive = naive_rate(stores, knowledge(args.naive_sample, run + "n"))
        slowest = min(raw, key=lambda name: raw[name][0])
        ceiling = raw[slowest][0]
        print(f"naive store-by-store baseline ({args.naive_sample} events): {naive:.0f} events/s")
        print("ratios:")
        print(
            f"    (a) / slowest raw store ({slowest}): {a.rate / ceiling:.0%} "
            f"(target ≥ 80 %); (a′): {a0.rate / ceiling:.0%}"
        )
        print(
            f"    (a) / naive baseline: {a.rate / naive:.1f}x (target ≥ 10x); "
            f"(a′): {a0.rate / naive:.1f}x"
        )
        print(
            f"    (b) / 5,000 events/s target: {b.rate / 5000:.0%}; "
            f"(b) / raw bigquery: {b.rate / raw['bigquery'][0]:.0%}"
        )
    finally:
        stores.close()
        if args.data_dir is None:
            stack.down()


if __name__ == "__main__":
    main()
