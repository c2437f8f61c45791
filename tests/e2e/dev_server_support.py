"""Start `langgraph dev` on the repository's langgraph.json, for the e2e tests."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from argo_agents.local_stack.stack import free_port

ROOT = Path(__file__).resolve().parents[2]


def _absolute(ref: str) -> str:
    return str(ROOT / ref.removeprefix("./"))


def _absolute_graph(ref: str | dict) -> str | dict:
    """A graph entry (a path, or {"path", "description"}) with an absolute path."""
    if isinstance(ref, dict):
        return {**ref, "path": _absolute(ref["path"])}
    return _absolute(ref)


@contextmanager
def run_dev_server(
    data_dir: Path, workdir: Path, extra_env: Mapping[str, str] | None = None
) -> Iterator[tuple[str, Path]]:
    """A dev server whose graphs use ``data_dir`` (same stack, own outbox); yields (url, log)."""
    port = free_port()
    env = {
        **os.environ,
        "ARGO_DATA_DIR": str(data_dir),
        "ARGO_SYNC_NAMESPACE": f"dev:{uuid.uuid4().hex[:8]}",
        **(extra_env or {}),
    }
    # the same langgraph.json with absolute paths, so the server's files stay in workdir
    spec = json.loads((ROOT / "langgraph.json").read_text())
    spec["dependencies"] = [str(ROOT)]
    spec["graphs"] = {k: _absolute_graph(v) for k, v in spec["graphs"].items()}
    if spec.get("auth", {}).get("path"):
        spec["auth"] = {**spec["auth"], "path": _absolute(spec["auth"]["path"])}
    (workdir / "langgraph.json").write_text(json.dumps(spec))
    log_path = workdir / "server.log"
    log = open(log_path, "wb")
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "langgraph"),
            "dev",
            "--no-browser",
            "--no-reload",
            "--port",
            str(port),
            "--config",
            str(workdir / "langgraph.json"),
        ],
        cwd=workdir,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert proc.poll() is None, log_path.read_text()[-3000:]
            try:
                # /ok answers without auth, so this works whatever the auth setup
                if httpx.get(f"{url}/ok", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        else:
            pytest.fail("langgraph dev did not answer: " + log_path.read_text()[-3000:])
        yield url, log_path
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def interrupts(state: dict) -> list:
    """Every interrupt of a thread state, wherever the server version puts them."""
    found = list(state.get("interrupts") or [])
    for task in state.get("tasks") or []:
        found.extend(task.get("interrupts") or [])
    return found
