"""`SyncEngine`: the one door every ARGO write goes through.

Follow one event: `publish` validates the whole list first (nothing is
written if any event is invalid), then the outbox script assigns versions
and appends to the priority streams (`outbox`). A `SyncWorker` (`worker`)
reads a batch, `BatchProcessor` (`batch`) builds jobs from the sync matrix
(`matrix`), the `Applier` (`applier`) runs one writer per store in parallel
(`writers`, mapping with `mappers`), and the batch is settled: acknowledged,
retried later, dead-lettered (`deadletters`) or resolved as a conflict
(`conflicts`). `verify` compares the stores with the ledger (`verify`).

The version counters carry an epoch, also kept in the graph store (`epoch`):
if Redis loses them, publishing stops with `CountersLost` until `recover`
rebuilds them from what the stores hold (`recover`, `scan`). Workers lease
the entries they work on, so a slow worker's batch is not claimed (`lease`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from argo_agents.stores.embeddings import Embedder
from argo_agents.stores.errors import StoreUnavailable
from argo_agents.stores.factory import Stores
from argo_agents.sync.config import SyncConfig
from argo_agents.sync.conflicts import ParkedConflict
from argo_agents.sync.deadletters import DeadLetter
from argo_agents.sync.epoch import MARKER_LABEL, EpochGuard, warn_if_volatile
from argo_agents.sync.events import SyncEvent, validate_event
from argo_agents.sync.matrix import SYNC_MATRIX, labels
from argo_agents.sync.reports import DrainReport, SyncReceipt, SyncStatus, VerifyReport
from argo_agents.sync.verify import Verifier
from argo_agents.sync.wiring import SyncWiring
from argo_agents.sync.worker import SyncWorker
from argo_agents.telemetry import span

if TYPE_CHECKING:
    from argo_agents.sync.recover import RecoverReport


class Backpressure(StoreUnavailable):
    """The outbox is over its limit: publish again later (nothing was written)."""


class SyncEngine:
    """Publish events; run workers; inspect, verify and repair the four stores."""

    def __init__(
        self, stores: Stores, embedder: Embedder, config: SyncConfig | None = None
    ) -> None:
        self.config = config or SyncConfig()
        self.ctx = SyncWiring(stores, embedder, self.config)
        self._worker: SyncWorker | None = None
        self._lock = threading.Lock()

    # ---- setup and publishing ----------------------------------------------------------
    def setup(self) -> None:
        """Consumer group, graph constraints and warehouse tables; idempotent.

        Also checks the version counters' epoch against its durable marker and
        raises `CountersLost` (creating nothing) if Redis lost them; and logs a
        warning if Redis would lose data on a restart or under memory pressure.
        """
        warn_if_volatile(self.ctx.redis)
        self.ctx.stores.graph.setup([*labels(), MARKER_LABEL])
        EpochGuard(self.ctx).establish()
        self.ctx.stores.warehouse.setup()

    def publish(self, events: Sequence[SyncEvent]) -> list[str]:
        """Validate every event, then append them all; return their event ids.

        Raises a subclass of `InvalidEventError` (and writes nothing) if any
        event is invalid. Large lists are appended in atomic chunks; if Redis
        fails between two, `PublishInterrupted` lists the events it accepted.
        """
        with span("argo.sync.publish", store="redis", events=len(events)) as traced:
            for event in events:
                validate_event(event, SYNC_MATRIX, self.config.max_event_bytes)
            if not events:
                traced.set("outcome", "empty")
                return []
            waiting, _ = self.ctx.outbox.sizes()
            if waiting + len(events) > self.config.max_outbox:
                raise Backpressure(
                    "redis",
                    self.ctx.stores.cache.address,
                    f"the outbox holds {waiting} events and the limit is "
                    f"{self.config.max_outbox}; nothing of these {len(events)} was published",
                    hint="the workers are behind or a store is down: see `argo sync status`, "
                    "add `argo sync worker`s, then publish again (or raise ARGO_SYNC_MAX_OUTBOX)",
                )
            ids = [e.event_id for e in self.ctx.outbox.append(list(events))]
            traced.set("outcome", "published")
            return ids

    # ---- workers ------------------------------------------------------------------------
    def worker(self, consumer: str | None = None) -> SyncWorker:
        """A new worker of the shared group (call `run(stop)` in a thread or process)."""
        return SyncWorker(self.ctx, consumer)

    def drain(self, *, timeout_s: float = 60.0) -> DrainReport:
        """Run an in-process worker until the outbox is empty (pending included) or timeout."""
        with self._lock:
            if self._worker is None:
                self._worker = self.worker()
            worker = self._worker
        report = DrainReport()
        t0 = time.monotonic()
        while True:
            stats = worker.step(block_ms=50)
            if stats.events:
                report.batches += 1
                report.processed += stats.events - stats.waiting
                report.applied += stats.applied
                report.dead_lettered += stats.dead_lettered
                report.conflicts += stats.conflicts
            entries, _ = self.ctx.outbox.sizes()
            report.remaining = entries
            if entries == 0:
                report.complete = True
                break
            if time.monotonic() - t0 > timeout_s:
                break
            if not stats.events:
                time.sleep(0.02)  # only entries waiting for a retry or a claim are left
        report.seconds = round(time.monotonic() - t0, 3)
        return report

    def close(self) -> None:
        """Stop the in-process worker's threads (the stores stay open: the caller owns them)."""
        if self._worker is not None:
            self._worker.close()
            self._worker = None

    # ---- inspection ---------------------------------------------------------------------
    def receipt(self, event_ids: Sequence[str]) -> SyncReceipt:
        """Per store, how many of ``event_ids`` are applied; how many pending or failed."""
        outcomes = self.ctx.outcomes(list(event_ids))
        r = SyncReceipt(published=len(event_ids))
        for outcome in outcomes.values():
            kind, _, detail = outcome.partition(":")
            if kind == "ok":
                r.fully_applied += 1
                for store in detail.split(","):
                    if store:
                        r.applied[store] = r.applied.get(store, 0) + 1
            elif kind == "dead":
                r.dead_lettered += 1
            elif kind == "conflict":
                r.conflicts += 1
        r.pending = len(event_ids) - len(outcomes)
        return r

    def status(self) -> SyncStatus:
        """Outbox sizes, throughput, latencies, per-store state and warnings."""
        entries, pending = self.ctx.outbox.sizes()
        return self.ctx.metrics.status(
            outbox=entries,
            in_flight=pending,
            dead_letters=self.ctx.deadletters.count(),
            parked=self.ctx.redis.hlen(self.ctx.keys.conflicts),
        )

    def verify(self, entity_type: str | None = None, *, repair: bool = False) -> VerifyReport:
        """Compare every entity across its stores; with ``repair``, re-publish divergent ones."""
        return Verifier(self.ctx).run(entity_type, repair=repair)

    # ---- dead letters and conflicts ------------------------------------------------------
    def dead_letters(self, count: int = 100) -> list[DeadLetter]:
        """Dead-lettered events, oldest first."""
        return self.ctx.deadletters.recent(count)

    def replay(self, ids: Sequence[str] = (), *, all_: bool = False) -> list[str]:
        """Re-publish dead letters (by dlq entry id, or all); return their event ids."""
        return self.ctx.deadletters.replay(ids, all_=all_)

    def conflicts(self) -> list[ParkedConflict]:
        """Conflicts parked for a human (MANUAL strategy)."""
        return self.ctx.conflicts.parked()

    def conflict(self, conflict_id: str) -> ParkedConflict:
        """One parked conflict."""
        return self.ctx.conflicts.get(conflict_id)

    def resolve_conflict(self, conflict_id: str, take: str) -> str:
        """Resolve a parked conflict with incoming | stored | merged; return the new event id."""
        return self.ctx.conflicts.resolve_parked(conflict_id, take)

    def recover(self, progress: Callable[[str, int], None] | None = None) -> RecoverReport:
        """Rebuild the version counters and the ledger from the stores; new epoch.

        Run it after `CountersLost`. It only raises counters, never lowers them,
        so it is safe (and changes nothing) on a healthy namespace. ``progress``
        is called with what is being read and how many entity versions so far.
        """
        from argo_agents.sync.recover import Recovery

        return Recovery(self.ctx, progress).run()

    def reset(self) -> int:
        """Delete every Redis key of this namespace (tests, and starting over locally).

        The counters go too, so `setup` and `publish` then refuse until `recover`.
        """
        return self.ctx.redis.scan_delete(
            self.ctx.keys.prefix.replace("{", "\\{").replace("}", "\\}") + "*"
        )
