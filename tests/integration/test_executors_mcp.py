"""Action executors behind the approval gate, against real MCP servers and real stores.

The MCP server is `tests/mcp_recorder_server.py` (FastMCP), started over stdio
by the executor itself, or over streamable HTTP as a process of its own; each
tool call is appended to a log file, which is what these tests read: the
tool is called only after the Director's approval, with the approved (edited)
arguments and the id of the approval's audit record, never after a rejection,
never for a step the gate has not cleared. With no executor the step ends
``prepared`` and the run says so.
"""

from __future__ import annotations

import asyncio
import dataclasses
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from argo_agents.api import Argo
from argo_agents.executors import ExecutorRegistry, NotApprovedError, audit_id, parse_config
from argo_agents.orchestrator.checkpoints import open_checkpointer
from argo_agents.orchestrator.execution import ExecutionNodes
from argo_agents.orchestrator.state import StepRun
from tests.mcp_recorder_server import calls
from tests.orchestration_support import CountingAgents, forged_approval, make_services

pytestmark = pytest.mark.integration

DEPLOY = "Deploy the payments API to production"
SERVER = str(Path(__file__).parents[1] / "mcp_recorder_server.py")


@pytest.fixture(scope="module")
def services(endpoints, tmp_path_factory):
    svc = make_services(endpoints, tmp_path_factory.mktemp("executors"))
    yield svc
    svc.close()


def stdio_server(log: Path) -> dict[str, Any]:
    return {"transport": "stdio", "command": sys.executable, "args": [SERVER, str(log), "stdio"]}


def argo_with(
    services, servers: dict[str, Any], routes: list[dict[str, Any]]
) -> tuple[Argo, CountingAgents]:
    agents = CountingAgents()
    registry = ExecutorRegistry.from_config(parse_config(servers, routes))
    svc = agents.attach(dataclasses.replace(services, executors=registry))
    return Argo(svc.settings, services=svc), agents


DEPLOY_TOOL = [{"action": "deploy_to_production", "mcp": {"server": "rec", "tool": "apply_change"}}]


def test_the_tool_is_called_once_only_after_approval_with_the_approval_id(services, tmp_path):
    log = tmp_path / "calls.jsonl"
    argo, agents = argo_with(services, {"rec": stdio_server(log)}, DEPLOY_TOOL)
    run = argo.submit_goal(DEPLOY, budget_usd=1000, director="ana")
    assert run.status == "awaiting_approval"
    assert calls(log) == [], "nothing is executed before the Director decides"

    run = argo.resume(run.thread_id, {"deploy_to_production": "approve"})
    assert run.status == "completed"
    [entry] = run.approval_ledger
    approval_id = audit_id(run.run_id, entry.round, "deploy_to_production")
    [call] = calls(log)
    assert call["tool"] == "apply_change"
    assert call["args"]["approval_id"] == approval_id
    assert call["args"]["step"] == run.plan.step("deploy_to_production").model_dump(mode="json")
    assert (call["args"]["run_id"], call["args"]["goal"]) == (run.run_id, DEPLOY)

    assert run.step_status["deploy_to_production"] == "done"
    assert run.steps_executed == ["deploy_to_production"]
    execution = run.executions["deploy_to_production"]
    assert (execution.executor, execution.approval_id) == ("mcp:rec/apply_change", approval_id)
    assert execution.result["structured"] == {
        "applied": "deploy_to_production",
        "approval_id": approval_id,
    }
    assert run.integration["executor_calls"] == [
        {
            "step_id": "deploy_to_production",
            "executor": "mcp:rec/apply_change",
            "target": "apply_change",
            "approval_id": approval_id,
        }
    ]
    # the step's result as the stores hold it names the executor and the approval
    services.engine.drain(timeout_s=60)
    rows = services.stores.warehouse.query(
        "SELECT content FROM {dataset}.audit_logs_latest WHERE JSON_VALUE(content, "
        "'$.run_id') = @run",
        {"run": run.run_id},
    )
    assert len(rows) == 1, "the approval id is the id of this audit record"
    assert agents.calls["deploy_to_production"] == 1


def test_a_rejected_step_never_calls_its_tool(services, tmp_path):
    log = tmp_path / "calls.jsonl"
    argo, agents = argo_with(services, {"rec": stdio_server(log)}, DEPLOY_TOOL)
    run = argo.submit_goal(DEPLOY, budget_usd=1000)
    run = argo.resume(run.thread_id, {"deploy_to_production": "reject"})
    assert run.status == "rejected"
    assert run.step_status["deploy_to_production"] == "skipped"
    assert calls(log) == [] and run.executions == {}
    assert agents.calls["deploy_to_production"] == 0


def test_a_step_the_gate_has_not_cleared_never_calls_its_tool(services, tmp_path):
    log = tmp_path / "calls.jsonl"
    argo, _ = argo_with(services, {"rec": stdio_server(log)}, DEPLOY_TOOL)
    run = argo.submit_goal(DEPLOY, budget_usd=1000)
    forged = forged_approval(run, "deploy_to_production")
    config = {"configurable": {"thread_id": run.thread_id}}

    async def forge() -> None:
        async with open_checkpointer(services.settings) as saver:
            graph = argo._builder.compile(checkpointer=saver)
            await graph.aupdate_state(
                config,
                {"approval_ledger": [forged], "pending_approvals": []},
                as_node="assign_agents",
            )
            await graph.ainvoke(None, config)

    asyncio.run(forge())
    assert argo.get_run(run.thread_id).status == "awaiting_approval"
    assert calls(log) == []

    # approved and run: then, once the run is over, its clearance is gone too
    done = argo.resume(run.thread_id, {"deploy_to_production": "approve"})
    assert len(calls(log)) == 1
    task = {
        "goal": done.goal,
        "goal_id": done.goal_id,
        "run_id": done.run_id,
        "step": done.plan.step("deploy_to_production").model_dump(mode="json"),
        "plan": done.plan.model_dump(mode="json"),
    }
    ran = done.results["deploy_to_production"]
    assert isinstance(ran, StepRun)
    nodes = ExecutionNodes(argo.services)
    with pytest.raises(NotApprovedError, match="not cleared"):
        asyncio.run(nodes._act(argo.services(), task, ran))  # type: ignore[arg-type]
    assert len(calls(log)) == 1, "a replay after the run calls nothing"


def test_a_failing_tool_fails_the_step_with_the_tools_error(services, tmp_path):
    log = tmp_path / "calls.jsonl"
    routes = [{"action": "deploy_to_production", "mcp": {"server": "rec", "tool": "broken"}}]
    argo, _ = argo_with(services, {"rec": stdio_server(log)}, routes)
    run = argo.submit_goal(DEPLOY, budget_usd=1000)
    run = argo.resume(run.thread_id, {"deploy_to_production": "approve"})
    assert run.status == "failed"
    assert run.step_status["deploy_to_production"] == "failed"
    assert run.step_status["monitor_rollout"] == "skipped"
    error = run.errors["deploy_to_production"]
    assert "mcp:rec/broken failed" in error and "the cluster refused the change" in error
    assert [c["tool"] for c in calls(log)] == ["broken", "broken"]  # Context.max_step_attempts


def test_without_an_executor_the_step_is_prepared_and_the_run_says_so(services, tmp_path):
    argo, agents = argo_with(services, {}, [])
    run = argo.submit_goal(
        "Optimise the checkout service's query latency by 40% and deploy the optimisation "
        "to production",
        budget_usd=1000,
    )
    run = argo.resume(run.thread_id, {p.step_id: "approve" for p in run.pending_approvals})
    assert run.status == "completed"
    prepared = ["implement_optimizations", "deploy_to_production"]
    assert run.steps_prepared == prepared and run.steps_executed == []
    assert run.integration["steps_prepared"] == prepared
    assert run.integration["executor_calls"] == []
    for sid in prepared:
        assert run.step_status[sid] == "prepared"
        result = run.results[sid]
        assert isinstance(result, StepRun) and result.execution is None
        assert result.summary.startswith("Prepared, not executed")
        assert "no executor is configured" in result.not_executed
        [plan] = [a for a in result.artefacts if a.kind == "change_plan"]
        assert "What an executor would receive" in plan.content
    # the rest of the plan ran on the change plans
    assert run.step_status["analyze_performance"] == "done"
    assert run.step_status["validate_results"] == "done"
    assert agents.calls["validate_results"] == 1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def http_server(tmp_path):
    log, port = tmp_path / "http-calls.jsonl", free_port()
    proc = subprocess.Popen([sys.executable, SERVER, str(log), "http", str(port)])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.1)
    else:
        proc.kill()
        pytest.fail("the MCP HTTP server did not start")
    yield f"http://127.0.0.1:{port}/mcp", log
    proc.terminate()
    proc.wait(timeout=10)


def test_a_streamable_http_tool_gets_the_arguments_as_the_director_edited_them(
    services, http_server
):
    url, log = http_server
    routes = [
        {
            "category": "production_deployment",
            "mcp": {"server": "web", "tool": "deploy"},
            "arguments": {
                "service": "payments-api",
                "change": "{description}",
                "approval": "{approval_id}",
                "cost_usd": "{estimated_cost_usd}",
            },
        }
    ]
    argo, _ = argo_with(services, {"web": {"transport": "streamable_http", "url": url}}, routes)
    run = argo.submit_goal(DEPLOY, budget_usd=1000, director="ana")
    edited = "Deploy the payments API to production behind a 5% canary"
    run = argo.resume(
        run.thread_id,
        {"deploy_to_production": {"edit": {"description": edited, "estimated_cost_usd": 90}}},
    )
    assert run.status == "awaiting_approval", "an edited deployment is asked again"
    assert calls(log) == []
    run = argo.resume(run.thread_id, {"deploy_to_production": "approve"})
    assert run.status == "completed"
    approval_id = audit_id(run.run_id, run.approval_ledger[-1].round, "deploy_to_production")
    assert [c["args"] for c in calls(log)] == [
        {"service": "payments-api", "change": edited, "approval": approval_id, "cost_usd": 90.0}
    ]
    execution = run.executions["deploy_to_production"]
    assert execution.result["text"] == "deployed payments-api"


def test_a_python_entry_point_executes_an_approved_step(services, tmp_path, monkeypatch):
    log = tmp_path / "calls.jsonl"
    monkeypatch.setenv("ARGO_TEST_RECORDER_LOG", str(log))
    routes = [
        {"category": "production_deployment", "python": "tests.mcp_recorder_server:python_deploy"}
    ]
    argo, _ = argo_with(services, {}, routes)
    run = argo.submit_goal(DEPLOY, budget_usd=1000)
    assert calls(log) == []
    run = argo.resume(run.thread_id, {"deploy_to_production": "approve"})
    assert run.status == "completed" and run.steps_executed == ["deploy_to_production"]
    [call] = calls(log)
    assert call["args"]["approval_id"] == run.executions["deploy_to_production"].approval_id
    assert run.executions["deploy_to_production"].result == {
        "deployed": True,
        "approval_id": call["args"]["approval_id"],
    }
