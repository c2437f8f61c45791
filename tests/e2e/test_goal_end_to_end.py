"""A Director's goal from plan to synchronised outcome, through the Python API."""

from __future__ import annotations

import pytest

from argo_agents.api import Argo
from tests.orchestration_support import make_services

pytestmark = pytest.mark.e2e

GOAL = "Build the entire customer loyalty platform for our retail app"


def test_paused_goal_resumes_from_a_new_instance_and_reaches_every_store(endpoints, tmp_path):
    first = make_services(endpoints, tmp_path)
    run = Argo(first.settings, services=first).submit_goal(GOAL, budget_usd=2_000, director="ana")
    assert run.status == "awaiting_approval"
    assert [(p.step_id, p.estimated_cost_usd) for p in run.pending_approvals] == [
        ("implement_solution", 150.0)
    ]
    assert "implement_solution" not in run.results
    first.close()

    # a new Argo with new connections: only the durable checkpoint carries the run
    second = make_services(endpoints, tmp_path, sync_config=first.engine.config)
    argo = Argo(second.settings, services=second)
    assert argo.get_run(run.thread_id).status == "awaiting_approval"
    done = argo.resume(run.thread_id, {"implement_solution": "approve"}, director="ana")

    assert done.status == "completed"
    # no executor is configured: the implementation is a change plan, not executed
    assert done.step_status.pop("implement_solution") == "prepared"
    assert done.steps_prepared == ["implement_solution"] and done.steps_executed == []
    assert set(done.step_status.values()) == {"done"}
    for sid, result in done.results.items():
        assert (
            "customer loyalty platform" in (result.summary + " ".join(result.findings)).lower()
        ), sid
    receipt = done.sync_receipt
    assert receipt.published > 0 and receipt.pending == 0 and receipt.dead_lettered == 0

    stores = second.stores
    goal_node = stores.graph.get_nodes("Goal", [done.goal_id])[done.goal_id]
    assert goal_node["text"] == GOAL
    assert stores.vectors.versions("goal", [done.goal_id])
    rows = stores.warehouse.query(
        "SELECT id, event_type FROM {dataset}.events_latest WHERE id = @id",
        {"id": f"goal-completion-{done.goal_id}"},
    )
    assert [r["event_type"] for r in rows] == ["goal_completion"]
    audit = stores.warehouse.query(
        "SELECT actor, action FROM {dataset}.audit_logs_latest WHERE JSON_VALUE(content, "
        "'$.goal_id') = @goal",
        {"goal": done.goal_id},
    )
    assert [(r["actor"], r["action"]) for r in audit] == [("ana", "approve")]
    # Agents and learned patterns are shared with other tests' runs, whose engines
    # count versions in other namespaces; this run's own records must agree everywhere.
    for entity_type in (
        "goal",
        "plan",
        "step",
        "step_result",
        "knowledge",
        "agent_activity",
        "audit",
        "event",
        "metric",
    ):
        report = second.engine.verify(entity_type)
        assert report.checked > 0 and report.divergence == 0, (entity_type, report.problems)
    second.close()
