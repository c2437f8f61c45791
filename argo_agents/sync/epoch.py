"""The counters' epoch: how the engine knows Redis still holds the version counters.

Versions come from one Redis hash (`Keys.versions`). If Redis loses it, new
events restart at version 1 and every store, holding newer versions, skips
them as "already applied": a silent loss. So the counters have an epoch (a
random id) in a guard hash beside them (`Keys.epoch`), and the same epoch is
kept outside Redis, in a `SyncEpoch` node of the graph store (id = the
namespace; the node's fenced ``version`` is a generation that only grows,
its ``hash`` is the epoch).

- The publish script refuses to append when the guard is missing, or when it
  says the counters existed and they do not (`CountersLost`, nothing written).
- `SyncEngine.setup` creates the epoch when neither place has one (a new
  namespace), adopts Redis's when only the marker is missing (the graph was
  replaced, or an upgrade), and refuses when the marker exists but Redis has
  no epoch or another one: that Redis lost its data or is not the right one.
- `recover` rebuilds the counters from the stores and writes a new epoch to
  both places, marker first (see `recover`).

`warn_if_volatile` checks, at setup, that Redis keeps its data across a
restart (AOF) and never evicts keys. Every Redis is checked, the local
stack's too: the engine sees adapters, not settings, and the local stack's
Redis is configured with AOF and ``noeviction``, so it passes without a word.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from argo_agents.stores.ports import StreamPort
from argo_agents.stores.records import NodeRecord
from argo_agents.sync.outbox import CountersLost
from argo_agents.sync.wiring import SyncWiring

log = logging.getLogger(__name__)

MARKER_LABEL = "SyncEpoch"


@dataclass(frozen=True)
class Marker:
    """The durable copy of the epoch: which epoch, and how many times it was replaced."""

    epoch: str
    generation: int


class EpochGuard:
    """Compares and writes the epoch in Redis and in the graph store for one namespace."""

    def __init__(self, ctx: SyncWiring) -> None:
        self.ctx = ctx
        self.namespace = ctx.config.namespace

    def durable(self) -> Marker | None:
        """The marker in the graph store, if any."""
        found = self.ctx.stores.graph.versions(MARKER_LABEL, [self.namespace])
        got = found.get(self.namespace)
        return Marker(got.hash, got.version) if got and got.hash else None

    def write_durable(self, epoch: str, generation: int) -> None:
        """Write the marker; an older generation never replaces a newer one (version fence)."""
        self.ctx.stores.graph.upsert_nodes(
            [NodeRecord(MARKER_LABEL, self.namespace, generation, epoch, props={"epoch": epoch})]
        )

    def establish(self) -> str:
        """Create, adopt or check the epoch, then the consumer group; return the epoch.

        Raises `CountersLost` (creating nothing) when the marker exists and
        Redis has no epoch or another one.
        """
        marker, current = self.durable(), self.ctx.outbox.epoch()
        if marker is not None and current != marker.epoch:
            why = (
                "Redis has no epoch for them"
                if current is None
                else f"Redis has epoch {current[:8]}, the graph store's marker says "
                f"{marker.epoch[:8]}"
            )
            raise CountersLost(
                self.namespace,
                self.ctx.redis.address,
                f"{why}: Redis was flushed, replaced, restored from an old copy, "
                f"restarted without persistence or evicted them",
            )
        epoch = self.ctx.outbox.setup()  # keeps Redis's epoch; creates one only if none
        if marker is None:
            # A new namespace (or a replaced graph store): concurrent first starts agree,
            # as each adopts the epoch that won the HSETNX above.
            self.write_durable(epoch, 1)
        return epoch


def warn_if_volatile(redis: StreamPort) -> list[str]:
    """Log (and return) a warning for each setting that lets Redis lose the outbox."""
    found = redis.server_config(["appendonly", "maxmemory-policy"])
    if found is None:
        warnings = [
            f"could not check Redis at {redis.address} (CONFIG GET is refused there): "
            "make sure it persists every write (`appendonly yes`) and never evicts "
            "keys (`maxmemory-policy noeviction`), or a restart or memory pressure "
            "will lose sync events and stop publishing until `argo sync recover`"
        ]
    else:
        warnings = []
        if found.get("appendonly", "no") != "yes":
            warnings.append(
                f"Redis at {redis.address} has appendonly=no: a restart loses the sync outbox "
                "and the version counters (publishing then stops until `argo sync recover`); "
                "set `appendonly yes`"
            )
        policy = found.get("maxmemory-policy", "?")
        if policy != "noeviction":
            warnings.append(
                f"Redis at {redis.address} has maxmemory-policy={policy}: under memory "
                "pressure it may evict sync events, the ledger or the version counters; set "
                "`maxmemory-policy noeviction`"
            )
    for text in warnings:
        log.warning(text)
    return warnings
