"""Per-run model and agent choices (`Context.model`, `Context.agents`): one deployment
serves an offline and an LLM assistant, and a run may be limited to some agent kinds."""

from __future__ import annotations

import dataclasses
import uuid
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage

from argo_agents.api import Argo
from argo_agents.orchestrator.context import Context
from argo_agents.orchestrator.errors import InvalidContextError
from argo_agents.orchestrator.outcome import step_entity_id
from tests.fakes import ToolCallingFake
from tests.integration.test_llm_goal_over_http import on_the_stub, script
from tests.openai_stub import OpenAIStub
from tests.orchestration_support import CountingAgents, make_services

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def services(endpoints, tmp_path_factory):
    svc = make_services(endpoints, tmp_path_factory.mktemp("choices"))
    yield svc
    svc.close()


def goal() -> str:
    return f"Analyse the {uuid.uuid4().hex[:6]} checkout service latency"


def step(sid: str, caps: list[str], deps: list[str] | None = None) -> dict[str, Any]:
    return {
        "id": sid,
        "action": sid,
        "description": f"{sid} for the checkout service",
        "category": "analysis",
        "required_capabilities": caps,
        "dependencies": deps or [],
        "estimated_duration_s": 60,
        "estimated_cost_usd": 5,
    }


def scripted(steps: list[dict[str, Any]]) -> ToolCallingFake:
    call = {"name": "PlanDraft", "args": {"steps": steps, "rationale": []}, "id": "1"}
    return ToolCallingFake(messages=iter([AIMessage(content="", tool_calls=[call])]))


def test_an_offline_run_and_a_model_run_share_one_deployment(services):
    model = scripted([step("profile_queries", ["profiling"])])
    model.seen = []  # this test's prompts only
    deployment = CountingAgents().attach(dataclasses.replace(services, model=model))

    offline = Argo(services=deployment, context=Context(model="offline")).submit_goal(goal())
    assert offline.plan is not None and offline.plan.source == "offline"
    assert model.seen == []  # the deployment's model was never asked

    with_model = Argo(services=deployment).submit_goal(goal())
    assert with_model.plan is not None and with_model.plan.source == "llm"
    assert with_model.plan.step_ids() == ["profile_queries"]
    assert len(model.seen) == 1


def test_a_model_named_by_the_run_is_what_the_endpoint_is_asked_for(
    endpoints, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    with OpenAIStub(script) as stub:
        monkeypatch.setenv("ARGO_OPENAI_BASE_URL", stub.base_url)
        monkeypatch.setenv("ARGO_LLM_MODEL", "small-model")
        settings, deployment = on_the_stub(endpoints, tmp_path)
        try:
            big = Argo(settings, services=deployment, context=Context(model="big-model"))
            run = big.submit_goal(goal(), budget_usd=100)
            asked_big = [b["model"] for b in stub.requests]
            offline = Argo(settings, services=deployment, context=Context(model="offline"))
            quiet = offline.submit_goal(goal(), budget_usd=100)
        finally:
            deployment.close()
    assert stub.errors == [], stub.errors
    assert run.status == "completed", run.errors
    assert run.plan is not None and run.plan.source == "llm"
    assert {r.produced_by for r in run.results.values()} == {"llm"}
    # the plan and every agent call went to the run's model, none to the deployment's
    assert len(asked_big) > 2 and set(asked_big) == {"big-model"}
    # the offline run on the same deployment asked the endpoint nothing
    assert len(stub.requests) == len(asked_big)
    assert quiet.status == "completed" and quiet.plan is not None
    assert quiet.plan.source == "offline"
    assert {r.produced_by for r in quiet.results.values()} == {"offline"}


def test_a_model_name_without_an_endpoint_is_refused_before_anything_runs(services):
    argo = Argo(services=services, context=Context(model="gpt-4o"))
    with pytest.raises(InvalidContextError, match="no OpenAI-compatible endpoint"):
        argo.submit_goal(goal())


def test_only_allowed_agent_kinds_are_assigned_and_a_step_none_can_take_fails(services):
    plan = [
        step("review_literature", ["literature_review"]),
        step("profile_service", ["profiling"]),
        step("tune_queries", ["data_analysis"], deps=["profile_service"]),
    ]
    agents = CountingAgents()
    deployment = agents.attach(dataclasses.replace(services, model=scripted(plan)))
    run = Argo(services=deployment, context=Context(agents=["research"])).submit_goal(goal())

    assert {a.agent_kind for a in run.assignments.values()} == {"research"}
    assert run.step_status == {
        "review_literature": "done",
        "profile_service": "failed",
        "tune_queries": "skipped",
    }
    assert "no agent of the kinds this run allows (research)" in run.errors["profile_service"]
    assert "profiling" in run.errors["profile_service"]
    assert run.status == "failed"
    assert sum(agents.calls.values()) == 1  # only the research step ran
    # recorded in the stores like any failure: the step's record says why
    services.engine.drain(timeout_s=60)
    rows = services.stores.graph.query(
        "MATCH (s:Step {id: $id}) RETURN s.status AS status, s.error AS error",
        {"id": step_entity_id(run.goal_id, "profile_service")},
    )
    assert [r["status"] for r in rows] == ["failed"]
    assert "no agent of the kinds this run allows" in rows[0]["error"]


@pytest.mark.parametrize(
    "bad",
    [{"model": ""}, {"model": " padded"}, {"model": 7}, {"agents": []}, {"agents": ["wizard"]}],
)
def test_unusable_run_choices_are_refused_with_a_typed_error(bad):
    with pytest.raises(InvalidContextError):
        Context(**bad)


def test_a_gated_step_no_allowed_agent_can_take_is_not_put_to_the_director(services):
    # Asking the Director to approve a deployment that no agent of this run may do would
    # cost a click and then fail anyway: the step fails at assignment, unasked.
    deploy = step("ship_release", ["deployment"]) | {
        "description": "Deploy the checkout service to production",
        "category": "production_deployment",
    }
    plan = [step("review_literature", ["literature_review"]), deploy]
    deployment = dataclasses.replace(services, model=scripted(plan))
    run = Argo(services=deployment, context=Context(agents=["research"])).submit_goal(goal())

    assert run.status == "failed"  # it ran to the end: no approval pause
    assert run.pending_approvals == []
    assert run.step_status == {"review_literature": "done", "ship_release": "failed"}
    assert "no agent of the kinds this run allows (research)" in run.errors["ship_release"]


def test_a_run_keeps_its_model_when_another_caller_resumes_it(services):
    # The Director approves from another process (`argo approve`, the bridge, Studio),
    # whose context names no model: the run goes on with the one it was submitted with.
    model = scripted([step("profile_queries", ["profiling"])])
    model.seen = []
    deployment = dataclasses.replace(services, model=model)
    offline = Argo(services=deployment, context=Context(model="offline"))
    paused = offline.submit_goal(
        f"Deploy the {uuid.uuid4().hex[:6]} checkout service to production", budget_usd=5000
    )
    assert paused.status == "awaiting_approval"
    decisions = {p.step_id: "approve" for p in paused.pending_approvals}

    run = Argo(services=deployment).resume(paused.thread_id, decisions)

    assert run.status == "completed", run.errors
    assert run.results and {r.produced_by for r in run.results.values()} == {"offline"}
    assert model.seen == []  # the deployment's model was never asked, before or after
