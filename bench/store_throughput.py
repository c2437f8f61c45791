"""Write throughput of the four store adapters on a fresh local stack.

Starts a LocalStack in a temporary directory, writes N records per store with
the batch methods (in batches of --batch), then a one-by-one sample as a
baseline, prints records/s and the batch/one-by-one ratio, and stops the stack.

    .venv/bin/python -m bench.store_throughput [-n 20000] [--batch 1000] [--single 500]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
import warnings
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from argo_agents.config import Settings
from argo_agents.local_stack import LocalStack
from argo_agents.stores.embeddings import HashingEmbedder
from argo_agents.stores.factory import Stores, open_stores
from argo_agents.stores.records import CacheEntry, NodeRecord, VectorRecord, WarehouseRow

warnings.filterwarnings("ignore", category=FutureWarning)  # google-api-core's Python notices


def make_records(store: str, n: int, run: str, vectors: list[list[float]]) -> list[Any]:
    now = datetime.now(UTC)
    if store == "redis":
        return [
            CacheEntry(f"bench:{run}:{i}", {"i": i, "text": f"value {i}"}, 1, "h", 600)
            for i in range(n)
        ]
    if store == "neo4j":
        return [
            NodeRecord("BenchNode", f"{run}-{i}", 1, "h", {"i": i, "title": f"node {i}"})
            for i in range(n)
        ]
    if store == "bigquery":
        return [
            WarehouseRow(
                "events",
                f"{run}-{i}:1",
                {
                    "id": f"{run}-{i}",
                    "version": 1,
                    "hash": "h",
                    "entity_type": "bench",
                    "operation": "upsert",
                    "source": "bench",
                    "timestamp": now,
                    "content": {"i": i},
                    "event_type": "bench",
                },
            )
            for i in range(n)
        ]
    return [
        VectorRecord(
            f"bench{run[:8]}",
            f"{run}-{i}",
            1,
            "h",
            f"document {i}",
            vectors[i % len(vectors)],
            {"i": i},
        )
        for i in range(n)
    ]


def writer(stores: Stores, store: str) -> Callable[[Sequence[Any]], object]:
    return {
        "redis": stores.cache.put_many,
        "neo4j": stores.graph.upsert_nodes,
        "bigquery": stores.warehouse.insert_rows,
        "chroma": stores.vectors.upsert,
    }[store]


def timed_writes(write: Callable[[Sequence[Any]], object], records: list[Any], batch: int) -> float:
    start = time.perf_counter()
    for i in range(0, len(records), batch):
        write(records[i : i + batch])
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20_000, help="records per store (batched)")
    parser.add_argument("--batch", type=int, default=1_000, help="records per batch call")
    parser.add_argument("--single", type=int, default=500, help="one-by-one sample size")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="argo-bench-") as tmp:
        stack = LocalStack(Settings(_env_file=None, data_dir=Path(tmp)))  # type: ignore[call-arg]
        started = time.perf_counter()
        try:
            endpoints = stack.up()
            print(f"stack start-up: {time.perf_counter() - started:.1f}s (4 servers)")
            stores = open_stores(endpoints)
            stores.graph.setup(["BenchNode"])
            stores.warehouse.setup()
            vectors = HashingEmbedder(384).embed_documents([f"doc {i}" for i in range(256)])
            print(f"{'store':<9} {'batched rec/s':>14} {'one-by-one rec/s':>17} {'ratio':>7}")
            for store in ("redis", "neo4j", "bigquery", "chroma"):
                write = writer(stores, store)
                many = make_records(store, args.n, uuid.uuid4().hex, vectors)
                batched = args.n / timed_writes(write, many, args.batch)
                few = make_records(store, args.single, uuid.uuid4().hex, vectors)
                single = args.single / timed_writes(write, few, 1)
                print(f"{store:<9} {batched:>14,.0f} {single:>17,.0f} {batched / single:>6.1f}x")
            stores.close()
        finally:
            stack.down()


if __name__ == "__main__":
    main()
