"""A later goal like earlier ones is planned from what their runs recorded (real stores)."""

from __future__ import annotations

import uuid

import pytest

from tests.orchestration_support import CountingAgents, make_argo, make_services

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def services(endpoints, tmp_path_factory):
    svc = make_services(endpoints, tmp_path_factory.mktemp("learning"))
    yield svc
    svc.close()


def test_rejection_failure_and_durations_reshape_the_next_similar_plan(services):
    # a subject no other test uses: decisions and failure points are read from similar goals
    goal = f"Deploy the {uuid.uuid4().hex[:8]} ledger reconciliation worker to production"
    agents = CountingAgents(failing={"scan_release_security"})
    argo = make_argo(agents.attach(services))

    cold = argo.submit_goal(goal, budget_usd=10_000, director="ana")
    assert cold.status == "awaiting_approval"
    assert "deploy_to_production" in cold.plan.step_ids()
    done = argo.resume(
        cold.thread_id, {"deploy_to_production": "reject"}, reason="not during the audit"
    )
    assert done.status in ("failed", "rejected")

    warm = make_argo(CountingAgents().attach(services)).submit_goal(
        goal, budget_usd=10_000, director="ana"
    )
    steps = warm.plan.step_ids()
    # the rejected step (and the step that needs it) is not proposed again
    assert "deploy_to_production" not in steps and "monitor_rollout" not in steps
    # the goal still asks to deploy, so the gate asks about the steps that act instead
    assert "deploy_to_production" not in {p.step_id for p in warm.pending_approvals}
    # the step that failed is checked first
    assert warm.plan.step("scan_release_security").dependencies == [
        "precheck_scan_release_security"
    ]
    why = "\n".join(warm.plan.rationale)
    assert "the Director rejected deploy_to_production" in why and "not during the audit" in why
    assert "Added precheck_scan_release_security before scan_release_security" in why
    if warm.pending_approvals:
        decisions = {p.step_id: "approve" for p in warm.pending_approvals}
        warm = make_argo(CountingAgents().attach(services)).resume(warm.thread_id, decisions)
    assert warm.status == "completed"

    # with two measured runs, a step is estimated from them, the template's figure beside
    third = make_argo(CountingAgents().attach(services)).submit_goal(
        goal, budget_usd=10_000, director="ana"
    )
    step = third.plan.step("review_release_readiness")
    assert step.template_duration_s == 300 and step.estimated_duration_s < 300
    assert "Estimates from measured history" in "\n".join(third.plan.rationale)
    pred = third.assignments["review_release_readiness"].prediction
    assert pred is not None and pred.template_s == 300 and pred.runs >= 2
