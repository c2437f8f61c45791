"""The project's most important property: a gated step never runs before its approval."""

from __future__ import annotations

import pytest

from argo_agents.approval.decisions import InvalidResumeError
from tests.orchestration_support import CountingAgents, make_argo, make_services

pytestmark = pytest.mark.integration

GATED = {
    "external_integration": "Integrate the Stripe billing API into the invoicing service",
    "production_deployment": "Deploy the payments API to production",
    "data_deletion": "Delete the stale session records from the analytics database",
    "data_migration": "Migrate the orders table to the new sharded cluster",
}


@pytest.fixture(scope="module")
def services(endpoints, tmp_path_factory):
    svc = make_services(endpoints, tmp_path_factory.mktemp("safety"))
    yield svc
    svc.close()


def _gated_steps(run, category):
    return [s for s in run.plan.steps if s.category == category]


@pytest.mark.parametrize("category", sorted(GATED))
def test_gated_step_never_runs_before_approval_and_runs_after(services, category):
    agents = CountingAgents()
    argo = make_argo(agents.attach(services))
    run = argo.submit_goal(GATED[category], budget_usd=10_000, director="ana")

    assert run.status == "awaiting_approval"
    gated = _gated_steps(run, category)
    assert gated, f"the {category} plan has a {category} step"
    pending = {p.step_id for p in run.pending_approvals}
    for step in gated:
        assert step.id in pending
        assert agents.calls[step.action] == 0
        assert step.id not in run.results
    assert sum(agents.calls.values()) == 0, "nothing runs before the gate is passed"

    run = argo.resume(run.thread_id, {sid: "approve" for sid in pending})
    assert run.status == "completed"
    for step in gated:
        assert agents.calls[step.action] == 1
        # no executor is configured: the approved step ran to its change plan, not more
        assert run.step_status[step.id] == "prepared" and step.id in run.steps_prepared
    assert [e.by for e in run.approval_ledger] == ["ana"] * len(pending)


def test_rejecting_skips_the_step_and_its_dependents(services):
    agents = CountingAgents()
    argo = make_argo(agents.attach(services))
    run = argo.submit_goal(GATED["production_deployment"], budget_usd=10_000)
    gated = _gated_steps(run, "production_deployment")[0]
    dependents = [s for s in run.plan.steps if gated.id in s.dependencies]

    run = argo.resume(run.thread_id, {p.step_id: "reject" for p in run.pending_approvals})
    assert run.status == "rejected"
    assert agents.calls[gated.action] == 0
    assert run.step_status[gated.id] == "skipped"
    for dep in dependents:
        assert run.step_status[dep.id] == "skipped"
        assert agents.calls[dep.action] == 0
    assert "rejected" in run.errors[gated.id]


def test_goal_without_gated_step_never_pauses(services):
    agents = CountingAgents()
    argo = make_argo(agents.attach(services))
    run = argo.submit_goal("Research how competitors price their premium support plans")
    assert run.status == "completed"
    assert run.pending_approvals == []
    assert all(s == "done" for s in run.step_status.values())
    assert sum(agents.calls.values()) == len(run.plan.steps)


def test_unknown_step_in_decision_is_refused_and_run_stays_paused(services):
    agents = CountingAgents()
    argo = make_argo(agents.attach(services))
    run = argo.submit_goal(GATED["data_deletion"], budget_usd=10_000)
    with pytest.raises(InvalidResumeError, match="unknown step"):
        argo.resume(run.thread_id, {"no_such_step": "approve"})
    with pytest.raises(InvalidResumeError):
        argo.resume(run.thread_id, {run.pending_approvals[0].step_id: "maybe"})
    again = argo.get_run(run.thread_id)
    assert again.status == "awaiting_approval"
    assert sum(agents.calls.values()) == 0


def test_approval_over_goal_budget_needs_explicit_permission(services):
    agents = CountingAgents()
    argo = make_argo(agents.attach(services))
    run = argo.submit_goal(GATED["production_deployment"], budget_usd=1)
    decisions = {p.step_id: "approve" for p in run.pending_approvals}
    with pytest.raises(InvalidResumeError, match="allow_over_budget"):
        argo.resume(run.thread_id, decisions)
    assert argo.get_run(run.thread_id).status == "awaiting_approval"
    run = argo.resume(run.thread_id, decisions, allow_over_budget=True)
    assert run.status == "completed"


def test_failing_step_is_retried_then_failed_and_dependents_skipped(services):
    agents = CountingAgents(failing={"identify_bottlenecks"})
    argo = make_argo(agents.attach(services))
    run = argo.submit_goal("Optimise the checkout service's query latency by 40%")
    assert run.status == "failed"
    assert agents.calls["identify_bottlenecks"] == 2  # Context.max_step_attempts
    assert run.step_status["identify_bottlenecks"] == "failed"
    assert "broke" in run.errors["identify_bottlenecks"]
    for later in ("generate_solutions", "implement_optimizations", "validate_results"):
        assert run.step_status[later] == "skipped"
        assert agents.calls[later] == 0


def test_decided_steps_are_never_asked_again(services):
    agents = CountingAgents()
    argo = make_argo(agents.attach(services))
    run = argo.submit_goal(
        "Build the entire customer loyalty platform and deploy it to production",
        budget_usd=10_000,
        director="ana",
    )
    pending = [p.step_id for p in run.pending_approvals]
    assert {"implement_solution", "deploy_to_production"} <= set(pending)

    run = argo.resume(run.thread_id, {"implement_solution": "approve"})
    assert run.status == "awaiting_approval"
    assert "implement_solution" not in {p.step_id for p in run.pending_approvals}
    assert sum(agents.calls.values()) == 0, "nothing runs until every approval is decided"

    run = argo.resume(run.thread_id, {p.step_id: "approve" for p in run.pending_approvals})
    assert run.status == "completed"
    decided = [e.step_id for e in run.approval_ledger]
    assert len(decided) == len(set(decided)) == len(pending)


def test_edit_that_lowers_the_cost_below_the_threshold_approves_the_step(services):
    agents = CountingAgents()
    argo = make_argo(agents.attach(services))
    run = argo.submit_goal("Build the entire customer loyalty platform", budget_usd=10_000)
    assert [p.step_id for p in run.pending_approvals] == ["implement_solution"]
    run = argo.resume(
        run.thread_id,
        {
            "implement_solution": {
                "edit": {
                    "estimated_cost_usd": 80.0,
                    "description": "Implement the loyalty platform's MVP",
                }
            }
        },
    )
    assert run.status == "completed"
    step = run.plan.step("implement_solution")
    assert step.estimated_cost_usd == 80.0
    assert run.approval_ledger[0].decision == "edit"
    assert agents.calls["implement_solution"] == 1
