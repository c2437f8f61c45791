"""`SyncWorker`: one consumer of the shared group, looping read → apply → acknowledge.

Each step first takes up its own failed entries once their retry time has
come, then entries that have been pending on any worker longer than
``claim_idle_ms`` (their worker died), then fills the batch with new entries,
most urgent stream first. Batch size
adapts after every batch (`batching`). Many workers, in one process or on
many machines, share the group; each entry goes to one of them at a time.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid

from argo_agents.stores.errors import StoreError
from argo_agents.sync.applier import Applier
from argo_agents.sync.batch import BatchProcessor, BatchStats, earliest
from argo_agents.sync.batching import AdaptiveBatchSize
from argo_agents.sync.context import SyncContext
from argo_agents.sync.outbox import Delivery

log = logging.getLogger(__name__)


def consumer_name() -> str:
    """A name unique to this worker: host, process and a random suffix."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class SyncWorker:
    """Reads batches from the outbox and applies them to the stores."""

    def __init__(self, ctx: SyncContext, consumer: str | None = None) -> None:
        cfg = ctx.config
        self.ctx = ctx
        self.consumer = consumer or consumer_name()
        self.applier = Applier(ctx.make_writers(), cfg)
        self.processor = BatchProcessor(ctx, self.applier)
        self.batch = AdaptiveBatchSize(cfg.batch_size, cfg.batch_min, cfg.batch_max,
                                       cfg.batch_slow_s, cfg.batch_low_throughput)
        self._next_claim = 0.0
        self._retry_at: float | None = None  # wall time its own failed entries are due

    def step(self, block_ms: int | None = None) -> BatchStats:
        """Process at most one batch; an empty `BatchStats` when there was nothing to do."""
        size = self.batch.size
        deliveries: list[Delivery] = []
        if self._retry_at is not None and time.time() >= self._retry_at:
            # Its own failures: due now, not only once they have idled `claim_idle_ms`.
            self._retry_at = None
            deliveries = self.ctx.outbox.pending_of(self.consumer, size)
        now = time.monotonic()
        if now >= self._next_claim and len(deliveries) < size:
            # Claim checks are cheap but not free; a quarter of the idle time keeps the
            # delay before a dead worker's entries move on under 1.25 × claim_idle_ms.
            self._next_claim = now + max(0.05, self.ctx.config.claim_idle_ms / 4000)
            seen = {d.entry.id for d in deliveries}
            deliveries += [d for d in self.ctx.outbox.claim(
                self.consumer, self.ctx.config.claim_idle_ms, size - len(deliveries))
                if d.entry.id not in seen]
        if len(deliveries) < size:
            deliveries += self.ctx.outbox.read(self.consumer, size - len(deliveries),
                                               None if deliveries else block_ms)
        if not deliveries:
            return BatchStats()
        t0 = time.monotonic()
        stats = self.processor.process(deliveries)
        self.batch.observe(stats.events, time.monotonic() - t0)
        self._retry_at = earliest(stats.retry_at, self._retry_at)
        return stats

    def run(self, stop: threading.Event) -> None:
        """Loop until ``stop`` is set; a store or Redis outage only slows the loop down."""
        pause = 0.0
        while not stop.is_set():
            try:
                self.step(block_ms=self.ctx.config.block_ms)
                pause = 0.0
            except StoreError as exc:  # Redis (the outbox) itself is unreachable
                pause = min(5.0, max(0.2, pause * 2))
                log.warning("sync worker %s: %s; retrying in %.1fs", self.consumer, exc, pause)
                stop.wait(pause)

    def close(self) -> None:
        """Stop the store threads."""
        self.applier.close()
