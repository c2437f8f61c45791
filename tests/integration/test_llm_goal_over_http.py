"""A whole goal through `ChatOpenAI` over HTTP: the plan, agents calling tools, cited results.

The scripted OpenAI-compatible server (`tests/openai_stub.py`) checks every
request as the real API would; ARGO is configured only by
``ARGO_OPENAI_BASE_URL`` and ``ARGO_LLM_MODEL``.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from argo_agents.agents.llm import FALLBACK_PREFIX as AGENT_FALLBACK
from argo_agents.api import Argo
from argo_agents.bootstrap import build_services
from argo_agents.config import Settings
from argo_agents.config.endpoints import Endpoints
from argo_agents.services import Services
from argo_agents.sync.config import SyncConfig
from tests.openai_stub import OpenAIStub, Reply, Text, ToolCall, offered_tools
from tests.orchestration_support import CountingAgents

pytestmark = pytest.mark.integration

PLAN = {
    "steps": [
        {
            "id": "map_dependencies",
            "action": "map_service_dependencies",
            "category": "analysis",
            "description": "Map what the service depends on, from the graph.",
            "estimated_cost_usd": 5,
            "required_capabilities": ["performance_analysis", "profiling"],
            "dependencies": [],
        },
        {
            "id": "review_history",
            "action": "review_latency_history",
            "category": "research",
            "description": "Review what the record says about earlier attempts.",
            "estimated_cost_usd": 5,
            "required_capabilities": ["research", "literature_review"],
            "dependencies": ["map_dependencies"],
        },
    ],
    "rationale": ["map first, then review the record"],
}


def on_the_stub(
    endpoints: Endpoints, tmp_path: Path, **services_args: Any
) -> tuple[Settings, Services]:
    """Services whose model is the stub (ARGO_* set by the test), on their own outbox."""
    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    namespace = SyncConfig(namespace=f"test:{uuid.uuid4().hex[:8]}", block_ms=50)
    services = build_services(settings, endpoints=endpoints, sync_config=namespace, **services_args)
    return settings, services


def fallbacks_counted(services: Services, goal_id: str) -> list[dict[str, Any]]:
    """The goal's llm_fallback metrics in the warehouse, once the outbox is applied."""
    services.engine.drain(timeout_s=60)
    return services.stores.warehouse.query(
        "SELECT JSON_VALUE(content, '$.where') AS where_ FROM {dataset}.metrics_latest "
        "WHERE name = 'llm_fallback' AND JSON_VALUE(content, '$.goal_id') = @g",
        {"g": goal_id},
    )


def tool_records(body: dict[str, Any]) -> list[str]:
    """record_ids in the tool results the conversation holds so far."""
    ids: list[str] = []
    for m in body["messages"]:
        if m.get("role") == "tool":
            try:
                ids += [r["record_id"] for r in json.loads(m["content"]).get("records", [])]
            except (ValueError, AttributeError):
                continue
    return ids


def script(body: dict[str, Any]) -> Reply:
    """The plan; then per step one tool call, a stop, and a draft citing what came back."""
    tools = offered_tools(body)
    if tools == ["PlanDraft"]:
        return ToolCall("PlanDraft", PLAN)
    if tools == ["StepDraft"]:
        ids = tool_records(body)
        return ToolCall(
            "StepDraft",
            {
                "summary": "The tag service: what the stores hold.",
                "findings": [{"text": "the plan is in the graph", "record_ids": ids[:2]}],
                "figures": [
                    {"name": "records_seen", "value": len(ids), "unit": "count", "record_ids": ids}
                ],
                "open_questions": [],
            },
        )
    if any(m.get("role") == "tool" for m in body["messages"]):
        return Text("I have what I need.")
    if "dependency_paths" in tools:
        return ToolCall("dependency_paths", {})
    return ToolCall("working_memory", {})


def test_a_goal_runs_through_chatopenai_with_agents_calling_tools_on_the_stores(
    endpoints: Endpoints, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with OpenAIStub(script) as stub:
        monkeypatch.setenv("ARGO_OPENAI_BASE_URL", stub.base_url)
        monkeypatch.setenv("ARGO_LLM_MODEL", "local-model")
        settings, services = on_the_stub(endpoints, tmp_path)
        try:
            tag = uuid.uuid4().hex[:6]
            run = Argo(settings, services=services).submit_goal(
                f"Analyse the {tag} checkout service latency", budget_usd=100
            )
        finally:
            services.close()
    assert stub.errors == [], stub.errors
    assert run.status == "completed", run.errors
    assert run.plan is not None and run.plan.source == "llm"
    technical, research = run.results["map_dependencies"], run.results["review_history"]
    assert (technical.agent_kind, research.agent_kind) == ("technical", "research")
    for result in (technical, research):
        assert result.produced_by == "llm", result.sources
        assert result.evidence, result.open_questions
        assert [t.tool for t in result.tool_calls] in (["dependency_paths"], ["working_memory"])
        (figure,) = [f for f in result.figures if f.name == "records_seen"]
        assert figure.value == len(figure.records) > 0
    # the technical agent read this goal's plan from the graph, via the tool the model chose
    assert {c.record_id for c in technical.evidence} >= {
        f"{run.goal_id}.map_dependencies",
        f"{run.goal_id}.review_history",
    }
    assert "[neo4j " in technical.findings[0]
    # the research agent read the run's working memory in Redis: the goal, as interpreted
    assert f"goal:{run.goal_id}" in {c.record_id for c in research.evidence}
    # every agent request offered its kind's tools, and the loop ended in StepDraft
    offered = [offered_tools(b) for b in stub.requests]
    assert any("dependency_paths" in t for t in offered)
    assert any("knowledge_search" in t for t in offered)
    assert offered.count(["StepDraft"]) == 2


def broken_drafts(body: dict[str, Any]) -> Reply:
    """A good plan, then agents whose model never gives a usable draft."""
    if offered_tools(body) == ["PlanDraft"]:
        return ToolCall("PlanDraft", PLAN)
    if offered_tools(body) == ["StepDraft"]:
        return ToolCall("StepDraft", {"summary": 42})  # not a StepDraft
    return Text("I have what I need.")


@pytest.mark.parametrize("fallback", ["offline", "never"])
def test_an_agent_model_that_fails_falls_back_visibly_or_fails_the_step(
    endpoints: Endpoints, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fallback: str
) -> None:
    with OpenAIStub(broken_drafts) as stub:
        monkeypatch.setenv("ARGO_OPENAI_BASE_URL", stub.base_url)
        monkeypatch.setenv("ARGO_LLM_FALLBACK", fallback)
        settings, services = on_the_stub(endpoints, tmp_path)
        try:
            run = Argo(settings, services=services).submit_goal(
                f"Analyse the {uuid.uuid4().hex[:6]} checkout service latency", budget_usd=100
            )
            counted = fallbacks_counted(services, run.goal_id)
        finally:
            services.close()
    first = run.results["map_dependencies"]
    if fallback == "offline":  # the offline result stands, and says why
        assert run.step_status["map_dependencies"] == "done"
        assert first.produced_by == "offline"
        noted = first.sources + first.open_questions
        assert any(n.startswith(AGENT_FALLBACK) for n in noted), noted
        # counted as well: one metric per agent that fell back (both steps here)
        assert sorted(r["where_"] for r in counted) == ["agent:research", "agent:technical"]
    else:  # an error, saying how to allow the fallback
        assert run.step_status["map_dependencies"] == "failed"
        assert "ARGO_LLM_FALLBACK=offline" in run.errors["map_dependencies"]


def test_a_plan_the_model_cannot_draft_falls_back_offline_and_is_counted(
    endpoints: Endpoints, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with OpenAIStub(lambda body: ToolCall("PlanDraft", {"steps": "none"})) as stub:
        monkeypatch.setenv("ARGO_OPENAI_BASE_URL", stub.base_url)
        # the plan is under test, not the agents
        settings, services = on_the_stub(endpoints, tmp_path, build_agents=CountingAgents().build)
        try:
            run = Argo(settings, services=services).submit_goal(
                f"Analyse the {uuid.uuid4().hex[:6]} checkout service latency", budget_usd=100
            )
            counted = fallbacks_counted(services, run.goal_id)
        finally:
            services.close()
    assert run.plan is not None and run.plan.source == "offline"
    assert run.plan.repair_notes[0].startswith("LLM plan replaced by offline plan")
    assert [r["where_"] for r in counted] == ["plan"]
