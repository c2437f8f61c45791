"""The `argo` CLI: run with --approve-all, the interactive approve path, approve, status."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from argo_agents.cli import goal_commands
from argo_agents.cli.app import app

pytestmark = pytest.mark.e2e


def _thread(output: str) -> str:
    match = re.search(r"argo approve (goal-[0-9a-f]+)", output) or re.search(
        r"thread (goal-[0-9a-f]+)", output
    )
    assert match, output
    return match.group(1)


def test_run_with_approve_all_completes(cli_env):
    result = cli_env.invoke(
        app,
        [
            "run",
            "Deploy the payments API to production",
            "--budget",
            "1000",
            "--approve-all",
            "--no-interactive",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "deploy_to_production" in result.output
    assert "Goal completed" in result.output


def test_interactive_approval_asks_per_step_and_rejection_skips(cli_env):
    result = cli_env.invoke(
        app,
        ["run", "Deploy the payments API to production", "--budget", "1000", "--interactive"],
        input="n\n",
    )
    assert "Approve deploy_to_production?" in result.output
    assert "Goal rejected" in result.output
    assert "deploy_to_production: skipped" in result.output.replace("[yellow]", "")


def test_paused_run_is_approved_later_with_argo_approve(cli_env):
    paused = cli_env.invoke(
        app,
        ["run", "Delete the stale session records from the analytics database", "--no-interactive"],
    )
    assert paused.exit_code == 0, paused.output
    thread = _thread(paused.output)
    status = cli_env.invoke(app, ["status", thread])
    assert "awaiting_approval" in status.output
    approved = cli_env.invoke(app, ["approve", thread])
    assert approved.exit_code == 0, approved.output
    assert "Goal completed" in approved.output
    unknown = cli_env.invoke(app, ["status", "goal-doesnotexist"])
    assert unknown.exit_code == 2 and "no run" in unknown.output


def test_approve_edit_changes_a_step_and_a_gated_edit_is_asked_again(cli_env):
    paused = cli_env.invoke(
        app,
        ["run", "Deploy the payments API to production", "--budget", "1000", "--no-interactive"],
    )
    thread = _thread(paused.output)
    bad = cli_env.invoke(app, ["approve", thread, "--edit", "deploy_to_production=cheaper"])
    assert bad.exit_code == 2 and "not JSON" in bad.output
    both = ["--edit", 'deploy_to_production={"estimated_cost_usd": 90}']
    clash = cli_env.invoke(app, ["approve", thread, *both, "--reject", "deploy_to_production"])
    assert clash.exit_code == 2 and "cannot both reject and edit" in clash.output
    edited = cli_env.invoke(app, ["approve", thread, *both])
    assert edited.exit_code == 0, edited.output
    # a production deployment needs approval whatever it costs: asked again, at the new cost
    run = json.loads(cli_env.invoke(app, ["status", thread, "--json"]).stdout)
    assert run["status"] == "awaiting_approval"
    [asked] = run["pending_approvals"]
    assert (asked["step_id"], asked["estimated_cost_usd"]) == ("deploy_to_production", 90.0)
    assert cli_env.invoke(app, ["approve", thread]).exit_code == 0
    run = json.loads(cli_env.invoke(app, ["status", thread, "--json"]).stdout)
    assert run["status"] == "completed"


def test_demo_json_streams_the_sample_goal_to_its_synced_end(cli_env):
    result = cli_env.invoke(app, ["demo", "--json"])
    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in result.stdout.splitlines()]  # nothing else on stdout
    kinds = [e["kind"] for e in events]
    assert kinds[0] == "plan_ready" and "approval_requested" in kinds
    assert kinds[-1] == "run_ended" and events[-1]["run"]["status"] == "completed"
    receipt = events[-1]["run"]["sync_receipt"]
    assert receipt["published"] > 0 and receipt["fully_applied"] == receipt["published"]


def test_stack_status_reports_a_stack_that_is_not_running(tmp_path, monkeypatch):
    monkeypatch.setenv("ARGO_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["stack", "status"])
    assert result.exit_code == 1
    assert result.output.count("not started") == 4


def test_stack_status_shows_every_healthy_store(cli_env):
    result = cli_env.invoke(app, ["stack", "status"])
    assert result.exit_code == 0, result.output
    for name in ("redis", "neo4j", "bigquery", "chroma"):
        assert re.search(rf"{name}\s.*127\.0\.0\.1.*ok", result.output), result.output


def test_stack_install_up_and_down_answer_in_json(tmp_path, monkeypatch):
    monkeypatch.setenv("ARGO_DATA_DIR", str(tmp_path))  # a stack of its own, stopped below
    runner = CliRunner()
    installed = runner.invoke(app, ["stack", "install", "--json"])
    assert installed.exit_code == 0, installed.output
    assert json.loads(installed.stdout)["ready"] is True
    up = runner.invoke(app, ["stack", "up", "--json"])
    try:
        assert up.exit_code == 0, up.output
        stores = [json.loads(line) for line in up.stdout.splitlines()]  # progress: stderr
        assert {s["name"] for s in stores} == {"redis", "neo4j", "bigquery", "chroma"}
        assert all(s["healthy"] and s["managed"] for s in stores)
    finally:
        down = runner.invoke(app, ["stack", "down", "--json"])
    assert down.exit_code == 0, down.output
    assert sorted(json.loads(down.stdout)["stopped"]) == ["bigquery", "chroma", "neo4j", "redis"]


@pytest.mark.parametrize("budget", ["nan", "inf", "-5"])
def test_a_non_finite_or_negative_budget_is_refused_before_anything_runs(cli_env, budget):
    result = cli_env.invoke(
        app,
        [
            "run",
            "Deploy the payments API to production",
            "--budget",
            budget,
            "--approve-all",
            "--no-interactive",
        ],
    )
    assert result.exit_code == 2, result.output
    assert "budget_usd" in result.output and "deploy_to_production" not in result.output


def test_the_director_sees_what_a_gated_step_does_before_deciding(cli_env, monkeypatch):
    monkeypatch.setattr(goal_commands.console, "width", 300)  # no wrapping inside cells
    paused = cli_env.invoke(
        app, ["run", "Deploy the payments API to production", "--no-interactive"]
    )
    assert "Deploy the payments API to production" in paused.output
    assert "production deployment always needs" in paused.output
