"""Escalation to the Director on the real stack: an agent that cannot proceed pauses the run
with a typed question; the Director's answer is checked, recorded, and reaches the agent."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage
from langgraph.types import Command

from argo_agents.api import Argo
from argo_agents.approval.escalation import InvalidEscalationAnswerError
from argo_agents.executors import ExecutorRegistry, parse_config
from argo_agents.orchestrator.checkpoints import open_checkpointer
from argo_agents.orchestrator.context import Context
from argo_agents.orchestrator.errors import NotAwaitingApprovalError
from argo_agents.run_events import EscalationRequested, RunEnded, StepFinished
from tests.fakes import ToolCallingFake
from tests.orchestration_support import CountingAgents, make_services

pytestmark = pytest.mark.integration

GRANT_ENV = "ARGO_TEST_ESCALATION_GRANT"


def guarded_deploy(**arguments: Any) -> dict[str, Any]:
    """An executor target that is refused until the grant file exists (access granted)."""
    if not Path(os.environ[GRANT_ENV]).exists():
        raise PermissionError("403 Forbidden: the deploy token lacks the 'deploy' scope")
    return {"deployed": True, "approval_id": arguments.get("approval_id")}


@pytest.fixture(scope="module")
def services(endpoints, tmp_path_factory):
    svc = make_services(endpoints, tmp_path_factory.mktemp("escalation"))
    yield svc
    svc.close()


def step(sid: str, cost: float, deps: list[str] | None = None) -> dict[str, Any]:
    return {
        "id": sid,
        "action": sid,
        "description": f"{sid.replace('_', ' ')} of the billing reports",
        "category": "analysis",
        "required_capabilities": ["data_analysis"],
        "dependencies": deps or [],
        "estimated_duration_s": 60,
        "estimated_cost_usd": cost,
    }


# a: $10, b: $60 after a, c: $10 after b; with a $50 remit only b is above it
CHAIN = [step("gather_figures", 10), step("model_costs", 60, ["gather_figures"]),
         step("write_summary", 10, ["model_costs"])]  # fmt: skip


def argo_with(services, *, plan=CHAIN, remit: float = 50.0, **replace: Any):
    agents = CountingAgents()
    call = {"name": "PlanDraft", "args": {"steps": plan, "rationale": []}, "id": "1"}
    model = ToolCallingFake(messages=iter([AIMessage(content="", tool_calls=[call])]))
    svc = dataclasses.replace(services, model=model, build_agents=agents.build, **replace)
    argo = Argo(svc.settings, services=svc, context=Context(agent_remit_usd=remit))
    return argo, agents


def test_a_step_above_the_remit_pauses_and_runs_with_the_answer(services):
    argo, agents = argo_with(services)
    run = argo.submit_goal("Model the costs of the billing reports", director="ana")

    assert run.status == "awaiting_director"
    [esc] = run.pending_escalations
    assert (esc.step_id, esc.reason) == ("model_costs", "risk_above_remit")
    assert [o.id for o in esc.options] == ["proceed", "skip"]
    assert "estimated_cost_usd=60.0" in esc.evidence and "$50.00" in esc.question
    assert run.step_status["gather_figures"] == "done"
    assert run.step_status["model_costs"] == "awaiting_director"
    assert run.step_status.get("write_summary", "pending") == "pending"
    assert agents.inputs["model_costs"] == [] and agents.inputs["write_summary"] == []
    assert run.thread_id in {r.thread_id for r in argo.list_runs(status="awaiting_director")}

    run = argo.answer(run.thread_id, esc.id, "proceed", note="budget confirmed", director="ana")

    assert run.status == "completed"
    assert run.step_status["model_costs"] == "done" and run.step_status["write_summary"] == "done"
    [given] = agents.inputs["model_costs"]
    [answer] = given["director_answers"]
    assert (answer["escalation_id"], answer["option"], answer["note"], answer["by"]) == (
        esc.id, "proceed", "budget confirmed", "ana")  # fmt: skip
    result = run.results["model_costs"]
    assert any(esc.id in f and "proceed" in f for f in result.findings)
    assert any(c.record_id == answer["response_id"] for c in result.evidence)
    recorded = run.escalations[esc.id]
    assert recorded.answer is not None and recorded.answer.option == "proceed"


def test_the_question_and_its_answer_are_recorded_in_the_warehouse(services):
    argo, _ = argo_with(services)
    run = argo.submit_goal("Model the costs of the billing reports")
    [esc] = run.pending_escalations
    run = argo.answer(run.thread_id, esc.id, "proceed")
    services.engine.drain(timeout_s=60)
    rows = services.stores.warehouse.query(
        "SELECT JSON_VALUE(content, '$.message_kind') AS kind, "
        "JSON_VALUE(content, '$.reply_to') AS reply_to FROM {dataset}.events_latest "
        "WHERE event_type = 'agent_message' AND JSON_VALUE(content, '$.run_id') = @r "
        "ORDER BY kind",
        {"r": run.run_id},
    )
    assert rows == [{"kind": "ESCALATION", "reply_to": None},
                    {"kind": "RESPONSE", "reply_to": esc.message_id}]  # fmt: skip


def test_an_unknown_option_is_refused_and_the_run_stays_paused(services):
    argo, agents = argo_with(services)
    run = argo.submit_goal("Model the costs of the billing reports")
    [esc] = run.pending_escalations
    with pytest.raises(InvalidEscalationAnswerError, match="unknown option 'maybe'"):
        argo.answer(run.thread_id, esc.id, "maybe")
    with pytest.raises(InvalidEscalationAnswerError, match="unknown escalation ids"):
        argo.answer(run.thread_id, "esc-000000000000", "proceed")
    with pytest.raises(NotAwaitingApprovalError, match="escalation"):
        argo.resume(run.thread_id, {"model_costs": "approve"})
    assert argo.get_run(run.thread_id).status == "awaiting_director"
    assert agents.inputs["model_costs"] == []


def test_the_gate_refuses_a_bad_answer_sent_around_the_api_and_asks_again(services):
    argo, agents = argo_with(services)
    run = argo.submit_goal("Model the costs of the billing reports")
    [esc] = run.pending_escalations
    # what a Studio or SDK client could send: it reaches the gate unchecked by the API
    bad = Command(resume={"escalations": {esc.id: "maybe"}})
    after = asyncio.run(argo._run(run.thread_id, bad, None))  # noqa: SLF001 (the raw path)
    assert after.status == "awaiting_director"
    assert "unknown option 'maybe'" in after.errors["escalation"]
    assert [e.id for e in after.pending_escalations] == [esc.id]
    assert agents.inputs["model_costs"] == []
    done = argo.answer(run.thread_id, esc.id, "proceed")
    assert done.status == "completed" and "escalation" not in done.errors


def test_skip_ends_the_step_skipped_with_its_dependents(services):
    argo, agents = argo_with(services)
    run = argo.submit_goal("Model the costs of the billing reports")
    [esc] = run.pending_escalations
    run = argo.answer(run.thread_id, esc.id, "skip", note="not this quarter")

    assert run.step_status == {"gather_figures": "done", "model_costs": "skipped",
                               "write_summary": "skipped"}  # fmt: skip
    assert "skipped by the Director" in run.errors["model_costs"]
    assert "not this quarter" in run.errors["model_costs"]
    assert "model_costs" in run.errors["write_summary"]
    assert agents.inputs["model_costs"] == [] and agents.inputs["write_summary"] == []
    assert "model_costs" not in run.results
    assert run.integration is not None
    assert set(run.integration["steps_skipped"]) == {"model_costs", "write_summary"}


def test_the_stream_emits_the_escalation_and_no_finished_step_for_it(services):
    argo, _ = argo_with(services)
    events = list(argo.stream_goal("Model the costs of the billing reports"))
    asked = [e for e in events if isinstance(e, EscalationRequested)]
    assert len(asked) == 1 and asked[0].escalations[0].reason == "risk_above_remit"
    assert asked[0].model_dump(mode="json")["escalations"][0]["options"][0]["id"] == "proceed"
    finished = {e.step_id for e in events if isinstance(e, StepFinished)}
    assert finished == {"gather_figures"}
    assert isinstance(events[-1], RunEnded) and events[-1].run.status == "awaiting_director"
    thread = events[-1].run.thread_id
    resumed = list(argo.stream_answer(thread, asked[0].escalations[0].id, "proceed"))
    assert isinstance(resumed[-1], RunEnded) and resumed[-1].run.status == "completed"


def guarded_argo(services, grant: Path, monkeypatch) -> Argo:
    """A deployment run whose executor is refused until ``grant`` exists, past its approval."""
    monkeypatch.setenv(GRANT_ENV, str(grant))
    target = f"{__name__}:guarded_deploy"
    routes = [{"category": "production_deployment", "python": target}]
    registry = ExecutorRegistry.from_config(parse_config({}, routes))
    agents = CountingAgents()
    svc = dataclasses.replace(services, executors=registry, build_agents=agents.build)
    return Argo(svc.settings, services=svc)


def deploy_paused_on_access(argo: Argo):
    run = argo.submit_goal("Deploy the payments API to production", budget_usd=1000)
    return argo.resume(run.thread_id, {p.step_id: "approve" for p in run.pending_approvals})


def test_an_executor_refused_access_escalates_and_retries_once_granted(
    services, tmp_path, monkeypatch
):
    grant = tmp_path / "granted"
    argo = guarded_argo(services, grant, monkeypatch)
    run = deploy_paused_on_access(argo)

    assert run.status == "awaiting_director"
    [esc] = run.pending_escalations
    assert (esc.step_id, esc.reason) == ("deploy_to_production", "missing_access")
    assert any("403 Forbidden" in e for e in esc.evidence)
    assert [o.id for o in esc.options] == ["retry", "skip"]
    assert run.step_status["deploy_to_production"] == "awaiting_director"
    assert "deploy_to_production" not in run.executions

    grant.touch()  # the Director grants the scope, then answers
    run = argo.answer(run.thread_id, esc.id, "retry", note="scope granted")
    assert run.status == "completed"
    assert run.step_status["deploy_to_production"] == "done"
    assert run.executions["deploy_to_production"].result["deployed"] is True
    assert any(esc.id in f for f in run.results["deploy_to_production"].findings)


def test_an_llm_agent_escalates_through_its_tool_and_gets_the_answer(services):
    research = {**step("review_reports", 10), "required_capabilities": ["research"]}
    plan = {"name": "PlanDraft", "args": {"steps": [research], "rationale": []}, "id": "p"}
    escalate = {"name": "escalate_to_director", "id": "e", "args": {
        "reason": "conflicting_evidence",
        "question": "The two billing reports disagree on Q3 revenue. Which one is right?",
        "options": [{"id": "ledger", "description": "Trust the ledger export"},
                    {"id": "dashboard", "description": "Trust the finance dashboard"}],
        "evidence": ["ledger says 1.2M", "dashboard says 1.4M"]}}  # fmt: skip
    draft = {"name": "StepDraft", "id": "d", "args": {
        "summary": "Q3 revenue taken from the ledger export, as the Director chose.",
        "findings": [], "figures": [], "open_questions": []}}  # fmt: skip
    script = [
        AIMessage(content="", tool_calls=[plan]),
        AIMessage(content="", tool_calls=[escalate]),
        AIMessage(content="ready"),
        AIMessage(content="", tool_calls=[draft]),
    ]
    model = ToolCallingFake(messages=iter(script))
    model.seen.clear()
    argo = Argo(services.settings, services=dataclasses.replace(services, model=model))

    run = argo.submit_goal("Review the billing reports for Q3 revenue", director="ana")
    assert run.status == "awaiting_director"
    [esc] = run.pending_escalations
    assert (esc.reason, esc.step_id, esc.agent_id.split("-")[0]) == (
        "conflicting_evidence", "review_reports", "research")  # fmt: skip
    assert [o.id for o in esc.options] == ["ledger", "dashboard", "skip"]
    assert esc.evidence == ["ledger says 1.2M", "dashboard says 1.4M"]

    run = argo.answer(run.thread_id, esc.id, "ledger", note="the ledger is audited")
    assert run.status == "completed" and run.step_status["review_reports"] == "done"
    rerun_prompt = [str(m.content) for m in model.seen[-2]]
    assert any(esc.id in c and "ledger" in c and "audited" in c for c in rerun_prompt)
    result = run.results["review_reports"]
    assert result.produced_by == "llm"
    assert any(esc.id in f and "Trust the ledger export" in f for f in result.findings)


def test_studio_sees_a_typed_json_interrupt_with_a_response_schema(services):
    argo, _ = argo_with(services)
    run = argo.submit_goal("Model the costs of the billing reports")

    async def raw_interrupt() -> Any:
        async with open_checkpointer(argo.settings) as saver:
            graph = argo._builder.compile(checkpointer=saver)  # noqa: SLF001 (what Studio reads)
            state = await graph.aget_state({"configurable": {"thread_id": run.thread_id}})
        return state.interrupts[0].value

    value = json.loads(json.dumps(asyncio.run(raw_interrupt())))  # plain JSON, as served
    assert value["approvals"] == [] and value["run_id"] == run.run_id
    [esc] = value["escalations"]
    assert set(esc) >= {"id", "step_id", "agent_id", "reason", "question", "options", "evidence"}
    assert esc["options"] == [
        {"id": "proceed", "description": "Run the step at its estimated cost."},
        {"id": "skip", "description": "Skip this step (and the steps that need it)."},
    ]
    assert '"escalations"' in value["expected"]


def test_a_step_still_refused_after_three_answers_fails_instead_of_asking_forever(
    services, tmp_path, monkeypatch
):
    argo = guarded_argo(services, tmp_path / "never-granted", monkeypatch)
    run = deploy_paused_on_access(argo)
    asked = []
    while run.status == "awaiting_director":
        [esc] = run.pending_escalations
        asked.append(esc.id)
        run = argo.answer(run.thread_id, esc.id, "retry")
    assert len(asked) == 3 and len(set(asked)) == 3
    assert run.step_status["deploy_to_production"] == "failed"
    assert "escalated 3 times" in run.errors["deploy_to_production"]
    assert "403 Forbidden" in run.errors["deploy_to_production"]
    assert run.status == "failed"
