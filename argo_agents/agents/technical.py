"""Technical agent context: the graph (Neo4j) — what the goal touches and what was done before.

Four reads, all parameterized: nodes within three hops of the goal (its
plan, steps, results and linked knowledge), knowledge and past goals whose text
mentions the subject's key terms, and earlier results of the same action in
other goals (those three are named queries of
:mod:`argo_agents.analytics.graph_queries`). A new goal is synced only when it
completes, so the text searches are what connect it to the graph's history.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping

from argo_agents.agents.deps import AgentDeps
from argo_agents.agents.gathering import GatheredContext, Gatherer, key_terms, plural
from argo_agents.agents.state import AgentState, step_of
from argo_agents.analytics.graph_queries import (
    Rows,
    goals_mentioning,
    knowledge_mentioning,
    previous_results,
)

STORE = "neo4j"
GOAL = "Goal"  # the label the sync engine's graph mapper gives goals


def node_title(label: str, node_id: str, props: Mapping[str, object]) -> str:
    """A readable name for a node, whichever entity type it is."""
    for key in ("title", "goal", "name", "summary", "description", "action"):
        if props.get(key):
            return str(props[key])
    return f"{label} {node_id}"


def _related(g: Gatherer, deps: AgentDeps, goal_id: str) -> list[tuple[str, str, int]]:
    graph = deps.stores.graph
    related = g.call(STORE, "related nodes", graph.related, GOAL, goal_id, max_depth=3, limit=50)
    if related is None:
        return []
    ids_by_label: dict[str, list[str]] = defaultdict(list)
    for label, node_id, _ in related:
        ids_by_label[label].append(node_id)
    props: dict[tuple[str, str], Mapping[str, object]] = {}
    for label, ids in ids_by_label.items():
        found = g.call(STORE, f"{label} nodes", graph.get_nodes, label, ids) or {}
        props.update({(label, i): p for i, p in found.items()})
    for label, node_id, distance in related:
        title = node_title(label, node_id, props.get((label, node_id), {}))
        g.add("related", node_id, title, store=STORE, detail=f"{label}, {distance} hop(s) away")
    counts = Counter(label for label, _, _ in related)
    parts = ", ".join(plural(n, label) for label, n in counts.most_common())
    g.note(f"neo4j: {plural(len(related), 'node')} related to the goal ({parts or 'none'})")
    return related


def _knowledge(g: Gatherer, deps: AgentDeps, terms: list[str]) -> Rows:
    if not terms:
        return []
    rows = g.call(STORE, "knowledge search", knowledge_mentioning, deps.stores.graph, terms)
    if rows is None:
        return []
    for row in rows:
        matched = list(row.get("matched") or [])
        score = len(matched) / len(terms)
        g.add(
            "knowledge",
            str(row["id"]),
            str(row.get("title") or row["id"]),
            store=STORE,
            score=score,
            detail="mentions " + ", ".join(matched),
        )
    g.note(f"neo4j: {plural(len(rows), 'knowledge item')} mentioning " + ", ".join(terms))
    return rows


def _past_goals(g: Gatherer, deps: AgentDeps, terms: list[str], goal_id: str) -> Rows:
    if not terms:
        return []
    rows = g.call(
        STORE, "past goals", goals_mentioning, deps.stores.graph, terms, exclude_goal_id=goal_id
    )
    if rows is None:
        return []
    for row in rows:
        matched = list(row.get("matched") or [])
        g.add(
            "past_goal",
            str(row["id"]),
            str(row.get("text") or row["id"]),
            store=STORE,
            score=len(matched) / len(terms),
            detail=f"status {row.get('status') or 'unknown'}; mentions " + ", ".join(matched),
        )
    g.note(f"neo4j: {plural(len(rows), 'past goal')} mentioning " + ", ".join(terms))
    return rows


def _previous(g: Gatherer, deps: AgentDeps, action: str, goal_id: str) -> Rows:
    rows = g.call(
        STORE,
        "previous results",
        previous_results,
        deps.stores.graph,
        action,
        exclude_goal_id=goal_id,
    )
    if rows is None:
        return []
    for row in rows:
        conf = row.get("confidence")
        g.add(
            "previous_step",
            str(row["id"]),
            str(row.get("summary") or row["id"]),
            store=STORE,
            score=None if conf is None else float(conf),
            detail=f"goal {row.get('goal_id')}",
        )
    g.note(f"neo4j: {plural(len(rows), 'earlier ' + action + ' result')} in other goals")
    return rows


def gather_technical(deps: AgentDeps, state: AgentState) -> GatheredContext:
    """Related nodes, knowledge and past goals naming the subject, earlier results."""
    g = Gatherer()
    terms = key_terms(state["subject"])
    related = _related(g, deps, state["goal_id"])
    knowledge = _knowledge(g, deps, terms)
    past_goals = _past_goals(g, deps, terms, state["goal_id"])
    previous = _previous(g, deps, step_of(state).action, state["goal_id"])
    return {
        **g.context("technical"),
        "terms": terms,
        "related": [{"label": lb, "id": i, "distance": d} for lb, i, d in related],
        "knowledge": knowledge,
        "past_goals": past_goals,
        "previous": previous,
    }
