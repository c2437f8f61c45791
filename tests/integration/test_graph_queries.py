"""The graph's named read queries, run against the real local graph server.

Every test writes its nodes under a fresh tag (ids, task types, terms), so it
sees exactly its own rows however many other tests share the session's graph.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from argo_agents.analytics import graph_queries
from argo_agents.config.endpoints import Endpoints
from argo_agents.planning.models import MAX_PATTERNS, STRONG_PATTERN, Pattern
from argo_agents.stores.factory import open_graph
from argo_agents.stores.ports import GraphPort
from argo_agents.stores.records import NodeRecord
from argo_agents.sync import SyncEvent
from argo_agents.sync.mappers import to_node
from argo_agents.sync.matrix import labels, spec_for

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def graph(endpoints: Endpoints) -> Iterator[GraphPort]:
    g = open_graph(endpoints)
    g.setup(labels())
    yield g
    g.close()


@pytest.fixture
def tag() -> str:
    return "gq" + uuid.uuid4().hex[:10]


def node(label: str, id_: str, **props: Any) -> NodeRecord:
    return NodeRecord(label=label, id=id_, version=1, hash=f"h-{id_}", props=props)


def test_applicable_patterns_are_strong_best_first_and_models(graph: GraphPort, tag: str) -> None:
    task_type = f"optimize_{tag}"
    seq = ["analyze_performance", "index"]
    graph.upsert_nodes(
        [
            node(
                "Pattern",
                f"{tag}-top",
                name="top",
                task_type=task_type,
                success_rate=0.95,
                occurrences=3,
                step_sequence=seq,
            ),
            # Equal rate: more runs first, then id.
            node(
                "Pattern",
                f"{tag}-b",
                name="b",
                task_type=task_type,
                success_rate=0.8,
                occurrences=9,
                step_sequence=seq,
            ),
            node(
                "Pattern",
                f"{tag}-a",
                task_type=task_type,
                success_rate=0.8,
                occurrences=2,
                step_sequence=seq,
            ),
            node(
                "Pattern",
                f"{tag}-c",
                task_type=task_type,
                success_rate=0.8,
                occurrences=2,
                step_sequence=seq,
            ),
            # Exactly at the threshold counts; just under it does not.
            node(
                "Pattern",
                f"{tag}-edge",
                task_type=task_type,
                success_rate=STRONG_PATTERN,
                occurrences=1,
                step_sequence=seq,
            ),
            node(
                "Pattern",
                f"{tag}-weak",
                task_type=task_type,
                success_rate=0.69,
                occurrences=50,
                step_sequence=seq,
            ),
            node(
                "Pattern",
                f"{tag}-other",
                task_type=f"deploy_{tag}",
                success_rate=0.99,
                occurrences=50,
                step_sequence=seq,
            ),
        ]
    )
    found = graph_queries.applicable_patterns(graph, task_type)
    assert all(isinstance(p, Pattern) for p in found)
    assert [p.id for p in found] == [f"{tag}-{s}" for s in ("top", "b", "a", "c", "edge")]
    top = found[0]
    assert (top.name, top.task_type, top.success_rate, top.occurrences, top.step_sequence) == (
        "top",
        task_type,
        0.95,
        3,
        seq,
    )
    assert found[2].name is None

    assert [p.id for p in graph_queries.applicable_patterns(graph, task_type, limit=2)] == [
        f"{tag}-top",
        f"{tag}-b",
    ]
    everything = graph_queries.applicable_patterns(graph, task_type, min_success_rate=0.0, limit=9)
    assert len(everything) == 6
    assert graph_queries.applicable_patterns(graph, f"none_{tag}") == []


def test_applicable_patterns_read_the_sync_engines_json_text(graph: GraphPort, tag: str) -> None:
    # The graph mapper keeps a list of strings as a list but writes an empty one as JSON text.
    task_type = f"optimize_{tag}"
    events = [
        SyncEvent(
            entity_type="pattern",
            entity_id=f"{tag}-{name}",
            version=1,
            data={
                "task_type": task_type,
                "name": name,
                "success_rate": rate,
                "occurrences": 4,
                "step_sequence": seq,
            },
        )
        for name, rate, seq in (
            ("listed", 0.9, ["analyze_performance", "index"]),
            ("empty", 0.8, []),
        )
    ]
    written = [to_node(e, spec_for("pattern")) for e in events]
    assert written[1].props["step_sequence"] == "[]"
    graph.upsert_nodes(written)
    found = graph_queries.applicable_patterns(graph, task_type)
    assert [(p.id, p.step_sequence) for p in found] == [
        (f"{tag}-listed", ["analyze_performance", "index"]),
        (f"{tag}-empty", []),
    ]


def test_applicable_patterns_limit_defaults_to_the_digests_five(graph: GraphPort, tag: str) -> None:
    task_type = f"optimize_{tag}"
    graph.upsert_nodes(
        [
            node(
                "Pattern",
                f"{tag}-{i}",
                task_type=task_type,
                success_rate=0.9,
                occurrences=i,
                step_sequence=["index"],
            )
            for i in range(MAX_PATTERNS + 2)
        ]
    )
    found = graph_queries.applicable_patterns(graph, task_type)
    assert [p.occurrences for p in found] == [6, 5, 4, 3, 2]


def test_knowledge_mentioning_ranks_by_terms_matched(graph: GraphPort, tag: str) -> None:
    graph.upsert_nodes(
        [
            node(
                "Knowledge",
                f"kn-{tag}-both",
                title=f"Index {tag.upper()} orders",
                text=f"checkout{tag} latency fell",
            ),
            node("Knowledge", f"kn-{tag}-one", title="Unrelated", text=f"about {tag} only"),
            node("Knowledge", f"kn-{tag}-none", title="Nothing", text="no terms here"),
        ]
    )
    rows = graph_queries.knowledge_mentioning(graph, [tag, f"checkout{tag}"])
    assert [r["id"] for r in rows] == [f"kn-{tag}-both", f"kn-{tag}-one"]
    assert sorted(rows[0]["matched"]) == sorted([tag, f"checkout{tag}"])
    assert rows[0]["title"] == f"Index {tag.upper()} orders" and rows[1]["matched"] == [tag]
    assert [r["id"] for r in graph_queries.knowledge_mentioning(graph, [tag], limit=1)] == [
        f"kn-{tag}-both"
    ]
    # A hostile term is a parameter, so it is only ever text.
    assert graph_queries.knowledge_mentioning(graph, [f"{tag}'}}) DETACH DELETE k //"]) == []
    assert len(graph_queries.knowledge_mentioning(graph, [tag])) == 2


def test_goals_mentioning_leaves_out_the_goal_itself(graph: GraphPort, tag: str) -> None:
    terms = [tag, f"{tag}-checkout"]
    graph.upsert_nodes(
        [
            node("Goal", f"goal-{tag}", text=f"Optimize the {tag}-checkout"),
            node(
                "Goal", f"goal-{tag}-old", text=f"Speed up {tag}-checkout pages", status="completed"
            ),
            node("Goal", f"goal-{tag}-half", text=f"Document {tag}"),
        ]
    )
    rows = graph_queries.goals_mentioning(graph, terms, exclude_goal_id=f"goal-{tag}")
    assert [r["id"] for r in rows] == [f"goal-{tag}-old", f"goal-{tag}-half"]
    assert rows[0]["status"] == "completed" and sorted(rows[0]["matched"]) == sorted(terms)
    assert rows[0]["text"] == f"Speed up {tag}-checkout pages" and rows[1]["matched"] == [tag]


def test_previous_results_of_an_action_in_other_goals(graph: GraphPort, tag: str) -> None:
    action = f"profile_{tag}"
    graph.upsert_nodes(
        [
            node(
                "StepResult",
                f"sr-{tag}-by-step",
                step_id=action,
                goal_id=f"goal-{tag}-a",
                summary="by step id",
                confidence=0.6,
            ),
            node(
                "StepResult",
                f"sr-{tag}-by-action",
                action=action,
                step_id="s1",
                goal_id=f"goal-{tag}-b",
                summary="by action",
                confidence=0.9,
            ),
            node(
                "StepResult",
                f"sr-{tag}-own",
                step_id=action,
                goal_id=f"goal-{tag}",
                summary="this goal's own",
                confidence=1.0,
            ),
            node("StepResult", f"sr-{tag}-no-goal", step_id=action, summary="no goal id"),
        ]
    )
    rows = graph_queries.previous_results(graph, action, exclude_goal_id=f"goal-{tag}")
    ids = [r["id"] for r in rows]
    assert set(ids) == {f"sr-{tag}-by-action", f"sr-{tag}-by-step", f"sr-{tag}-no-goal"}
    # Most confident first (where a null confidence sorts differs between servers).
    assert ids.index(f"sr-{tag}-by-action") < ids.index(f"sr-{tag}-by-step")
    first = rows[ids.index(f"sr-{tag}-by-action")]
    assert (first["step_id"], first["goal_id"], first["summary"], first["confidence"]) == (
        "s1",
        f"goal-{tag}-b",
        "by action",
        0.9,
    )
