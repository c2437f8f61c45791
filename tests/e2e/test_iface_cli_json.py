"""`--json` for the commands that drive a run: every stdout line is one JSON run event
(NDJSON), diagnostics go to stderr, and the last line is the run as it ended."""

from __future__ import annotations

import json
import uuid

import pytest
from typer.testing import CliRunner

from argo_agents.cli.app import app

pytestmark = pytest.mark.e2e


@pytest.fixture()
def cli(stack, monkeypatch):
    monkeypatch.setenv("ARGO_DATA_DIR", str(stack.settings.data_dir))
    monkeypatch.setenv("ARGO_SYNC_NAMESPACE", f"json:{uuid.uuid4().hex[:8]}")
    for name in ("ARGO_OPENAI_BASE_URL", "ARGO_OPENAI_API_KEY"):  # offline: no endpoint
        monkeypatch.delenv(name, raising=False)
    return CliRunner()


def lines(stdout: str) -> list[dict]:
    parsed = [json.loads(line) for line in stdout.splitlines()]  # every line, or it fails
    assert parsed and all(isinstance(e, dict) and "kind" in e for e in parsed)
    return parsed


def deploy_goal() -> str:
    return f"Deploy the {uuid.uuid4().hex[:6]} payments API to production"


def test_run_json_streams_every_event_and_approve_all_carries_on(cli):
    result = cli.invoke(app, ["run", deploy_goal(), "--budget", "900", "--approve-all", "--json"])
    assert result.exit_code == 0, result.stderr
    events = lines(result.stdout)
    kinds = [e["kind"] for e in events]
    assert kinds[:2] == ["plan_ready", "agents_assigned"]
    assert "approval_requested" in kinds and "synced" in kinds
    # the pause ends one stream, the approved run's stream follows; the last line says how
    assert kinds.count("run_ended") == 2 and kinds[-1] == "run_ended"
    paused = events[kinds.index("run_ended")]["run"]
    assert paused["status"] == "awaiting_approval"
    asked = events[kinds.index("approval_requested")]["approvals"]
    assert [a["step_id"] for a in asked] == ["deploy_to_production"]
    finished = {e["step_id"]: e["status"] for e in events if e["kind"] == "step_finished"}
    assert finished["deploy_to_production"] in ("done", "prepared")
    assert events[-1]["run"]["status"] == "completed"
    assert events[-1]["run"]["thread_id"] == paused["thread_id"]


def test_a_paused_run_is_decided_with_approve_json(cli):
    paused = cli.invoke(app, ["run", deploy_goal(), "--budget", "900", "--json"])
    assert paused.exit_code == 0, paused.stderr
    last = lines(paused.stdout)[-1]
    assert last["kind"] == "run_ended" and last["run"]["status"] == "awaiting_approval"
    thread = last["run"]["thread_id"]
    assert f"argo approve {thread}" in paused.stderr  # the hint is a diagnostic

    decided = cli.invoke(app, ["approve", thread, "--json"])
    assert decided.exit_code == 0, decided.stderr
    events = lines(decided.stdout)
    assert events[-1]["kind"] == "run_ended"
    assert events[-1]["run"]["status"] == "completed"
    assert "synced" in [e["kind"] for e in events]


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["run", "   ", "--json"], "invalid goal"),
        (["run", "Analyse the checkout latency", "--json", "--agent", "wizard"], "agents"),
        (["run", "Analyse the checkout latency", "--json", "--model", "gpt-x"], "endpoint"),
        (["approve", "no-such-thread", "--json"], "cannot approve"),
    ],
)
def test_a_refusal_leaves_stdout_empty_and_says_why_on_stderr(cli, args, said):
    result = cli.invoke(app, args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert said in result.stderr
