"""Each agent finds and cites its own store's context, on the real local servers.

Every test seeds data under a fresh tag (ids, subject words, task types) so it
finds its own rows however many other tests share the session's stack.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from argo_agents.agents import AgentDeps, build_agent_graph
from argo_agents.agents.creative import gather_creative
from argo_agents.agents.research import gather_research, patterns_cache_key
from argo_agents.agents.technical import gather_technical
from argo_agents.config.endpoints import Endpoints
from argo_agents.local_stack.stack import free_port
from argo_agents.stores.embeddings import HashingEmbedder
from argo_agents.stores.factory import Stores, open_graph, open_stores
from argo_agents.stores.records import EdgeRecord, NodeRecord, VectorRecord, WarehouseRow
from argo_agents.sync.matrix import labels

pytestmark = pytest.mark.integration

EMBEDDER = HashingEmbedder()


@pytest.fixture(scope="module")
def stores(endpoints: Endpoints) -> Iterator[Stores]:
    opened = open_stores(endpoints)
    opened.graph.setup(labels())
    opened.warehouse.setup()
    yield opened
    opened.close()


@pytest.fixture
def tag() -> str:
    return "zt" + uuid.uuid4().hex[:10]


def agent_input(
    tag: str,
    action: str,
    *,
    intent: str = "optimize",
    category: str = "analysis",
    upstream: dict[str, Any] | None = None,
) -> dict[str, Any]:
    subject = f"the {tag} checkout query latency"
    return {
        "goal": f"Optimize {subject} by 40%",
        "goal_id": f"goal-{tag}",
        "intent": intent,
        "subject": subject,
        "agent_id": "agent-1",
        "upstream": upstream or {},
        "step": {
            "id": action,
            "action": action,
            "category": category,
            "description": f"Profile {subject} and record baseline metrics",
        },
    }


def tools_for(stores: Stores, model: Any = None) -> AgentDeps:
    return AgentDeps(stores=stores, embedder=EMBEDDER, model=model)


def node(label: str, id_: str, **props: Any) -> NodeRecord:
    return NodeRecord(label=label, id=id_, version=1, hash=f"h-{id_}", props=props)


def test_technical_agent_cites_related_nodes_knowledge_and_earlier_results(
    stores: Stores, tag: str
) -> None:
    goal_id = f"goal-{tag}"
    stores.graph.upsert_nodes(
        [
            node("Goal", goal_id, text=f"Optimize the {tag} checkout query latency"),
            node(
                "Goal", f"goal-old-{tag}", text=f"Speed up {tag} checkout pages", status="completed"
            ),
            node(
                "Knowledge",
                f"kn-{tag}-near",
                title=f"Checkout DB map {tag}",
                text="orders and carts tables behind checkout",
            ),
            node(
                "Knowledge",
                f"kn-{tag}-text",
                title=f"Index orders for {tag}",
                text=f"The {tag} checkout query latency fell 30% after indexing orders",
            ),
            node(
                "StepResult",
                f"sr-{tag}",
                step_id="analyze_performance",
                goal_id=f"goal-old-{tag}",
                summary=f"Earlier profile of {tag}: p95 880 ms",
                confidence=0.72,
            ),
        ]
    )
    stores.graph.upsert_edges(
        [EdgeRecord("RELATES_TO", "Goal", goal_id, "Knowledge", f"kn-{tag}-near")]
    )
    ctx = gather_technical(tools_for(stores), agent_input(tag, "analyze_performance"))  # type: ignore[arg-type]
    by_type = {(e["type"], e["id"]) for e in ctx["evidence"]}
    assert ("related", f"kn-{tag}-near") in by_type
    assert ("knowledge", f"kn-{tag}-text") in by_type
    assert ("previous_step", f"sr-{tag}") in by_type
    assert ("past_goal", f"goal-old-{tag}") in by_type and ("past_goal", goal_id) not in by_type
    assert any(
        s.startswith("neo4j: 1 node related to the goal (1 Knowledge)") for s in ctx["sources"]
    )

    graph = build_agent_graph("technical", lambda: tools_for(stores)).compile()
    out = asyncio.run(graph.ainvoke(agent_input(tag, "analyze_performance")))
    result = out["result"]
    assert set(out) == {"result"} and result["produced_by"] == "offline"
    text = "\n".join(result["findings"])
    assert f"knowledge 'Index orders for {tag}' (neo4j, match" in text
    assert f"Checkout DB map {tag} (Knowledge, 1 hop(s) away)" in text
    assert f"earlier result 'Earlier profile of {tag}: p95 880 ms' (neo4j, confidence 0.72)" in text
    assert f"past goal 'Speed up {tag} checkout pages' (neo4j, match 0.50): status" in text


def test_technical_knowledge_search_treats_hostile_subjects_as_text(stores: Stores) -> None:
    hostile = "x'}) DETACH DELETE n // checkout"
    inp = agent_input("hostile", "analyze_performance")
    inp["subject"] = hostile
    before = stores.graph.query("MATCH (n) RETURN count(n) AS n")[0]["n"]
    ctx = gather_technical(tools_for(stores), inp)  # type: ignore[arg-type]
    assert not any(s.startswith("no context") for s in ctx["sources"])
    assert stores.graph.query("MATCH (n) RETURN count(n) AS n")[0]["n"] >= before


def test_research_agent_uses_cached_patterns_and_warehouse_history(
    stores: Stores, tag: str
) -> None:
    task_type, action = f"optimize_{tag}", f"review_{tag}"
    stores.graph.upsert_nodes(
        [
            node(
                "Pattern",
                f"pat-{tag}-a",
                name=f"index-first {tag}",
                task_type=task_type,
                success_rate=0.9,
                occurrences=7,
                step_sequence=["analyze_performance", "index"],
            ),
            node(
                "Pattern",
                f"pat-{tag}-b",
                name="cache-first",
                task_type=task_type,
                success_rate=0.75,
                occurrences=20,
                step_sequence=["analyze_performance", "cache"],
            ),
            node(
                "Pattern",
                f"pat-{tag}-weak",
                name="weak",
                task_type=task_type,
                success_rate=0.4,
                occurrences=50,
                step_sequence=["guess"],
            ),
        ]
    )
    now = datetime.now(UTC)
    stores.warehouse.insert_rows(
        [
            WarehouseRow(
                "agent_activities",
                f"act-{tag}-{i}|1",
                {
                    "id": f"act-{tag}-{i}",
                    "version": 1,
                    "timestamp": now - timedelta(hours=i),
                    "agent_id": f"research-{i % 2}",
                    "task_id": f"task-{tag}-{i}",
                    "activity_type": action,
                    "success": i != 2,
                    "duration_s": 100.0 * (i + 1),
                    "content": {"task_type": task_type},
                },
            )
            for i in range(4)
        ]
    )
    inp = agent_input(tag, action, intent=task_type, category="research")
    ctx = gather_research(tools_for(stores), inp)  # type: ignore[arg-type]
    assert [p["id"] for p in ctx["patterns"]] == [f"pat-{tag}-a", f"pat-{tag}-b"]
    assert ctx["patterns"][0]["step_sequence"] == ["analyze_performance", "index"]
    assert ctx["history"]["runs"] == 4 and ctx["history"]["successes"] == 3
    assert ctx["history"]["mean_duration_s"] == 250.0
    assert any("2 applicable patterns" in s and "via neo4j" in s for s in ctx["sources"])
    assert any("bigquery: 4 past activities" in s for s in ctx["sources"])

    # Cached for 30 minutes: a second look comes from Redis, even after the graph changes.
    assert stores.cache.get_many([patterns_cache_key(task_type)])
    stores.graph.delete_nodes("Pattern", [f"pat-{tag}-a"])
    again = gather_research(tools_for(stores), inp)  # type: ignore[arg-type]
    assert len(again["patterns"]) == 2 and any("via redis cache" in s for s in again["sources"])

    graph = build_agent_graph("research", lambda: tools_for(stores)).compile()
    result = asyncio.run(graph.ainvoke(inp))["result"]
    text = "\n".join(result["findings"])
    assert f"'index-first {tag}' for {task_type} tasks: 90% success over 7 runs" in text
    assert f"4 past {action}/{task_type} activities, 75% succeeded, mean 250.0 s" in text


def test_creative_agent_finds_similar_cases_in_the_vector_store(stores: Stores, tag: str) -> None:
    docs = {
        f"kn-{tag}-cache": (
            "knowledge",
            f"Cache the {tag} checkout query results in Redis to cut query latency",
            {"title": f"Cache {tag}"},
        ),
        f"sr-{tag}-old": (
            "step_result",
            f"Profiled the {tag} checkout query latency: baseline p95 900 ms",
            {"summary": f"Old profile {tag}", "goal_id": f"goal-old-{tag}"},
        ),
        f"sr-{tag}-self": (
            "step_result",
            f"Profile the {tag} checkout query latency",
            {"summary": "this goal's own result", "goal_id": f"goal-{tag}"},
        ),
    }
    stores.vectors.upsert(
        [
            VectorRecord(
                collection=coll,
                id=i,
                version=1,
                hash=f"h-{i}",
                document=doc,
                embedding=EMBEDDER.embed_query(doc),
                metadata=meta,
            )
            for i, (coll, doc, meta) in docs.items()
        ]
    )
    inp = agent_input(tag, "generate_solutions", category="design")
    ctx = gather_creative(tools_for(stores), inp)  # type: ignore[arg-type]
    ids = [c["id"] for c in ctx["cases"]]
    assert f"kn-{tag}-cache" in ids and f"sr-{tag}-old" in ids
    assert f"sr-{tag}-self" not in ids  # this goal's own results are upstream, not "similar"
    assert any(
        s.startswith("vector: ") and "similar case" in s and "(best 0." in s for s in ctx["sources"]
    )

    graph = build_agent_graph("creative", lambda: tools_for(stores)).compile()
    result = asyncio.run(graph.ainvoke(inp))["result"]
    text = "\n".join(result["findings"])
    assert f"adapt similar case 'Cache {tag}' (vector, similarity" in text
    assert result["artefacts"][0]["name"] == "solution_options"


def test_a_store_that_is_down_degrades_to_no_context(
    stores: Stores, endpoints: Endpoints, tag: str
) -> None:
    dead = open_graph(endpoints.with_(neo4j_uri=f"bolt://127.0.0.1:{free_port()}", timeout_s=1.0))
    broken = dataclasses.replace(stores, graph=dead)
    try:
        graph = build_agent_graph("technical", lambda: tools_for(broken)).compile()
        result = asyncio.run(graph.ainvoke(agent_input(tag, "analyze_performance")))["result"]
    finally:
        dead.close()
    down = [s for s in result["sources"] if s.startswith("no context from neo4j")]
    assert len(down) == 1 and "127.0.0.1" in down[0]  # one timeout, not one per query
    assert f"the {tag} checkout query latency" in result["summary"]
