"""A worker SIGKILLed in the middle of a batch: another worker finishes, nothing lost or doubled."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from argo_agents.sync import SyncEvent
from tests.integration.test_sync_support import (  # noqa: F401  (fixtures)
    assert_holds,
    make_engine_fixture,
    raw_row_counts,
    sync_stores_fixture,
    uid,
)

pytestmark = pytest.mark.integration


def start_worker(stack_settings, namespace: str, tmp_path) -> subprocess.Popen:
    """`argo sync worker` in a child process, on the session stack and this namespace."""
    env = {
        **os.environ,
        "ARGO_DATA_DIR": str(stack_settings.data_dir),
        "ARGO_SYNC_NAMESPACE": namespace,
        "ARGO_SYNC_BATCH_SIZE": "25",
        "ARGO_SYNC_BATCH_MAX": "25",
        "ARGO_EMBEDDING_PROVIDER": "hashing",
    }
    code = "from argo_agents.cli.sync_commands import sync_app; sync_app(['worker'])"
    return subprocess.Popen(
        [sys.executable, "-c", code],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def test_killed_worker_loses_and_duplicates_nothing(
    make_engine, sync_stores, stack_settings, tmp_path
):
    engine = make_engine(claim_idle_ms=500)
    run = uid("crash")
    events = [
        SyncEvent(
            entity_type="knowledge" if i % 2 else "metric",
            entity_id=f"{run}-{i}",
            data={"text": f"crash test item {i}", "name": "n", "value": i},
        )
        for i in range(600)
    ]
    engine.publish(events)
    child = start_worker(stack_settings, engine.config.namespace, tmp_path)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            _, in_flight = engine.ctx.outbox.sizes()
            if engine.status().processed >= 50 and in_flight > 0:
                break
            assert child.poll() is None, child.stderr.read().decode()[-2000:]
            time.sleep(0.01)
        else:
            pytest.fail("the child worker did not get going within 60 s")
        # Kill it mid-batch: frozen first (SIGSTOP), so what it holds cannot change
        # between looking and killing; if it holds nothing right then, try again.
        stranded = 0
        while not stranded and time.monotonic() < deadline + 60:
            child.send_signal(signal.SIGSTOP)
            _, stranded = engine.ctx.outbox.sizes()
            if not stranded:
                child.send_signal(signal.SIGCONT)
                time.sleep(0.005)
        child.send_signal(signal.SIGKILL)  # entries delivered, not acknowledged
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
    assert stranded > 0  # the dead worker held entries that only XAUTOCLAIM can free
    before = engine.status().processed
    assert before < 600

    report = engine.drain(timeout_s=120)  # a new worker in this process
    assert report.complete
    with_versions = [e.model_copy(update={"version": 1}) for e in events]
    assert_holds(engine, with_versions)
    assert engine.verify().divergence == 0
    for table, parity in (("metrics", 0), ("knowledge_base", 1)):
        ids = [e.entity_id for i, e in enumerate(events) if i % 2 == parity]
        counts = raw_row_counts(sync_stores, table, ids)
        assert len(counts) == 300 and set(counts.values()) == {1}, table
    assert engine.status().processed == 600
