"""Knowledge search: the chunks nearest a question, with their document, heading and a snippet.

This is the read the agents use to cite ingested knowledge: it embeds the
query with the configured embedder (the one the chunks were embedded with) and
asks the vector store for the nearest chunks of the ``chunk`` collection.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from argo_agents.ingest.models import KnowledgeHit

COLLECTION = "chunk"
SNIPPET_CHARS = 280
_WORD = re.compile(r"\w+", re.UNICODE)
_SENTENCES = re.compile(r"(?<=[.!?])\s+|\n+")


def search_knowledge(
    stores: Any,
    embedder: Any,
    query: str,
    k: int = 5,
    *,
    where: Mapping[str, Any] | None = None,
) -> list[KnowledgeHit]:
    """The ``k`` chunks most similar to ``query``, best first.

    ``stores`` needs only ``vectors`` (a `VectorPort`); ``where`` is a metadata
    filter such as ``{"doc_id": "doc-…"}``. Raises `StoreUnavailable` when the
    vector store does not answer.
    """
    if not query.strip() or k <= 0:
        return []
    vector = embedder.embed_query(query)
    hits = stores.vectors.search(COLLECTION, vector, k=int(k), where=where)
    out = []
    for h in hits:
        m = h.metadata
        out.append(
            KnowledgeHit(
                chunk_id=h.id,
                doc_id=str(m.get("doc_id", "")),
                title=str(m.get("title", "")),
                uri=str(m.get("uri", "")),
                heading=str(m.get("heading", "")),
                position=int(m.get("position", 0) or 0),
                score=round(float(h.similarity), 4),
                snippet=snippet(h.document, query),
                text=h.document,
            )
        )
    return out


def snippet(text: str, query: str, size: int = SNIPPET_CHARS) -> str:
    """The passage of ``text`` sharing most words with ``query``, at most ``size`` characters."""
    terms = {w for w in _WORD.findall(query.casefold()) if len(w) > 2}
    parts = [p.strip() for p in _SENTENCES.split(text) if p.strip()]
    if not parts:
        return ""
    best, best_score = 0, -1
    for i, part in enumerate(parts):
        score = len(terms & set(_WORD.findall(part.casefold())))
        if score > best_score:
            best, best_score = i, score
    out = parts[best]
    j = best + 1
    while j < len(parts) and len(out) + 1 + len(parts[j]) <= size:
        out += " " + parts[j]
        j += 1
    out = " ".join(out.split())
    return out if len(out) <= size else out[: size - 1].rstrip() + "…"
