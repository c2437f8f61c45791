"""What the stores remember that helps plan a goal: patterns and similar past goals.

This is how ARGO learns from its own record: the planner is offered the
execution patterns learned from earlier goals (graph) and the most similar
past goals (vector store). A store that is down degrades recall, never the run.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from argo_agents.bootstrap import Services
from argo_agents.stores.errors import StoreError

log = logging.getLogger(__name__)

PATTERNS_CYPHER = (
    "MATCH (p:Pattern) WHERE p.task_type = $task_type AND p.success_rate >= $min_rate "
    "RETURN p.id AS id, p.task_type AS task_type, p.success_rate AS success_rate, "
    "p.occurrences AS occurrences, p.step_sequence AS step_sequence, p.name AS name "
    "ORDER BY p.success_rate DESC, p.occurrences DESC LIMIT 5"
)


def recall_patterns(services: Services, task_type: str, min_rate: float = 0.7) -> list[dict]:
    """Learned execution patterns for a task type, best first (digest §1 query)."""
    try:
        rows = services.stores.graph.query(
            PATTERNS_CYPHER, {"task_type": task_type, "min_rate": min_rate})
    except StoreError as exc:
        log.warning("pattern recall skipped: %s", exc)
        return []
    patterns = []
    for row in rows:
        seq = row.get("step_sequence") or []
        if isinstance(seq, str):
            seq = json.loads(seq)
        patterns.append({**row, "step_sequence": list(seq),
                         "success_rate": float(row.get("success_rate") or 0.0)})
    return patterns


def recall_similar_goals(services: Services, goal: str, *, exclude_id: str,
                         k: int = 3) -> list[dict[str, Any]]:
    """The past goals nearest to ``goal`` in the vector store."""
    try:
        hits = services.stores.vectors.search(
            "goal", services.embedder.embed_query(goal), k=k + 1)
    except StoreError as exc:
        log.warning("similar-goal recall skipped: %s", exc)
        return []
    return [
        {"goal": h.document, "similarity": round(h.similarity, 3), "id": h.id,
         "outcome": h.metadata.get("status")}
        for h in hits if h.id != exclude_id and h.similarity > 0.2
    ][:k]
