"""Conflicts: detect before writing, resolve by strategy, park MANUAL ones for a human.

Two kinds (see `job.judge`): a store holds the event's version with another
hash, or a store moved past the version the event was based on. The second
is checked before anything is written (`precheck`, only for events that carry
a ``base_version``); the first shows up when a store reports a write stale.

Every resolution becomes a new event published to the outbox: it reaches all
stores by the ordinary path, so they converge. ROLLBACK is a saga: the state
before the event is snapshotted before the first write (and kept in the
event's progress for later rounds), and the compensation writes that state
back, or deletes where there was none. The snapshot is the newest state older
than the event that Redis, Neo4j or BigQuery holds (the vector store keeps no
whole state; a stale cache copy must not become the target), and the
compensation goes to every target, so the stores converge even if one of
them had diverged.

Resolutions never roll back newer data
--------------------------------------
A resolution (a strategy's, a human's choice for a parked conflict, or
`verify --repair`'s re-publication) is built from data read at one moment
and published later. Meanwhile another writer may have published a newer
version of the entity, maybe still in the outbox; a resolution published
"above everything" would overwrite that change with old data. So each
resolution is a compare-and-set against the entity's newest version
(`publish_if_newest`):

1. Just before publishing, read the newest version the engine assigned to the
   entity (its version counter, or the ledger if higher: `newest`). If it is
   above the version the conflict was about, the resolution is dropped and
   the reason recorded (`superseded`; `verify` reports its own).
2. Otherwise the resolution carries ``base_version`` B = that version (or a
   higher one a store in conflict holds, which it replaces;
   `strategies.resolution_base`) and is appended at exactly B + 1 by the
   outbox's own append script with a check in front, in the same script
   (`_STRICT`): if the counter has moved past B since step 1, nothing is
   appended and the resolution is dropped as in step 1.

Why this leaves no window: the check of step 2 and the append are one Redis
script, and versions are only assigned by the append script (`recover` only
raises counters, while publishing is stopped), so every other event of the
entity is appended either before the resolution (the counter is past B: it
is dropped) or after it (a higher version, which wins by the ordinary version
fences wherever the two meet: in a store, or in one batch, where the older
version is superseded). There is never a version between B and the
resolution for an event still in flight to be lost under: the stores' fences
alone could not protect one, since the resolution, a higher version, would
supersede it. ``base_version`` tells the stores the same: should one hold a
version between B and the resolution anyway (a write that bypassed the
engine), `judge` makes that a conflict, not an overwrite. One gap remains:
when a store in conflict holds a version the engine never assigned, above
the counter, B is that version, so an event appended in the moment between
steps 1 and 2 with a version below it is not seen (that store's fence
refuses it anyway; the others take the resolution over it).

MANUAL: the stored side is read again when a human resolves; if the entity
moved on since the conflict was parked (a newer version, or another state in
a store in conflict), nothing is published: the parked record is refreshed
with what the stores hold now and `ConflictMovedOn` asks the human to
inspect it again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import orjson

from argo_agents.stores.errors import StoreError
from argo_agents.stores.ports import StreamPort
from argo_agents.stores.records import StoredVersion
from argo_agents.sync.config import ConflictStrategy, SyncConfig
from argo_agents.sync.events import Operation, Priority, SyncEvent, decode_event, encode_event
from argo_agents.sync.job import Job, judge
from argo_agents.sync.keys import Keys
from argo_agents.sync.matrix import REDIS, SIMILAR, stages_of
from argo_agents.sync.outbox import Outbox
from argo_agents.sync.progress import EventProgress, ProgressStore
from argo_agents.sync.reader import READABLE, StateReader
from argo_agents.sync.strategies import Resolution, Side, resolution_base, resolve, take

log = logging.getLogger(__name__)

SUPERSEDED_CAP = 1000  # dropped resolutions remembered (newest first)


@dataclass(frozen=True)
class ParkedConflict:
    """A conflict waiting for `argo sync conflicts --resolve`."""

    id: str
    event: SyncEvent
    stored: dict[str, dict[str, Any]]  # store → {"version", "hash"}
    stored_data: dict[str, Any] | None
    detected_at: float
    newest: int = 0  # the entity's newest version when parked, or when last refreshed


@dataclass(frozen=True)
class Superseded:
    """A resolution dropped because a newer version of its entity was published."""

    entity_type: str
    entity_id: str
    version: int  # the version the conflict (or repair) was about
    newest: int  # the newer version that superseded it (0: not known)
    how: str  # the entity type's conflict strategy
    reason: str
    at: float


class ConflictMovedOn(KeyError):
    """A parked conflict's entity changed since it was parked: nothing was published.

    A `KeyError` because the conflict the caller looked at is gone in the
    form they saw it: the parked record now shows what the stores hold, to be
    inspected (`argo sync conflicts --show`) and resolved again.
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class ConflictManager:
    """Conflict checks and resolutions for one namespace."""

    def __init__(
        self,
        reader: StateReader,
        outbox: Outbox,
        progress: ProgressStore,
        redis: StreamPort,
        keys: Keys,
        config: SyncConfig,
    ) -> None:
        self.reader, self.outbox, self.progress = reader, outbox, progress
        self.redis, self.keys, self.config = redis, keys, config
        self._strict = Outbox(
            redis,
            keys,
            outbox.group,
            chunk=outbox.chunk,
            chunk_bytes=outbox.chunk_bytes,
            at_floors=True,
        )

    @property
    def superseded_key(self) -> str:
        """List of dropped resolutions, newest first (JSON of `Superseded`)."""
        return f"{self.keys.conflicts}:superseded"

    # ---- the entity's newest version (compare-and-set) -----------------------------------
    def newest(self, entities: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """Newest version the engine assigned to each (entity type, id); 0 if none.

        The version counter, or the ledger's version where that is higher (the
        publish script writes both at once; recovery raises both).
        """
        wanted = list(dict.fromkeys(entities))
        if not wanted:
            return {}
        counters = self.redis.hget_fields(self.keys.versions, [f"{t}|{i}" for t, i in wanted])
        found = {e: int(c or 0) for e, c in zip(wanted, counters, strict=True)}
        for etype in {t for t, _ in wanted}:
            ids = [i for t, i in wanted if t == etype]
            for i, raw in zip(
                ids, self.redis.hget_fields(self.keys.ledger(etype), ids), strict=True
            ):
                if raw:
                    found[(etype, i)] = max(found[(etype, i)], int(raw.split("|", 1)[0]))
        return found

    def publish_if_newest(self, events: Sequence[SyncEvent]) -> list[SyncEvent | None]:
        """Append each event at exactly ``base_version + 1``, or not at all; None: not.

        The compare-and-set of step 2 of the module docstring: an event is
        appended only if the entity's counter has not moved past its
        ``base_version``. Events are appended together where all of them can
        be, else one by one, so one superseded event does not hold back the others.
        """
        floors = [int(e.base_version or 0) + 1 for e in events]
        if not events:
            return []
        out = self._strict.append(events, min_versions=floors)
        if len(events) == 1:
            return [out[0] if out[0].version else None]
        return [
            o if o.version else self.publish_if_newest([e])[0]
            for e, o in zip(events, out, strict=True)
        ]

    def record_superseded(self, items: Sequence[Superseded]) -> None:
        """Remember dropped resolutions (the newest `SUPERSEDED_CAP`) and log them."""
        if not items:
            return
        for s in items:
            log.info(
                "dropped %s resolution of %s %s v%d: %s",
                s.how,
                s.entity_type,
                s.entity_id,
                s.version,
                s.reason,
            )
        self.redis.push_capped(
            {self.superseded_key: [orjson.dumps(asdict(s)) for s in items]}, SUPERSEDED_CAP
        )

    def superseded(self, count: int = 100) -> list[Superseded]:
        """Dropped resolutions, newest first."""
        return [
            Superseded(**orjson.loads(raw)) for raw in self.redis.lrange(self.superseded_key, count)
        ]

    # ---- before writing ----------------------------------------------------------------
    def precheck(self, jobs: Sequence[Job]) -> None:
        """Base-version races (recorded on the jobs) and ROLLBACK snapshots (saved)."""
        self._check_bases([j for j in jobs if j.event.base_version is not None])
        self._take_snapshots(
            [
                j
                for j in jobs
                if self.config.strategy_for(j.event.entity_type) is ConflictStrategy.ROLLBACK
                and (j.progress is None or j.progress.snapshot is None)
            ]
        )

    def _check_bases(self, based: Sequence[Job]) -> None:
        """Record a conflict on each job whose base version a store has moved past."""
        for store in {s for j in based for s in j.todo if s != SIMILAR}:
            for etype in {j.event.entity_type for j in based}:
                group = [j for j in based if j.event.entity_type == etype and store in j.todo]
                try:
                    stored = self.reader.versions(store, etype, [j.event.entity_id for j in group])
                except StoreError as exc:  # cannot check: do not write there this round
                    for job in group:
                        job.failed[store] = str(exc)
                    continue
                for job in group:
                    if judge(job, stored.get(job.event.entity_id)) == "conflict":
                        job.conflicts[store] = stored[job.event.entity_id]

    def _take_snapshots(self, rollback: Sequence[Job]) -> None:
        """Save the state before each ROLLBACK event (its saga's undo) before it is written."""
        snapshots: dict[str, str] = {}
        for etype in {j.event.entity_type for j in rollback}:
            group = [j for j in rollback if j.event.entity_type == etype]
            try:
                found = self._states_before(group)
            except StoreError:  # no snapshot, no saga: write nothing until one can be taken
                for job in group:
                    job.deferred |= job.todo
                continue
            for job in group:
                side = found.get(job.event_id)
                snapshots[job.event_id] = orjson.dumps(
                    {
                        "data": side.data if side else None,
                        "confidence": side.confidence if side else None,
                    }
                ).decode()
        self.progress.save_snapshots(snapshots)
        for job in rollback:
            if job.event_id in snapshots:
                job.progress = job.progress or EventProgress()
                job.progress.snapshot = snapshots[job.event_id]

    def _states_before(self, group: Sequence[Job]) -> dict[str, Side]:
        """Per event id, the newest state older than the event in any readable store.

        Every readable store is asked (not only the first that answers): a cache
        copy can be older than the graph's or the warehouse's. A deleted entity
        (a warehouse delete row) is a state too: data None. On a tie the graph
        and the warehouse win over the cache, a copy.
        """
        etype = group[0].event.entity_type
        ids = list(dict.fromkeys(j.event.entity_id for j in group))
        best: dict[str, Side] = {}
        durable_first = sorted(READABLE, key=lambda s: s == REDIS)
        for store in [s for s in durable_first if any(s in j.stages for j in group)]:
            states = self.reader.states(store, etype, ids)
            for job in group:
                side = states.get(job.event.entity_id)
                if side is None or side.version >= job.version:
                    continue  # absent there, or not a state from before the event
                cur = best.get(job.event_id)
                if cur is None or side.version > cur.version:
                    best[job.event_id] = side
        return {k: v for k, v in best.items() if v.data is not None}

    # ---- after a conflict --------------------------------------------------------------
    def handle(self, jobs: Sequence[Job]) -> list[str]:
        """Resolve or park the conflicts of ``jobs``; return resolution event ids.

        A conflict whose entity has a newer version than the job's is neither
        resolved nor parked: that version is judged on its own. A resolution is
        published compare-and-set (see the module docstring); one that is
        superseded is dropped and recorded (`superseded`).
        """
        newest = self.newest((j.event.entity_type, j.event.entity_id) for j in jobs)
        resolutions: list[tuple[Job, str, SyncEvent]] = []
        dropped: list[Superseded] = []
        for job in jobs:
            strategy = self.config.strategy_for(job.event.entity_type)
            now = newest.get((job.event.entity_type, job.event.entity_id), 0)
            base = resolution_base(job.version, now, [v.version for v in job.conflicts.values()])
            if base is None:
                dropped.append(self._dropped(job, strategy.value, now))
                continue
            stored = self._stored_side(job)
            incoming = Side(
                None if job.is_delete else job.event.data,
                job.event.confidence,
                job.event.timestamp,
                job.version,
            )
            previous = None
            if strategy is ConflictStrategy.ROLLBACK and (job.done or job.done_before):
                previous = _snapshot_side(job)
            result = resolve(strategy, incoming, stored, previous)
            if result is None:
                self._park(job, stored, now)
                continue
            resolutions.append(
                (job, strategy.value, _resolution_event(job.event, result, strategy.value, base))
            )
        published = self.publish_if_newest([e for _, _, e in resolutions])
        lost = [
            (job, how) for (job, how, _), p in zip(resolutions, published, strict=True) if p is None
        ]
        if lost:
            again = self.newest((j.event.entity_type, j.event.entity_id) for j, _ in lost)
            dropped += [
                self._dropped(j, how, again.get((j.event.entity_type, j.event.entity_id), 0))
                for j, how in lost
            ]
        self.record_superseded(dropped)
        return [p.event_id for p in published if p is not None]

    @staticmethod
    def _dropped(job: Job, how: str, newest: int) -> Superseded:
        return Superseded(
            job.event.entity_type,
            job.event.entity_id,
            job.version,
            newest,
            how,
            f"v{newest} was published after v{job.version}, which conflicted in "
            f"{', '.join(sorted(job.conflicts))}; the resolution would have overwritten it",
            time.time(),
        )

    def _stored_side(self, job: Job) -> Side:
        return self._read_side(
            job.event.entity_type,
            job.event.entity_id,
            list(job.conflicts) or list(job.stages),
            list(job.stages),
        )

    def _read_side(self, etype: str, eid: str, first: Sequence[str], then: Sequence[str]) -> Side:
        """The entity's state in the first readable store of ``first`` (else of ``then``)
        that holds it."""
        readable = [s for s in READABLE if s in first] or [s for s in READABLE if s in then]
        for store in readable:
            side = self.reader.states(store, etype, [eid]).get(eid)
            if side is not None:
                return side
        return Side(None)

    def _park(self, job: Job, stored: Side, newest: int) -> None:
        record = {
            "event": encode_event(job.event).decode(),
            "version": job.version,
            "stored": {s: {"version": v.version, "hash": v.hash} for s, v in job.conflicts.items()},
            "stored_data": stored.data,
            "stored_confidence": stored.confidence,
            "detected_at": time.time(),
            "newest": max(newest, job.version),
        }
        self.redis.hset_many({self.keys.conflicts: {job.event_id: orjson.dumps(record)}})

    # ---- parked conflicts (MANUAL) -----------------------------------------------------
    def parked(self) -> list[ParkedConflict]:
        """Every parked conflict, oldest first."""
        found = [_parked(cid, raw) for cid, raw in self.redis.hget_all(self.keys.conflicts).items()]
        return sorted(found, key=lambda c: c.detected_at)

    def get(self, conflict_id: str) -> ParkedConflict:
        """One parked conflict, as the stores hold it now; `KeyError` names the ids that exist.

        If the entity moved on since the conflict was parked (or last shown),
        the record is refreshed first, so what is shown is what a resolution
        is then checked against (`resolve_parked`). If a store cannot be read,
        the record is returned as it is (resolving checks again anyway).
        """
        c, raw = self._load(conflict_id)
        try:
            state = self._current(c)
        except StoreError:
            return c
        if state.changed:
            self._refresh(conflict_id, raw, state)
            c, _ = self._load(conflict_id)
        return c

    def _load(self, conflict_id: str) -> tuple[ParkedConflict, dict[str, Any]]:
        raw = self.redis.hget_fields(self.keys.conflicts, [conflict_id])[0]
        if raw is None:
            known = ", ".join(c.id[:12] for c in self.parked()) or "none"
            raise KeyError(f"no parked conflict {conflict_id!r} (parked: {known})")
        return _parked(conflict_id, raw), orjson.loads(raw)

    def resolve_parked(self, conflict_id: str, choice: str) -> str:
        """Apply a human's choice (incoming | stored | merged); return the new event id.

        The stored side is read again now, not taken from when the conflict was
        parked. Raises `ConflictMovedOn`, publishing nothing, if the entity
        moved on since it was parked (or last shown): a newer version was
        published, or a store in conflict holds another version or hash. The
        record is then refreshed with what the stores hold, to be inspected and
        resolved again.
        """
        c, raw = self._load(conflict_id)
        state = self._current(c)
        if state.changed or state.base is None:
            self._refresh(conflict_id, raw, state)
            raise ConflictMovedOn(self._moved_on(c, state.changed, state.newest))
        incoming = Side(
            None if c.event.operation is Operation.DELETE else c.event.data,
            c.event.confidence,
            c.event.timestamp,
            int(c.event.version or 0),
        )
        result = take(choice, incoming, state.side)
        event = _resolution_event(c.event, result, f"manual:{choice}", state.base)
        [published] = self.publish_if_newest([event])
        if published is None:  # the counter moved between the check and the append
            state = self._current(c)
            self._refresh(conflict_id, raw, state)
            raise ConflictMovedOn(
                self._moved_on(
                    c, [f"v{state.newest} was published while it was being resolved"], state.newest
                )
            )
        self.redis.hdel(self.keys.conflicts, [conflict_id])
        return published.event_id

    def _current(self, c: ParkedConflict) -> _Current:
        """Read the entity again: newest version, the stores' versions, the stored side."""
        etype, eid = c.event.entity_type, c.event.entity_id
        seen = max(c.newest, int(c.event.version or 0))
        now = self.newest([(etype, eid)]).get((etype, eid), 0)
        stores = sorted((stages_of(etype, c.event.source) | set(c.stored)) - {SIMILAR})
        held = {s: self.reader.versions(s, etype, [eid]).get(eid) for s in stores}
        # The stored side is the newest state a readable store holds (on a tie, a store in
        # conflict's): once a newer version reached a store, that is what is shown.
        best: Side | None = None
        for store in sorted((s for s in READABLE if s in stores), key=lambda s: s not in c.stored):
            found = self.reader.states(store, etype, [eid]).get(eid)
            if found is not None and (best is None or found.version > best.version):
                best = found
        side = best or Side(None)
        # What a human is shown is the newest version only once a store holds it: a
        # version still in the outbox is newer than anything they could have seen.
        shown = now if side.version >= now else side.version
        changed = (
            [f"v{now} was published after it was parked (or last shown) at v{seen}"]
            if now > seen
            else []
        )
        changed += [
            f"{s} now holds {_held(held.get(s))}, not the {_held(_recorded(rec))} it held then"
            for s, rec in c.stored.items()
            if not _same(held.get(s), rec)
        ]
        base = resolution_base(
            seen, now, [v.version for s, v in held.items() if v and s in c.stored]
        )
        return _Current(now, shown, held, side, changed, base)

    def _refresh(self, conflict_id: str, raw: dict[str, Any], state: _Current) -> None:
        """Update a parked record to what the stores hold now (what `--show` displays)."""
        raw.update(
            stored={
                s: {"version": v.version if v else 0, "hash": v.hash if v else ""}
                for s, v in state.held.items()
                if s in raw.get("stored", {})
            },
            stored_data=state.side.data,
            stored_confidence=state.side.confidence,
            newest=state.shown,
        )
        self.redis.hset_many({self.keys.conflicts: {conflict_id: orjson.dumps(raw)}})

    @staticmethod
    def _moved_on(c: ParkedConflict, changed: list[str], newest: int) -> str:
        short = c.id[:16]
        return (
            f"conflict {short} on {c.event.entity_type}:{c.event.entity_id} is out of "
            f"date: {'; '.join(changed)}. Nothing was published: the resolution would "
            f"have overwritten newer data. Once v{newest} is applied (`argo sync status` "
            f"shows an empty outbox), inspect the conflict again with `argo sync "
            f"conflicts --show {short}` (it shows what the stores hold now) and resolve "
            f"it again if it still needs it."
        )


@dataclass(frozen=True)
class _Current:
    """A parked conflict's entity as read again (see `ConflictManager._current`)."""

    newest: int  # newest version the engine assigned
    shown: int  # newest version a store holds (≤ newest): what a refreshed record shows
    held: dict[str, StoredVersion | None]  # store → what it holds
    side: Side  # the stored side now
    changed: list[str]  # how the entity moved on since parked / last shown (empty: it did not)
    base: int | None  # base version of a resolution now (None: superseded)


def _recorded(rec: dict[str, Any]) -> StoredVersion | None:
    version = int(rec.get("version") or 0)
    return StoredVersion("", version, str(rec.get("hash") or "")) if version else None


def _same(held: StoredVersion | None, rec: dict[str, Any]) -> bool:
    was = _recorded(rec)
    if held is None or was is None:
        return held is None and was is None
    return (held.version, held.hash) == (was.version, was.hash)


def _held(v: StoredVersion | None) -> str:
    return "nothing" if v is None else f"v{v.version} ({v.hash[:8]})"


def _snapshot_side(job: Job) -> Side:
    raw = job.progress.snapshot if job.progress else None
    if not raw:
        return Side(None)
    snap = orjson.loads(raw)
    return Side(snap.get("data"), snap.get("confidence"))


def _resolution_event(event: SyncEvent, result: Resolution, how: str, base: int) -> SyncEvent:
    """The resolution as an event, compare-and-set on ``base`` (see the module docstring)."""
    return SyncEvent(
        entity_type=event.entity_type,
        entity_id=event.entity_id,
        operation=Operation.DELETE if result.data is None else Operation.UPDATE,
        data=result.data or {},
        source="sync",
        confidence=result.confidence,
        priority=max(event.priority, Priority.HIGH),
        operation_id=f"resolve:{how}:{event.event_id[:16]}",
        base_version=base,
    )


def _parked(conflict_id: str, raw: str | bytes) -> ParkedConflict:
    rec = orjson.loads(raw)
    event = decode_event(rec["event"], int(rec["version"]))
    return ParkedConflict(
        conflict_id,
        event,
        rec["stored"],
        rec.get("stored_data"),
        float(rec["detected_at"]),
        int(rec.get("newest") or 0),
    )
