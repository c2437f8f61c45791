"""`argo runs` finds paused runs for a script; `argo --version`."""

from __future__ import annotations

import json
import re
from importlib.metadata import version

import pytest

from argo_agents.cli.app import app

pytestmark = pytest.mark.e2e


def _runs(cli_env, *args):
    result = cli_env.invoke(app, ["runs", "--json", *args])
    assert result.exit_code == 0, result.output
    return {r["thread_id"]: r for r in map(json.loads, result.stdout.splitlines())}


def test_runs_lists_a_paused_run_with_what_it_waits_for(cli_env):
    paused = cli_env.invoke(
        app, ["run", "Deploy the payments API to production", "--budget", "900", "--no-interactive"]
    )
    thread = re.search(r"argo approve (goal-[0-9a-f]+)", paused.output).group(1)

    waiting = _runs(cli_env, "--status", "awaiting_approval")
    assert waiting[thread]["pending_approvals"] == ["deploy_to_production"]
    assert waiting[thread]["goal"] == "Deploy the payments API to production"
    assert thread not in _runs(cli_env, "--status", "completed")

    assert cli_env.invoke(app, ["approve", thread]).exit_code == 0
    assert thread in _runs(cli_env, "--status", "completed")


def test_runs_refuses_an_unknown_status_and_version_prints_the_package_version(cli_env):
    bad = cli_env.invoke(app, ["runs", "--status", "paused"])
    assert bad.exit_code == 2 and "awaiting_approval" in bad.output
    shown = cli_env.invoke(app, ["--version"])
    assert shown.exit_code == 0 and shown.output.strip() == f"argo {version('argo-agents')}"


def test_doctor_checks_the_stores_and_passes_on_a_healthy_stack(cli_env):
    result = cli_env.invoke(app, ["doctor"])
    assert result.exit_code == 0, result.output
    for store in ("redis", "neo4j", "bigquery", "chroma"):
        assert store in result.output
    assert "model: none configured" in result.output and "all checks passed" in result.output
    scripted = cli_env.invoke(app, ["doctor", "--json"])
    report = json.loads(scripted.stdout)
    assert scripted.exit_code == 0 and report["ok"] is True and report["model"] is None
    assert {s["name"] for s in report["stores"]} == {"redis", "neo4j", "bigquery", "chroma"}


def test_doctor_fails_and_says_why_when_a_health_rule_breaks(cli_env, monkeypatch):
    # A 0 ms budget for graph writes: the rule fires on the first recorded write.
    monkeypatch.setenv("ARGO_SYNC_WARN_GRAPH_WRITE_MS", "0")
    cli_env.invoke(app, ["run", "Analyse the orders table", "--budget", "100", "--no-interactive"])
    result = cli_env.invoke(app, ["doctor"])
    assert result.exit_code == 1 and "graph writes take" in result.output


def test_analytics_runs_the_seed_queries_and_writes_the_charts(cli_env, tmp_path):
    ran = cli_env.invoke(
        app, ["run", "Analyse the orders table", "--budget", "100", "--no-interactive"]
    )
    assert ran.exit_code == 0, ran.output
    listed = cli_env.invoke(app, ["analytics"])
    assert listed.stdout.split() == [
        "event_patterns",
        "collaboration_pairs",
        "agent_performance",
        "agent_workload",
    ]
    perf = cli_env.invoke(app, ["analytics", "agent_performance", "--json"])
    rows = [json.loads(line) for line in perf.stdout.splitlines()]
    assert perf.exit_code == 0 and rows and {"agent_id", "avg_duration_ms"} <= set(rows[0])
    assert cli_env.invoke(app, ["analytics", "top_agents"]).exit_code == 2
    page = tmp_path / "report.html"
    assert cli_env.invoke(app, ["analytics-chart", str(page)]).exit_code == 0
    assert page.read_text().count("<svg") == 3 and rows[0]["agent_id"] in page.read_text()
    scripted = cli_env.invoke(app, ["analytics-chart", str(tmp_path / "again.html"), "--json"])
    wrote = json.loads(scripted.stdout)
    assert wrote["path"].endswith("again.html") and wrote["rows"]["agent_performance"] >= 1


def test_status_json_lists_every_citation_of_a_finished_run(cli_env):
    ran = cli_env.invoke(
        app, ["run", "Analyse the orders table", "--budget", "100", "--no-interactive"]
    )
    thread = re.search(r"thread (goal-[0-9a-f]+)", ran.output).group(1)
    shown = cli_env.invoke(app, ["status", thread, "--json"])
    run = json.loads(shown.stdout)
    assert shown.exit_code == 0 and run["thread_id"] == thread and run["status"] == "completed"
    for result in run["results"].values():  # each result says what it rests on, or that none
        assert "evidence" in result and "open_questions" in result


def test_agents_lists_the_registry_with_workloads(cli_env):
    shown = cli_env.invoke(app, ["agents", "--json"])
    rows = [json.loads(line) for line in shown.stdout.splitlines()]
    assert shown.exit_code == 0
    assert {r["agent_id"] for r in rows} >= {"technical-1", "research-1", "creative-1"}
    assert all(r["origin"] in ("registry", "scaled") and r["max_workload"] > 0 for r in rows)
    table = cli_env.invoke(app, ["agents"])
    assert "load " in table.output and "retired under 30%" in table.output


def test_stack_and_sync_status_speak_json_for_scripts(cli_env):
    stack = cli_env.invoke(app, ["stack", "status", "--json"])
    stores = [json.loads(line) for line in stack.stdout.splitlines()]
    assert stack.exit_code == 0
    assert sorted(s["name"] for s in stores) == ["bigquery", "chroma", "neo4j", "redis"]
    assert all(s["healthy"] for s in stores)
    sync = cli_env.invoke(app, ["sync", "status", "--json"])
    figures = json.loads(sync.stdout)
    assert sync.exit_code == 0 and {"outbox", "dead_letters", "stores", "warnings"} <= set(figures)
