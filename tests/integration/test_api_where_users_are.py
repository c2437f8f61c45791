"""The Python API where Python users are: notebooks and async code, finding paused runs."""

from __future__ import annotations

import asyncio

import pytest

import argo_agents
from tests.orchestration_support import CountingAgents, make_argo, make_services

pytestmark = pytest.mark.integration

DEPLOY = "Deploy the payments API to production"
REPORT = "Analyse the orders table and report its slowest queries"


@pytest.fixture(scope="module")
def services(endpoints, tmp_path_factory):
    svc = make_services(endpoints, tmp_path_factory.mktemp("api"))
    yield svc
    svc.close()


def test_list_runs_finds_the_runs_waiting_for_the_director(endpoints, tmp_path):
    services = make_services(endpoints, tmp_path)  # its own checkpoints: only these runs
    argo = make_argo(CountingAgents().attach(services))
    paused = argo.submit_goal(DEPLOY, budget_usd=1_000, director="ana")
    done = argo.submit_goal(REPORT, budget_usd=1_000)
    assert (paused.status, done.status) == ("awaiting_approval", "completed")

    waiting = argo.list_runs(status="awaiting_approval")
    assert [r.thread_id for r in waiting] == [paused.thread_id]
    assert waiting[0].pending_approvals == paused.pending_approvals
    every = {r.thread_id: r.status for r in argo.list_runs()}
    assert every == {paused.thread_id: "awaiting_approval", done.thread_id: "completed"}
    services.close()


def test_one_unreadable_thread_does_not_hide_the_other_runs(endpoints, tmp_path):
    from argo_agents.orchestrator.checkpoints import open_checkpointer

    services = make_services(endpoints, tmp_path)  # its own checkpoints: only these runs
    argo = make_argo(CountingAgents().attach(services))
    paused = argo.submit_goal(DEPLOY, budget_usd=1_000)
    bad = argo.submit_goal(REPORT, budget_usd=1_000)
    entry = {"run_id": "r", "plan_id": "p", "goal_id": "g", "round": "x", "step_id": "s"}

    async def forge() -> None:  # a hand-written state, as the server's update-state allows
        async with open_checkpointer(services.settings) as saver:
            graph = argo._builder.compile(checkpointer=saver)
            config = {"configurable": {"thread_id": bad.thread_id}}
            await graph.aupdate_state(config, {"approval_ledger": [{**entry, "at": "x"}]})

    asyncio.run(forge())
    assert [r.thread_id for r in argo.list_runs()] == [paused.thread_id]
    services.close()


def test_sync_methods_work_inside_a_running_event_loop(services):
    # As in a notebook cell: the loop runs, and the user calls the sync method.
    argo = make_argo(CountingAgents().attach(services))

    async def cell():
        return argo.submit_goal(REPORT, budget_usd=1_000)

    run = asyncio.run(cell())
    assert run.status == "completed"


def test_async_with_closes_what_it_opened(endpoints, tmp_path):
    services = make_services(endpoints, tmp_path)
    argo = make_argo(CountingAgents().attach(services))

    async def main():
        async with argo as a:
            return await a.asubmit_goal(REPORT, budget_usd=1_000)

    assert asyncio.run(main()).status == "completed"
    assert argo._services is None  # closed: a later call opens the stores again


def test_the_api_errors_are_importable_from_the_package():
    from argo_agents.orchestrator.errors import ThreadBusyError

    assert argo_agents.ThreadBusyError is ThreadBusyError
    for name in ("InvalidGoalError", "InvalidResumeError", "NotAwaitingApprovalError"):
        assert issubclass(getattr(argo_agents, name), Exception)


def test_a_goal_streams_typed_events_as_it_runs_and_resumes(services):
    from argo_agents.run_events import (
        AgentsAssigned,
        ApprovalRequested,
        PlanReady,
        Progress,
        RunEnded,
        StepFinished,
        Synced,
    )

    argo = make_argo(CountingAgents().attach(services))
    first = list(argo.stream_goal(DEPLOY, budget_usd=1_000, director="ana"))
    kinds = [e.kind for e in first]
    assert kinds[:2] == ["plan_ready", "agents_assigned"] and kinds[-1] == "run_ended"
    plan = next(e for e in first if isinstance(e, PlanReady)).plan
    assigned = next(e for e in first if isinstance(e, AgentsAssigned)).assignments
    assert set(assigned) == set(plan.step_ids())
    asked = next(e for e in first if isinstance(e, ApprovalRequested))
    # (membership, not equality: the shared warehouse may hold failed deployments from other
    # tests, and learning then adds a precheck, which is asked about too)
    assert "deploy_to_production" in [a.step_id for a in asked.approvals]
    paused = first[-1]
    assert isinstance(paused, RunEnded) and paused.run.status == "awaiting_approval"
    before = {e.step_id for e in first if isinstance(e, StepFinished)}
    assert "deploy_to_production" not in before  # nothing gated ran before the decision

    approve = {a.step_id: "approve" for a in asked.approvals}
    second = list(argo.stream_resume(paused.run.thread_id, approve))
    finished = {e.step_id: e.status for e in second if isinstance(e, StepFinished)}
    started = [e.data for e in second if isinstance(e, Progress)]  # long nodes report as they go
    assert {"event": "step_started", "step_id": "deploy_to_production"}.items() <= next(
        d for d in started if d.get("step_id") == "deploy_to_production"
    ).items()
    assert any(d.get("event") == "sync_started" and d["records"] > 0 for d in started)
    assert "deploy_to_production" in finished
    assert any(isinstance(e, Synced) and e.receipt["published"] > 0 for e in second)
    assert isinstance(second[-1], RunEnded) and second[-1].run.status == "completed"
    assert before | set(finished) == set(plan.step_ids())


def test_streaming_works_from_async_code_too(services):
    argo = make_argo(CountingAgents().attach(services))

    async def main():
        return [e.kind async for e in argo.astream_goal(REPORT, budget_usd=1_000)]

    kinds = asyncio.run(main())
    assert kinds[0] == "plan_ready" and "synced" in kinds and kinds[-1] == "run_ended"
