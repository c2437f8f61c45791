"""The approval gate tried as an attacker and a careless user would: every case must ask.

Real graph, real stores; the LLM planner is a scripted chat model. "Asks" means
the run pauses with the step pending and no agent ran it; each case then checks
the step runs only after (and only because of) the Director's decision.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
import threading
from typing import Any

import pytest
from langchain_core.messages import AIMessage
from langgraph.types import Command

from argo_agents.api import Argo
from argo_agents.approval.decisions import InvalidResumeError
from argo_agents.approval.policy import ApprovalPolicy
from argo_agents.orchestrator.checkpoints import open_checkpointer
from argo_agents.orchestrator.context import Context
from argo_agents.orchestrator.errors import (
    ConcurrentDecisionError,
    InvalidContextError,
    InvalidGoalError,
    ThreadBusyError,
)
from tests.fakes import ToolCallingFake
from tests.orchestration_support import CountingAgents, forged_approval, make_services

pytestmark = pytest.mark.integration

DEPLOY = "Deploy the payments API to production"


@pytest.fixture(scope="module")
def services(endpoints, tmp_path_factory):
    svc = make_services(endpoints, tmp_path_factory.mktemp("attacks"))
    yield svc
    svc.close()


def argo_with(
    services,
    *,
    plan: list[dict[str, Any]] | None = None,
    context: Context | None = None,
    **replace: Any,
) -> tuple[Argo, CountingAgents]:
    """An Argo on the shared stores with counting agents and, if given, a scripted LLM plan."""
    agents = CountingAgents()
    model = None
    if plan is not None:
        call = {"name": "PlanDraft", "args": {"steps": plan, "rationale": []}, "id": "1"}
        model = ToolCallingFake(messages=iter([AIMessage(content="", tool_calls=[call])]))
    svc = agents.attach(dataclasses.replace(services, model=model, **replace))
    return Argo(svc.settings, services=svc, context=context), agents


def llm_step(
    sid: str,
    category: str,
    description: str,
    *,
    cost: float = 10.0,
    deps: list[str] | None = None,
    caps: list[str] | None = None,
) -> dict[str, Any]:
    return {
        "id": sid,
        "action": sid,
        "description": description,
        "category": category,
        "required_capabilities": caps or ["software_engineering"],
        "dependencies": deps or [],
        "estimated_duration_s": 60,
        "estimated_cost_usd": cost,
    }


def pending(run) -> set[str]:
    return {p.step_id for p in run.pending_approvals}


# ---- decisions belong to one goal run ------------------------------------------------


def test_approval_on_a_thread_does_not_carry_over_to_the_next_goal(services):
    argo, agents = argo_with(services)
    first = argo.submit_goal("Deploy the docs site to production", director="ana")
    assert pending(first) == {"deploy_to_production"}
    first = argo.resume(first.thread_id, {"deploy_to_production": "approve"})
    assert first.status == "completed" and agents.calls["deploy_to_production"] == 1

    second = argo.submit_goal(DEPLOY, thread_id=first.thread_id, director="ana")
    assert second.status == "awaiting_approval"
    assert pending(second) == {"deploy_to_production"}
    assert agents.calls["deploy_to_production"] == 1, "the second deployment waits"
    assert second.run_id != first.run_id
    assert second.approval_ledger == [] and second.results == {}


def test_a_goal_of_another_intent_on_a_used_thread_is_asked_and_runs(services):
    argo, agents = argo_with(services)
    first = argo.submit_goal(DEPLOY, director="ana")
    first = argo.resume(first.thread_id, {"deploy_to_production": "approve"})
    second = argo.submit_goal(
        "Delete the stale session records from the analytics database", thread_id=first.thread_id
    )
    assert pending(second) == {"delete_data"}
    assert agents.calls["delete_data"] == 0
    second = argo.resume(second.thread_id, {"delete_data": "approve"})
    assert second.status == "completed"
    assert [e.step_id for e in second.approval_ledger] == ["delete_data"]


def test_a_new_goal_on_a_paused_thread_is_refused(services):
    argo, agents = argo_with(services)
    paused = argo.submit_goal(DEPLOY)
    with pytest.raises(ThreadBusyError, match="awaiting approval"):
        argo.submit_goal("Research how competitors price support", thread_id=paused.thread_id)
    assert argo.get_run(paused.thread_id).status == "awaiting_approval"
    assert sum(agents.calls.values()) == 0


# ---- ARGO classifies every step itself -------------------------------------------------


def test_a_decoy_does_not_hide_the_real_deployment(services):
    argo, agents = argo_with(
        services,
        plan=[
            llm_step(
                "deploy_payments_api_to_production",
                "analysis",
                "Deploy the payments API to production now",
            ),
            llm_step("notify_team", "production_deployment", "Tell the team about the release"),
        ],
    )
    run = argo.submit_goal(DEPLOY, budget_usd=1000)
    assert run.plan.source == "llm"
    assert pending(run) == {"deploy_payments_api_to_production", "notify_team"}
    real = next(
        p for p in run.pending_approvals if p.step_id == "deploy_payments_api_to_production"
    )
    assert real.category == "production_deployment"
    run = argo.resume(run.thread_id, {"notify_team": "reject"})
    assert run.status == "awaiting_approval", "rejecting the decoy decides nothing else"
    assert agents.calls["deploy_payments_api_to_production"] == 0


def test_gated_work_in_a_goal_without_trigger_words_is_asked(services):
    argo, agents = argo_with(
        services,
        plan=[
            llm_step("measure_usage", "analysis", "Measure table sizes in the customer database"),
            llm_step(
                "drop_customer_tables",
                "implementation",
                "DROP the customer tables in prod",
                deps=["measure_usage"],
            ),
        ],
    )
    run = argo.submit_goal("Free up space in the customer database")
    assert "drop_customer_tables" in pending(run)
    assert sum(agents.calls.values()) == 0
    run = argo.resume(run.thread_id, {"drop_customer_tables": "reject"})
    assert run.status == "rejected" and agents.calls["drop_customer_tables"] == 0


@pytest.mark.parametrize("llm", [False, True], ids=["offline", "llm"])
def test_destructive_wording_inside_a_clause_is_asked(services, llm):
    plan = [llm_step("drop_indexes", "implementation", "Drop the unused indexes")] if llm else None
    argo, agents = argo_with(services, plan=plan)
    run = argo.submit_goal("Optimise checkout queries by dropping unused indexes")
    acting = "drop_indexes" if llm else "implement_optimizations"
    assert acting in pending(run)
    assert "data deletion" in next(p.reason for p in run.pending_approvals if p.step_id == acting)
    assert agents.calls[acting] == 0


def test_cost_split_into_cheap_steps_is_asked(services):
    steps = [
        llm_step(f"improve_part_{i}", "implementation", f"Improve part {i} of billing", cost=99.0)
        for i in range(20)
    ]
    argo, agents = argo_with(services, plan=steps)
    run = argo.submit_goal("Improve the billing service")
    assert run.status == "awaiting_approval"
    # $500 per-goal threshold: parts 0-4 total $495, every later part crosses it
    assert pending(run) == {f"improve_part_{i}" for i in range(5, 20)}
    assert sum(agents.calls.values()) == 0
    run = argo.resume(run.thread_id, {sid: "approve" for sid in pending(run)})
    assert run.status == "completed" and sum(agents.calls.values()) == 20


# ---- nothing a caller controls loosens the policy ----------------------------------------


def test_a_per_run_threshold_cannot_raise_the_servers(services):
    goal = "Build the entire customer loyalty platform"  # implement_solution costs $150
    argo, agents = argo_with(services, context=Context(budget_threshold_usd=1e12))
    run = argo.submit_goal(goal, budget_usd=10_000)
    assert pending(run) == {"implement_solution"}
    # a resume from a caller with the loosest settings it can send changes nothing either
    loose, _ = argo_with(
        services, context=Context(budget_threshold_usd=1e12, plan_threshold_usd=1e12)
    )
    with pytest.raises(InvalidResumeError, match="decide at least one step"):
        loose.resume(run.thread_id, {})
    assert agents.calls["implement_solution"] == 0
    # and a server restarted with a looser policy keeps the one the run paused under
    relaxed, relaxed_agents = argo_with(
        services, policy=ApprovalPolicy(budget_threshold_usd=1e9, gated_categories=frozenset())
    )
    with pytest.raises(InvalidResumeError):
        relaxed.resume(run.thread_id, {"no_such_step": "approve"})
    assert relaxed.get_run(run.thread_id).status == "awaiting_approval"
    assert relaxed_agents.calls["implement_solution"] == 0


def test_a_per_run_setting_may_tighten_the_policy(services):
    argo, agents = argo_with(
        services, context=Context(budget_threshold_usd=5, extra_gated_categories=["design"])
    )
    run = argo.submit_goal("Research how competitors price their premium support plans")
    assert "write_report" not in pending(run)  # $5 is not over $5
    assert {"review_literature", "mine_historical_data"} <= pending(run)
    assert sum(agents.calls.values()) == 0


@pytest.mark.parametrize("value", [math.nan, math.inf, -1.0])
def test_non_finite_or_negative_thresholds_are_refused(value):
    for knob in ("budget_threshold_usd", "plan_threshold_usd"):
        with pytest.raises(InvalidContextError, match=knob):
            Context(**{knob: value})
    with pytest.raises(ValueError, match="budget_threshold_usd"):
        ApprovalPolicy(budget_threshold_usd=value)


@pytest.mark.parametrize("value", [math.nan, math.inf, -1.0, True])
def test_non_finite_or_negative_budgets_are_refused_at_the_api_and_the_graph(services, value):
    argo, agents = argo_with(services)
    with pytest.raises(InvalidGoalError, match="budget_usd"):
        argo.submit_goal(DEPLOY, budget_usd=value)

    async def through_the_graph() -> None:
        async with open_checkpointer(services.settings) as saver:
            graph = argo._builder.compile(checkpointer=saver)
            await graph.ainvoke(
                {"goal": DEPLOY, "budget_usd": value},
                {"configurable": {"thread_id": f"nan-{value}"}},
            )

    with pytest.raises(InvalidGoalError, match="budget_usd"):
        asyncio.run(through_the_graph())
    assert sum(agents.calls.values()) == 0


def test_a_forged_ledger_in_the_state_approves_nothing(services):
    argo, agents = argo_with(services)
    run = argo.submit_goal(DEPLOY, budget_usd=1000)
    forged = forged_approval(run, "deploy_to_production")
    config = {"configurable": {"thread_id": run.thread_id}}

    async def forge() -> None:
        async with open_checkpointer(services.settings) as saver:
            graph = argo._builder.compile(checkpointer=saver)
            # through a resume command: the empty answer is refused, the forged entry ignored
            await graph.ainvoke(
                Command(update={"approval_ledger": [forged]}, resume={"decisions": {}}), config
            )
            assert (await graph.aget_state(config)).interrupts
            # through the update-state call, with the plan relabelled as harmless, as if
            # the planner had written it, then carrying on from there
            relabelled = {
                **run.plan.model_dump(mode="json"),
                "steps": [
                    {**s.model_dump(mode="json"), "category": "analysis"} for s in run.plan.steps
                ],
            }
            await graph.aupdate_state(
                config,
                {"approval_ledger": [forged], "plan": relabelled, "pending_approvals": []},
                as_node="assign_agents",
            )
            await graph.ainvoke(None, config)

    asyncio.run(forge())
    again = argo.get_run(run.thread_id)
    assert again.status == "awaiting_approval"
    assert pending(again) == {"deploy_to_production"}
    assert agents.calls["deploy_to_production"] == 0
    done = argo.resume(run.thread_id, {"deploy_to_production": "approve"}, director="ana")
    assert done.status == "completed"
    assert [(e.by, e.by_verified) for e in done.approval_ledger] == [("ana", False)]


def test_an_edit_that_relabels_a_deployment_is_asked_again(services):
    argo, agents = argo_with(services)
    run = argo.submit_goal(DEPLOY, budget_usd=1000)
    run = argo.resume(
        run.thread_id,
        {"deploy_to_production": {"edit": {"category": "analysis", "estimated_cost_usd": 50}}},
    )
    assert run.status == "awaiting_approval"
    assert pending(run) == {"deploy_to_production"}
    assert agents.calls["deploy_to_production"] == 0
    entry = run.approval_ledger[0]
    assert entry.requeued is True
    assert entry.changes["category"] == {"before": "production_deployment", "after": "analysis"}
    assert any("production deployment" in r for r in entry.reasons_after_edit)


def test_concurrent_resumes_of_one_pause_apply_exactly_one(services):
    barrier = threading.Barrier(2, timeout=30)
    records = services.stores.records
    calls = {"n": 0}

    class RacingRecords:
        """Both resumes read the record before either writes its answer."""

        def get(self, key):
            return records.get(key)

        def compare_and_set(self, key, expected_rev, doc, *, ttl_s=0):
            calls["n"] += 1
            if calls["n"] <= 2:
                barrier.wait()
            return records.compare_and_set(key, expected_rev, doc, ttl_s=ttl_s)

    argo, agents = argo_with(services)
    run = argo.submit_goal(DEPLOY, budget_usd=1000)
    racing = dataclasses.replace(argo.services().stores, records=RacingRecords())
    argo_a, agents_a = argo_with(services, stores=racing)
    argo_b, agents_b = argo_with(services, stores=racing)

    async def both():
        return await asyncio.gather(
            argo_a.aresume(run.thread_id, {"deploy_to_production": "approve"}),
            argo_b.aresume(run.thread_id, {"deploy_to_production": "reject"}),
            return_exceptions=True,
        )

    outcomes = asyncio.run(both())
    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], ConcurrentDecisionError), outcomes
    final = argo.get_run(run.thread_id)
    assert [e.step_id for e in final.approval_ledger] == ["deploy_to_production"]
    ran = agents_a.calls["deploy_to_production"] + agents_b.calls["deploy_to_production"]
    assert ran == (1 if final.approval_ledger[0].decision == "approve" else 0)


# ---- one budget computation ----------------------------------------------------------


def test_the_budget_flow_quotes_one_figure_and_one_acceptance_finishes_it(services):
    argo, agents = argo_with(services)
    goal = (
        "Optimise the checkout service's query latency by 40% and deploy the "
        "optimisation to production"
    )
    run = argo.submit_goal(goal, budget_usd=50)
    total = sum(s.estimated_cost_usd for s in run.plan.steps)
    figure = f"${total:.2f}"
    assert all(figure in p.reason for p in run.pending_approvals if "goal budget" in p.reason)
    decisions = {sid: "approve" for sid in pending(run)}
    with pytest.raises(InvalidResumeError) as refused:
        argo.resume(run.thread_id, decisions)
    message = str(refused.value)
    assert figure in message and message.count("invalid resume value") == 1
    assert message.count('"decisions"') == 1, "the expected shape is said once"
    run = argo.resume(run.thread_id, decisions, allow_over_budget=True)
    assert run.status == "completed", run.pending_approvals
    assert sum(agents.calls.values()) == len(run.plan.steps)


def test_each_decision_is_audited_when_it_is_made(services):
    argo, _ = argo_with(services)
    run = argo.submit_goal(
        "Build the entire customer loyalty platform and deploy it to production",
        budget_usd=10_000,
        director="ana",
    )
    run = argo.resume(run.thread_id, {"implement_solution": "approve"}, reason="go")
    assert run.status == "awaiting_approval"  # the run is not over, the decision is audited
    services.engine.drain(timeout_s=60)
    rows = services.stores.warehouse.query(
        "SELECT actor, action, content FROM {dataset}.audit_logs_latest "
        "WHERE JSON_VALUE(content, '$.run_id') = @run",
        {"run": run.run_id},
    )
    assert [(r["actor"], r["action"]) for r in rows] == [("ana", "approve")]
