"""How workers form batches, as a user sees it (in-memory outbox and leases, no servers).

An event published to an idle worker is written at once (no batch to fill); below
capacity the light batches of several workers go one at a time and each takes
what arrived meanwhile; a backlog is written by every worker at once; the baton
never holds a batch longer than its bound, and goes to the worker that waits.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from argo_agents.stores.errors import StoreUnavailable
from argo_agents.stores.redis_stream import StreamEntry
from argo_agents.sync import SyncConfig
from argo_agents.sync.batch_processor import BatchStats
from argo_agents.sync.batch_size import BATON_POLL_S, Baton
from argo_agents.sync.outbox import Delivery
from argo_agents.sync.worker import SyncWorker


class MemoryLocks:
    """`LeasePort` in memory: SET NX PX and owner-checked release."""

    def __init__(self) -> None:
        self.held: dict[str, tuple[str, float]] = {}
        self.lock = threading.Lock()

    def acquire(self, keys: Sequence[str], token: str, ttl_ms: int) -> set[str]:
        with self.lock:
            now, taken = time.monotonic(), set()
            for key in keys:
                if key not in self.held or self.held[key][1] <= now:
                    self.held[key] = (token, now + ttl_ms / 1000)
                    taken.add(key)
            return taken

    def release(self, keys: Sequence[str], token: str) -> int:
        with self.lock:
            mine = [k for k in keys if self.held.get(k, ("", 0.0))[0] == token]
            for key in mine:
                del self.held[key]
            return len(mine)


class MemoryOutbox:
    """The part of `Outbox` a worker reads from: new entries in order, blocking reads."""

    def __init__(self) -> None:
        self.entries: deque[Delivery] = deque()
        self.cond = threading.Condition()
        self.published = 0

    def publish(self, n: int) -> None:
        with self.cond:
            now = int(time.time() * 1000)
            for _ in range(n):
                self.published += 1
                entry = StreamEntry("outbox", f"{now}-{self.published}", {})
                self.entries.append(Delivery(entry, None, now))
            self.cond.notify_all()

    def read(self, consumer: str, count: int, block_ms: int | None) -> list[Delivery]:
        with self.cond:
            if not self.entries and block_ms:
                self.cond.wait(block_ms / 1000)
            return [self.entries.popleft() for _ in range(min(count, len(self.entries)))]

    def pending_of(self, consumer: str, count: int) -> list[Delivery]:
        return []

    def claim(self, *args: Any) -> list[Delivery]:
        return []

    def renew(self, consumer: str, deliveries: Sequence[Delivery]) -> list[str]:
        return []

    def drop_idle_consumers(self, *args: Any, **kwargs: Any) -> list[str]:
        return []

    def drop_consumer(self, consumer: str) -> bool:
        return True


@dataclass
class Writes:
    """Stands in for the stores: each batch takes ``seconds``; records when and how big."""

    seconds: float
    batches: list[tuple[float, float, int]] = field(default_factory=list)  # start, end, size
    applied: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def processor(self) -> SimpleNamespace:
        def process(deliveries: list[Delivery]) -> BatchStats:
            start = time.monotonic()
            time.sleep(self.seconds)
            with self.lock:
                self.batches.append((start, time.monotonic(), len(deliveries)))
                self.applied += len(deliveries)
            return BatchStats(events=len(deliveries), applied=len(deliveries))

        return SimpleNamespace(process=process)

    def overlapping(self) -> int:
        """Batches written while another one was being written."""
        spans = sorted(self.batches)
        return sum(
            1
            for i, (s, e, _) in enumerate(spans)
            if any(s2 < e and s < e2 for j, (s2, e2, _) in enumerate(spans) if j != i)
        )


def worker(outbox: MemoryOutbox, locks: MemoryLocks, writes: Writes, **config: Any) -> SyncWorker:
    cfg = SyncConfig(namespace="test:batches", **config)
    ctx = SimpleNamespace(
        config=cfg, outbox=outbox, make_writers=dict, stores=SimpleNamespace(locks=locks)
    )
    w = SyncWorker(ctx, record_spans=False)  # type: ignore[arg-type]
    w.processor = writes.processor()  # type: ignore[assignment]
    return w


def running(workers: list[SyncWorker], stop: threading.Event) -> list[threading.Thread]:
    threads = [threading.Thread(target=w.run, args=(stop,), daemon=True) for w in workers]
    for t in threads:
        t.start()
    return threads


def wait_for(check: Any, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.002)


def test_an_event_published_to_an_idle_worker_is_written_at_once():
    outbox, writes = MemoryOutbox(), Writes(seconds=0.0)
    w = worker(outbox, MemoryLocks(), writes, batch_size=100, block_ms=2000)
    stop = threading.Event()
    threads = running([w], stop)
    try:
        time.sleep(0.05)  # idle: waiting on the outbox
        t0 = time.monotonic()
        outbox.publish(1)  # one event, in a batch of 100 that nothing else will fill
        wait_for(lambda: writes.applied == 1)
        assert time.monotonic() - t0 < 0.5  # neither the 2 s poll nor 99 more events
        assert writes.batches[0][2] == 1
    finally:
        stop.set()
        for t in threads:
            t.join(5)
        w.close()


def test_light_batches_of_two_workers_go_one_at_a_time_and_take_what_arrived_meanwhile():
    outbox, locks, writes = MemoryOutbox(), MemoryLocks(), Writes(seconds=0.05)
    workers = [worker(outbox, locks, writes, batch_size=100, block_ms=200) for _ in range(2)]
    for w in workers:
        w.baton.wait_s = 10.0  # about the order here, not the bound
    stop = threading.Event()
    threads = running(workers, stop)
    try:
        clumps = 50
        for _ in range(clumps):  # a few events every 10 ms: far below what the workers take
            outbox.publish(2)
            time.sleep(0.01)
        wait_for(lambda: writes.applied == 2 * clumps)
    finally:
        stop.set()
        for t in threads:
            t.join(5)
        for w in workers:
            w.close()
    assert writes.overlapping() == 0  # one light batch at a time
    # Each batch took what arrived while the one before it was written (about five
    # clumps), not the next clump alone.
    assert len(writes.batches) <= clumps // 2


def test_a_backlog_is_written_by_every_worker_at_once():
    outbox, locks, writes = MemoryOutbox(), MemoryLocks(), Writes(seconds=0.1)
    outbox.publish(400)  # eight full batches waiting
    workers = [
        worker(outbox, locks, writes, batch_size=50, batch_max=50, block_ms=50) for _ in range(2)
    ]
    stop = threading.Event()
    threads = running(workers, stop)
    try:
        wait_for(lambda: writes.applied == 400)
    finally:
        stop.set()
        for t in threads:
            t.join(5)
        for w in workers:
            w.close()
    assert [n for _, _, n in writes.batches] == [50] * 8
    assert writes.overlapping() >= 6  # full batches do not wait for the baton


def test_a_light_batch_waits_for_the_baton_no_longer_than_its_bound():
    outbox, locks, writes = MemoryOutbox(), MemoryLocks(), Writes(seconds=0.0)
    w = worker(outbox, locks, writes, batch_size=100, block_ms=50)
    w.baton.wait_s = 0.1
    locks.acquire([w.baton.key], "a worker that died holding it", 60_000)
    outbox.publish(3)
    t0 = time.monotonic()
    stats = w.step(block_ms=50)
    assert stats.events == 3 and 0.1 <= time.monotonic() - t0 < 1.0
    w.close()


def test_the_baton_goes_to_the_worker_that_waits_not_back_to_its_holder():
    locks = MemoryLocks()
    a, b = (Baton(locks, "ns", name, wait_s=2.0) for name in ("a", "b"))
    assert a.take() < BATON_POLL_S and a.held  # free: taken at once
    waited: list[float] = []
    t = threading.Thread(target=lambda: waited.append(b.take()))
    t.start()
    time.sleep(0.05)  # b waits, first in line
    a.release()
    a.wait_s = 0.1
    a.take()  # straight back: b is in line, so a waits (and here gives up)
    t.join(5)
    assert b.held and not a.held and waited[0] >= 0.05
    b.release()
    assert a.take() < BATON_POLL_S and a.held


def test_without_redis_a_light_batch_goes_ahead_without_the_baton():
    class Down(MemoryLocks):
        def acquire(self, keys: Sequence[str], token: str, ttl_ms: int) -> set[str]:
            raise StoreUnavailable("redis", "redis://test", "down")

    baton = Baton(Down(), "ns", "a")
    assert baton.take() < 1.0 and not baton.held
    baton.release()  # nothing to hand back
