"""The layer bridge driven by a front layer in Node.js (the npm `redis` client)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from argo_agents.bridge import CHANNEL_SYNC
from argo_agents.stores.redis_channels import RedisChannels

pytestmark = pytest.mark.e2e

CLIENT = Path(__file__).resolve().parent.parent / "bridge"
TOKEN = "tok-node-" + uuid.uuid4().hex


def _node_client() -> str:
    node, npm = shutil.which("node"), shutil.which("npm")
    assert node and npm, "the bridge test needs Node.js and npm (apt install nodejs npm)"
    if not all((CLIENT / "node_modules" / p).is_dir() for p in ("redis", "canonicalize")):
        # pinned by package-lock.json
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=CLIENT, check=True)
    return node


def test_a_node_front_layer_signs_submits_a_goal_approves_it_and_sees_it_complete(stack, tmp_path):
    node = _node_client()
    endpoints = stack.endpoints()
    env = {
        **os.environ,
        "ARGO_DATA_DIR": str(stack.settings.data_dir),
        "ARGO_SYNC_NAMESPACE": f"bridge:{uuid.uuid4().hex[:8]}",
        "ARGO_DIRECTOR_TOKENS": json.dumps({TOKEN: "node"}),
    }
    presence = RedisChannels.from_endpoints(endpoints)
    ready = presence.listen([CHANNEL_SYNC])
    next(ready)  # subscribed before the bridge starts
    bridge = subprocess.Popen(
        [str(Path(sys.executable).parent / "argo"), "bridge"],
        env=env,
        stdout=open(tmp_path / "bridge.log", "wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 90
        while (msg := next(ready)) is None or msg["event_type"] != "bridge_ready":
            assert bridge.poll() is None, (tmp_path / "bridge.log").read_text()
            assert time.monotonic() < deadline, "the bridge never said bridge_ready"
        front = subprocess.run(
            [node, "front_layer.mjs", endpoints.redis_url, "Deploy the payments API to production",
             "900", "node", TOKEN],
            cwd=CLIENT, capture_output=True, text=True, timeout=150,
        )  # fmt: skip
        assert front.returncode == 0, front.stderr + (tmp_path / "bridge.log").read_text()
    finally:
        bridge.terminate()
        bridge.wait(timeout=30)
        presence.close()

    seen = [json.loads(line) for line in front.stdout.splitlines()]
    assert all(m["source"] == "layer2" and m["target"] == "layer1" for m in seen)
    assert {"id", "timestamp", "event_type", "data"} <= set(seen[0])
    kinds = [m["event_type"] for m in seen]
    unsigned, malformed = [m["data"] for m in seen if m["event_type"] == "error"]
    assert unsigned["kind"] == "Unauthenticated"  # a bridge with tokens serves signed requests
    assert "thread_id" in malformed["error"]  # the malformed request was refused, saying why
    asked = seen[kinds.index("approval_requested")]["data"]
    assert [a["step_id"] for a in asked["approvals"]] == ["deploy_to_production"]
    done = seen[-1]["data"]
    assert seen[-1]["event_type"] == "goal_completed" and done["status"] == "completed"
    assert done["thread_id"] == asked["thread_id"]
    assert done["steps"]["deploy_to_production"] in ("done", "prepared")
