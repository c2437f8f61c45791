"""`Job`: one event inside a worker's batch, and what each store made of it.

A job starts with the stages the matrix names (minus those done on an
earlier delivery) and collects, per stage, one of: done, failed (the store was
unavailable or busy: held, retried later, never dead-lettered for it), broken
(this record alone raised an unexpected error: retried, and dead-lettered after
`max_deliveries` rounds), rejected (the store refused this record: dead
letter), conflict, or deferred (the store's circuit is open, not tried).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from argo_agents.stores.records import StoredVersion
from argo_agents.sync.events import Operation, SyncEvent
from argo_agents.sync.matrix import EntitySpec
from argo_agents.sync.outbox import Delivery
from argo_agents.sync.progress import EventProgress


@dataclass(eq=False)
class Job:
    """The state of one event within one batch."""

    delivery: Delivery
    event: SyncEvent
    event_id: str
    spec: EntitySpec
    stages: frozenset[str]
    progress: EventProgress | None = None
    done: set[str] = field(default_factory=set)
    failed: dict[str, str] = field(default_factory=dict)
    rejected: dict[str, str] = field(default_factory=dict)
    broken: dict[str, str] = field(default_factory=dict)
    conflicts: dict[str, StoredVersion] = field(default_factory=dict)
    deferred: set[str] = field(default_factory=set)
    done_before: set[str] = field(default_factory=set)  # from progress of earlier rounds
    tried: set[str] = field(default_factory=set)
    """Stores whose write of this job raised in this batch: it may have applied anyway
    (a timeout after the server took it), so later tries must read before writing."""

    @property
    def todo(self) -> set[str]:
        """Stages not yet done, failed, rejected, broken, in conflict or deferred."""
        return (
            set(self.stages)
            - self.done
            - set(self.failed)
            - set(self.rejected)
            - set(self.broken)
            - set(self.conflicts)
            - self.deferred
        )

    def may_be_held_by(self, store: str) -> bool:
        """Whether ``store`` could already hold this job's version (so read before writing).

        Only the first try of a first delivery of an engine-versioned event is
        sure it cannot (see `Delivery.fresh`); a retry, a bisected half, a
        redelivery or a claimed entry may find its own earlier write there.
        """
        return not self.delivery.fresh or store in self.tried or self.event.base_version is not None

    @property
    def complete(self) -> bool:
        """Every stage applied."""
        return self.done >= self.stages

    @property
    def is_delete(self) -> bool:
        """The event deletes its entity."""
        return self.event.operation is Operation.DELETE

    @property
    def version(self) -> int:
        """The event's version (always set once published)."""
        return int(self.event.version or 0)


@dataclass
class StoreOutcome:
    """What one store did with a group of jobs (event ids)."""

    applied: set[str] = field(default_factory=set)  # now held, already held, or superseded
    conflicts: dict[str, StoredVersion] = field(default_factory=dict)

    def update(self, other: StoreOutcome) -> None:
        """Fold another outcome (e.g. one half of a bisected group) into this one."""
        self.applied |= other.applied
        self.conflicts.update(other.conflicts)


def judge(job: Job, stored: StoredVersion | None) -> str:
    """Compare a job with what a store holds: ``write``, ``done`` or ``conflict``.

    Same version with another hash is a conflict; a stored version newer than
    the job's base version (that is not the job's own write) means a
    concurrent writer raced it, also a conflict. An older stored version gets
    the write; a newer one supersedes the job (an older version never wins).
    """
    if stored is None:
        return "write"
    if stored.version == job.version:
        return "done" if stored.hash == job.event.hash else "conflict"
    base = job.event.base_version
    if base is not None and base < stored.version < job.version:
        return "conflict"
    return "write" if stored.version < job.version else "done"


def newest_per_entity(jobs: Iterable[Job]) -> tuple[list[Job], list[Job]]:
    """Split jobs into the newest version of each entity and the ones it supersedes."""
    all_jobs: Sequence[Job] = list(jobs)
    best: dict[str, Job] = {}
    for job in all_jobs:
        k = job.event.entity_key
        if k not in best or job.version >= best[k].version:
            best[k] = job
    keep = {id(j) for j in best.values()}
    return list(best.values()), [j for j in all_jobs if id(j) not in keep]
