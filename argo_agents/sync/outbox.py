"""The durable outbox: one Redis stream per priority, read by one consumer group.

Why one stream per priority rather than one stream: a consumer group hands
out a stream's entries in order, so an URGENT event behind 50,000 LOW ones
would wait for all of them. With four streams a worker fills each batch from
URGENT first, then HIGH, NORMAL and LOW (`RedisStreams.read_group`), and
blocks on all four at once only when every stream is empty.

Entries hold the event without its version (`v` carries it, assigned by the
publish script) and are XACKed *and* XDELed when finished, so the streams
hold only unfinished work and "empty" means "everything applied".
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from argo_agents.stores.redis_stream import AppendItem, RedisStreams, StreamEntry
from argo_agents.sync.events import SyncEvent, decode_event, encode_event
from argo_agents.sync.keys import Keys


@dataclass(frozen=True)
class Delivery:
    """One outbox entry handed to a worker; ``event`` is None if it cannot be decoded."""

    entry: StreamEntry
    event: SyncEvent | None
    published_ms: int
    replay: bool = False
    claimed: bool = False  # taken over from another (or an earlier) delivery
    error: str = ""
    exact: bool = False  # published with its own version (not one the engine assigned)

    @property
    def fresh(self) -> bool:
        """First delivery of an engine-versioned event: no store can hold it yet.

        Its version was assigned above every earlier one and it was never
        handed out before, so a store's only copy of this version could come
        from this very delivery. Writers skip their read-before-write for it.
        """
        return not (self.claimed or self.replay or self.exact)


class Outbox:
    """Publish to and consume from the priority streams of one namespace."""

    def __init__(self, redis: RedisStreams, keys: Keys, group: str) -> None:
        self.redis = redis
        self.keys = keys
        self.group = group

    def setup(self) -> None:
        """Create the consumer group on every priority stream (idempotent)."""
        self.redis.ensure_group(self.keys.streams, self.group)

    def append(self, events: Sequence[SyncEvent], *, min_versions: Sequence[int] | None = None,
               replay: bool = False) -> list[SyncEvent]:
        """Append validated events; return them with their versions.

        An event with a version keeps it (the counter is raised to it); one
        without gets the entity's next version, at least ``min_versions[i]``.
        """
        now_ms = int(time.time() * 1000)
        items = []
        for i, ev in enumerate(events):
            exact = ev.version is not None
            floor = ev.version if exact else (min_versions[i] if min_versions else 0)
            items.append(AppendItem(
                entity_field=ev.entity_key, ledger_key=self.keys.ledger(ev.entity_type),
                ledger_field=ev.entity_id, exact_version=exact, version=int(floor or 0),
                hash=ev.hash, operation=f"{ev.operation.value}|{ev.source}", ts_ms=now_ms,
                stream=self.keys.stream(ev.priority), payload=encode_event(ev), replay=replay))
        assigned = self.redis.append(self.keys.versions, items)
        return [ev if ev.version == v else ev.model_copy(update={"version": v})
                for ev, (v, _) in zip(events, assigned, strict=True)]

    def read(self, consumer: str, count: int, block_ms: int | None) -> list[Delivery]:
        """Up to ``count`` new entries, most urgent streams first."""
        entries = self.redis.read_group(self.group, consumer, self.keys.streams, count, block_ms)
        return [self._decode(e, claimed=False) for e in entries]

    def claim(self, consumer: str, min_idle_ms: int, count: int) -> list[Delivery]:
        """Entries pending longer than ``min_idle_ms`` on any worker (dead or failing)."""
        found: list[Delivery] = []
        for stream in self.keys.streams:
            if len(found) >= count:
                break
            entries = self.redis.claim_idle(stream, self.group, consumer, min_idle_ms,
                                            count - len(found))
            found += [self._decode(e, claimed=True) for e in entries]
        return found

    def finish(self, deliveries: Sequence[Delivery], drop_keys: Sequence[str] = ()) -> None:
        """Acknowledge and delete finished entries (and their progress keys)."""
        by_stream: dict[str, list[str]] = {}
        for d in deliveries:
            by_stream.setdefault(d.entry.stream, []).append(d.entry.id)
        if by_stream or drop_keys:
            self.redis.ack_delete(self.group, by_stream, drop_keys)

    def sizes(self) -> tuple[int, int]:
        """(entries waiting or in flight, entries delivered but not yet acknowledged)."""
        sizes = self.redis.stream_sizes(self.keys.streams, self.group)
        return sum(s[0] for s in sizes.values()), sum(s[1] for s in sizes.values())

    @staticmethod
    def _decode(entry: StreamEntry, *, claimed: bool) -> Delivery:
        published_ms = int(entry.id.split("-", 1)[0])
        replay = entry.fields.get("r") in (b"1", "1")
        exact = entry.fields.get("x") in (b"=", "=")
        try:
            event = decode_event(entry.fields["e"], int(entry.fields["v"]))
        except Exception as exc:  # a corrupt entry must reach the dead letters, not stop work
            return Delivery(entry, None, published_ms, replay, claimed,
                            f"cannot decode outbox entry: {exc}")
        return Delivery(entry, event, published_ms, replay, claimed, exact=exact)
