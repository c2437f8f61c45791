"""Agents that work from data: offline goal runs whose results cite real store records.

Every test works under a fresh tag (subject words, actions), so it finds its own
records however many other tests share the session's stack.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from argo_agents.agents import AgentDeps, build_agent_graph
from argo_agents.agents.models import StepResult
from argo_agents.agents.tools import RunScope, tools_for
from argo_agents.api import Argo
from argo_agents.bootstrap import Services
from argo_agents.config.endpoints import Endpoints
from tests.orchestration_support import make_services

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def services(endpoints: Endpoints, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    opened = make_services(endpoints, tmp_path_factory.mktemp("agents-tools"))
    yield opened
    opened.close()


@pytest.fixture
def tag() -> str:
    return "zq" + uuid.uuid4().hex[:8]


def exists(services: Services, store: str, record_id: str, query: str) -> bool:
    """True when the cited record is really in the store it names."""
    s = services.stores
    if store == "bigquery":
        rows = s.warehouse.query(
            "SELECT id FROM {dataset}.agent_activities_latest WHERE id = @id", {"id": record_id}
        )
        return bool(rows)
    if store == "neo4j":
        rows = s.graph.query("MATCH (n {id: $id}) RETURN n.id AS id", {"id": record_id})
        return bool(rows)
    if store == "redis":
        return bool(s.cache.get_many([record_id]))
    collections = ("knowledge", "step_result", "goal", "chunk")
    return any(s.vectors.versions(c, [record_id]) for c in collections)


def test_goal_runs_cite_real_records_and_research_takes_the_research_step(
    services: Services, tag: str
) -> None:
    argo = Argo(services.settings, services=services)
    goal = f"Optimize the {tag} checkout query latency by 40%"
    first = argo.submit_goal(goal, budget_usd=500, director="ana")
    # the goal's node exists from interpretation: the first step already reads its plan
    profile = first.results["analyze_performance"]
    plan_steps = [c for c in profile.evidence if c.query == "goal_steps"]
    assert f"{first.goal_id}.identify_bottlenecks" in {c.record_id for c in plan_steps}
    assert first.results["identify_bottlenecks"].agent_kind == "research"

    second = argo.submit_goal(goal, budget_usd=500, director="ana")
    cited = 0
    for sid, result in second.results.items():
        assert isinstance(result, StepResult), sid
        for c in result.evidence:
            assert exists(services, c.store, c.record_id, c.query), (sid, c)
            cited += 1
        assert result.tool_calls and all(t.seconds >= 0 for t in result.tool_calls)
    assert cited > 0
    # the second run sees the first run's record of the same steps in the warehouse
    history = second.results["identify_bottlenecks"]
    figures = {f.name: f for f in history.figures}
    assert figures["past_runs"].value >= 1
    assert set(figures["past_runs"].records) <= {c.record_id for c in history.evidence}
    # the creative agent finds the first run's goal as a similar past goal, with its outcome
    ideas = second.results["generate_solutions"]
    assert first.goal_id in {c.record_id for c in ideas.evidence}


def agent_input(tag: str, action: str, subject: str | None = None) -> dict[str, Any]:
    subject = subject or f"the {tag} qwxv pipeline"
    return {
        "goal": f"Optimize {subject}",
        "goal_id": f"goal-{tag}",
        "intent": "optimize",
        "subject": subject,
        "agent_id": "technical-1",
        "upstream": {},
        "step": {"id": action, "action": action, "category": "analysis", "description": "x"},
        "run": {"run_id": f"run-{tag}", "max_tool_calls": 8},
    }


def test_a_step_with_no_evidence_says_so(services: Services, tag: str) -> None:
    deps = AgentDeps(stores=services.stores, embedder=services.embedder)
    graph = build_agent_graph("technical", lambda: deps).compile()
    # a subject of its own: this module's other tests write knowledge about theirs
    subject = f"the {uuid.uuid4().hex[:10]} zzkq"
    out = asyncio.run(graph.ainvoke(agent_input(tag, f"{tag}_unheard_of_action", subject)))
    result = StepResult.model_validate(out["result"])
    assert result.evidence == [] and result.figures == []
    assert result.confidence == 0.1
    assert result.open_questions[0].startswith(f"No stored record bears on {tag}_unheard_of")
    assert "no stored evidence found" in result.summary


def test_the_same_read_twice_in_a_run_comes_from_the_run_cache(
    services: Services, tag: str
) -> None:
    deps = AgentDeps(stores=services.stores, embedder=services.embedder)
    scope = RunScope(
        run_id=f"run-{tag}", goal_id=f"goal-{tag}", intent="optimize", subject=tag,
        step_id="s", action="analyze_performance",
    )  # fmt: skip
    (tool,) = [t for t in tools_for("technical", deps, scope) if t.name == "step_history"]
    call = {"type": "tool_call", "name": tool.name, "args": {"action": "x"}, "id": "1"}
    first, again = tool.invoke(call).artifact, tool.invoke(call).artifact
    assert (first["cached"], again["cached"]) == (False, True)
    assert again["records"] == first["records"]
    other_run = RunScope(**{**scope.__dict__, "run_id": f"run-{tag}-2"})
    (fresh,) = [t for t in tools_for("technical", deps, other_run) if t.name == "step_history"]
    assert fresh.invoke(call).artifact["cached"] is False
