"""The local BigQuery emulator runs under the local stack's own interpreter, not ARGO's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from argo_agents.local_stack.stack_env import StackEnv

pytestmark = pytest.mark.integration


def test_the_bigquery_server_runs_from_the_stack_environment(stack, endpoints):
    pid = json.loads(stack.state_path.read_text())["bigquery"]["pid"]
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    expected = StackEnv.from_settings(stack.settings).python
    assert argv[0].decode() == str(expected)  # not sys.executable: bqemulator lives there
    assert argv[1] == b"-I"  # isolated: nothing of ARGO's environment on its path
    assert argv[2].decode().endswith("local_stack/bqemulator_runner.py")
