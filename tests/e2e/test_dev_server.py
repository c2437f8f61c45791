"""`langgraph dev` serves langgraph.json: run, interrupt, resume — driven by langgraph-sdk."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from langgraph_sdk import get_sync_client

from argo_agents.local_stack.stack import free_port

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def dev_server(stack, tmp_path_factory):
    """A dev server whose graphs use the session's stack (same data dir, own outbox)."""
    port = free_port()
    workdir = tmp_path_factory.mktemp("devserver")
    env = {**os.environ, "ARGO_DATA_DIR": str(stack.settings.data_dir),
           "ARGO_SYNC_NAMESPACE": f"dev:{uuid.uuid4().hex[:8]}"}
    # the same langgraph.json with absolute paths, so the server's files stay in workdir
    spec = json.loads((ROOT / "langgraph.json").read_text())
    spec["dependencies"] = [str(ROOT)]
    spec["graphs"] = {k: str(ROOT / v.removeprefix("./")) for k, v in spec["graphs"].items()}
    (workdir / "langgraph.json").write_text(json.dumps(spec))
    log = open(workdir / "server.log", "wb")
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "langgraph"), "dev", "--no-browser", "--no-reload",
         "--port", str(port), "--config", str(workdir / "langgraph.json")],
        cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert proc.poll() is None, (workdir / "server.log").read_text()[-3000:]
        try:
            if httpx.get(f"{url}/ok", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.5)
    else:
        pytest.fail("langgraph dev did not answer: " + (workdir / "server.log").read_text()[-3000:])
    yield url, workdir / "server.log"
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
    log.close()


def _interrupts(state: dict) -> list:
    found = list(state.get("interrupts") or [])
    for task in state.get("tasks") or []:
        found.extend(task.get("interrupts") or [])
    return found


def test_dev_server_runs_pauses_and_resumes_the_orchestrator(dev_server):
    url, log = dev_server
    client = get_sync_client(url=url)
    assistants = {a["graph_id"] for a in client.assistants.search(limit=20)}
    assert {"orchestrator", "technical", "research", "creative"} <= assistants

    thread = client.threads.create()
    client.runs.wait(thread["thread_id"], "orchestrator", input={
        "goal": "Deploy the payments API to production", "budget_usd": 1000,
        "director": "ana"})
    state = client.threads.get_state(thread["thread_id"])
    interrupts = _interrupts(state)
    assert interrupts, log.read_text()[-3000:]
    approvals = interrupts[0]["value"]["approvals"]
    assert [a["category"] for a in approvals] == ["production_deployment"]
    assert set(approvals[0]) >= {"step_id", "action", "category", "reason",
                                 "estimated_cost_usd"}

    final = client.runs.wait(thread["thread_id"], "orchestrator", command={
        "resume": {"decisions": {approvals[0]["step_id"]: "approve"}}})
    assert final["status"] == "completed", log.read_text()[-3000:]
    assert final["sync_receipt"]["pending"] == 0
    assert "Blocking call" not in log.read_text()
