"""Where Chroma's insert time goes: `python bench/vector_costs.py [N]` (default 30,000).

Ingestion is bound by CPU on two cores, and Chroma is its largest consumer. This
prints, on a fresh local stack, Chroma's CPU per record and its rate for the same
N chunks written in batches of 500 under three collection settings, each against
ARGO's own (the baseline, measured in the same run):

- ARGO's collection (cosine, HNSW defaults) with the chunk text as the document;
- the same without the text: the cost of Chroma's full-text (trigram) index,
  which the knowledge search's keyword candidates read (`ingest/search.py`);
- ``ef_construction`` 50 instead of 100: a cheaper HNSW insert.

Then the price of a cheaper index: recall@6 of Chroma's search against exact
cosine search, for 1,000 held-out chunks, with ``ef_construction`` 50 or
``ef_search`` 40. The chunks are real text ARGO did not write (the Python sources
installed beside it), embedded with the offline hashing embedder.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import chromadb
import numpy as np
from cpu_meter import group_cpu_s
from scratch import scratch_dir

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from argo_agents.config import Settings  # noqa: E402
from argo_agents.local_stack import LocalStack  # noqa: E402
from argo_agents.stores.embeddings import HashingEmbedder  # noqa: E402
from argo_agents.stores.vector import HNSW_CONFIG  # noqa: E402

warnings.filterwarnings("ignore", category=FutureWarning)
BATCH = 500
HELD_OUT = 1000
K = 6  # SIMILAR_TO's search: five neighbours and the item itself
ARGO: dict[str, Any] = {**HNSW_CONFIG}  # what the vector adapter creates


def real_chunks(n: int, size: int = 1200) -> list[str]:
    """``n`` chunks of ``size`` characters from the installed Python sources, shuffled."""
    site = Path(np.__file__).resolve().parent.parent
    chunks: list[str] = []
    for path in sorted(site.rglob("*.py")):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        chunks += [text[i : i + size] for i in range(0, len(text), size) if len(text) - i > 300]
        if len(chunks) >= n:
            break
    random.Random(3).shuffle(chunks)
    return chunks[:n]


def write_all(
    client: Any, name: str, config: dict[str, Any], vecs: list[list[float]], docs: list[str] | None
) -> Any:
    col = client.create_collection(name, configuration={"hnsw": config}, embedding_function=None)
    for b in range(0, len(vecs), BATCH):
        col.upsert(
            ids=[str(i) for i in range(b, min(b + BATCH, len(vecs)))],
            embeddings=vecs[b : b + BATCH],
            documents=docs[b : b + BATCH] if docs else None,
            metadatas=[{"version": 1}] * len(vecs[b : b + BATCH]),
        )
    return col


def insert_costs(client: Any, chroma: int, texts: list[str], vecs: list[list[float]]) -> None:
    print("\ninsert, batches of 500 (Chroma CPU per record, records/s, vs ARGO's collection):")
    cases: list[tuple[str, dict[str, Any], list[str] | None]] = [
        ("ARGO's collection, with the text", ARGO, texts),
        ("without the text (no full-text index)", ARGO, None),
        ("ef_construction 50", {**ARGO, "ef_construction": 50}, texts),
    ]
    base = 0.0
    for i, (label, config, docs) in enumerate(cases):
        c0, t0 = group_cpu_s(chroma), time.monotonic()
        write_all(client, f"insert-{i}", config, vecs, docs)
        cpu, wall = group_cpu_s(chroma) - c0, time.monotonic() - t0
        base = base or cpu
        print(
            f"    {label:40} {cpu / len(vecs) * 1e3:5.2f} ms  {len(vecs) / wall:6.0f}/s  "
            f"{cpu / base:4.2f}x the CPU"
        )


def search_costs(
    client: Any, chroma: int, vecs: list[list[float]], held: list[list[float]]
) -> None:
    exact = np.argsort(
        -(np.asarray(held, dtype=np.float32) @ np.asarray(vecs, dtype=np.float32).T), axis=1
    )[:, :K]
    print(f"\nsearch, k={K} (Chroma CPU per query, recall@{K} vs exact cosine):")
    cases: list[tuple[str, dict[str, Any]]] = [
        ("ARGO's collection", ARGO),
        ("ef_construction 50", {**ARGO, "ef_construction": 50}),
        ("ef_search 40", {**ARGO, "ef_search": 40}),
    ]
    for i, (label, config) in enumerate(cases):
        col = write_all(client, f"search-{i}", config, vecs, None)
        c0 = group_cpu_s(chroma)
        found: list[list[str]] = []
        for b in range(0, len(held), BATCH):
            found += col.query(
                query_embeddings=held[b : b + BATCH], n_results=K, include=["distances"]
            )["ids"]
        cpu = group_cpu_s(chroma) - c0
        recall = np.mean(
            [
                len({int(x) for x in f} & set(e.tolist())) / K
                for f, e in zip(found, exact, strict=True)
            ]
        )
        print(f"    {label:40} {cpu / len(held) * 1e3:5.2f} ms  recall {recall:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, nargs="?", default=30_000)
    args = parser.parse_args()
    texts = real_chunks(args.n + HELD_OUT)
    if len(texts) < args.n + HELD_OUT:
        sys.exit(f"only {len(texts)} chunks of installed sources: use N ≤ {len(texts) - HELD_OUT}")
    embedder = HashingEmbedder(384)
    vecs = embedder.embed_documents(texts[: args.n])
    held = embedder.embed_documents(texts[args.n :])
    print(f"{args.n:,} chunks of installed Python sources, {HELD_OUT:,} held out as queries")
    data_dir = scratch_dir("argo-vector-costs-")
    stack = LocalStack(Settings(_env_file=None, data_dir=data_dir))  # type: ignore[call-arg]
    endpoints = stack.up()
    try:
        chroma = os.getpgid(next(s.pid for s in stack.status() if s.name == "chroma" and s.pid))
        client = chromadb.HttpClient(host=endpoints.chroma_host, port=endpoints.chroma_port)
        insert_costs(client, chroma, texts[: args.n], vecs)
        search_costs(client, chroma, vecs, held)
    finally:
        stack.down()


if __name__ == "__main__":
    main()
