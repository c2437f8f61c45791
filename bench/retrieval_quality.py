"""Retrieval quality per embedder: `python bench/retrieval_quality.py [--k 5] [--dims 256,384,768]`.

The corpus is real documentation ARGO did not write: the README (long
description) of every package installed in this virtualenv, taken from its
``*.dist-info/METADATA`` and written out as Markdown, reStructuredText or text
according to its declared content type. Each question below names, by package,
the document that answers it; questions avoid the package's own name where
they can, so a lexical match on the name alone does not answer them.

Documents are parsed and chunked exactly as `argo ingest` does (`parsers`,
`chunking`, the same title › heading prefix for embedding); each embedder
embeds every chunk; a question's documents are ranked by their best chunk's
cosine similarity. Printed per embedder: recall@k (the answering document among
the top k documents), MRR, and the embedding cost (ms per chunk, one core).
Embedders: the offline hashing embedder at several sizes; a sentence-transformers
model when ``ARGO_EMBEDDING_MODEL_PATH`` names one on disk; OpenAI-compatible
embeddings with ``--openai`` when an endpoint is configured.
"""

from __future__ import annotations

import argparse
import email
import os
import re
import sys
import sysconfig
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from argo_agents.ingest.chunking import chunk_blocks  # noqa: E402
from argo_agents.ingest.parsers import parse  # noqa: E402
from argo_agents.stores.embeddings import HashingEmbedder  # noqa: E402

# question → the packages whose README answers it (normalised names)
QUESTIONS: dict[str, set[str]] = {
    "show a smart progress meter around any iterable loop in the terminal": {"tqdm"},
    "read key-value pairs from a .env file and set them as environment variables": {
        "python-dotenv"
    },
    "serialize dataclasses, datetime and numpy arrays to JSON quickly": {"orjson"},
    "detect the character encoding of a byte string of unknown origin": {"charset-normalizer"},
    "get the next run time from a cron schedule expression": {"croniter"},
    "Olson timezone database: localize naive datetimes and handle daylight saving": {"pytz"},
    "retrieve CPU, memory, disk and network usage of running processes": {"psutil"},
    "build SQL queries in Python with a query builder instead of strings": {"pypika"},
    "immutable URL objects: parse, join and build query strings": {"yarl"},
    "parse SQL and transpile it between dialects such as DuckDB, Spark and BigQuery": {"sqlglot"},
    "data validation with type hints, models and JSON Schema": {"pydantic"},
    "numerical routines for optimization, integration, interpolation, linear algebra": {"scipy"},
    "an extremely fast linter and code formatter written in Rust": {"ruff"},
    "build command line interfaces from Python type hints with autocompletion": {"typer"},
    "render tables, markdown, syntax highlighting and tracebacks in the terminal": {"rich"},
    "fail tests that hang after a given number of seconds": {"pytest-timeout"},
    "server-sent events streaming responses for Starlette and FastAPI": {"sse-starlette"},
    "hash passwords with a modern adaptive hashing algorithm": {"bcrypt"},
    "MurmurHash3 non-cryptographic hash function bindings": {"mmh3"},
    "match file paths against gitignore-style wildmatch patterns": {"pathspec"},
    "high performance web framework for building APIs with automatic OpenAPI docs": {"fastapi"},
    "regular expressions with fuzzy matching, Unicode properties and possessive quantifiers": {
        "regex"
    },
    "an ASGI web server to run async Python web applications": {"uvicorn"},
    "structured logging with processors, key-value pairs and JSON output": {"structlog"},
    "one filesystem interface for local files, S3, GCS and other remote storage": {"fsspec"},
    "database schema migrations for SQLAlchemy with autogenerate": {"alembic"},
    "a pure-Python, bring-your-own-I/O implementation of HTTP/1.1": {"h11"},
    "pickle lambdas and functions defined interactively to send them to other processes": {
        "cloudpickle"
    },
    "find out which Linux distribution and version the machine runs": {"distro"},
    "byte pair encoding tokenizer for OpenAI models, counting tokens": {"tiktoken"},
    "relative deltas and a generic date string parser that extend datetime": {"python-dateutil"},
    "write classes without boilerplate: generated __init__, __repr__ and comparison": {"attrs"},
    "internationalized domain names in applications, Unicode hostnames": {"idna"},
    "Python bindings to the xxHash extremely fast hash algorithm": {"xxhash"},
    "a CommonMark compliant Markdown parser with plugins": {"markdown-it-py"},
    "client for a Redis key-value server with pipelines and pub/sub": {"redis"},
    "typed wrapper around the Google BigQuery API: load jobs, queries, tables": {
        "google-cloud-bigquery"
    },
    "open-source embedding database and vector search for AI applications": {"chromadb"},
}
EXT = {"text/markdown": ".md", "text/x-rst": ".rst", "text/plain": ".txt"}
FMT = {".md": "markdown", ".rst": "rst", ".txt": "text"}


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def build_corpus(out: Path) -> list[Path]:
    """One file per installed package README (skipping ARGO itself and near-empty ones)."""
    site = Path(sysconfig.get_paths()["purelib"])
    paths = []
    for meta in sorted(site.glob("*.dist-info/METADATA")):
        msg = email.message_from_bytes(meta.read_bytes())
        name = norm(msg.get("Name", ""))
        body = msg.get_payload()
        body = body if isinstance(body, str) else ""
        if not body.strip():
            body = msg.get("Description", "") or ""
        if not name or name == "argo-agents" or len(body) < 400:
            continue
        kind = (msg.get("Description-Content-Type") or "text/x-rst").split(";")[0].strip()
        path = out / f"{name}{EXT.get(kind, '.rst')}"
        path.write_text(body, encoding="utf-8")
        paths.append(path)
    return paths


def chunks_of(paths: list[Path]) -> tuple[list[str], list[str]]:
    """(embedding text, package) per chunk, as `argo ingest` would cut them."""
    texts, owners = [], []
    for p in paths:
        doc = parse(p.read_text(encoding="utf-8"), FMT[p.suffix], title_hint="")
        for c in chunk_blocks(doc.blocks, 1200, 150):
            texts.append(f"{doc.title}\n{c.heading}\n{c.text}")
            owners.append(p.stem)
    return texts, owners


def evaluate(embedder: Any, texts: list[str], owners: list[str], k: int) -> dict[str, float]:
    t0 = time.process_time()
    m = np.asarray(embedder.embed_documents(texts), dtype=np.float32)
    cost_ms = 1000 * (time.process_time() - t0) / len(texts)
    m /= np.linalg.norm(m, axis=1, keepdims=True) + 1e-12
    hits, rr = 0, 0.0
    misses = []
    for question, answers in QUESTIONS.items():
        q = np.asarray(embedder.embed_query(question), dtype=np.float32)
        scores = m @ (q / (np.linalg.norm(q) + 1e-12))
        ranked: list[str] = []
        for i in np.argsort(-scores):
            if owners[i] not in ranked:
                ranked.append(owners[i])
            if len(ranked) >= 50:
                break
        rank = next((r for r, d in enumerate(ranked, 1) if d in answers), None)
        hits += bool(rank and rank <= k)
        rr += 1 / rank if rank else 0.0
        if not rank or rank > k:
            misses.append(f"{sorted(answers)[0]} (rank {rank or '>50'})")
    n = len(QUESTIONS)
    return {"recall": hits / n, "mrr": rr / n, "ms_per_chunk": cost_ms, "misses": misses}  # type: ignore[dict-item]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--dims", default="256,384,768,1024")
    parser.add_argument("--openai", action="store_true", help="also the configured OpenAI model")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="argo-retrieval-") as tmp:
        paths = build_corpus(Path(tmp))
        names = {p.stem for p in paths}
        missing = {a for ans in QUESTIONS.values() for a in ans} - names
        for q, ans in list(QUESTIONS.items()):
            if not ans & names:
                del QUESTIONS[q]
        texts, owners = chunks_of(paths)
        print(
            f"corpus: {len(paths)} package READMEs from {sysconfig.get_paths()['purelib']}, "
            f"{len(texts):,} chunks; {len(QUESTIONS)} questions"
            + (f" (not installed, left out: {', '.join(sorted(missing))})" if missing else "")
        )
        embedders: list[tuple[str, Any]] = [
            (f"hashing-{d}", HashingEmbedder(int(d))) for d in args.dims.split(",")
        ]
        model_path = os.environ.get("ARGO_EMBEDDING_MODEL_PATH")
        if model_path:
            from argo_agents.stores.embeddings import SentenceTransformerEmbedder

            embedders.append(
                (f"sentence-transformers {model_path}", SentenceTransformerEmbedder(model_path))
            )
        if args.openai:
            from argo_agents.config import Settings
            from argo_agents.stores.embeddings import make_embedder

            embedders.append(("openai", make_embedder(Settings(), "openai")))
        print(f"{'embedder':38} recall@{args.k}    MRR   ms/chunk")
        for name, embedder in embedders:
            r = evaluate(embedder, texts, owners, args.k)
            print(f"{name:38} {r['recall']:8.2f}  {r['mrr']:5.2f}   {r['ms_per_chunk']:7.2f}")
            if r["misses"]:
                print(f"    missed: {', '.join(r['misses'])}")  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
