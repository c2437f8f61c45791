"""The graph's named read queries (docs/store-model.md), as parameterized Cypher.

This is what ARGO reads back from the graph store: the applicable patterns
(for the planner and the research agent), and the knowledge, past goals and
earlier results the technical agent cites. Terms, ids and thresholds are query
parameters (``$terms``...), never formatted into the Cypher, so a hostile
subject stays text. Each query names its columns rather than returning nodes:
rows are plain values on every Bolt server (Neo4j, ArcadeDB) and cache as JSON.
Labels are the ones the sync engine's graph mapper writes. The functions return
patterns as :class:`Pattern` and the other rows as dicts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from argo_agents.planning.models import MAX_PATTERNS, STRONG_PATTERN, Pattern
from argo_agents.stores.ports import GraphPort

Rows = list[dict[str, Any]]

# Patterns of a task type at or above a success rate: best rate, then most runs.
APPLICABLE_PATTERNS = """
MATCH (p:Pattern)
WHERE p.task_type = $task_type AND p.success_rate >= $min_success_rate
RETURN p.id AS id, p.name AS name, p.task_type AS task_type, p.success_rate AS success_rate,
       p.occurrences AS occurrences, p.step_sequence AS step_sequence,
       p.failure_points AS failure_points, p.agent_types AS agent_types
ORDER BY p.success_rate DESC, p.occurrences DESC, id
LIMIT $limit
"""

# Ranked by how many key terms a knowledge item mentions; lowercasing both sides
# makes "Checkout" match "checkout" on Neo4j and ArcadeDB alike.
KNOWLEDGE_MENTIONING = """
MATCH (k:Knowledge)
WHERE any(t IN $terms WHERE toLower(coalesce(k.text, '')) CONTAINS t
                         OR toLower(coalesce(k.title, '')) CONTAINS t)
WITH k, [t IN $terms WHERE toLower(coalesce(k.text, '')) CONTAINS t
                        OR toLower(coalesce(k.title, '')) CONTAINS t] AS matched
RETURN k.id AS id, k.title AS title, k.text AS text, matched
ORDER BY size(matched) DESC, id
LIMIT $limit
"""

# Past goals about the same thing: the planner's Goal nodes keep the goal as `text`.
GOALS_MENTIONING = """
MATCH (g:Goal)
WHERE g.id <> $goal_id
  AND any(t IN $terms WHERE toLower(coalesce(g.text, '')) CONTAINS t)
WITH g, [t IN $terms WHERE toLower(coalesce(g.text, '')) CONTAINS t] AS matched
RETURN g.id AS id, g.text AS text, g.status AS status, matched
ORDER BY size(matched) DESC, id
LIMIT $limit
"""

# Step results are matched by action, or by step id because offline plans use
# the action as the step id; the given goal's own results are left out.
PREVIOUS_RESULTS = """
MATCH (r:StepResult)
WHERE (r.action = $action OR r.step_id = $action) AND coalesce(r.goal_id, '') <> $goal_id
RETURN r.id AS id, r.step_id AS step_id, r.goal_id AS goal_id, r.summary AS summary,
       r.confidence AS confidence
ORDER BY r.confidence DESC, id
LIMIT $limit
"""


# The goal's plan as the graph holds it: each step with the steps it depends on.
GOAL_STEPS = """
MATCH (g:Goal {id: $goal_id})-[:HAS_PLAN]->(p:Plan)-[:HAS_STEP]->(s:Step)
OPTIONAL MATCH (s)-[:DEPENDS_ON]->(d:Step)
RETURN s.id AS id, s.action AS action, s.status AS status, s.agent_id AS agent_id,
       p.id AS plan_id, collect(d.id) AS depends_on
ORDER BY id
LIMIT $limit
"""


def applicable_patterns(
    graph: GraphPort,
    task_type: str,
    *,
    min_success_rate: float = STRONG_PATTERN,
    limit: int = MAX_PATTERNS,
) -> list[Pattern]:
    """Patterns learned for ``task_type`` with at least ``min_success_rate``, best first."""
    params = {"task_type": task_type, "min_success_rate": min_success_rate, "limit": limit}
    return [Pattern.model_validate(row) for row in graph.query(APPLICABLE_PATTERNS, params)]


def knowledge_mentioning(graph: GraphPort, terms: Sequence[str], *, limit: int = 5) -> Rows:
    """Knowledge items whose title or text contains any of ``terms`` (lowercase), most first.

    Each row has ``id``, ``title``, ``text`` and ``matched`` (the terms it contains).
    """
    return graph.query(KNOWLEDGE_MENTIONING, {"terms": list(terms), "limit": limit})


def goals_mentioning(
    graph: GraphPort, terms: Sequence[str], *, exclude_goal_id: str, limit: int = 5
) -> Rows:
    """Other goals whose text contains any of ``terms`` (lowercase), most first.

    Each row has ``id``, ``text``, ``status`` and ``matched``.
    """
    params = {"terms": list(terms), "goal_id": exclude_goal_id, "limit": limit}
    return graph.query(GOALS_MENTIONING, params)


def previous_results(
    graph: GraphPort, action: str, *, exclude_goal_id: str, limit: int = 5
) -> Rows:
    """Results of ``action`` in other goals, most confident first.

    Each row has ``id``, ``step_id``, ``goal_id``, ``summary`` and ``confidence``.
    """
    params = {"action": action, "goal_id": exclude_goal_id, "limit": limit}
    return graph.query(PREVIOUS_RESULTS, params)


def goal_steps(graph: GraphPort, goal_id: str, *, limit: int = 50) -> Rows:
    """The steps of ``goal_id``'s plan, each with ``depends_on`` (step entity ids).

    Each row has ``id``, ``action``, ``status``, ``agent_id``, ``plan_id`` and ``depends_on``.
    """
    return graph.query(GOAL_STEPS, {"goal_id": goal_id, "limit": limit})
