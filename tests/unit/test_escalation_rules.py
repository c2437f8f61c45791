"""Escalation rules without servers: answers checked, triggers, a tied vote, the agent's tool."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from argo_agents.agents import build_agent_graph
from argo_agents.agents.deliberation import with_consensus
from argo_agents.agents.deps import AgentDeps
from argo_agents.agents.tools import RunScope
from argo_agents.approval.decisions import InvalidResumeError
from argo_agents.approval.escalation import (
    Escalation,
    EscalationAnswer,
    EscalationNeeded,
    EscalationOption,
    InvalidEscalationAnswerError,
    parse_answers,
    with_skip,
)
from argo_agents.collaboration import consensus
from argo_agents.collaboration.consensus import ConsensusDecision, Option, Vote
from argo_agents.executors.models import ExecutorError
from argo_agents.orchestrator.escalation_gate import settle
from argo_agents.orchestrator.escalation_record import EscalationRecord
from argo_agents.orchestrator.escalation_triggers import access_problem, over_remit
from argo_agents.orchestrator.execution import route_ready_steps
from argo_agents.planning.models import ExecutionPlan, PlanStep
from tests.fakes import ToolCallingFake

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def escalation(esc_id: str = "esc-1", step_id: str = "b", answer: str | None = None) -> Escalation:
    return Escalation(
        id=esc_id, run_id="run-1", goal_id="g-1", step_id=step_id, agent_id="research-1",
        agent_kind="research", reason="missing_access", question="Grant access?",
        options=with_skip([EscalationOption(id="retry", description="granted")]),
        raised_at=NOW, message_id=f"msg-{esc_id}",
        answer=EscalationAnswer(option=answer, at=NOW, round="r1", response_id=f"msg-{esc_id}-a")
        if answer else None,
    )  # fmt: skip


def plan_step(sid: str, deps: list[str] | None = None, cost: float = 10.0) -> PlanStep:
    return PlanStep(
        id=sid, action=sid, description=f"{sid} the reports", category="analysis",
        required_capabilities=["data_analysis"], dependencies=deps or [],
        estimated_duration_s=60, estimated_cost_usd=cost,
    )  # fmt: skip


PLAN = ExecutionPlan(
    plan_id="p-1", goal_id="g-1", goal="g", intent="research", subject="reports",
    steps=[plan_step("a"), plan_step("b", ["a"]), plan_step("c", ["b"])],
)  # fmt: skip


# ---- answers --------------------------------------------------------------------------------
def test_an_answer_names_an_option_with_an_optional_note() -> None:
    open_ = [escalation("esc-1"), escalation("esc-2", "c")]
    value = {"escalations": {"esc-1": "retry", "esc-2": {"option": "skip", "note": "later"}}}
    assert parse_answers(value, open_, director="ana") == {
        "esc-1": ("retry", "", "ana"),
        "esc-2": ("skip", "later", "ana"),
    }


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ({"escalations": {"esc-1": "maybe"}}, "unknown option 'maybe'; its options are"),
        ({"escalations": {"esc-9": "retry"}}, "unknown escalation ids ['esc-9']"),
        ({"escalations": {}}, "answer at least one"),
        ({"decisions": {"b": "approve"}}, "unknown keys ['decisions']"),
        ("retry", "not a dict"),
        ({"escalations": {"esc-1": {"option": "retry", "note": "x" * 2001}}}, "note"),
    ],
)
def test_a_bad_answer_is_refused_with_a_typed_error(value: Any, problem: str) -> None:
    with pytest.raises(InvalidEscalationAnswerError, match=problem.replace("[", r"\[")) as info:
        parse_answers(value, [escalation()])
    assert isinstance(info.value, InvalidResumeError)  # callers catching resume errors see it
    assert '"escalations"' in str(info.value)  # and it says what to send


def test_every_escalation_can_be_skipped() -> None:
    assert [o.id for o in with_skip([EscalationOption(id="go", description="d")])] == [
        "go",
        "skip",
    ]
    ended = with_skip([EscalationOption(id="abort", description="stop")])
    assert [o.id for o in ended] == ["abort"] and ended[0].ends_step


# ---- triggers -------------------------------------------------------------------------------
def test_an_authorization_failure_anywhere_in_the_chain_is_missing_access() -> None:
    try:
        try:
            raise PermissionError("token lacks the deploy scope")
        except PermissionError as inner:
            raise ExecutorError("python:deploy failed") from inner
    except ExecutorError as exc:
        assert "PermissionError" in (access_problem(exc) or "")
    assert access_problem(ExecutorError("mcp:ops failed: HTTP 401 Unauthorized")) is not None
    assert access_problem(RuntimeError("the deployment pipeline is down")) is None


def test_a_step_above_the_remit_asks_once() -> None:
    cheap, dear = plan_step("a", cost=900.0), plan_step("b", cost=1500.0)
    assert over_remit(cheap, 1000.0, []) is None
    need = over_remit(dear, 1000.0, [])
    assert need is not None and need.reason == "risk_above_remit"
    assert [o.id for o in need.options] == ["proceed", "skip"]
    answered = [{"reason": "risk_above_remit", "option": "proceed"}]
    assert over_remit(dear, 1000.0, answered) is None  # type: ignore[arg-type]
    assert over_remit(dear, None, []) is None


# ---- a vote that settles nothing ----------------------------------------------------------
OPTIONS = [Option(key="option-1", text="cache reads"), Option(key="option-2", text="add index")]


def tied_vote(*_: Any, **__: Any) -> ConsensusDecision:
    votes = [Vote(voter="technical", option="option-1", confidence=0.5),
             Vote(voter="research", option="option-2", confidence=0.5)]  # fmt: skip
    chosen, tally = consensus.decide(votes, "confidence")
    return ConsensusDecision(topic="the approach", rule="confidence", options=OPTIONS,
                             votes=votes, tally=tally, chosen=chosen)  # fmt: skip


def creative_result() -> Any:
    from argo_agents.agents.models import Citation, StepResult

    evidence = [Citation(store="chroma", record_id=f"doc-{o.key}", query="similar_cases",
                         title=o.text, score=0.5) for o in OPTIONS]  # fmt: skip
    return StepResult(step_id="b", agent_id="creative-1", agent_kind="creative",
                      summary="two approaches", confidence=0.6, evidence=evidence)  # fmt: skip


def test_a_tied_vote_escalates_with_the_tied_options(monkeypatch) -> None:
    monkeypatch.setattr("argo_agents.agents.deliberation.hold_vote", tied_vote)
    deps = SimpleNamespace(consensus_rule="confidence")
    scope = RunScope(run_id="r", goal_id="g", intent="optimize", subject="queries",
                     step_id="b", action="b")  # fmt: skip
    with pytest.raises(EscalationNeeded) as info:
        with_consensus("creative", deps, scope, creative_result())  # type: ignore[arg-type]
    assert info.value.reason == "conflicting_evidence"
    assert [o.id for o in info.value.options] == ["option-1", "option-2", "skip"]
    assert any("tally" in e for e in info.value.evidence)

    answer = {"escalation_id": "esc-7", "reason": "conflicting_evidence", "option": "option-2"}
    decided = with_consensus("creative", deps, scope, creative_result(), [answer])  # type: ignore[arg-type,list-item]
    decision = ConsensusDecision.model_validate_json(decided.artefacts[-1].content)
    assert decision.chosen == "option-2" and decision.decided_by == "director:esc-7"
    assert any("the Director chose option-2: add index" in f for f in decided.findings)


def test_no_vote_at_all_offers_every_option() -> None:
    nobody = ConsensusDecision(topic="t", rule="majority", options=OPTIONS, votes=[],
                               missing=["technical", "research"])  # fmt: skip
    assert "no voter voted" in (nobody.undecided() or "")
    assert nobody.tied() == OPTIONS
    assert tied_vote().undecided() is not None


# ---- the gate settles answered steps; the router asks first --------------------------------
def test_skip_settles_the_step_and_its_dependents_and_other_options_rerun_it() -> None:
    status: dict[str, Any] = {"a": "done", "b": "awaiting_director", "c": "pending"}
    skipped = settle(
        PLAN, EscalationRecord(run_id="r", escalations=[escalation(answer="skip")]), status
    )
    assert skipped["step_status"] == {"b": "skipped", "c": "skipped"}
    assert "skipped by the Director" in skipped["errors"]["b"]
    rerun = settle(
        PLAN, EscalationRecord(run_id="r", escalations=[escalation(answer="retry")]), status
    )
    assert rerun["step_status"] == {"b": "pending"} and rerun["errors"] == {}
    still = settle(PLAN, EscalationRecord(run_id="r", escalations=[escalation()]), status)
    assert still["step_status"] == {}


def test_the_router_sends_the_run_to_the_gate_while_a_step_waits() -> None:
    state: Any = {"plan": PLAN.model_dump(mode="json"),
                  "step_status": {"a": "done", "b": "awaiting_director"}}  # fmt: skip
    assert route_ready_steps(state) == "await_approval"


# ---- the LLM agent's tool ----------------------------------------------------------------------
def agent_input(answers: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {
        "goal": "Review the billing reports", "goal_id": "g-1", "intent": "research",
        "subject": "billing reports", "step": plan_step("b").model_dump(mode="json"),
        "agent_id": "research-1", "upstream": {},
        "run": {"run_id": "r-1", "max_tool_calls": 4},
    }  # fmt: skip
    if answers:
        found["director_answers"] = answers
    return found


def test_an_llm_agent_calling_escalate_to_director_stops_its_step() -> None:
    call = {"name": "escalate_to_director", "id": "c1", "args": {
        "reason": "missing_access", "question": "May I read the finance warehouse?",
        "options": [{"id": "grant", "description": "Read access is granted"}],
        "evidence": ["finance.reports is not readable"]}}  # fmt: skip
    model = ToolCallingFake(messages=iter([AIMessage(content="", tool_calls=[call])]))
    deps = AgentDeps(stores=None, embedder=None, model=model)  # type: ignore[arg-type]
    graph = build_agent_graph("research", lambda: deps).compile()
    with pytest.raises(EscalationNeeded) as info:
        asyncio.run(graph.ainvoke(agent_input()))
    assert info.value.reason == "missing_access"
    assert [o.id for o in info.value.options] == ["grant", "skip"]
    assert info.value.evidence == ["finance.reports is not readable"]


def test_the_answer_reaches_the_model_and_the_result_cites_it() -> None:
    draft = {"name": "StepDraft", "id": "d1", "args": {
        "summary": "Reviewed the billing reports with read access.", "findings": [],
        "figures": [], "open_questions": []}}  # fmt: skip
    model = ToolCallingFake(
        messages=iter([AIMessage(content="ready"), AIMessage(content="", tool_calls=[draft])])
    )
    model.seen.clear()
    deps = AgentDeps(stores=None, embedder=None, model=model)  # type: ignore[arg-type]
    graph = build_agent_graph("research", lambda: deps).compile()
    answer = {"escalation_id": "esc-3", "reason": "missing_access", "question": "Read?",
              "option": "grant", "option_description": "Read access is granted",
              "note": "granted today", "by": "ana", "response_id": "msg-esc-3-answer"}  # fmt: skip
    out = asyncio.run(graph.ainvoke(agent_input([answer])))
    asked = [m.content for m in model.seen[0] if isinstance(m, HumanMessage)]
    assert any("esc-3" in str(c) and "grant" in str(c) for c in asked)
    result = out["result"]
    assert any("esc-3" in f and "granted today" in f for f in result["findings"])
    assert {"store": "bigquery", "record_id": "msg-esc-3-answer"}.items() <= next(
        c for c in result["evidence"] if c["record_id"] == "msg-esc-3-answer"
    ).items()
