"""`SyncConfig`: the sync engine's knobs, from arguments or ``ARGO_SYNC_*`` variables.

Defaults follow the source design (docs/sync-protocol.md): batches of 10..200 that halve
when a batch takes over 1 s and double when throughput falls under 50/s,
exponential-backoff retries, warnings at 10 % errors or 1 s latency. The
namespace prefixes every Redis key the engine owns, so several deployments
(or tests) share one Redis without seeing each other's outbox.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ConflictStrategy(StrEnum):
    """How a conflict on an entity type is resolved (docs/sync-protocol.md)."""

    LAST_WRITE_WINS = "last_write_wins"  # the incoming data wins
    MERGE = "merge"  # stored keys the incoming data lacks are kept
    HIGHEST_CONFIDENCE = "highest_confidence"  # the side with the higher confidence wins
    MANUAL = "manual"  # parked for a human: `argo sync conflicts`
    ROLLBACK = "rollback"  # saga: every store is put back to the state before the event


class SyncConfig(BaseSettings):
    """Every tunable of the outbox, the workers, retries, conflicts and metrics."""

    model_config = SettingsConfigDict(env_prefix="ARGO_SYNC_", extra="ignore")

    namespace: str = Field("argo:sync", description="Prefix of every Redis key the engine owns.")
    group: str = Field("sync-workers", description="Consumer group shared by all workers.")

    # --- batches (10..200, halve above 1 s, double below 50 events/s) ---
    batch_size: int = 100
    batch_min: int = 10
    batch_max: int = 200
    batch_slow_s: float = 1.0
    batch_low_throughput: float = 50.0
    block_ms: int = Field(200, description="How long an idle worker waits for new entries.")

    # --- retries and dead letters ---
    retry_attempts: int = Field(3, description="Tries of one store write within a batch.")
    busy_attempts: int = Field(
        8, description="Tries while concurrent writers collide (deadlocks, MVCC conflicts)."
    )
    retry_initial_s: float = 0.05
    retry_max_s: float = 2.0
    max_deliveries: int = Field(
        12,
        description="Rounds a record may fail on one store by its own fault (an error "
        "isolated to it) before it is dead-lettered; outages never count.",
    )
    redrive_interval_s: float = Field(
        60.0, description="How often a worker redrives dead letters a store's trouble caused."
    )
    max_redrives: int = Field(3, description="Automatic redrives of one event at most.")
    breaker_initial_s: float = Field(
        0.5, description="After a store fails, events for it wait this long (then doubling)."
    )
    breaker_max_s: float = 30.0
    claim_idle_ms: int = Field(
        15_000, description="Entries pending longer than this are claimed from their worker."
    )
    progress_ttl_s: int = Field(7 * 24 * 3600, description="Life of per-target progress.")

    # --- events ---
    max_event_bytes: int = 1_048_576
    max_outbox: int = Field(
        2_000_000,
        description="Events the outbox may hold; past it `publish` raises "
        "`Backpressure` instead of letting Redis run out of memory.",
    )
    publish_chunk: int = Field(
        500, description="Events per atomic outbox append; larger publishes are split."
    )
    publish_chunk_bytes: int = Field(
        4 << 20, description="Payload bytes per atomic outbox append (one event may exceed it)."
    )
    tombstone_ttl_s: int = Field(
        30 * 24 * 3600, description="How long a delete keeps older versions from reviving."
    )

    # --- conflicts: default and per entity type ---
    default_strategy: ConflictStrategy = ConflictStrategy.LAST_WRITE_WINS
    strategies: dict[str, ConflictStrategy] = Field(default_factory=dict)

    # --- knowledge graph ---
    similar_k: int = Field(5, description="SIMILAR_TO edges per new knowledge item (0: none).")

    # --- metrics and warnings ---
    latency_samples: int = 2000
    warn_error_rate: float = 0.10
    warn_latency_s: float = 1.0
    warn_graph_write_ms: float = 100.0  # average graph write above this: a bottleneck
    warn_redis_memory: float = 0.80  # Redis memory used over this share of its maxmemory

    def strategy_for(self, entity_type: str) -> ConflictStrategy:
        """The conflict strategy configured for ``entity_type``."""
        return self.strategies.get(entity_type, self.default_strategy)
