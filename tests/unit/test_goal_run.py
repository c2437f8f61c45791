"""A run read from its checkpoint: state dumps parsed once into models, and back to JSON."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from argo_agents.api import GoalRun, _to_run
from argo_agents.approval.policy import ApprovalRequest
from argo_agents.assignment.scoring import Assignment
from argo_agents.orchestrator.state import StepFailure, StepRun
from argo_agents.planning.offline import plan_offline

PLAN = plan_offline("Optimise the checkout service's query latency by 40%")
DONE, FAILED = PLAN.steps[0], PLAN.steps[1]


def snapshot(values: dict[str, Any], interrupts: list[dict[str, Any]] | None = None) -> Any:
    return SimpleNamespace(
        values=values,
        interrupts=[SimpleNamespace(value=v) for v in interrupts or []],
        next=(),
        tasks=(),
    )


def assignment(step_id: str) -> dict[str, Any]:
    return Assignment(
        step_id=step_id,
        agent_id="technical-1",
        agent_kind="technical",
        capability_score=1.0,
        adjusted_score=0.9,
        cost=0.1,
        method="single",
        reason="covers every capability",
    ).model_dump(mode="json")


def finished_state() -> dict[str, Any]:
    ran = StepRun(
        step_id=DONE.id,
        agent_id="technical-1",
        agent_kind="technical",
        summary="profiled",
        confidence=0.6,
        attempts=1,
        duration_s=0.25,
    )
    failure = StepFailure(
        step_id=FAILED.id, agent_id="technical-1", agent_kind="technical", failed=True, error="boom"
    )
    return {
        "goal": PLAN.goal,
        "goal_id": PLAN.goal_id,
        "run_id": "run-1",
        "status": "failed",
        "plan": PLAN.model_dump(mode="json"),
        "assignments": {s.id: assignment(s.id) for s in (DONE, FAILED)},
        "step_status": {DONE.id: "done", FAILED.id: "failed"},
        "results": {
            DONE.id: ran.model_dump(mode="json"),
            FAILED.id: failure.model_dump(mode="json"),
        },
        "sync_receipt": {"published": 3, "pending": 0},
        "errors": {FAILED.id: "failed after 2 attempt(s): boom"},
    }


def test_a_finished_run_is_read_as_models() -> None:
    run = _to_run("goal-t1", snapshot(finished_state()))
    assert run.status == "failed"
    assert run.plan == PLAN
    assert run.assignments[DONE.id].agent_id == "technical-1"
    done, failed = run.results[DONE.id], run.results[FAILED.id]
    assert isinstance(done, StepRun) and done.summary == "profiled" and done.attempts == 1
    assert isinstance(failed, StepFailure) and failed.error == "boom"
    assert run.sync_receipt is not None and run.sync_receipt.published == 3


def test_a_run_round_trips_through_json() -> None:
    run = _to_run("goal-t1", snapshot(finished_state()))
    assert GoalRun.model_validate(run.model_dump(mode="json")) == run


def test_a_paused_run_lists_its_approvals_as_requests_and_says_why_a_resume_was_refused() -> None:
    request = ApprovalRequest(
        step_id=FAILED.id,
        action=FAILED.action,
        category="production_deployment",
        reason="gated category",
        estimated_cost_usd=120.0,
    )
    paused = {"approvals": [request.model_dump(mode="json")], "error": "unknown step ids"}
    run = _to_run("goal-t1", snapshot({"goal": PLAN.goal}, [paused]))
    assert run.status == "awaiting_approval"
    assert run.pending_approvals == [request]
    assert run.errors["approval"] == "unknown step ids"
    assert run.plan is None and run.results == {} and run.integration is None


def test_a_run_integrated_before_executors_existed_still_reads_back():
    from argo_agents.api import GoalRun

    pattern = {"id": "p", "task_type": "optimize", "name": "n", "step_sequence": ["a"],
               "agent_types": ["technical"], "success": True, "failure_points": [],
               "duration_s": 1.0}  # fmt: skip
    before = {"status": "completed", "steps_done": ["a"], "steps_failed": [],
              "steps_skipped": [], "by_step": {"a": "done"}, "by_agent": {"technical-1": ["a"]},
              "success_rate": 1.0, "duration_s": 1.0, "learned_pattern": pattern}  # fmt: skip
    run = GoalRun(thread_id="t", status="completed", integration=before)
    assert run.integration is not None and run.integration["steps_done"] == ["a"]
