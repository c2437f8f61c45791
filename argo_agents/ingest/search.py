"""Knowledge search: the chunks nearest a question, with their document, heading and a snippet.

This is the read the agents use to cite ingested knowledge: it embeds the
query with the configured embedder (the one the chunks were embedded with) and
asks the vector store for the nearest chunks of the ``chunk`` collection.

The nearest-neighbour index is approximate: among thousands of near-duplicate
chunks, Chroma's HNSW graph was measured to miss the one chunk that names a
rare word of the question (similarity 0.44–0.51 missed, 0.12–0.14 returned).
So the distinctive words of the question also pick candidates from the store's
full-text index, and those are ranked with the same cosine similarity, exactly.
The score is the embedding's similarity either way; the words only widen the
set of chunks the ranking sees.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from argo_agents.ingest.models import KnowledgeHit
from argo_agents.stores.ports import VectorHit, VectorPort

COLLECTION = "chunk"
SNIPPET_CHARS = 280
_WORD = re.compile(r"\w+", re.UNICODE)
_SENTENCES = re.compile(r"(?<=[.!?])\s+|\n+")
MAX_WORDS = 6  # distinctive words of a question that pick full-text candidates
PER_WORD = 64  # candidates per word: enough for a rare word, bounded for a common one
_COMMON = frozenset(
    """about after also been before being between both can could did does doing done each
    from have having here into just like made make many more most much must other over
    same should some such than that their them then there these they this those through
    under very what when where which while will with would your""".split()
)


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
    hits = _hybrid(stores.vectors, vector, distinctive_words(query), int(k), where)
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


def distinctive_words(query: str) -> list[str]:
    """The question's words most likely to be rare: four letters or more, not common
    English, longest first, at most `MAX_WORDS`."""
    words = {w for w in _WORD.findall(query.casefold()) if len(w) >= 4 and w not in _COMMON}
    return sorted(words, key=lambda w: (-len(w), w))[:MAX_WORDS]


def _hybrid(
    vectors: VectorPort,
    vector: list[float],
    words: list[str],
    k: int,
    where: Mapping[str, Any] | None,
) -> list[VectorHit]:
    """The ``k`` best of the HNSW neighbours and the chunks that contain a word, by cosine."""
    hits = vectors.search(COLLECTION, vector, k=k, where=where)
    if not words:
        return hits
    with ThreadPoolExecutor(min(4, len(words)), thread_name_prefix="knowledge-words") as pool:
        found = pool.map(lambda w: vectors.ids_containing(COLLECTION, w, limit=PER_WORD), words)
        candidates = set().union(*found) - {h.id for h in hits}
    if candidates:
        hits += vectors.search(COLLECTION, vector, k=k, where=where, ids=sorted(candidates))
    return sorted(hits, key=lambda h: h.similarity, reverse=True)[:k]


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
