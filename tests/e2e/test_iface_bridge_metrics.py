"""`argo bridge --metrics-port`: runs by status and pending approvals, scraped over HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from argo_agents.api import Argo
from argo_agents.bridge import CHANNEL_IN, message
from argo_agents.config import Settings
from argo_agents.local_stack.stack import free_port
from argo_agents.orchestrator.context import Context
from argo_agents.stores.redis_channels import RedisChannels

pytestmark = pytest.mark.e2e


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of one scrape, by (name, labels)."""
    text = httpx.get(url, timeout=30).text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def wait_for(url: str, bridge: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert bridge.poll() is None, log.read_text()
        try:
            if httpx.get(url, timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.5)
    pytest.fail("the bridge never served /metrics: " + log.read_text())


def test_the_bridge_exports_runs_by_status_and_pending_approvals(stack, tmp_path):
    namespace = f"metrics:{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "ARGO_DATA_DIR": str(stack.settings.data_dir),
           "ARGO_SYNC_NAMESPACE": namespace}  # fmt: skip
    port, log = free_port(), tmp_path / "bridge.log"
    bridge = subprocess.Popen(
        [str(Path(sys.executable).parent / "argo"), "bridge", "--metrics-port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(log, "wb"),
    )
    url = f"http://127.0.0.1:{port}/metrics"
    try:
        wait_for(url, bridge, log)
        before = scrape(url)
        settings = Settings(_env_file=None, data_dir=stack.settings.data_dir)  # type: ignore[call-arg]
        with Argo(settings) as argo:  # a run that pauses for one approval
            paused = argo.submit_goal(f"Deploy the {uuid.uuid4().hex[:6]} API to production")
        assert paused.status == "awaiting_approval"
        # and one whose agents escalate: every step is above a remit of $0
        with Argo(settings, context=Context(agent_remit_usd=0.0)) as argo:
            asking = argo.submit_goal("Research how competitors price their support plans")
        assert asking.status == "awaiting_director" and asking.pending_escalations
        channels = RedisChannels.from_endpoints(stack.endpoints())
        try:  # one request through the bridge (refused: no such thread)
            channels.publish(CHANNEL_IN, message("get_run", {"thread_id": "no-such"},
                                                 source="layer1", target="layer2"))  # fmt: skip
            deadline = time.monotonic() + 30
            while scrape(url)[("argo_bridge_requests_total", ())] < 1:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.3)
        finally:
            channels.close()
        after = scrape(url)
    finally:
        bridge.terminate()
        bridge.wait(timeout=30)

    waiting = ("argo_runs", (("status", "awaiting_approval"),))
    assert after[("argo_runs_up", ())] == 1
    assert after[waiting] == before[waiting] + 1
    assert after[("argo_pending_approvals", ())] == before[("argo_pending_approvals", ())] + 1
    asked = ("argo_pending_escalations", ())
    assert after[asked] == before[asked] + len(asking.pending_escalations)
    assert {s for (name, labels), _ in after.items() if name == "argo_runs" for _, s in labels} >= {
        "completed", "failed", "rejected", "running", "stalled", "awaiting_approval"}  # fmt: skip
    assert after[("argo_sync_up", ())] == 1  # the sync figures are served beside them
