"""Apply one batch to every target store at once: retries, bisection, circuit breakers.

Each store's group is written in its own thread, so a slow or dead store
costs the others nothing. Within a group:
- `StoreUnavailable` is retried with exponential backoff and jitter
  (tenacity); if it persists the group fails for now and the store's circuit
  opens, so the next batches do not wait on it again (its jobs are deferred
  and stay pending in the outbox until the circuit half-opens).
- `StoreBusy` (concurrent writers collided; the store is fine) is retried up
  to `busy_attempts` times with random jitter, which separates the colliding
  writers, and never opens the circuit.
- Any other error (`StoreRejected`, or an exception a mapper or adapter raised
  for some record) means some record in the group is poison: the group is split
  in halves until the poison jobs are isolated, so the rest still flow. A
  rejected record is dead-lettered; any other isolated error is "broken" and
  counts toward the dead-letter limit.
- An outage is never a record's fault: the group's jobs are "failed", held and
  retried when the circuit half-opens, for as long as the store stays down.

A write that raised may still have been applied (a timeout after the server
took it), so each job it held is marked `tried`, and the retries and halves
read before they write.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from tenacity import RetryCallState, Retrying, retry_if_exception_type, wait_random_exponential

from argo_agents.stores.errors import StoreBusy, StoreRejected, StoreUnavailable
from argo_agents.sync.config import SyncConfig
from argo_agents.sync.job import Job, StoreOutcome
from argo_agents.sync.matrix import SIMILAR, VECTOR
from argo_agents.telemetry import Span, span


class Writer(Protocol):
    """What `writers` provides per store."""

    name: str

    def write(self, jobs: Sequence[Job]) -> StoreOutcome:
        """Apply the group."""


@dataclass
class Breaker:
    """Per-store circuit: open after a failure, for an exponentially growing time."""

    initial_s: float
    max_s: float
    failures: dict[str, int] = field(default_factory=dict)
    open_until: dict[str, float] = field(default_factory=dict)

    def is_open(self, store: str) -> bool:
        """True while events for ``store`` should be deferred rather than tried."""
        return time.monotonic() < self.open_until.get(store, 0.0)

    def wait_s(self, store: str) -> float:
        """Seconds until ``store``'s circuit half-opens (0 when it is closed)."""
        return max(0.0, self.open_until.get(store, 0.0) - time.monotonic())

    def failure(self, store: str) -> None:
        """A group failed on ``store``: open (or re-open, longer) its circuit."""
        n = self.failures.get(store, 0) + 1
        self.failures[store] = n
        self.open_until[store] = time.monotonic() + min(self.max_s, self.initial_s * 2 ** (n - 1))

    def success(self, store: str) -> None:
        """The store answered: close its circuit."""
        self.failures.pop(store, None)
        self.open_until.pop(store, None)


@dataclass
class GroupResult:
    """One store's result for one batch."""

    outcome: StoreOutcome = field(default_factory=StoreOutcome)
    attempted: set[str] = field(default_factory=set)  # event ids handed to the writer
    rejected: dict[str, str] = field(default_factory=dict)  # event id → reason
    broken: dict[str, str] = field(default_factory=dict)  # event id → unexpected error
    error: str = ""  # set when the store stayed unavailable
    retries: int = 0
    seconds: float = 0.0

    def merge(self, other: GroupResult) -> GroupResult:
        """One stage's two groups of a batch as one result (the longer time counts)."""
        self.outcome.update(other.outcome)
        self.attempted |= other.attempted
        self.rejected.update(other.rejected)
        self.broken.update(other.broken)
        self.error = self.error or other.error
        self.retries += other.retries
        self.seconds = max(self.seconds, other.seconds)
        return self


class Applier:
    """Runs writers in parallel threads for one worker."""

    def __init__(self, writers: Mapping[str, Writer], config: SyncConfig) -> None:
        self.writers = writers
        self.config = config
        self.breaker = Breaker(config.breaker_initial_s, config.breaker_max_s)
        self.pool = ThreadPoolExecutor(max(1, len(writers)), thread_name_prefix="sync-store")
        self._lock = threading.Lock()

    def close(self) -> None:
        """Stop the threads (the applier's and any a writer keeps)."""
        self.pool.shutdown(wait=True)
        for writer in self.writers.values():
            close = getattr(writer, "close", None)
            if close is not None:
                close()

    def apply(
        self, groups: Mapping[str, list[Job]], similar: list[Job] | None = None
    ) -> dict[str, GroupResult]:
        """Write every group in parallel, SIMILAR_TO too (see `_similar_split`)."""
        beside, after = _similar_split(similar or [], groups.get(VECTOR))
        futures: dict[str, Future[Any]] = {}  # a GroupResult, or (vector, similar)
        for store, jobs in groups.items():
            if store == VECTOR:
                futures[store] = self.pool.submit(self._vector_then_similar, jobs, after)
            else:
                futures[store] = self.pool.submit(self._run, store, jobs)
        if beside:
            futures[SIMILAR] = self.pool.submit(self._run, SIMILAR, beside)
        results: dict[str, GroupResult] = {}
        similar_parts: list[GroupResult] = []  # beside the vector write, after it, or both
        for store, fut in futures.items():
            res = fut.result()
            if isinstance(res, tuple):  # vector, then similar
                results[VECTOR], sim = res
                similar_parts += [sim] if sim is not None else []
            elif store == SIMILAR:
                similar_parts.append(res)
            else:
                results[store] = res
        if similar_parts:
            results[SIMILAR] = functools.reduce(GroupResult.merge, similar_parts)
        return results

    def _vector_then_similar(
        self, jobs: list[Job], similar: list[Job]
    ) -> tuple[GroupResult, GroupResult | None]:
        res = self._run(VECTOR, jobs)
        if not similar:
            return res, None
        ready = [j for j in similar if VECTOR in j.done_before or j.event_id in res.outcome.applied]
        return res, (self._run(SIMILAR, ready) if ready else None)

    def _stop(self, state: RetryCallState) -> bool:
        """Give up after `retry_attempts` tries, or `busy_attempts` while writers collide."""
        cfg = self.config
        busy = state.outcome is not None and isinstance(state.outcome.exception(), StoreBusy)
        limit = cfg.busy_attempts if busy else cfg.retry_attempts
        return state.attempt_number >= max(1, limit)

    def _run(self, store: str, jobs: list[Job]) -> GroupResult:
        result = GroupResult(attempted={j.event_id for j in jobs})
        t0 = time.monotonic()
        writer = self.writers[store]

        def count_retry(_: object) -> None:
            result.retries += 1

        retrying = Retrying(
            retry=retry_if_exception_type(StoreUnavailable),
            stop=self._stop,
            wait=wait_random_exponential(
                multiplier=self.config.retry_initial_s, max=self.config.retry_max_s
            ),
            before_sleep=count_retry,
            reraise=True,
        )

        def write(group: list[Job]) -> StoreOutcome:
            try:
                return writer.write(group)
            except Exception:
                for job in group:
                    job.tried.add(store)
                raise

        def attempt(group: list[Job]) -> None:
            try:
                result.outcome.update(retrying(write, group))
            except StoreUnavailable:
                raise  # the store, not a record: the whole group waits
            except Exception as exc:  # some record(s) of the group: isolate them
                if len(group) == 1:
                    if isinstance(exc, StoreRejected):
                        result.rejected[group[0].event_id] = str(exc)
                    else:
                        result.broken[group[0].event_id] = f"{type(exc).__name__}: {exc}"
                    return
                mid = len(group) // 2  # the rest still flow
                attempt(group[:mid])
                attempt(group[mid:])

        with span("argo.sync.store_write", store=store, events=len(jobs)) as traced:
            try:
                attempt(jobs)
                self.breaker.success(store)
            except StoreBusy as exc:  # the store is up; only this group waits for a retry
                result.error = str(exc)
            except StoreUnavailable as exc:
                result.error = str(exc)
                self.breaker.failure(store)
            _trace_outcome(traced, result)
        result.seconds = time.monotonic() - t0
        return result


BESIDE_MAX = 100  # events per batch at half load: p50 27, p95 45, max 72 (sync benchmark)


def _similar_split(
    similar: list[Job], vector_jobs: list[Job] | None
) -> tuple[list[Job], list[Job]]:
    """SIMILAR_TO jobs to run beside the vector write, and after it.

    An item that carries its embedding (ingested chunks) needs nothing from the vector
    write: its neighbours are searched while the write runs, and the batch's own items
    are compared with it directly (`writers.SimilarWriter`). Measured on the sync
    benchmark, this takes the search and the graph's edge write off the path that every
    event of the batch waits for. An item the vector stage embeds waits for that
    embedding, and for the write to succeed, as before; so does every item of a batch
    that deletes vectors (a search beside the delete could still find them, and an
    edge to a deleted item would bring its node back), and a large batch: there the
    search and the write compete inside the vector store (at 100,000 vectors a 500-item
    search beside a 1,000-record write ran past the store timeout), and a backlog's
    latency is its queue, not one write.
    """
    if vector_jobs is None:
        return similar, []
    if len(vector_jobs) > BESIDE_MAX or any(j.is_delete for j in vector_jobs):
        return [], similar
    carries = lambda j: bool(j.event.data.get("embedding"))  # noqa: E731
    return [j for j in similar if carries(j)], [j for j in similar if not carries(j)]


def _trace_outcome(traced: Span, result: GroupResult) -> None:
    """What one store did with a group, on its span: how many applied, refused, retried."""
    failed = bool(result.error or result.rejected or result.broken)
    traced.set("outcome", "failed" if result.error else "partial" if failed else "applied")
    traced.set("applied", len(result.outcome.applied))
    traced.set("rejected", len(result.rejected) + len(result.broken))
    traced.set("retries", result.retries)
    if result.error:
        traced.set("error", result.error[:300])
