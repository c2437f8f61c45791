"""`argo status`, `argo runs --status awaiting_director` and `argo answer` on a run paused by an
agent's escalation."""

from __future__ import annotations

import json

import pytest

from argo_agents.api import Argo
from argo_agents.cli.app import app
from argo_agents.config import Settings
from argo_agents.orchestrator.context import Context

pytestmark = pytest.mark.e2e


def paused_run() -> tuple[str, list[str]]:
    """A run whose steps all exceed a $0 remit: each first step asks the Director."""
    with Argo(Settings(), context=Context(agent_remit_usd=0.0)) as argo:
        run = argo.submit_goal("Research how competitors price their premium support plans")
    assert run.status == "awaiting_director", run.status
    return run.thread_id, [e.id for e in run.pending_escalations]


def test_the_cli_shows_the_question_and_takes_the_answer(cli_env):
    thread, asked = paused_run()

    shown = cli_env.invoke(app, ["status", thread])
    assert shown.exit_code == 0, shown.output
    assert asked[0] in shown.output and "risk_above_remit" in shown.output
    assert f"argo answer {thread}" in shown.output

    listed = cli_env.invoke(app, ["runs", "--status", "awaiting_director", "--json"])
    assert listed.exit_code == 0, listed.output
    assert thread in {json.loads(line)["thread_id"] for line in listed.stdout.splitlines()}

    refused = cli_env.invoke(app, ["answer", thread, asked[0], "maybe"])
    assert refused.exit_code == 2
    assert "unknown option 'maybe'" in " ".join(refused.output.split())

    run: dict = {}
    for esc_id in asked:  # each first-level step escalated; answer them one by one
        done = cli_env.invoke(
            app, ["answer", thread, esc_id, "proceed", "--note", "approved spend", "--json"]
        )
        assert done.exit_code == 0, done.output
        run = json.loads(done.stdout)
    assert run["status"] == "completed"
    answers = {e["id"]: e["answer"] for e in run["escalations"].values()}
    assert set(answers) == set(asked)
    assert {a["option"] for a in answers.values()} == {"proceed"}
    assert {a["note"] for a in answers.values()} == {"approved spend"}


def test_an_interactive_run_asks_each_question_on_the_terminal(cli_env):
    from argo_agents.cli.goal_commands import _drive

    with Argo(Settings(), context=Context(agent_remit_usd=0.0)) as argo:  # every step asks
        run = argo.submit_goal("Research how competitors price their premium support plans")
        assert run.status == "awaiting_director"
        with cli_env.isolation(input="maybe\n" + "proceed\n" * 20) as streams:
            ended = _drive(argo, run, False, True, "ana")
            shown = streams[0].getvalue().decode()
            refused = streams[1].getvalue().decode()
    assert ended.status == "completed"
    asked = shown.count("An agent asks the Director")
    assert asked == len(ended.escalations) >= 2  # one prompt per question, none skipped
    assert "'maybe' is not one of" in refused  # an option not offered is asked again
    assert {e.answer.option for e in ended.escalations.values() if e.answer} == {"proceed"}
