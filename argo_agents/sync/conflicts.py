"""Conflicts: detect before writing, resolve by strategy, park MANUAL ones for a human.

Two kinds (see `job.judge`): a store holds the event's version with another
hash, or a store moved past the version the event was based on. The second
is checked before anything is written (`precheck`, only for events that carry
a ``base_version``); the first shows up when a store reports a write stale.

Every resolution becomes a new event whose version is above every stored
one, published to the outbox: it reaches all stores by the ordinary path, so
they converge. ROLLBACK is a saga: the state before the event is snapshotted
before the first write (and kept in the event's progress for later rounds),
and the compensation writes that state back, or deletes where there was none.
The snapshot comes from the first of Redis, Neo4j and BigQuery that holds the
entity (the vector store keeps no whole state), and the compensation goes to
every target, so the stores converge even if one of them had diverged.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from argo_agents.stores.errors import StoreError
from argo_agents.stores.redis_stream import RedisStreams
from argo_agents.sync.config import ConflictStrategy, SyncConfig
from argo_agents.sync.events import Operation, Priority, SyncEvent, decode_event, encode_event
from argo_agents.sync.job import Job, judge
from argo_agents.sync.keys import Keys
from argo_agents.sync.matrix import SIMILAR
from argo_agents.sync.outbox import Outbox
from argo_agents.sync.progress import EventProgress, ProgressStore
from argo_agents.sync.reader import READABLE, StateReader
from argo_agents.sync.strategies import Resolution, Side, resolve, take


@dataclass(frozen=True)
class ParkedConflict:
    """A conflict waiting for `argo sync conflicts --resolve`."""

    id: str
    event: SyncEvent
    stored: dict[str, dict[str, Any]]  # store → {"version", "hash"}
    stored_data: dict[str, Any] | None
    detected_at: float


class ConflictManager:
    """Conflict checks and resolutions for one namespace."""

    def __init__(self, reader: StateReader, outbox: Outbox, progress: ProgressStore,
                 redis: RedisStreams, keys: Keys, config: SyncConfig) -> None:
        self.reader, self.outbox, self.progress = reader, outbox, progress
        self.redis, self.keys, self.config = redis, keys, config

    # ---- before writing ----------------------------------------------------------------
    def precheck(self, jobs: Sequence[Job]) -> None:
        """Base-version races (recorded on the jobs) and ROLLBACK snapshots (saved)."""
        based = [j for j in jobs if j.event.base_version is not None]
        for store in {s for j in based for s in j.todo if s != SIMILAR}:
            for etype in {j.event.entity_type for j in based}:
                group = [j for j in based if j.event.entity_type == etype and store in j.todo]
                try:
                    stored = self.reader.versions(store, etype,
                                                  [j.event.entity_id for j in group])
                except StoreError as exc:  # cannot check: do not write there this round
                    for job in group:
                        job.failed[store] = str(exc)
                    continue
                for job in group:
                    if judge(job, stored.get(job.event.entity_id)) == "conflict":
                        job.conflicts[store] = stored[job.event.entity_id]
        rollback = [j for j in jobs if self.config.strategy_for(j.event.entity_type)
                    is ConflictStrategy.ROLLBACK and (j.progress is None
                                                      or j.progress.snapshot is None)]
        snapshots: dict[str, str] = {}
        for etype in {j.event.entity_type for j in rollback}:
            group = [j for j in rollback if j.event.entity_type == etype]
            try:
                found = self.reader.first_state(sorted(group[0].stages), etype,
                                                [j.event.entity_id for j in group])
            except StoreError:  # no snapshot, no saga: write nothing until one can be taken
                for job in group:
                    job.deferred |= job.todo
                continue
            for job in group:
                side = found.get(job.event.entity_id)
                snapshots[job.event_id] = orjson.dumps(
                    {"data": side.data if side else None,
                     "confidence": side.confidence if side else None}).decode()
        self.progress.save_snapshots(snapshots)
        for job in rollback:
            if job.event_id in snapshots:
                job.progress = job.progress or EventProgress()
                job.progress.snapshot = snapshots[job.event_id]

    # ---- after a conflict --------------------------------------------------------------
    def handle(self, jobs: Sequence[Job]) -> list[str]:
        """Resolve or park the conflicts of ``jobs``; return resolution event ids."""
        resolutions: list[SyncEvent] = []
        floors: list[int] = []
        for job in jobs:
            stored = self._stored_side(job)
            strategy = self.config.strategy_for(job.event.entity_type)
            incoming = Side(None if job.is_delete else job.event.data, job.event.confidence,
                            job.event.timestamp, job.version)
            previous = None
            if strategy is ConflictStrategy.ROLLBACK and (job.done or job.done_before):
                previous = _snapshot_side(job)
            result = resolve(strategy, incoming, stored, previous)
            if result is None:
                self._park(job, stored)
                continue
            resolutions.append(_resolution_event(job.event, result, strategy.value))
            floors.append(max([job.version, *[v.version for v in job.conflicts.values()]]) + 1)
        if not resolutions:
            return []
        published = self.outbox.append(resolutions, min_versions=floors)
        return [e.event_id for e in published]

    def _stored_side(self, job: Job) -> Side:
        readable = [s for s in READABLE if s in job.conflicts] or \
            [s for s in READABLE if s in job.stages]
        for store in readable:
            side = self.reader.states(store, job.event.entity_type,
                                      [job.event.entity_id]).get(job.event.entity_id)
            if side is not None:
                return side
        return Side(None)

    def _park(self, job: Job, stored: Side) -> None:
        record = {"event": encode_event(job.event).decode(), "version": job.version,
                  "stored": {s: {"version": v.version, "hash": v.hash}
                             for s, v in job.conflicts.items()},
                  "stored_data": stored.data, "stored_confidence": stored.confidence,
                  "detected_at": time.time()}
        self.redis.hset_many({self.keys.conflicts: {job.event_id: orjson.dumps(record)}})

    # ---- parked conflicts (MANUAL) -----------------------------------------------------
    def parked(self) -> list[ParkedConflict]:
        """Every parked conflict, oldest first."""
        found = [_parked(cid, raw) for cid, raw in self.redis.hget_all(
            self.keys.conflicts).items()]
        return sorted(found, key=lambda c: c.detected_at)

    def get(self, conflict_id: str) -> ParkedConflict:
        """One parked conflict; `KeyError` names the ids that exist."""
        raw = self.redis.hget_fields(self.keys.conflicts, [conflict_id])[0]
        if raw is None:
            known = ", ".join(c.id[:12] for c in self.parked()) or "none"
            raise KeyError(f"no parked conflict {conflict_id!r} (parked: {known})")
        return _parked(conflict_id, raw)

    def resolve_parked(self, conflict_id: str, choice: str) -> str:
        """Apply a human's choice (incoming | stored | merged); return the new event id."""
        c = self.get(conflict_id)
        raw = orjson.loads(self.redis.hget_fields(self.keys.conflicts, [conflict_id])[0] or "{}")
        stored = Side(c.stored_data, raw.get("stored_confidence"))
        incoming = Side(None if c.event.operation is Operation.DELETE else c.event.data,
                        c.event.confidence, c.event.timestamp, int(c.event.version or 0))
        result = take(choice, incoming, stored)
        floor = max([int(c.event.version or 0), *[int(s["version"]) for s in c.stored.values()]])
        event = _resolution_event(c.event, result, f"manual:{choice}")
        published = self.outbox.append([event], min_versions=[floor + 1])
        self.redis.hdel(self.keys.conflicts, [conflict_id])
        return published[0].event_id


def _snapshot_side(job: Job) -> Side:
    raw = job.progress.snapshot if job.progress else None
    if not raw:
        return Side(None)
    snap = orjson.loads(raw)
    return Side(snap.get("data"), snap.get("confidence"))


def _resolution_event(event: SyncEvent, result: Resolution, how: str) -> SyncEvent:
    return SyncEvent(
        entity_type=event.entity_type, entity_id=event.entity_id,
        operation=Operation.DELETE if result.data is None else Operation.UPDATE,
        data=result.data or {}, source="sync", confidence=result.confidence,
        priority=max(event.priority, Priority.HIGH),
        operation_id=f"resolve:{how}:{event.event_id[:16]}")


def _parked(conflict_id: str, raw: str | bytes) -> ParkedConflict:
    rec = orjson.loads(raw)
    event = decode_event(rec["event"], int(rec["version"]))
    return ParkedConflict(conflict_id, event, rec["stored"], rec.get("stored_data"),
                          float(rec["detected_at"]))
