"""`argo sync recover`: rebuild lost version counters (and the ledger) from the stores.

For every entity type, each store is walked (`scan`) and the highest version
any of them holds becomes a floor for the entity's counter; the record of
that version (hash, operation, source, time) becomes its ledger entry, which
is what `verify` compares the stores against. Counters and ledger entries
are only ever raised (`StreamPort.raise_versions`), never lowered, so
recovering a healthy namespace changes nothing and running it twice is the
same as once.

Order matters: while the counters are being rebuilt, Redis must hold no
epoch (publishing stays refused: a publish in between would take a version
the rebuild is about to pass). Then a new epoch is written to the durable
marker, and last to Redis, which lets publishing resume. A crash in between
leaves them different, so `setup` refuses and `recover` runs again. A new
epoch (not the old one) means an old copy of Redis restored later is
refused as well.

Not rebuilt: delete tombstones, dead letters, parked conflicts and metrics
(a lost outbox cannot hold late events for a tombstone to stop), and
relationships' counters (an edge does not carry its entity id; edge writes
are not version-fenced, so a low version still applies).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from pydantic import BaseModel, Field

from argo_agents.sync.epoch import EpochGuard
from argo_agents.sync.events import Operation
from argo_agents.sync.matrix import SYNC_MATRIX
from argo_agents.sync.scan import SOURCES, Held, StoreScanner
from argo_agents.sync.wiring import SyncWiring

WRITE_CHUNK = 1000

Progress = Callable[[str, int], None]  # (what is being read, entity versions read so far)


class RecoverReport(BaseModel):
    """What `SyncEngine.recover` found and did."""

    lost: bool = False  # Redis had no epoch, or another one than the durable marker
    entities: int = 0  # entities with a version in some store (or the ledger)
    raised: int = 0  # counters raised (all of them after a loss; none when healthy)
    read: dict[str, int] = Field(default_factory=dict)  # store → entity versions read
    epoch: str = ""
    seconds: float = 0.0


class Recovery:
    """One run of `recover` on one namespace."""

    def __init__(self, ctx: SyncWiring, progress: Progress | None = None) -> None:
        self.ctx = ctx
        self.progress = progress or (lambda what, n: None)
        self.scanner = StoreScanner(ctx.stores, ctx.redis, ctx.keys)

    def run(self) -> RecoverReport:
        """Rebuild, then write a new epoch to the marker and to Redis; see the module doc."""
        ctx, t0 = self.ctx, time.monotonic()
        guard = EpochGuard(ctx)
        marker, current = guard.durable(), ctx.outbox.epoch()
        report = RecoverReport(
            lost=current is None or (marker is not None and current != marker.epoch)
        )
        if report.lost and current is not None:
            ctx.redis.drop_guard(ctx.keys.epoch)  # refuse publishing meanwhile
        for entity_type, spec in SYNC_MATRIX.items():
            if not spec.edge_only:
                self._rebuild(entity_type, report)
        report.epoch = uuid.uuid4().hex
        guard.write_durable(report.epoch, (marker.generation if marker else 0) + 1)
        ctx.outbox.setup(report.epoch)  # the consumer group too, if Redis lost it
        report.seconds = round(time.monotonic() - t0, 3)
        return report

    def _rebuild(self, entity_type: str, report: RecoverReport) -> None:
        best: dict[str, Held] = {}
        extra: dict[str, Held] = {}  # a record with the source/time the best one lacks
        for source in SOURCES:
            for page in self.scanner.scan(source, entity_type):
                report.read[source] = report.read.get(source, 0) + len(page)
                self.progress(f"{source} {entity_type}", sum(report.read.values()))
                for held in page:
                    if held.version < 0:
                        continue
                    cur = best.get(held.entity_id)
                    if cur is None or held.version > cur.version:
                        best[held.entity_id] = held
                    if held.source and held.ts_ms:
                        extra.setdefault(held.entity_id, held)
        report.entities += len(best)
        items = [self._item(entity_type, h, extra.get(h.entity_id)) for h in best.values()]
        for start in range(0, len(items), WRITE_CHUNK):
            report.raised += self.ctx.redis.raise_versions(
                self.ctx.keys.versions,
                self.ctx.keys.ledger(entity_type),
                items[start : start + WRITE_CHUNK],
            )

    @staticmethod
    def _item(entity_type: str, held: Held, extra: Held | None) -> tuple[str, int, str, str]:
        """(counter field, version, ledger field, ledger value) of one entity."""
        source = held.source or (extra.source if extra else "") or "orchestrator"
        ts_ms = held.ts_ms or (extra.ts_ms if extra else 0) or int(time.time() * 1000)
        operation = held.operation or Operation.UPDATE.value
        ledger = f"{held.version}|{held.hash}|{operation}|{source}|{ts_ms}"
        return f"{entity_type}|{held.entity_id}", held.version, held.entity_id, ledger
