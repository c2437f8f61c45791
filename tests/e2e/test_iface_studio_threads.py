"""A thread started on the LangGraph server (as Studio does) is read and decided by `argo`.

langgraph.json points the server at ARGO's own checkpointer, so the run a
server client starts lives where `argo status` and `argo approve` look.
"""

from __future__ import annotations

import json
import uuid

import pytest
from langgraph_sdk import get_sync_client
from typer.testing import CliRunner

from argo_agents.cli.app import app
from tests.e2e.dev_server_support import run_dev_server

pytestmark = pytest.mark.e2e


def test_argo_status_and_approve_work_on_a_thread_the_server_started(stack, tmp_path, monkeypatch):
    data_dir = stack.settings.data_dir  # the session's stores and checkpoints file
    namespace = f"studio:{uuid.uuid4().hex[:8]}"
    extra = {"ARGO_SYNC_NAMESPACE": namespace}
    with run_dev_server(data_dir, tmp_path, extra_env=extra) as (url, log):
        client = get_sync_client(url=url)
        thread = client.threads.create()["thread_id"]
        goal = f"Deploy the payments API {uuid.uuid4().hex[:6]} to production"
        client.runs.wait(thread, "orchestrator", input={"goal": goal, "director": "ana"})

        monkeypatch.setenv("ARGO_DATA_DIR", str(data_dir))
        monkeypatch.setenv("ARGO_SYNC_NAMESPACE", namespace)
        cli = CliRunner()
        shown = cli.invoke(app, ["status", thread, "--json"])
        assert shown.exit_code == 0, shown.output + log.read_text()[-3000:]
        run = json.loads(shown.stdout)
        assert run["goal"] == goal
        assert run["status"] == "awaiting_approval"
        assert [p["step_id"] for p in run["pending_approvals"]] == ["deploy_to_production"]

        decided = cli.invoke(app, ["approve", thread, "--director", "ana"])
        assert decided.exit_code == 0, decided.output
        # the server sees the decision the CLI made: one record of the thread
        values = client.threads.get_state(thread)["values"]
        assert values["status"] == "completed", log.read_text()[-3000:]
        assert values["approval_ledger"][0]["step_id"] == "deploy_to_production"
