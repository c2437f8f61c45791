"""The examples in examples/ run as a user would run them, and say what they promise."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def _run(stack, script: str, *args: str) -> str:
    env = {
        **os.environ,
        "ARGO_DATA_DIR": str(stack.settings.data_dir),  # the session's running stack
        "ARGO_SYNC_NAMESPACE": f"example:{uuid.uuid4().hex[:8]}",
    }
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / script), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_python_api_example_streams_asks_and_completes(stack):
    out = _run(stack, "python_api.py")
    assert "plan_ready" in out and "waiting for: deploy_to_production" in out
    assert "goal completed" in out and "outcome written to the stores" in out


def test_custom_registry_example_uses_the_registry_agents(stack):
    out = _run(stack, "custom_registry.py")
    assert "goal completed" in out
    assert "technical-perf" in out or "technical-ops" in out
    assert "technical-1" not in out  # the default registry's agent is not there
