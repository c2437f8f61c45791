"""Executor configuration, routing, approvals and the Python entry-point executor (no stores)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from argo_agents.approval.decisions import LedgerEntry
from argo_agents.approval.policy import ApprovalPolicy
from argo_agents.approval.record import ApprovalRecord
from argo_agents.executors import (
    ExecutorConfigError,
    ExecutorError,
    ExecutorRegistry,
    NotApprovedError,
    acting_categories,
    approval_of,
    audit_id,
    parse_config,
)
from argo_agents.executors.arguments import build_arguments
from argo_agents.executors.models import Approval
from argo_agents.planning.models import PlanStep
from argo_agents.planning.offline import plan_offline
from tests.conftest import make_settings
from tests.mcp_recorder_server import LOG_ENV, calls

STDIO = {"transport": "stdio", "command": "python", "args": ["server.py"]}
HTTP = {"transport": "streamable_http", "url": "http://127.0.0.1:9/mcp"}
PLAN = plan_offline(
    "Optimise the checkout service's query latency by 40% and deploy the optimisation to production"
)
DEPLOY = PLAN.step("deploy_to_production")
IMPLEMENT = PLAN.step("implement_optimizations")
ANALYSE = PLAN.step("analyze_performance")


def refused(match: str, **kwargs: Any) -> None:
    with pytest.raises(ExecutorConfigError, match=match):
        parse_config(kwargs.get("servers"), kwargs.get("routes"), kwargs.get("file"))


# ---- configuration -------------------------------------------------------------------


def test_a_valid_configuration_parses_into_typed_servers_and_routes():
    config = parse_config(
        {"ops": STDIO, "web": HTTP},
        [
            {"action": "deploy_to_production", "mcp": {"server": "web", "tool": "deploy"}},
            {"category": "data_migration", "python": "ops.migrations:run", "timeout_s": 30},
        ],
    )
    assert config.mcp_servers["ops"].connection() == {
        "transport": "stdio",
        "command": "python",
        "args": ["server.py"],
    }
    assert config.mcp_servers["web"].connection() == HTTP
    assert [r.name for r in config.routes] == ["mcp:web/deploy", "python:ops.migrations:run"]


def test_bad_configurations_are_refused_naming_the_entry_and_the_fix():
    refused(r"ARGO_MCP_SERVERS\['ops'\].*needs 'command'", servers={"ops": {"transport": "stdio"}})
    refused(r"needs 'url'", servers={"w": {"transport": "streamable_http"}})
    refused(r"ARGO_MCP_SERVERS\['x'\]: transport", servers={"x": {"transport": "sse", "url": "u"}})
    refused(r"ARGO_MCP_SERVERS must be a JSON object", servers=["ops"])
    refused(r"ARGO_EXECUTORS must be a JSON list", routes={"action": "x"})
    refused(
        r"ARGO_EXECUTORS\[0\].*exactly one of 'mcp'",
        routes=[{"action": "x", "python": "a:b", "mcp": {"server": "s", "tool": "t"}}],
    )
    refused(r"ARGO_EXECUTORS\[0\].*'action', 'category'", routes=[{"python": "a:b"}])
    refused(r"unknown category 'deploy'", routes=[{"category": "deploy", "python": "a:b"}])
    refused(r"ARGO_EXECUTORS\[0\]: python", routes=[{"action": "x", "python": "not a path"}])
    refused(
        r"unknown placeholders \['cost'\]",
        routes=[{"action": "x", "python": "a:b", "arguments": {"c": "{cost}"}}],
    )
    refused(r"ARGO_EXECUTORS\[0\]: actoin", routes=[{"actoin": "x", "python": "a:b"}])
    refused(
        r"names MCP server 'opz', which is not configured.*configured: ops",
        servers={"ops": STDIO},
        routes=[{"action": "x", "mcp": {"server": "opz", "tool": "t"}}],
    )


def test_a_configuration_file_adds_servers_and_routes(tmp_path: Path):
    file = tmp_path / "executors.json"
    file.write_text(
        json.dumps(
            {
                "mcp_servers": {"web": HTTP},
                "executors": [{"action": "a", "mcp": {"server": "web", "tool": "t"}}],
            }
        )
    )
    config = parse_config({"ops": STDIO}, [{"action": "b", "python": "m:f"}], file)
    assert set(config.mcp_servers) == {"ops", "web"}
    assert [r.action for r in config.routes] == ["b", "a"]
    refused(r"in both ARGO_MCP_SERVERS and ARGO_EXECUTORS_FILE", servers={"web": HTTP}, file=file)
    (tmp_path / "bad.json").write_text("{nope")
    refused(r"ARGO_EXECUTORS_FILE .*bad.json.* is not valid JSON", file=tmp_path / "bad.json")
    refused(r"cannot be read", file=tmp_path / "missing.json")


def test_settings_carry_the_executor_variables(tmp_path: Path):
    settings = make_settings(
        tmp_path,
        mcp_servers={"ops": STDIO},
        executors=[{"category": "production_deployment", "mcp": {"server": "ops", "tool": "t"}}],
    )
    registry = ExecutorRegistry.from_settings(settings)
    assert registry.names() == ["mcp:ops/t"]
    assert not ExecutorRegistry.from_settings(make_settings(tmp_path))


def test_a_missing_entry_point_is_refused_when_the_registry_is_built():
    with pytest.raises(ExecutorConfigError, match="cannot import 'no_such_module_argo'"):
        ExecutorRegistry.from_config(
            parse_config(executors=[{"action": "x", "python": "no_such_module_argo:f"}])
        )
    with pytest.raises(ExecutorConfigError, match="has no 'nope'"):
        ExecutorRegistry.from_config(
            parse_config(executors=[{"action": "x", "python": "json:nope"}])
        )


# ---- which steps act, and which executor acts for them ---------------------------------


def test_steps_that_change_the_world_are_found_by_label_and_by_argo_s_classifier():
    assert acting_categories(DEPLOY, []) == ["production_deployment"]
    assert acting_categories(IMPLEMENT, []) == ["implementation"]
    assert acting_categories(ANALYSE, []) == []
    from argo_agents.approval.classifier import classify_plan

    disguised = PlanStep(
        id="tidy",
        action="tidy_tables",
        description="DROP the old tables",
        category="implementation",
    )
    plan = PLAN.model_copy(update={"steps": [disguised]})
    findings = classify_plan(plan, "Speed up the reporting service")["tidy"]
    assert acting_categories(disguised, findings) == ["data_deletion", "implementation"]


def test_routes_match_by_action_first_then_by_category_strictest_first():
    registry = ExecutorRegistry.from_config(
        parse_config(
            executors=[
                {"category": "implementation", "python": "json:dumps"},
                {"category": "data_deletion", "python": "json:loads"},
                {"action": "deploy_to_production", "python": "os.path:join"},
                {
                    "action": "implement_optimizations",
                    "category": "data_migration",
                    "python": "os.path:split",
                },
            ]
        )
    )
    assert registry.for_step(DEPLOY, ["production_deployment"]).name == "python:os.path:join"
    # an action route that also names a category needs both
    assert registry.for_step(IMPLEMENT, ["implementation"]).name == "python:json:dumps"
    tidy = PlanStep(id="t", action="tidy", description="drop", category="implementation")
    assert registry.for_step(tidy, ["data_deletion", "implementation"]).name == "python:json:loads"
    assert registry.for_step(ANALYSE, []) is None
    assert ExecutorRegistry.empty().for_step(DEPLOY, ["production_deployment"]) is None


# ---- the approval an executor receives -------------------------------------------------


def record_with(*entries: LedgerEntry, status: str = "cleared", plan=PLAN) -> ApprovalRecord:
    record = ApprovalRecord(
        run_id="run-1",
        thread_id="t",
        goal=plan.goal,
        goal_id=plan.goal_id,
        plan=plan,
        policy=ApprovalPolicy(),
        ledger=list(entries),
    )
    return record.model_copy(update={"status": status, "cleared": record.clearance()})


def entry(step_id: str, decision: str, round_id: str = "await_approval:1") -> LedgerEntry:
    return LedgerEntry(
        run_id="run-1",
        plan_id=PLAN.plan_id,
        goal_id=PLAN.goal_id,
        round=round_id,
        step_id=step_id,
        decision=decision,  # type: ignore[arg-type]
        by="ana",
        at=datetime(2026, 1, 1, tzinfo=UTC),
        reason="",
        estimated_cost_usd=120.0,
    )


def test_an_approved_step_carries_the_id_of_its_audit_record():
    approval = approval_of(record_with(entry(DEPLOY.id, "approve")), DEPLOY)
    assert approval.approval_id == audit_id("run-1", "await_approval:1", DEPLOY.id)
    assert (approval.decision, approval.by, approval.goal) == ("approve", "ana", PLAN.goal)


def test_a_step_the_policy_let_through_gets_a_stable_auto_approval():
    first = approval_of(record_with(), IMPLEMENT)
    assert first.decision == "auto" and first.approval_id.startswith("auto-")
    assert approval_of(record_with(), IMPLEMENT).approval_id == first.approval_id


def test_no_approval_for_a_step_not_cleared_rejected_changed_or_after_the_run():
    with pytest.raises(NotApprovedError, match="not cleared"):
        approval_of(None, DEPLOY)
    with pytest.raises(NotApprovedError, match="not cleared"):
        approval_of(record_with(status="deciding"), DEPLOY)
    with pytest.raises(NotApprovedError, match="not cleared"):
        approval_of(record_with(entry(DEPLOY.id, "approve"), status="closed"), DEPLOY)
    with pytest.raises(NotApprovedError, match="not cleared"):
        approval_of(record_with(entry(DEPLOY.id, "reject")), DEPLOY)  # skipped: never cleared
    changed = DEPLOY.model_copy(update={"description": "Deploy everything, now"})
    with pytest.raises(NotApprovedError, match="not cleared"):
        approval_of(record_with(entry(DEPLOY.id, "approve")), changed)


def test_arguments_are_the_default_envelope_or_the_rendered_template():
    approval = approval_of(record_with(entry(DEPLOY.id, "approve")), DEPLOY)
    envelope = build_arguments(None, DEPLOY, approval)
    assert envelope["step"] == DEPLOY.model_dump(mode="json")
    assert envelope["approval_id"] == approval.approval_id
    rendered = build_arguments(
        {"cost": "{estimated_cost_usd}", "what": "{action}: {description}", "n": [1, "{run_id}"]},
        DEPLOY,
        approval,
    )
    assert rendered == {
        "cost": 120.0,  # a lone placeholder keeps its type
        "what": f"deploy_to_production: {DEPLOY.description}",
        "n": [1, "run-1"],
    }


# ---- the Python entry-point executor ----------------------------------------------------


def python_executor(target: str):
    registry = ExecutorRegistry.from_config(
        parse_config(executors=[{"action": DEPLOY.action, "python": target}])
    )
    return registry.for_step(DEPLOY, ["production_deployment"])


def test_an_entry_point_is_called_with_the_approved_arguments(tmp_path, monkeypatch):
    log = tmp_path / "calls.jsonl"
    monkeypatch.setenv(LOG_ENV, str(log))
    approval = approval_of(record_with(entry(DEPLOY.id, "approve")), DEPLOY)
    done = asyncio.run(
        python_executor("tests.mcp_recorder_server:python_deploy").execute(DEPLOY, approval)
    )
    assert done.result == {"deployed": True, "approval_id": approval.approval_id}
    assert (done.kind, done.target) == ("python", "tests.mcp_recorder_server:python_deploy")
    assert [c["args"]["approval_id"] for c in calls(log)] == [approval.approval_id]


def test_an_entry_point_refuses_another_version_of_the_step_and_reports_failures(
    tmp_path, monkeypatch
):
    log = tmp_path / "calls.jsonl"
    monkeypatch.setenv(LOG_ENV, str(log))
    approval = approval_of(record_with(entry(DEPLOY.id, "approve")), DEPLOY)
    forged = Approval.model_validate({**approval.model_dump(), "step_hash": "0" * 64})
    executor = python_executor("tests.mcp_recorder_server:python_deploy")
    with pytest.raises(NotApprovedError, match="not the version"):
        asyncio.run(executor.execute(DEPLOY, forged))
    with pytest.raises(ExecutorError, match="python_fail failed: RuntimeError: the deployment"):
        asyncio.run(
            python_executor("tests.mcp_recorder_server:python_fail").execute(DEPLOY, approval)
        )
    assert [c["tool"] for c in calls(log)] == ["python_fail"]
