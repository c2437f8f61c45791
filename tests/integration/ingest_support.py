"""Shared helpers of the ingestion integration tests (no tests here): a corpus and store counts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from argo_agents.ingest import IngestJob, IngestOptions, IngestReport
from argo_agents.ingest.metadata import doc_id_for, file_uri
from argo_agents.stores.embeddings import HashingEmbedder

TOPICS = [
    ("kafka", "Kafka consumer lag", "consumer groups, partitions and offsets lag behind producers"),
    ("redis", "Redis eviction", "maxmemory policies such as allkeys-lru evict keys under pressure"),
    ("postgres", "Postgres vacuum", "autovacuum reclaims dead tuples and prevents wraparound"),
    ("tls", "TLS certificates", "certificate chains, expiry and rotation of intermediate CAs"),
    ("dns", "DNS resolution", "resolvers cache records for their TTL and negative answers too"),
    ("k8s", "Kubernetes probes", "liveness and readiness probes restart or isolate pods"),
]


def write_corpus(root: Path, n: int, *, paragraphs: int = 3) -> list[Path]:
    """``n`` Markdown documents with headings, paragraphs and links to their neighbours."""
    root.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        key, title, about = TOPICS[i % len(TOPICS)]
        body = [f"# {title} {i}", "", f"Notes on {about}. See [next](doc{(i + 1) % n}.md).", ""]
        for s in range(paragraphs):
            body += [
                f"## Part {s}",
                "",
                f"Section {s} of document {i} about {key}: {about}. " * 6,
                "",
            ]
        path = root / f"doc{i}.md"
        path.write_text("\n".join(body), encoding="utf-8")
        paths.append(path)
    return paths


def doc_ids(paths: list[Path]) -> list[str]:
    return [doc_id_for(file_uri(str(p))) for p in paths]


def run_job(engine: Any, settings: Any, paths: list[str], **options: Any) -> IngestReport:
    # One preparing thread instead of a process pool: these tests check what is written,
    # not how fast, and spawning processes per test costs seconds on 2 cores.
    opts = IngestOptions(**{"embed_workers": 1, **options})
    return IngestJob(engine, HashingEmbedder(384), settings, opts).run(paths)


def store_counts(stores: Any, root: Path, ids: list[str]) -> dict[str, int]:
    """Documents and chunks under ``root`` in each store (placeholders of edges excluded)."""
    prefix = file_uri(str(root)).rstrip("/") + "/"
    graph = stores.graph.query(
        "MATCH (d:Document) WHERE d.uri STARTS WITH $p AND d.version >= 0 RETURN count(d) AS n",
        {"p": prefix},
    )[0]["n"]
    chunks = stores.graph.query(
        "MATCH (c:Chunk) WHERE c.uri STARTS WITH $p AND c.version >= 0 RETURN count(c) AS n",
        {"p": prefix},
    )[0]["n"]
    has_chunk = stores.graph.query(
        "MATCH (d:Document)-[:HAS_CHUNK]->(c:Chunk) WHERE d.uri STARTS WITH $p "
        "AND c.version >= 0 RETURN count(c) AS n",
        {"p": prefix},
    )[0]["n"]
    vectors = len(stores.vectors.ids_where("chunk", {"doc_id": {"$in": ids}}))
    rows = stores.warehouse.query(
        "SELECT COUNT(*) AS n FROM {dataset}.knowledge_base_latest "
        "WHERE id IN UNNEST(@ids) AND operation != 'delete'",
        {"ids": ids},
    )[0]["n"]
    duplicates = stores.warehouse.query(
        "SELECT COUNT(*) - COUNT(DISTINCT CONCAT(id, '|', CAST(version AS STRING))) AS n "
        "FROM {dataset}.knowledge_base WHERE id IN UNNEST(@ids)",
        {"ids": ids},
    )[0]["n"]
    cached = len(stores.cache.get_many([f"document:{i}" for i in ids]))
    return {
        "graph_documents": int(graph),
        "graph_chunks": int(chunks),
        "has_chunk": int(has_chunk),
        "vector_chunks": vectors,
        "warehouse_documents": int(rows),
        "warehouse_duplicate_rows": int(duplicates),
        "redis_documents": cached,
    }
