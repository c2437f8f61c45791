"""Keeping the engine's own Redis bounded: deleted entities leave the ledger in time.

The ledger holds one entry per entity (what `verify` compares the stores with).
An entity deleted longer ago than the tombstone TTL has nothing left to verify
and no tombstone to guard it any more, so its entry is dropped. Its version
counter stays: a later re-creation must get a higher version than the delete,
or the warehouse's latest view would keep showing the delete.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from argo_agents.sync.matrix import SYNC_MATRIX

if TYPE_CHECKING:
    from argo_agents.sync.wiring import SyncWiring

_CHUNK = 500


def prune_deleted(ctx: SyncWiring, *, now: float | None = None) -> int:
    """Drop ledger entries of entities deleted before the tombstone TTL; return how many."""
    cutoff_ms = ((now or time.time()) - ctx.config.tombstone_ttl_s) * 1000
    dropped = 0
    for entity_type in SYNC_MATRIX:
        key = ctx.keys.ledger(entity_type)
        old: list[str] = []
        for entity_id, raw in ctx.redis.hscan(key):
            parts = raw.split("|", 4)
            if len(parts) == 5 and parts[2] == "delete" and int(parts[4]) < cutoff_ms:
                old.append(entity_id)
        for i in range(0, len(old), _CHUNK):
            dropped += ctx.redis.hdel(key, old[i : i + _CHUNK])
    return dropped
