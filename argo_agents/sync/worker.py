"""`SyncWorker`: one consumer of the shared group, looping read → apply → acknowledge.

Each step first takes up its own failed entries once their retry time has
come, then entries that have been pending on any worker longer than
``claim_idle_ms`` (their worker died), then fills the batch with new entries,
most urgent stream first. Batch size
adapts after every batch (`batch_size`). Many workers, in one process or on
many machines, share the group; each entry goes to one of them at a time.
A light batch (under half the batch size: the workers keep up) is written
holding the group's baton, one such batch at a time (`batch_size.Baton`); a
larger one (a backlog) is written at once by every worker that has one.

Every batch is timed (`spans`: outbox wait, baton, preparation, each store,
settling); with ``ARGO_SYNC_SPANS=1`` the timings are kept in Redis too.

While a batch is processed its entries are leased (`lease`): renewed in the
background so no other worker claims them from a live, slow worker. Claims
keep their XAUTOCLAIM cursor per stream, gone consumers are swept from the
group, and a worker leaves the group when it closes with nothing pending.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Mapping

from argo_agents.stores.errors import StoreError
from argo_agents.stores.ports import Store
from argo_agents.sync.applier import Applier, GroupResult
from argo_agents.sync.batch_processor import BatchProcessor, BatchStats, earliest
from argo_agents.sync.batch_size import BATON_POLL_S, AdaptiveBatchSize, Baton
from argo_agents.sync.housekeeping import prune_deleted
from argo_agents.sync.job import Job
from argo_agents.sync.lease import ConsumerSweeper, Lease
from argo_agents.sync.matrix import VECTOR
from argo_agents.sync.outbox import Delivery
from argo_agents.sync.spans import BatchSpans, now_ms, spans_enabled
from argo_agents.sync.wiring import SyncWiring

log = logging.getLogger(__name__)

PRUNE_INTERVAL_S = 3600.0  # ledger housekeeping: hourly is plenty for a 30-day TTL


def consumer_name() -> str:
    """A name unique to this worker: host, process and a random suffix."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class TimedApplier(Applier):
    """An `Applier` that notes on the current batch's spans when its writes start and
    end, and how long each store took."""

    spans: BatchSpans | None = None

    def apply(
        self, groups: Mapping[str, list[Job]], similar: list[Job] | None = None
    ) -> dict[str, GroupResult]:
        """`Applier.apply`, timed."""
        spans = self.spans
        if spans is not None:
            spans.apply_ms = now_ms()
        results = super().apply(groups, similar)
        if spans is not None:
            spans.written_ms = now_ms()
            spans.stores = {s: r.seconds * 1000.0 for s, r in results.items()}
            spans.retries = {s: r.retries for s, r in results.items() if r.retries}
        return results


class SyncWorker:
    """Reads batches from the outbox and applies them to the stores."""

    def __init__(
        self, ctx: SyncWiring, consumer: str | None = None, *, record_spans: bool | None = None
    ) -> None:
        cfg = ctx.config
        self.ctx = ctx
        self.consumer = consumer or consumer_name()
        self.applier = TimedApplier(ctx.make_writers(), cfg)
        # Every batch is timed (`last_spans`); kept in Redis for `bench/sync_throughput.py`
        # and investigations when asked (``ARGO_SYNC_SPANS=1``).
        self.record_spans = spans_enabled() if record_spans is None else record_spans
        self.last_spans: BatchSpans | None = None
        self.processor = BatchProcessor(ctx, self.applier)
        self.batch = AdaptiveBatchSize(
            cfg.batch_size, cfg.batch_min, cfg.batch_max, cfg.batch_slow_s, cfg.batch_low_throughput
        )
        self._next_claim = 0.0
        self._retry_at: float | None = None  # wall time its own failed entries are due
        self._cursors: dict[str, str] = {}  # XAUTOCLAIM cursor per stream
        self._next_redrive = time.time() + ctx.config.redrive_interval_s
        self.lease = Lease(ctx.outbox, self.consumer, cfg.claim_idle_ms)
        self.sweeper = ConsumerSweeper(ctx.outbox, self.consumer, cfg.claim_idle_ms)
        self.baton = Baton(ctx.stores.locks, cfg.namespace, self.consumer)
        self._contended = False  # its last light batch waited for another's

    def step(self, block_ms: int | None = None) -> BatchStats:
        """Process at most one batch; an empty `BatchStats` when there was nothing to do."""
        try:
            return self._step(block_ms)
        finally:
            self.baton.release()

    def _step(self, block_ms: int | None) -> BatchStats:
        size = self.batch.size
        deliveries = self._due_and_claimed(size)
        # Light batches go one at a time per group (`batch_size`). While other workers' light
        # batches keep it waiting, a worker waits for the baton *before* it reads: what
        # arrives meanwhile is then one batch, not a few events read early that wait anyway.
        baton_first = self._contended and self.baton.wait_s > 0 and not deliveries
        if baton_first:
            self.baton.take()
        if len(deliveries) < size:
            deliveries += self.ctx.outbox.read(
                self.consumer,
                size - len(deliveries),
                None if deliveries or baton_first else block_ms,
            )
        read_ms = now_ms()
        self._maybe_redrive()
        if not deliveries:
            self._contended = False  # the group keeps up: wait on the outbox again
            return BatchStats()
        ready_ms = None
        if not self.batch.light(len(deliveries)):
            self.baton.release()  # a backlog: every worker writes at once
        elif not baton_first and self.baton.wait_s > 0:
            if self.baton.take() >= BATON_POLL_S:
                # It waited: another light batch was in flight. Take what arrived meanwhile.
                self._contended = True
                deliveries += self.ctx.outbox.read(self.consumer, size - len(deliveries), None)
            ready_ms = now_ms()
        spans = self.applier.spans = BatchSpans(
            [d.published_ms for d in deliveries], read_ms, ready_ms, worker=self.consumer
        )
        t0 = time.monotonic()
        try:
            with self.lease.hold(deliveries):
                stats = self.processor.process(deliveries)
        finally:
            self.applier.spans = None
        spans.end_ms = now_ms()
        self.last_spans = spans
        self.batch.observe(stats.events, time.monotonic() - t0)
        self._retry_at = earliest(stats.retry_at, self._retry_at)
        if self.record_spans:
            try:
                self.ctx.metrics.record_spans(spans)
            except StoreError as exc:  # only figures: the batch itself is done
                log.debug("sync worker %s: could not keep spans: %s", self.consumer, exc)
        return stats

    def _due_and_claimed(self, size: int) -> list[Delivery]:
        """Its own failures that are due again, then entries other workers left idle."""
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
            claimed = [
                d
                for d in self.ctx.outbox.claim(
                    self.consumer,
                    self.ctx.config.claim_idle_ms,
                    size - len(deliveries),
                    self._cursors,
                )
                if d.entry.id not in seen
            ]
            deliveries += claimed
            self.sweeper.sweep(claimed=bool(claimed))
        return deliveries

    def _maybe_redrive(self) -> None:
        """Every `redrive_interval_s`, one worker of the group (whoever wins the turn) replays
        the dead letters a store's trouble put there, for stores that answer again."""
        cfg, now = self.ctx.config, time.time()
        if now < self._next_redrive:
            return
        self._next_redrive = now + cfg.redrive_interval_s
        if self._my_turn("prune", now, PRUNE_INTERVAL_S):
            if dropped := prune_deleted(self.ctx, now=now):
                log.info(
                    "sync worker %s: dropped %d ledger entries of long-deleted entities",
                    self.consumer,
                    dropped,
                )
        if not self.ctx.deadletters.count() or not self._my_turn(
            "redrive", now, cfg.redrive_interval_s
        ):
            return
        replayed = self.ctx.deadletters.redrive(self._store_is_up, max_redrives=cfg.max_redrives)
        if replayed:
            log.warning(
                "sync worker %s: redrove %d dead letter(s) whose store answers again",
                self.consumer,
                len(replayed),
            )

    def _my_turn(self, chore: str, now: float, every_s: float) -> bool:
        """Whether this worker does ``chore`` now: one worker of the group per period."""
        records = self.ctx.stores.records
        key = f"{chore}:{self.ctx.config.namespace}"
        found = records.get(key)
        rev, doc = found if found else (0, {"at": 0.0})
        if now - float(doc["at"]) < every_s:
            return False
        return records.compare_and_set(key, rev, {"at": now, "by": self.consumer})

    def _store_is_up(self, store: str) -> bool:
        s = self.ctx.stores
        by_stage: dict[str, list[Store]] = {
            "redis": [s.cache],
            "neo4j": [s.graph],
            "bigquery": [s.warehouse],
            VECTOR: [s.vectors],
            "similar": [s.graph, s.vectors],
        }
        adapters = by_stage.get(store, [])
        try:
            for adapter in adapters:
                adapter.health()
        except StoreError:
            return False
        return bool(adapters)

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
        """Stop the store threads; leave the group if nothing is pending on this worker."""
        self.applier.close()
        self.sweeper.leave()
