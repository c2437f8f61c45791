"""Verification: compare every entity's version and hash across the stores that should hold it.

The ledger (written atomically with each publish) says, per entity, the
newest version, its hash, operation and source; the sync matrix says which
stores must hold it. Each store is asked for the versions of a chunk of ids
at once. Findings: *missing* (absent where it should be), *stale* (an older
version, or still present after a delete), *divergent* (same version,
different hash, or a version the engine never published). Cache entries
that outlived their TTL are counted as *expired*, not as divergence.

Repair re-publishes each problem entity from a store that holds the ledger's
version intact (or a delete), with a version above every stored one, so the
ordinary outbox path brings every store back in line. A long scan reads the
ledger long before it repairs, so a repair is a compare-and-set like every
conflict resolution (see `conflicts`): just before publishing, the entity's
newest version is read again; if it is above the ledger entry the scan read,
the entity was written during the run and is skipped (listed in
``unrepairable`` with the reason: verify again once that version is
applied). Otherwise the repair carries that version as ``base_version`` and
is appended only if the counter is still there (`publish_if_newest`), so an
event published in between is not overwritten either.

Entities with a parked (MANUAL) conflict are checked like any other, so a
newer divergence is not hidden, and reported: ``parked`` counts them and
each appears in ``problems`` as kind ``parked`` (one per store in conflict).
Repair leaves them alone (listed in ``unrepairable``): a human resolves them
(`argo sync conflicts`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from argo_agents.sync.events import Operation, SyncEvent
from argo_agents.sync.matrix import BIGQUERY, REDIS, SYNC_MATRIX, spec_for, targets_of
from argo_agents.sync.reader import READABLE
from argo_agents.sync.reports import Divergence, VerifyReport
from argo_agents.sync.strategies import resolution_base
from argo_agents.sync.wiring import SyncWiring

CHUNK = 500
MAX_LISTED = 200


class LedgerEntry:
    """What the ledger says about one entity."""

    __slots__ = ("entity_id", "version", "hash", "operation", "source", "published_s")

    def __init__(self, entity_id: str, raw: str) -> None:
        version, self.hash, self.operation, self.source, ts = raw.split("|", 4)
        self.entity_id, self.version = entity_id, int(version)
        self.published_s = int(ts) / 1000


class Verifier:
    """Runs `verify` (and `--repair`) for one namespace."""

    def __init__(self, ctx: SyncWiring) -> None:
        self.ctx = ctx

    def run(self, entity_type: str | None = None, *, repair: bool = False) -> VerifyReport:
        """Check one entity type, or all of them."""
        report = VerifyReport()
        types = [entity_type] if entity_type else list(SYNC_MATRIX)
        for etype in types:
            spec_for(etype)  # KeyError for an unknown type, before any work
        parked = self._report_parked(types, report)
        for etype in types:
            for chunk in self._ledger(etype):
                bad = self._check(etype, chunk, report)
                if repair and bad:
                    held = [
                        e for e in chunk if e.entity_id in bad and (etype, e.entity_id) in parked
                    ]
                    report.unrepairable += [
                        f"{etype}:{e.entity_id} (parked conflict: resolve "
                        f"it with `argo sync conflicts`)"
                        for e in held
                    ]
                    self._repair(
                        etype,
                        [
                            e
                            for e in chunk
                            if e.entity_id in bad and (etype, e.entity_id) not in parked
                        ],
                        report,
                    )
        return report

    def _report_parked(self, types: list[str], report: VerifyReport) -> set[tuple[str, str]]:
        """Count and list the entities of ``types`` with a parked conflict; return them."""
        conflicts = [c for c in self.ctx.conflicts.parked() if c.event.entity_type in types]
        parked = {(c.event.entity_type, c.event.entity_id) for c in conflicts}
        report.parked = len(parked)
        for c in conflicts:
            for store, held in sorted(c.stored.items()):
                if len(report.problems) < MAX_LISTED:
                    report.problems.append(
                        Divergence(
                            entity_type=c.event.entity_type,
                            entity_id=c.event.entity_id,
                            store=store,
                            kind="parked",
                            expected_version=int(c.event.version or 0),
                            stored_version=int(held.get("version") or 0) or None,
                        )
                    )
        return parked

    def _ledger(self, etype: str) -> Iterator[list[LedgerEntry]]:
        chunk: list[LedgerEntry] = []
        for entity_id, raw in self.ctx.redis.hscan(self.ctx.keys.ledger(etype), count=CHUNK):
            chunk.append(LedgerEntry(entity_id, raw))
            if len(chunk) >= CHUNK:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    def _check(self, etype: str, entries: list[LedgerEntry], report: VerifyReport) -> set[str]:
        spec, now = spec_for(etype), time.time()
        report.checked += len(entries)
        bad: set[str] = set()
        for source in {e.source for e in entries}:
            group = [e for e in entries if e.source == source]
            for store in sorted(targets_of(etype, source)):
                if store != REDIS and store != BIGQUERY and spec.edge_only:
                    continue  # a relationship's edge has no version to compare
                stored = self.ctx.reader.versions(store, etype, [e.entity_id for e in group])
                for e in group:
                    report.comparisons += 1
                    kind = _compare(e, stored.get(e.entity_id), store)
                    if (
                        kind == "missing"
                        and store == REDIS
                        and now - e.published_s > self.ctx.stores.cache.ttl_for(spec.ttl_type)
                    ):
                        report.expired += 1
                        continue
                    if kind is None:
                        continue
                    bad.add(e.entity_id)
                    field = "stale" if kind in ("stale", "undeleted") else kind
                    setattr(report, field, getattr(report, field) + 1)
                    if len(report.problems) < MAX_LISTED:
                        got = stored.get(e.entity_id)
                        report.problems.append(
                            Divergence(
                                entity_type=etype,
                                entity_id=e.entity_id,
                                store=store,
                                kind=kind,
                                expected_version=e.version,
                                stored_version=got.version if got else None,
                            )
                        )
        return bad

    def _repair(self, etype: str, entries: list[LedgerEntry], report: VerifyReport) -> None:
        """Re-publish ``entries`` (ledger entries as the scan read them), compare-and-set."""
        events: list[SyncEvent] = []
        for source in {e.source for e in entries}:
            group = [e for e in entries if e.source == source]
            targets = targets_of(etype, source)
            ids = [e.entity_id for e in group]
            highest: dict[str, int] = {}
            for store in targets:
                for i, v in self.ctx.reader.versions(store, etype, ids).items():
                    highest[i] = max(highest.get(i, 0), v.version)
            good = self._good_copies(etype, group, targets)
            newest = self.ctx.conflicts.newest((etype, i) for i in ids)  # just before publishing
            for e in group:
                now = newest.get((etype, e.entity_id), 0)
                base = resolution_base(e.version, now, [highest.get(e.entity_id, 0)])
                if base is None:
                    report.unrepairable.append(
                        f"{etype}:{e.entity_id} (skipped: v{now} was published after the scan "
                        f"read v{e.version}; verify again once it is applied)"
                    )
                    continue
                if e.operation == Operation.DELETE.value:
                    data, op = {}, Operation.DELETE
                elif e.entity_id in good:
                    data, op = good[e.entity_id], Operation.UPDATE
                else:
                    report.unrepairable.append(f"{etype}:{e.entity_id}")
                    continue
                events.append(
                    SyncEvent(
                        entity_type=etype,
                        entity_id=e.entity_id,
                        operation=op,
                        data=data,
                        source=source,
                        base_version=base,
                        operation_id=f"repair:{e.version}",
                    )
                )
        published = self.ctx.conflicts.publish_if_newest(events)
        report.repaired += sum(p is not None for p in published)
        late = [e for e, p in zip(events, published, strict=True) if p is None]
        after = self.ctx.conflicts.newest((etype, e.entity_id) for e in late)
        report.unrepairable += [
            f"{etype}:{e.entity_id} (skipped: v{after.get((etype, e.entity_id), 0)} was "
            f"published while it was being repaired; verify again once it is applied)"
            for e in late
        ]

    def _good_copies(
        self, etype: str, group: list[LedgerEntry], targets: frozenset[str]
    ) -> dict[str, dict]:
        """Data of the ledger's version from a store that holds it with the ledger's hash."""
        found: dict[str, dict] = {}
        want = {e.entity_id: e for e in group}
        for store in [s for s in READABLE if s in targets]:
            missing = [i for i in want if i not in found]
            if not missing:
                break
            versions = self.ctx.reader.versions(store, etype, missing)
            intact = [
                i
                for i in missing
                if i in versions
                and versions[i].version == want[i].version
                and versions[i].hash == want[i].hash
            ]
            for i, side in self.ctx.reader.states(store, etype, intact).items():
                if side.data is not None:
                    found[i] = side.data
        return found


def _compare(entry: LedgerEntry, stored: object, store: str) -> str | None:
    """The kind of divergence of one store from the ledger, or None when it agrees."""
    version = getattr(stored, "version", None)
    hash_ = getattr(stored, "hash", None)
    if entry.operation == Operation.DELETE.value:
        if stored is None:
            return None
        if store == BIGQUERY and version is not None and version >= entry.version:
            return None  # the delete row itself
        return "undeleted"
    if stored is None:
        return "missing"
    assert version is not None
    if version < entry.version:
        return "stale"
    if version == entry.version and hash_ == entry.hash:
        return None
    return "divergent"
