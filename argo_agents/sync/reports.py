"""What the engine reports: drain, receipt, verification and status, as pydantic models."""

from __future__ import annotations

from pydantic import BaseModel, Field


class DrainReport(BaseModel):
    """Result of `SyncEngine.drain`."""

    processed: int = 0  # events finished (applied, dead-lettered or in conflict)
    applied: int = 0
    dead_lettered: int = 0
    conflicts: int = 0
    batches: int = 0
    seconds: float = 0.0
    complete: bool = False  # the outbox was empty when drain returned
    remaining: int = 0  # entries still in the outbox


class SyncReceipt(BaseModel):
    """Where a set of published events stands."""

    published: int
    applied: dict[str, int] = Field(default_factory=dict)  # store → events applied there
    fully_applied: int = 0
    pending: int = 0
    dead_lettered: int = 0
    conflicts: int = 0


class Divergence(BaseModel):
    """One entity that a store does not hold as the ledger says it should."""

    entity_type: str
    entity_id: str
    store: str
    kind: str  # missing | stale | divergent | undeleted
    expected_version: int
    stored_version: int | None = None


class VerifyReport(BaseModel):
    """Result of `SyncEngine.verify`."""

    checked: int = 0  # entities compared
    comparisons: int = 0  # (entity, store) pairs compared
    missing: int = 0
    stale: int = 0
    divergent: int = 0
    expired: int = 0  # cache entries past their TTL: expected, not divergence
    parked: int = 0  # entities with a MANUAL conflict waiting
    repaired: int = 0  # entities re-published by --repair
    unrepairable: list[str] = Field(default_factory=list)
    problems: list[Divergence] = Field(default_factory=list)  # first 200

    @property
    def divergence(self) -> int:
        """Missing + stale + divergent entries (0 means every store agrees)."""
        return self.missing + self.stale + self.divergent


class StoreStatus(BaseModel):
    """One store as the sync workers see it."""

    applied: int = 0
    p95_ms: float | None = None
    lag_s: float = 0.0  # time since the store last applied anything, while work is waiting
    last_error: str = ""
    avg_write_ms: float | None = None  # mean time of one batched write (retries included)


class SyncStatus(BaseModel):
    """`argo sync status`."""

    outbox: int = 0
    in_flight: int = 0
    dead_letters: int = 0
    parked_conflicts: int = 0
    processed: int = 0
    retries: int = 0
    conflicts: int = 0
    dead_lettered: int = 0
    failures: int = 0
    throughput: float = 0.0  # events/s over the last minute of batches
    error_rate: float = 0.0
    p50_ms: float | None = None
    p95_ms: float | None = None
    stores: dict[str, StoreStatus] = Field(default_factory=dict)
    redis_memory: float | None = None  # used / maxmemory (None: no limit set, or unknown)
    warnings: list[str] = Field(default_factory=list)
