"""`SyncWorker`: one consumer of the shared group, looping read → apply → acknowledge.

Each step first takes over entries that have been pending longer than
``claim_idle_ms`` (their worker died, or they failed and wait for a retry),
then fills the batch with new entries, most urgent stream first. Batch size
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
from argo_agents.sync.batch import BatchProcessor, BatchStats
from argo_agents.sync.batching import AdaptiveBatchSize
from argo_agents.sync.context import SyncContext

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

    def step(self, block_ms: int | None = None) -> BatchStats:
        """Process at most one batch; an empty `BatchStats` when there was nothing to do."""
        size = self.batch.size
        deliveries = []
        now = time.monotonic()
        if now >= self._next_claim:
            # Claim checks are cheap but not free; a quarter of the idle time keeps the
            # delay before a dead worker's entries move on under 1.25 × claim_idle_ms.
            self._next_claim = now + max(0.05, self.ctx.config.claim_idle_ms / 4000)
            deliveries = self.ctx.outbox.claim(self.consumer, self.ctx.config.claim_idle_ms,
                                               size)
        if len(deliveries) < size:
            deliveries += self.ctx.outbox.read(self.consumer, size - len(deliveries),
                                               None if deliveries else block_ms)
        if not deliveries:
            return BatchStats()
        t0 = time.monotonic()
        stats = self.processor.process(deliveries)
        self.batch.observe(stats.events, time.monotonic() - t0)
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
