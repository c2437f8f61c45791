"""What the stores remember that helps plan a goal: patterns, similar goals, history.

This is how ARGO learns from its own record: the planner is offered the
execution patterns learned from earlier goals (graph), the most similar past
goals (vector store) and the measured history of the actions the plan may
contain (warehouse: runs, failures, durations, the Director's decisions on
similar goals, agent pairs). A store that is down degrades recall, never the run.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TypedDict

from argo_agents.analytics.graph_queries import applicable_patterns
from argo_agents.analytics.queries import action_runs, director_decisions, pair_records
from argo_agents.learning.history import LearnedHistory, build_history
from argo_agents.planning.models import STRONG_PATTERN, Pattern
from argo_agents.services import Services
from argo_agents.stores.errors import StoreError

log = logging.getLogger(__name__)


class SimilarGoal(TypedDict):
    """A past goal near this one in the vector store."""

    goal: str
    similarity: float
    id: str
    outcome: object
    """The status its run ended with, as the store recorded it (None when unknown)."""


def recall_patterns(
    services: Services, task_type: str, min_rate: float = STRONG_PATTERN
) -> list[Pattern]:
    """Learned execution patterns for a task type, best first."""
    try:
        return applicable_patterns(services.stores.graph, task_type, min_success_rate=min_rate)
    except StoreError as exc:
        log.warning("pattern recall skipped: %s", exc)
        return []


def recall_similar_goals(
    services: Services, goal: str, *, exclude_id: str, k: int = 3
) -> list[SimilarGoal]:
    """The past goals nearest to ``goal`` in the vector store."""
    try:
        hits = services.stores.vectors.search("goal", services.embedder.embed_query(goal), k=k + 1)
    except StoreError as exc:
        log.warning("similar-goal recall skipped: %s", exc)
        return []
    similar: list[SimilarGoal] = [
        {
            "goal": h.document,
            "similarity": round(h.similarity, 3),
            "id": h.id,
            "outcome": h.metadata.get("status"),
        }
        for h in hits
        if h.id != exclude_id and h.similarity > 0.2
    ]
    return similar[:k]


def recall_history(
    services: Services,
    actions: Sequence[str],
    *,
    exclude_goal_id: str,
    decision_goal_ids: Sequence[str],
) -> LearnedHistory | None:
    """The measured history of ``actions``; the Director's decisions and the failure points
    only from the goals ``decision_goal_ids`` (the similar ones), so a rejection or a
    failure shapes only goals like it."""
    warehouse = services.stores.warehouse
    try:
        runs = action_runs(warehouse, actions, exclude_task_id=exclude_goal_id)
        decisions = director_decisions(warehouse, decision_goal_ids, actions)
        pairs = pair_records(warehouse)
    except StoreError as exc:
        log.warning("history recall skipped: %s", exc)
        return None
    return build_history(runs, decisions, pairs, similar_goal_ids=decision_goal_ids)
