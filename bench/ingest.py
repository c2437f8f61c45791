"""Ingestion throughput: `python bench/ingest.py [N] [--data-dir D] [--raw-sample S]`.

Writes N Markdown documents (default 100,000; ~1.5 KB, two sections each, 1,000
per directory, linked to their neighbours) and runs `argo ingest` on them with
the offline hashing embedder on a fresh local stack. Prints documents/s,
chunks/s, peak RSS (this process with its pool, and the servers), CPU per part
(each server, this process and its pool), and the ratio to the raw write rates:
each store writing the same records alone, in batches of 1,000, under fresh ids
(all N documents' records by default; `--raw-sample S` takes the first S, which
is quicker but flatters Chroma, whose insert slows as its collection grows).
Beside it, the source design's claim for 100,000 documents: 42 min 23 s and
8.2 GB peak.
"""

from __future__ import annotations

import argparse
import itertools
import os
import resource
import sys
import threading
import time
import uuid
import warnings
from dataclasses import replace
from pathlib import Path

import psutil
from cpu_meter import CpuMeter, report
from scratch import scratch_dir

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from argo_agents.config import Settings  # noqa: E402
from argo_agents.ingest import IngestJob, IngestOptions  # noqa: E402
from argo_agents.ingest.metadata import chunk_id_for  # noqa: E402
from argo_agents.ingest.prepare import PrepareConfig, Preparer  # noqa: E402
from argo_agents.ingest.sources import FileItem, Item, scope_of, walk  # noqa: E402
from argo_agents.local_stack import LocalStack  # noqa: E402
from argo_agents.stores.embeddings import HashingEmbedder  # noqa: E402
from argo_agents.stores.factory import open_stores  # noqa: E402
from argo_agents.sync import SyncConfig, SyncEngine, SyncEvent, mappers  # noqa: E402
from argo_agents.sync.matrix import spec_for  # noqa: E402

warnings.filterwarnings("ignore", category=FutureWarning)
SEED_SECONDS, SEED_PEAK_GB = 42 * 60 + 23, 8.2
RAW_SLICE = 2000  # documents prepared at a time for the raw rates (about 6,000 chunks)
WORDS = (
    "cache latency partition replica index query shard lease token schema vector graph "
    "warehouse stream batch worker commit rollback snapshot quorum leader follower"
).split()


def write_corpus(root: Path, n: int) -> None:
    for i in range(n):
        d = root / f"d{i // 1000:04d}"
        if i % 1000 == 0:
            d.mkdir(parents=True, exist_ok=True)
        w = [WORDS[(i * 7 + k) % len(WORDS)] for k in range(12)]
        para = " ".join(
            f"The {w[k]} of service {i % 97} affects the {w[k + 1]}." for k in range(10)
        )
        (d / f"doc{i}.md").write_text(
            f"# Note {i} on {w[0]} and {w[1]}\n\nSee [the next note](doc{i + 1}.md).\n\n"
            f"## Why {w[2]}\n\n{para}\n\n{para[::-1][:300]}\n\n## How {w[3]}\n\n{para}\n",
            encoding="utf-8",
        )


class PeakRss:
    """Samples resident memory once a second: this process and its children, and the servers."""

    def __init__(self, servers: list[int]) -> None:
        self.servers = [psutil.Process(p) for p in servers]
        self.ours = 0
        self.theirs = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @staticmethod
    def _tree(p: psutil.Process) -> int:
        total = 0
        for q in [p, *p.children(recursive=True)]:
            try:
                total += q.memory_info().rss
            except psutil.Error:
                pass
        return total

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.wait(1.0):
            servers = sum(self._tree(s) for s in self.servers)
            # The stack's servers may be this process's children: count them once, as servers.
            self.ours = max(self.ours, self._tree(me) - servers * self._descend(me))
            self.theirs = max(self.theirs, servers)

    def _descend(self, me: psutil.Process) -> int:
        try:
            kids = {c.pid for c in me.children(recursive=True)}
        except psutil.Error:
            return 0
        return int(all(s.pid in kids for s in self.servers))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def own_with_children_cpu_s() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def raw_rates(stores, root: Path, sample: int, config: PrepareConfig) -> dict[str, float]:
    """Records/s of each store writing this corpus's records alone, in batches of 1,000.

    The records are the first ``sample`` documents' (0: all of them, the same records
    the ingest wrote), under fresh ids in a fresh collection; they are prepared a slice
    at a time (bounded memory), and only the stores' writes are timed, one store at a
    time. A smaller sample flatters Chroma, whose insert slows as its collection grows.
    """
    items = (i for i in walk([str(root)], 1 << 20) if isinstance(i, FileItem))
    preparer = Preparer(config, HashingEmbedder(384))
    run = uuid.uuid4().hex[:6]
    dspec, cspec = spec_for("document"), spec_for("chunk")
    collection = f"raw{run}"
    # each store: which of a slice's events it takes, and its batch write
    writes = {
        "redis (documents)": (
            lambda docs, chunks: docs,
            lambda b: stores.cache.put_many([mappers.to_cache_entry(e, 3600) for e in b]),
        ),
        "neo4j (documents + chunks)": (
            lambda docs, chunks: docs + chunks,
            lambda b: stores.graph.upsert_nodes(
                [mappers.to_node(e, dspec if e.entity_type == "document" else cspec) for e in b]
            ),
        ),
        "bigquery (documents)": (
            lambda docs, chunks: docs,
            lambda b: stores.warehouse.insert_rows([mappers.to_row(e, dspec) for e in b]),
        ),
        "vector (chunks)": (
            lambda docs, chunks: chunks,
            lambda b: stores.vectors.upsert(
                [
                    replace(mappers.to_vector(e, e.data["embedding"]), collection=collection)
                    for e in b
                ]
            ),
        ),
    }
    spent = dict.fromkeys(writes, 0.0)
    written = dict.fromkeys(writes, 0)
    n_docs = n_chunks = 0
    while size := RAW_SLICE if not sample else min(RAW_SLICE, sample - n_docs):
        batch: list[Item] = list(itertools.islice(items, size))
        if not batch:
            break
        docs, chunks = _raw_events(preparer.run(batch, {}).docs, run)
        n_docs, n_chunks = n_docs + len(docs), n_chunks + len(chunks)
        for name, (take, write) in writes.items():
            records = take(docs, chunks)
            t0 = time.monotonic()
            for start in range(0, len(records), 1000):
                write(records[start : start + 1000])
            spent[name] += time.monotonic() - t0
            written[name] += len(records)
    rates = {name: written[name] / max(t, 1e-9) for name, t in spent.items()}
    rates["_docs"] = n_docs
    rates["_chunks"] = n_chunks
    return rates


def _raw_events(prepared, run: str) -> tuple[list[SyncEvent], list[SyncEvent]]:
    docs, chunks = [], []
    for d in prepared:
        did = f"raw{run}-{d.doc_id}"
        docs.append(SyncEvent(entity_type="document", entity_id=did, data=d.doc, version=1))
        chunks += [
            SyncEvent(
                entity_type="chunk",
                entity_id=chunk_id_for(did, c["position"]),
                data=c,
                version=1,
            )
            for c in d.chunks
        ]
    return docs, chunks


def main() -> None:  # noqa: PLR0915 (the benchmark's script, in reading order)
    """Long because it is the benchmark's script, in reading order: options, the raw
    baselines, the ingest run and its report beside the seed's claim."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, nargs="?", default=100_000)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--raw-sample", type=int, default=0)
    parser.add_argument("--embed-workers", type=int, default=0)
    parser.add_argument("--sync-workers", type=int, default=2)
    args = parser.parse_args()
    data_dir = args.data_dir or scratch_dir("argo-ingest-bench-")
    corpus = data_dir / "corpus"
    t0 = time.monotonic()
    write_corpus(corpus, args.n)
    print(f"{args.n:,} documents written under {corpus} in {time.monotonic() - t0:.0f}s")
    settings = Settings(_env_file=None, data_dir=data_dir, embedding_provider="hashing")  # type: ignore[call-arg]
    stack = LocalStack(settings)
    endpoints = stack.up()
    servers = {s.name: s.pid for s in stack.status() if s.pid}
    stores = open_stores(endpoints, settings)
    engine = SyncEngine(stores, HashingEmbedder(384), SyncConfig())
    engine.setup()
    opts = IngestOptions.from_settings(
        settings, embed_workers=args.embed_workers, sync_workers=args.sync_workers
    )
    meter = CpuMeter({n: [p] for n, p in servers.items()})
    mine0 = own_with_children_cpu_s()
    rss = PeakRss(list(servers.values()))
    last = [0.0]

    def show(p) -> None:
        now = time.monotonic()
        if now - last[0] >= 10 or p.status == "done":
            last[0] = now
            print(
                f"  {p.status:9} {p.completed:>8,}/{p.total:,}  {p.rate:6.0f} docs/s  "
                f"chunks {p.chunks:,}"
            )

    try:
        report_ = IngestJob(engine, HashingEmbedder(384), settings, opts, show).run([str(corpus)])
        used = meter.used()
        used.pop("this process", None)
        used["ingest process + pool"] = own_with_children_cpu_s() - mine0
        rss.stop()
        print(
            f"\ningested {report_.completed:,} documents, {report_.chunks_written:,} chunks in "
            f"{report_.seconds:.0f}s: {report_.docs_per_s:.0f} documents/s, "
            f"{report_.chunks_per_s:.0f} chunks/s (skipped {report_.skipped}, dead letters "
            f"{report_.dead_lettered})"
        )
        self_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"peak RSS: ingest process + pool {rss.ours / 2**20:.0f} MB (this process alone "
            f"{self_peak:.0f} MB), servers {rss.theirs / 2**20:.0f} MB"
        )
        print("\n".join(report(used, report_.completed)).replace("per event", "per document"))
        raw = raw_rates(
            stores,
            corpus,
            args.raw_sample,
            PrepareConfig(
                opts.chunk_chars, opts.chunk_overlap, 1 << 20, "raw", scope_of([str(corpus)])
            ),
        )
        raw_docs = int(raw.pop("_docs"))
        per_doc_chunks = raw.pop("_chunks") / max(1, raw_docs)
        print(f"raw batch-write rates alone ({raw_docs:,} documents' records):")
        seconds_for = {}
        for name, rate in raw.items():
            n_records = report_.completed * (
                per_doc_chunks
                if name.startswith("vector")
                else 1 + per_doc_chunks
                if name.startswith("neo4j")
                else 1
            )
            seconds_for[name] = n_records / rate
            print(
                f"    {name:28} {rate:8.0f} records/s → {seconds_for[name]:6.0f}s for this corpus"
            )
        slowest = max(seconds_for, key=seconds_for.__getitem__)
        vector_rate = raw["vector (chunks)"]
        print(
            f"slowest store alone: {slowest}, {seconds_for[slowest]:.0f}s; ingest took "
            f"{report_.seconds:.0f}s = {seconds_for[slowest] / report_.seconds:.0%} of that "
            f"store's raw rate; chunks/s vs the raw vector rate for the same chunks: "
            f"{report_.chunks_per_s / vector_rate:.0%}"
        )
        # The goal's CPU budget: all parts share the cores, so 70 % of the raw vector rate
        # needs at most this much CPU per document, at full use of every core.
        goal_docs_s = 0.7 * vector_rate / max(per_doc_chunks, 1e-9)
        spent_ms = 1000 * sum(used.values()) / max(1, report_.completed)
        print(
            f"70 % of the raw vector rate is {goal_docs_s:.0f} documents/s: at most "
            f"{(os.cpu_count() or 1) * 1000 / goal_docs_s:.1f} ms of CPU per document on "
            f"{os.cpu_count()} cores for every part together; this run spent {spent_ms:.1f} ms"
        )
        scale = 100_000 / max(1, report_.completed)
        print(
            f"source design's claim for 100,000 documents: {SEED_SECONDS // 60} min "
            f"{SEED_SECONDS % 60} s, {SEED_PEAK_GB} GB peak; this run scaled to 100,000: "
            f"{report_.seconds * scale / 60:.1f} min (linear), peak "
            f"{(rss.ours + rss.theirs) / 2**30:.2f} GB at N={report_.completed:,}"
        )
    finally:
        stores.close()
        if not args.data_dir:
            stack.down()


if __name__ == "__main__":
    main()
