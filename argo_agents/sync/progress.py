"""Per-event, per-target progress and delete tombstones, kept in Redis.

Progress is what lets a redelivered event skip the stores that already took
it: a hash per event id records each target done, the failed attempts per
target and when the next try is due. It is written only for events with
more than one target (for a single target the stream acknowledgement *is*
the progress) and dropped when the event is acknowledged; a TTL bounds what a
lost event can leave behind.

Tombstones remember the version at which an entity was deleted, so an older
update that arrives late cannot bring it back in a store that has no row to
compare versions with any more.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from argo_agents.stores.ports import StreamPort
from argo_agents.sync.keys import Keys


@dataclass
class EventProgress:
    """What is known about one event's earlier tries."""

    done: set[str] = field(default_factory=set)
    attempts: dict[str, int] = field(default_factory=dict)
    retry_at: float = 0.0
    errors: dict[str, str] = field(default_factory=dict)
    snapshot: str | None = None  # ROLLBACK: JSON of the state before the event

    @property
    def max_attempts(self) -> int:
        """Most failed rounds on any one target."""
        return max(self.attempts.values(), default=0)


class ProgressStore:
    """Read and write progress hashes and tombstones of one namespace."""

    def __init__(self, redis: StreamPort, keys: Keys, ttl_s: int, tombstone_ttl_s: int):
        self.redis = redis
        self.keys = keys
        self.ttl_s = ttl_s
        self.tombstone_ttl_s = tombstone_ttl_s

    def load(self, event_ids: Sequence[str]) -> dict[str, EventProgress]:
        """Progress of the events that have any."""
        hashes = self.redis.hgetall_many([self.keys.progress(e) for e in event_ids])
        found: dict[str, EventProgress] = {}
        for event_id, h in zip(event_ids, hashes, strict=True):
            if not h:
                continue
            p = EventProgress()
            for name, value in h.items():
                kind, _, store = name.partition(":")
                if kind == "done":
                    p.done.add(store)
                elif kind == "attempts":
                    p.attempts[store] = int(value)
                elif kind == "error":
                    p.errors[store] = value
                elif name == "retry_at":
                    p.retry_at = float(value)
                elif name == "snapshot":
                    p.snapshot = value
            found[event_id] = p
        return found

    def mark_done(self, done: Mapping[str, Iterable[str]]) -> None:
        """Record targets that applied each event."""
        values = {
            self.keys.progress(e): {f"done:{s}": "1" for s in stores} for e, stores in done.items()
        }
        if values:
            self.redis.hset_many(values, self.ttl_s)

    def save_snapshots(self, snapshots: Mapping[str, str]) -> None:
        """Keep ROLLBACK snapshots, taken before the first write, for later rounds."""
        if snapshots:
            self.redis.hset_many(
                {self.keys.progress(e): {"snapshot": s} for e, s in snapshots.items()}, self.ttl_s
            )

    def mark_failed(
        self,
        failed: Mapping[str, Mapping[str, str]],
        retry_at: float,
        *,
        counted: Mapping[str, Iterable[str]] | None = None,
    ) -> None:
        """Record each (event, target) error and when to try again.

        Only the targets in ``counted`` (a record's own failures) count one more
        attempt toward the dead-letter limit; an outage's errors are shown, not
        counted. Without ``counted`` every target counts.
        """
        if not failed:
            return
        values = {}
        incr = {}
        for event_id, errors in failed.items():
            key = self.keys.progress(event_id)
            values[key] = {
                "retry_at": f"{retry_at:.3f}",
                **{f"error:{s}": msg[:500] for s, msg in errors.items()},
            }
            count = errors if counted is None else counted.get(event_id, ())
            if count:
                incr[key] = {f"attempts:{s}": 1 for s in count}
        self.redis.hset_many(values, self.ttl_s, incr=incr)

    def reset_attempts(self, event_ids: Sequence[str]) -> None:
        """Forget the attempts of dead-lettered events, so a replay gets a full count."""
        for event_id in event_ids:
            key = self.keys.progress(event_id)
            fields = [f for f in self.redis.hget_all(key) if f.startswith("attempts:")]
            self.redis.hdel(key, fields)

    def key(self, event_id: str) -> str:
        """The progress key of an event (dropped with its acknowledgement)."""
        return self.keys.progress(event_id)

    def tombstones(self, entity_keys: Sequence[str]) -> dict[str, int]:
        """Delete version per entity that has a live tombstone."""
        values = self.redis.mget([self.keys.tombstone(k) for k in entity_keys])
        return {k: int(v) for k, v in zip(entity_keys, values, strict=True) if v is not None}

    def set_tombstones(self, versions: Mapping[str, int]) -> None:
        """Remember deletes; a tombstone is never lowered by an older delete."""
        if not versions:
            return
        known = self.tombstones(list(versions))
        higher = {k: v for k, v in versions.items() if v > known.get(k, -1)}
        if higher:
            self.redis.set_many(
                {self.keys.tombstone(k): v for k, v in higher.items()}, self.tombstone_ttl_s
            )
