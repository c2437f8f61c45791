"""Process one batch of outbox entries: the path every event takes to its stores.

1. Decode entries into jobs (stages from the sync matrix); load the progress
   of redelivered and replayed events so stores that already applied them
   are skipped; leave alone events whose retry time has not come.
2. Skip what a delete tombstone supersedes; defer stages whose store's
   circuit is open; check base-version races and take ROLLBACK snapshots.
3. Write each store's group in parallel (`Applier`).
4. Settle each job: conflicts are resolved (a new event) or parked; rejected
   ones, and broken ones out of attempts, go to the dead letters; complete ones
   are acknowledged; the rest stay pending with their progress and a retry time
   (`BatchStats.retry_at` tells the worker when to take them up again). A
   store that is down or busy holds its events for as long as it takes: only a
   record's own failures count toward `max_deliveries`.
   Resolutions, dead letters and progress are written *before* the entries
   are acknowledged, so a crash at any point loses nothing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from argo_agents.sync.applier import Applier, GroupResult
from argo_agents.sync.job import Job
from argo_agents.sync.matrix import NEO4J, SIMILAR, STORES, VECTOR, spec_for, stages_of
from argo_agents.sync.outbox import Delivery

if TYPE_CHECKING:
    from argo_agents.sync.wiring import SyncWiring


@dataclass
class BatchStats:
    """What one batch did (a worker sums these)."""

    events: int = 0
    applied: int = 0
    dead_lettered: int = 0
    conflicts: int = 0
    waiting: int = 0  # left pending for a later round
    retry_at: float | None = None  # wall time when the earliest of those is due again
    counters: dict[str, int] = field(default_factory=dict)


def earliest(*times: float | None) -> float | None:
    """The earliest of the given retry times, ignoring absent ones."""
    return min((t for t in times if t is not None), default=None)


class BatchProcessor:
    """Turns a list of deliveries into store writes and outbox acknowledgements."""

    def __init__(self, ctx: SyncWiring, applier: Applier) -> None:
        self.ctx = ctx
        self.applier = applier

    def process(self, deliveries: list[Delivery]) -> BatchStats:
        """Run steps 1–4 of the module docstring on one batch."""
        ctx, t0 = self.ctx, time.monotonic()
        stats = BatchStats(events=len(deliveries))
        finished: list[Delivery] = []
        jobs = self._decode(deliveries, finished, stats)
        jobs, waiting = self._load_progress(jobs)
        stats.waiting = len(waiting)
        stats.retry_at = earliest(*(j.progress.retry_at for j in waiting if j.progress))
        self._apply_tombstones(jobs)
        # A delete's tombstone exists before any store applies it: an older update
        # retried meanwhile in another store cannot bring the entity back there.
        ctx.progress.set_tombstones(
            {j.event.entity_key: j.version for j in jobs if j.is_delete and j.todo}
        )
        for job in jobs:
            job.deferred |= {s for s in job.todo if self._circuit_open(s)}
        ctx.conflicts.precheck([j for j in jobs if j.todo])
        groups = {s: [j for j in jobs if s in j.todo] for s in STORES}
        groups = {s: g for s, g in groups.items() if g}
        similar = [j for j in jobs if SIMILAR in j.todo]
        results = self.applier.apply(groups, similar)
        for store, res in results.items():
            _record_result(store, res, similar if store == SIMILAR else groups[store])
        for job in jobs:
            job.deferred |= job.todo  # stages not tried (SIMILAR waits for its vector)
        retries = sum(res.retries for res in results.values())
        errors = {store: res.error for store, res in results.items() if res.error}
        # time each store's group write took (with retries): its average is a health rule
        stats.counters = {f"write_ms:{s}": int(r.seconds * 1000) for s, r in results.items()}
        stats.counters.update({f"writes:{s}": 1 for s in results})
        self._settle(jobs, finished, stats, retries, errors, t0)
        return stats

    def _decode(
        self, deliveries: list[Delivery], finished: list[Delivery], stats: BatchStats
    ) -> list[Job]:
        """Jobs of the decodable deliveries; the others are dead-lettered at once."""
        jobs = []
        for d in deliveries:
            job = self._job(d)
            if job is not None:
                jobs.append(job)
                continue
            raw = d.entry.fields.get("e", b"")
            error = d.error or "unknown entity type"
            self.ctx.deadletters.add(d.event, "outbox", error, 0, raw=raw)
            finished.append(d)
            stats.dead_lettered += 1
        return jobs

    def _job(self, d: Delivery) -> Job | None:
        ev = d.event
        if ev is None:
            return None
        try:
            spec = spec_for(ev.entity_type)
        except KeyError:
            return None
        stages = stages_of(ev.entity_type, ev.source)
        if self.ctx.config.similar_k <= 0:
            stages = stages - {SIMILAR}
        return Job(d, ev, ev.event_id, spec, stages)

    def _load_progress(self, jobs: list[Job]) -> tuple[list[Job], list[Job]]:
        again = [j for j in jobs if j.delivery.claimed or j.delivery.replay]
        found = self.ctx.progress.load([j.event_id for j in again]) if again else {}
        now, ready, waiting = time.time(), [], []
        for job in jobs:
            p = found.get(job.event_id)
            if p is not None:
                job.progress = p
                job.done |= p.done & job.stages
                job.done_before = set(job.done)
                if p.retry_at > now and not job.delivery.replay:
                    waiting.append(job)  # its backoff has not elapsed: stays pending
                    continue
            ready.append(job)
        return ready, waiting

    def _apply_tombstones(self, jobs: list[Job]) -> None:
        tombs = self.ctx.progress.tombstones([j.event.entity_key for j in jobs])
        for job in jobs:
            deleted_at = tombs.get(job.event.entity_key)
            if deleted_at is not None and job.version < deleted_at:
                job.done |= set(job.stages)  # a newer delete supersedes it everywhere

    def _retry_at(self, pending: list[Job]) -> float:
        """When failed jobs are due again: a broken record backs off by its own attempts,
        an outage follows its store's circuit (so nothing polls a store that is down)."""
        cfg, breaker, now = self.ctx.config, self.applier.breaker, time.time()
        due = []
        for job in (j for j in pending if j.failed or j.broken):
            waits = [breaker.wait_s(s) for s in job.failed]
            if job.broken:
                n = (job.progress.max_attempts if job.progress else 0) + 1
                waits.append(min(cfg.breaker_max_s, cfg.breaker_initial_s * 2 ** (n - 1)))
            due.append(now + max([cfg.breaker_initial_s, *waits]))
        return min(due)

    def _circuit_open(self, stage: str) -> bool:
        stores = (NEO4J, VECTOR) if stage == SIMILAR else (stage,)
        return any(self.applier.breaker.is_open(s) for s in stores)

    def _settle(
        self,
        jobs: list[Job],
        finished: list[Delivery],
        stats: BatchStats,
        retries: int,
        errors: dict[str, str],
        t0: float,
    ) -> None:
        """Step 4: resolve or park conflicts, dead-letter, schedule retries, acknowledge."""
        ctx = self.ctx
        conflicted = [j for j in jobs if j.conflicts]
        ctx.conflicts.handle(conflicted)
        outcomes: dict[str, str] = {j.event_id: "conflict" for j in conflicted}
        dead, pending, complete = self._classify([j for j in jobs if not j.conflicts])
        self._dead_letter(dead, outcomes)
        multi = [j for j in dead + pending if len(j.stages) > 1]
        ctx.progress.mark_done(
            {j.event_id: j.done - j.done_before for j in multi if j.done - j.done_before}
        )
        # a replayed dead letter starts its count again
        ctx.progress.reset_attempts([j.event_id for j in dead if len(j.stages) > 1])
        failures = self._schedule_retries(pending, stats)
        outcomes.update({j.event_id: "ok:" + ",".join(sorted(j.stages)) for j in complete})
        done_jobs = complete + conflicted
        ctx.record_outcomes(outcomes)  # before acknowledging: a crash loses nothing
        finished += [j.delivery for j in done_jobs + dead]
        ctx.outbox.finish(
            finished, [ctx.progress.key(j.event_id) for j in done_jobs if len(j.stages) > 1]
        )
        stats.applied, stats.conflicts = len(complete), len(conflicted)
        stats.dead_lettered += len(dead)
        stats.waiting += len(pending)
        stats.counters |= {
            "processed": len(finished),
            "retries": retries,
            "conflicts": len(conflicted),
            "dead_lettered": stats.dead_lettered,
            "failures": failures,
        }
        self._record_metrics(jobs, complete, stats, errors, t0)

    def _classify(self, jobs: list[Job]) -> tuple[list[Job], list[Job], list[Job]]:
        """(dead, pending, complete). Only a record's own failures count toward the
        dead-letter limit: an outage holds it, however long."""
        limit = self.ctx.config.max_deliveries
        dead, pending, complete = [], [], []
        for job in jobs:
            before = job.progress.attempts if job.progress else {}
            attempts = max((before.get(s, 0) + 1 for s in job.broken), default=0)
            if job.rejected or attempts >= limit:
                dead.append(job)
            elif job.complete:
                complete.append(job)
            else:
                pending.append(job)
        return dead, pending, complete

    def _dead_letter(self, dead: list[Job], outcomes: dict[str, str]) -> None:
        for job in dead:
            kind = "rejected" if job.rejected else "broken"
            store, error = next(iter({**job.broken, **job.rejected}.items()))
            tries = (job.progress.max_attempts if job.progress else 0) + 1
            self.ctx.deadletters.add(job.event, store, error, tries, kind=kind)
            outcomes[job.event_id] = f"dead:{store}"

    def _schedule_retries(self, pending: list[Job], stats: BatchStats) -> int:
        """Record failures with their retry time; note when deferred jobs are due.
        Returns how many events failed in this batch."""
        failed = {j.event_id: {**j.failed, **j.broken} for j in pending if j.failed or j.broken}
        if failed:
            retry_at = self._retry_at(pending)
            self.ctx.progress.mark_failed(
                failed,
                retry_at,
                counted={j.event_id: set(j.broken) for j in pending if j.broken},
            )
            stats.retry_at = earliest(retry_at, stats.retry_at)
        deferred = [j for j in pending if not j.failed]
        if deferred:  # behind an open circuit (or waiting for a stage): due when it half-opens
            cfg, breaker = self.ctx.config, self.applier.breaker
            wait_s = min(
                max([breaker.wait_s(s) for s in j.deferred] + [cfg.breaker_initial_s])
                for j in deferred
            )
            stats.retry_at = earliest(time.time() + wait_s, stats.retry_at)
        return len(failed)

    def _record_metrics(
        self,
        jobs: list[Job],
        complete: list[Job],
        stats: BatchStats,
        errors: dict[str, str],
        t0: float,
    ) -> None:
        now_ms = int(time.time() * 1000)
        per_store: dict[str, list[int]] = {}
        for job in jobs:
            for s in job.done - job.done_before:
                per_store.setdefault(s, []).append(now_ms - job.delivery.published_ms)
        stats.counters.update({f"applied:{s}": len(v) for s, v in per_store.items()})
        self.ctx.metrics.record_batch(
            events=stats.events,
            seconds=time.monotonic() - t0,
            latencies_ms=[now_ms - j.delivery.published_ms for j in complete],
            store_latencies_ms=per_store,
            counters=stats.counters,
            store_errors=errors,
        )


def _record_result(store: str, res: GroupResult, candidates: list[Job]) -> None:
    """What one store's write did to each job it attempted."""
    for job in (j for j in candidates if j.event_id in res.attempted):
        if job.event_id in res.outcome.applied:
            job.done.add(store)
        elif job.event_id in res.outcome.conflicts:
            job.conflicts[store] = res.outcome.conflicts[job.event_id]
        elif job.event_id in res.rejected:
            job.rejected[store] = res.rejected[job.event_id]
        elif job.event_id in res.broken:
            job.broken[store] = res.broken[job.event_id]
        elif res.error:
            job.failed[store] = res.error
        else:
            job.failed[store] = (
                "the store reported the write neither applied nor "
                "stale (a concurrent change); it will be retried"
            )
