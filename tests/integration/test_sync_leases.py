"""Leases: a slow live worker keeps its entries; a killed one's are claimed and it is forgotten.

claim_idle_ms is 1 s here (default 15 s) so that a batch several times longer
than it takes seconds, not a minute; the heartbeat scales with it (a third).
The other knobs are the shared fixture's (`FAST`); none of them bears on claims.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence

import pytest

from argo_agents.sync import SyncEngine, SyncEvent, lease
from argo_agents.sync.job import Job, StoreOutcome
from tests.integration.test_sync_support import (  # noqa: F401  (fixtures)
    make_engine_fixture,
    raw_row_counts,
    sync_stores_fixture,
    uid,
)

pytestmark = pytest.mark.integration

CLAIM_IDLE_MS = 1000
SLOW_S = 3.5  # a warehouse write 3.5 × claim_idle_ms long


class SlowWriter:
    """Delegates to a real writer after a pause, as a store under load would answer."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.name = inner.name  # type: ignore[attr-defined]

    def write(self, jobs: Sequence[Job]) -> StoreOutcome:
        time.sleep(SLOW_S)
        return self.inner.write(jobs)  # type: ignore[attr-defined]


def metrics(run: str, n: int) -> list[SyncEvent]:
    return [
        SyncEvent(entity_type="metric", entity_id=f"{run}-{i}", data={"name": "n", "value": i})
        for i in range(n)
    ]


def pending_by_consumer(engine: SyncEngine) -> dict[str, int]:
    client, group = engine.ctx.redis.client, engine.config.group
    counts: dict[str, int] = {}
    for stream in engine.ctx.keys.streams:
        for c in client.xinfo_consumers(stream, group):
            name = c["name"].decode() if isinstance(c["name"], bytes) else c["name"]
            counts[name] = counts.get(name, 0) + int(c["pending"])
    return counts


def run_in_thread(engine: SyncEngine, name: str, stop: threading.Event):
    worker = engine.worker(name)
    thread = threading.Thread(target=worker.run, args=(stop,))
    thread.start()
    return worker, thread


def wait_empty(engine: SyncEngine, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while engine.ctx.outbox.sizes()[0] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert engine.ctx.outbox.sizes() == (0, 0)


def test_a_slow_live_worker_keeps_its_entries(make_engine, sync_stores):
    engine = make_engine(claim_idle_ms=CLAIM_IDLE_MS)
    events = metrics(uid("slow"), 40)
    engine.publish(events)
    slow = engine.worker("slow")
    slow.applier.writers = {
        **slow.applier.writers,
        "bigquery": SlowWriter(slow.applier.writers["bigquery"]),
    }
    stop = threading.Event()
    slow_thread = threading.Thread(target=slow.step)
    slow_thread.start()
    while pending_by_consumer(engine).get("slow", 0) < len(events):
        time.sleep(0.01)  # the slow worker holds the whole batch
    fast, fast_thread = run_in_thread(engine, "fast", stop)
    try:
        time.sleep(SLOW_S - 0.5)  # the fast worker checks for idle entries every 250 ms
        held = pending_by_consumer(engine)
        assert held["slow"] == len(events) and held.get("fast", 0) == 0
        slow_thread.join(timeout=30)
        wait_empty(engine)
    finally:
        stop.set()
        fast_thread.join(timeout=30)
        fast.close()
        slow.close()
    assert slow.lease.renewals >= 2
    counts = raw_row_counts(sync_stores, "metrics", [e.entity_id for e in events])
    assert len(counts) == len(events) and set(counts.values()) == {1}  # 0 duplicate rows
    assert engine.status().processed == len(events)
    assert pending_by_consumer(engine) == {}  # both left the group on close


def test_a_killed_workers_entries_are_claimed_and_it_is_removed(
    make_engine, sync_stores, stack_settings, tmp_path, monkeypatch
):
    # Gone consumers are removed after 10 × claim_idle_ms idle; 2 × keeps the test short.
    monkeypatch.setattr(lease, "DEAD_AFTER_FACTOR", 2)
    engine = make_engine(claim_idle_ms=CLAIM_IDLE_MS)
    events = metrics(uid("killed"), 30)
    engine.publish(events)
    child = start_slow_worker(stack_settings, engine.config.namespace, tmp_path, "doomed")
    stop = threading.Event()
    rescuer, thread = None, None
    try:
        deadline = time.monotonic() + 60
        while pending_by_consumer(engine).get("doomed", 0) < len(events):
            assert child.poll() is None, child.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline, "the child worker did not take the batch"
            time.sleep(0.02)
        rescuer, thread = run_in_thread(engine, "rescuer", stop)
        time.sleep(2.5 * CLAIM_IDLE_MS / 1000)  # alive and renewing: nothing is claimed
        assert pending_by_consumer(engine)["doomed"] == len(events)
        child.send_signal(signal.SIGKILL)  # mid-batch: its heartbeat dies with it
        child.wait(timeout=10)
        wait_empty(engine)
        deadline = time.monotonic() + 20
        while "doomed" in pending_by_consumer(engine):
            assert time.monotonic() < deadline, "the dead consumer was never removed"
            time.sleep(0.1)
    finally:
        if child.poll() is None:
            child.kill()
        stop.set()
        if thread is not None:
            thread.join(timeout=30)
        if rescuer is not None:
            rescuer.close()
    counts = raw_row_counts(sync_stores, "metrics", [e.entity_id for e in events])
    assert len(counts) == len(events) and set(counts.values()) == {1}
    assert engine.status().processed == len(events)


def start_slow_worker(stack_settings, namespace: str, tmp_path, consumer: str) -> subprocess.Popen:
    """`argo sync worker` in a child process whose warehouse writes take `SLOW_S`."""
    env = {
        **os.environ,
        "ARGO_DATA_DIR": str(stack_settings.data_dir),
        "ARGO_SYNC_NAMESPACE": namespace,
        "ARGO_SYNC_CLAIM_IDLE_MS": str(CLAIM_IDLE_MS),
        "ARGO_EMBEDDING_PROVIDER": "hashing",
    }
    code = (
        "import time\n"
        "from argo_agents.sync import writers\n"
        "real = writers.WarehouseWriter.write\n"
        f"writers.WarehouseWriter.write = lambda self, jobs: (time.sleep({SLOW_S * 2}),"
        " real(self, jobs))[1]\n"
        "from argo_agents.cli.sync_commands import sync_app\n"
        f"sync_app(['worker', '--consumer', '{consumer}'])\n"
    )
    return subprocess.Popen(
        [sys.executable, "-c", code],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
