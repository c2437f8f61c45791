"""Creative agent context: similar cases from the vector store.

The step (its description and the goal's subject) is embedded once and
searched against past knowledge and past step results: what worked, or was
tried, for something like this before.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from argo_agents.agents.deps import AgentDeps
from argo_agents.agents.gathering import GatheredContext, Gatherer, SimilarCase, plural
from argo_agents.agents.state import AgentState, step_of

log = logging.getLogger(__name__)

STORE = "vector"
COLLECTIONS = ("knowledge", "step_result")  # entity types; the adapter names the collections
K = 5
# Below this a "similar case" is mostly shared vocabulary; citing it would mislead.
MIN_SIMILARITY = 0.2


def case_title(document: str, metadata: Mapping[str, object]) -> str:
    """A readable name for a hit: its title or summary metadata, else the document's start."""
    for key in ("title", "summary", "goal", "name"):
        if metadata.get(key):
            return str(metadata[key])
    text = " ".join(document.split())
    return text if len(text) <= 80 else text[:77] + "..."


def _search(
    g: Gatherer, deps: AgentDeps, collection: str, embedding: list[float], goal_id: str
) -> list[SimilarCase]:
    hits = g.call(
        STORE, f"{collection} search", deps.stores.vectors.search, collection, embedding, k=K
    )
    if hits is None:
        return []
    # This goal's own results reach the agent as upstream input, not as "similar cases".
    others = [h for h in hits if h.metadata.get("goal_id") != goal_id]
    kept = [h for h in others if h.similarity >= MIN_SIMILARITY]
    cases: list[SimilarCase] = []
    for h in kept:
        title = case_title(h.document, h.metadata)
        g.add(
            "similar_case",
            h.id,
            title,
            store=STORE,
            score=h.similarity,
            detail=f"{collection}: {' '.join(h.document.split())[:200]}",
        )
        cases.append(
            {
                "collection": collection,
                "id": h.id,
                "title": title,
                "similarity": round(h.similarity, 3),
                "document": h.document,
                "metadata": h.metadata,
            }
        )
    best = f" (best {max(h.similarity for h in kept):.2f})" if kept else ""
    dropped = len(others) - len(kept)
    weak = f"; {dropped} below {MIN_SIMILARITY}" if dropped else ""
    g.note(f"vector: {plural(len(kept), 'similar case')} in {collection}{best}{weak}")
    return cases


def gather_creative(deps: AgentDeps, state: AgentState) -> GatheredContext:
    """Nearest past knowledge and step results to this step's description and subject."""
    g = Gatherer()
    text = f"{step_of(state).description}\n{state['subject']}"
    try:
        embedding = list(deps.embedder.embed_query(text))
    # Deliberately broad: an embedding provider (OpenAI, a local model) fails in
    # its own ways; like a store outage it costs the step its similar cases,
    # not its result. Logged and recorded in sources.
    except Exception as exc:
        log.warning("agent context: embedding failed: %s", exc)
        g.note(f"no context from {STORE} (embedding): {type(exc).__name__}: {exc}")
        return {**g.context("creative"), "cases": []}
    cases: list[SimilarCase] = []
    for collection in COLLECTIONS:
        cases.extend(_search(g, deps, collection, embedding, state["goal_id"]))
    cases.sort(key=lambda c: -c["similarity"])
    return {**g.context("creative"), "cases": cases}
