"""How batches are formed: their adaptive size, and one light batch at a time per group.

Size. The source design halves the batch when one takes longer than 1 s (min 10)
and doubles it when throughput falls under 50 events/s (max 200). That rule
alone never grows a batch under heavy, healthy load, so a full batch that
finished in under half the latency budget also doubles it: big batches are
what the stores' batch writes are fast at. Limits are `SyncConfig` fields.

The baton. Below capacity most reads come back short (*light* batches: under
half the batch size; a read of more is a backlog even if it did not fill it), and
each idle worker takes whatever has just arrived: several workers then write a
few events each at the same moment. Every batch pays a fixed cost in every store
(a request, a transaction, a warehouse insert), and concurrent batches collide
there (the graph's MVCC retries, the vector index). On the local stack at half
the knowledge rate that cost about a quarter more CPU per event than taking the
batches one at a time, and it made most of the latency tail
(`bench/sync_throughput.py` prints where the time goes). So a light batch is
written holding the group's baton, a lease in Redis: one light batch in flight
at a time. A worker that had to wait for the baton then waits for it *before* it
reads, for as long as other workers keep it busy, so what arrives during one
batch becomes the next batch, not a few events read early that wait anyway.
A full read (a backlog) never waits: under load every worker writes at once,
as before. No worker waits longer than `BATON_WAIT_S`: it then goes ahead
without the baton, so a long batch or a dead holder delays the others by that
much at most. Waiting workers queue (a second lease), so a holder cannot take
the baton straight back from a worker that waits.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from argo_agents.stores.errors import StoreError
from argo_agents.stores.ports import LeasePort

BATON_WAIT_S = 0.2  # the longest a light batch waits for the baton before it goes ahead
BATON_POLL_S = 0.005  # how often a waiting worker asks for it


@dataclass
class AdaptiveBatchSize:
    """The next batch size, adjusted after every batch."""

    size: int = 100
    minimum: int = 10
    maximum: int = 200
    slow_s: float = 1.0
    low_throughput: float = 50.0

    def __post_init__(self) -> None:
        self.size = max(self.minimum, min(self.maximum, self.size))

    def light(self, events: int) -> bool:
        """Whether a read of ``events`` is a light batch: under half the size, so the
        workers keep up (a read of more is a backlog, even if it did not fill the batch)."""
        return 2 * events < self.size

    def observe(self, events: int, seconds: float) -> int:
        """Record one batch of ``events`` that took ``seconds``; return the next size."""
        if events <= 0:
            return self.size  # an empty poll says nothing about the stores
        throughput = events / seconds if seconds > 0 else float("inf")
        if seconds > self.slow_s:
            self.size = max(self.minimum, self.size // 2)
        elif throughput < self.low_throughput or (
            events >= self.size and seconds < self.slow_s / 2
        ):
            self.size = min(self.maximum, self.size * 2)
        return self.size


class Baton:
    """The group's baton for light batches (see the module docstring)."""

    def __init__(
        self,
        locks: LeasePort,
        namespace: str,
        owner: str,
        *,
        wait_s: float | None = None,
        hold_ms: int = 10_000,
    ) -> None:
        self.locks = locks
        self.key = f"sync-baton:{namespace}"
        self.queue = f"sync-baton-next:{namespace}"  # held by the worker that waits first
        self.owner = owner
        self.wait_s = BATON_WAIT_S if wait_s is None else wait_s  # 0: no baton
        self.hold_ms = hold_ms  # a holder that died frees it after this long
        self.held = False

    def take(self) -> float:
        """Hold the baton, waiting up to ``wait_s`` (then go on without it); seconds waited.

        Redis unreachable: go on without it (the batch will meet the outage itself).
        """
        t0 = time.monotonic()
        queued = False
        try:
            while True:
                got = self.locks.acquire(
                    [self.key] if queued else [self.queue, self.key], self.owner, self.hold_ms
                )
                queued = queued or self.queue in got
                if self.key in got:
                    if queued:  # first in line, or nobody was: it is ours
                        self.held = True
                        break
                    self.locks.release([self.key], self.owner)  # another worker waits first
                if time.monotonic() - t0 >= self.wait_s:
                    break
                time.sleep(BATON_POLL_S)
            if queued:
                self.locks.release([self.queue], self.owner)
        except StoreError:
            self.held = False
        return time.monotonic() - t0

    def release(self) -> None:
        """Hand the baton back (when held)."""
        if self.held:
            self.held = False
            try:
                self.locks.release([self.key], self.owner)
            except StoreError:  # Redis is away: the lease lapses by itself
                pass
