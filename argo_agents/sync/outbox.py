"""The durable outbox: one Redis stream per priority, read by one consumer group.

Why one stream per priority rather than one stream: a consumer group hands
out a stream's entries in order, so an URGENT event behind 50,000 LOW ones
would wait for all of them. With four streams a worker fills each batch from
URGENT first, then HIGH, NORMAL and LOW (`StreamPort.read_group`), and
blocks on all four at once only when every stream is empty.

A large publish is appended in chunks (`SyncConfig.publish_chunk` events and
`publish_chunk_bytes` of payload): each chunk is one atomic script call, so no
single call holds Redis (single-threaded, shared by every worker) for long or
outlives the client's socket timeout. If Redis fails between chunks,
`PublishInterrupted` says which events were accepted.

Entries hold the event without its version (`v` carries it, assigned by the
publish script) and are XACKed *and* XDELed when finished, so the streams
hold only unfinished work and "empty" means "everything applied".

Every append checks the counters' epoch (`Keys.epoch`) in the same script:
without it the counters were lost and the append raises `CountersLost`
having written nothing (see `epoch`).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass

from argo_agents.stores.errors import StoreRejected, StoreUnavailable
from argo_agents.stores.ports import StreamPort
from argo_agents.stores.records import AppendItem, StreamEntry
from argo_agents.stores.redis_stream import MissingGuard
from argo_agents.sync.events import SyncEvent, decode_event, encode_event
from argo_agents.sync.keys import Keys

CLAIM_SCANS = 10  # XAUTOCLAIM calls per stream per claim round (each scans ≤ 10 × count)


class PublishInterrupted(StoreUnavailable):
    """Redis failed part-way through a chunked publish; ``published`` were accepted.

    The accepted events are durable and will be applied; publish the rest
    (``events[len(published):]``) again once Redis is back.
    """

    def __init__(self, cause: StoreUnavailable, published: list[SyncEvent], total: int) -> None:
        super().__init__(
            cause.store,
            cause.address,
            f"the outbox accepted {len(published)} of {total} events, then failed ({cause})",
            hint=f"publish the remaining {total - len(published)} again once Redis answers",
        )
        self.published = published


class CountersLost(StoreRejected):
    """Redis no longer holds the namespace's version counters; nothing was published.

    New versions would restart at 1 and every store, holding newer ones, would
    skip the writes as "already applied". `argo sync recover` rebuilds the
    counters from the stores and lets publishing resume.
    """

    def __init__(self, namespace: str, address: str, why: str) -> None:
        super().__init__(
            "redis",
            address,
            f"the version counters of sync namespace {namespace!r} are gone ({why}); "
            "nothing was published",
            hint=f"run `argo sync recover` (with ARGO_SYNC_NAMESPACE={namespace}) to rebuild "
            "them from the stores, then publish again",
        )
        self.namespace = namespace


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

    def __init__(
        self,
        redis: StreamPort,
        keys: Keys,
        group: str,
        *,
        chunk: int,
        chunk_bytes: int,
        at_floors: bool = False,
    ) -> None:
        self.redis = redis
        self.keys = keys
        self.group = group
        self.chunk = max(1, chunk)
        self.chunk_bytes = chunk_bytes
        self.at_floors = at_floors
        """Append each item exactly at its version floor or nothing (see `StreamPort.append`)."""

    def setup(self, epoch: str | None = None) -> str:
        """Create the consumer group on every priority stream; return the counters' epoch.

        With ``epoch`` the counters take it; without, they keep theirs or get a
        new random one. `SyncEngine.setup` compares Redis with the durable
        marker *before* this, so a Redis that lost its counters is refused,
        not silently given a new epoch.
        """
        self.redis.ensure_group(self.keys.streams, self.group)
        return self.redis.set_guard(
            self.keys.epoch,
            self.keys.versions,
            epoch or uuid.uuid4().hex,
            only_if_missing=epoch is None,
        )

    def epoch(self) -> str | None:
        """The counters' epoch in Redis (None: the counters are gone, or never existed)."""
        return self.redis.guard(self.keys.epoch)

    def append(
        self,
        events: Sequence[SyncEvent],
        *,
        min_versions: Sequence[int] | None = None,
        replay: bool = False,
    ) -> list[SyncEvent]:
        """Append validated events, chunk by chunk; return them with their versions.

        An event with a version keeps it (the counter is raised to it); one
        without gets the entity's next version, at least ``min_versions[i]``.
        """
        now_ms = int(time.time() * 1000)
        items = []
        for i, ev in enumerate(events):
            exact = ev.version is not None
            floor = ev.version if exact else (min_versions[i] if min_versions else 0)
            items.append(
                AppendItem(
                    entity_field=ev.entity_key,
                    ledger_key=self.keys.ledger(ev.entity_type),
                    ledger_field=ev.entity_id,
                    exact_version=exact,
                    version=int(floor or 0),
                    hash=ev.hash,
                    operation=f"{ev.operation.value}|{ev.source}",
                    ts_ms=now_ms,
                    stream=self.keys.stream(ev.priority),
                    payload=encode_event(ev),
                    replay=replay,
                )
            )
        out: list[SyncEvent] = []
        for start, stop in self._chunks(items):
            try:
                assigned = self.redis.append(
                    self.keys.versions,
                    items[start:stop],
                    guard_key=self.keys.epoch,
                    at_floors=self.at_floors,
                )
            except MissingGuard as exc:
                raise CountersLost(
                    self.keys.namespace,
                    self.redis.address,
                    "Redis has no epoch for them, or lost them under it: it "
                    "was flushed, replaced, restarted without persistence or "
                    "evicted them",
                ) from exc
            except StoreUnavailable as exc:
                if not out:
                    raise
                raise PublishInterrupted(exc, out, len(events)) from exc
            out += [
                ev if ev.version == v else ev.model_copy(update={"version": v})
                for ev, (v, _) in zip(events[start:stop], assigned, strict=True)
            ]
        return out

    def _chunks(self, items: Sequence[AppendItem]) -> list[tuple[int, int]]:
        """Index ranges of at most ``chunk`` items and (unless one item) ``chunk_bytes``."""
        ranges, start, size = [], 0, 0
        for i, item in enumerate(items):
            if i > start and (
                i - start >= self.chunk or size + len(item.payload) > self.chunk_bytes
            ):
                ranges.append((start, i))
                start, size = i, 0
            size += len(item.payload)
        if start < len(items):
            ranges.append((start, len(items)))
        return ranges

    def read(self, consumer: str, count: int, block_ms: int | None) -> list[Delivery]:
        """Up to ``count`` new entries, most urgent streams first."""
        entries = self.redis.read_group(self.group, consumer, self.keys.streams, count, block_ms)
        return [self._decode(e, claimed=False) for e in entries]

    def pending_of(self, consumer: str, count: int) -> list[Delivery]:
        """``consumer``'s own unacknowledged entries (failed earlier, due for a retry)."""
        entries = self.redis.read_own_pending(self.group, consumer, self.keys.streams, count)
        return [self._decode(e, claimed=True) for e in entries]

    def claim(
        self,
        consumer: str,
        min_idle_ms: int,
        count: int,
        cursors: MutableMapping[str, str] | None = None,
    ) -> list[Delivery]:
        """Entries pending longer than ``min_idle_ms`` on any worker (dead or failing).

        ``cursors`` (stream → XAUTOCLAIM cursor, updated here) lets the next
        round continue where this one stopped, so a long pending list is walked
        through rather than its head scanned again and again.
        """
        cursors = {} if cursors is None else cursors
        found: list[Delivery] = []
        for stream in self.keys.streams:
            for _ in range(CLAIM_SCANS):
                if len(found) >= count:
                    break
                start = cursors.get(stream, "0-0")
                entries, cursors[stream] = self.redis.claim_idle(
                    stream, self.group, consumer, min_idle_ms, count - len(found), start
                )
                found += [self._decode(e, claimed=True) for e in entries]
                if cursors[stream] == "0-0":
                    break  # reached the end of the pending list: the next round restarts
        return found

    def renew(self, consumer: str, deliveries: Sequence[Delivery]) -> list[str]:
        """Keep ``consumer``'s hold on entries it still works on; ids another consumer took."""
        by_stream: dict[str, list[str]] = {}
        for d in deliveries:
            by_stream.setdefault(d.entry.stream, []).append(d.entry.id)
        return self.redis.renew(self.group, consumer, by_stream)

    def drop_idle_consumers(
        self, min_idle_ms: int, *, keep: str = "", streams: Sequence[str] | None = None
    ) -> list[str]:
        """Delete consumers that hold nothing and were idle ``min_idle_ms``; their names."""
        gone: list[str] = []
        for stream in streams or self.keys.streams:
            gone += self.redis.drop_idle_consumers(stream, self.group, min_idle_ms, keep=keep)
        return sorted(set(gone))

    def drop_consumer(self, consumer: str) -> bool:
        """Delete ``consumer`` from the group on every stream where it holds nothing."""
        return any(
            [
                self.redis.drop_idle_consumers(s, self.group, 0, only=consumer)
                for s in self.keys.streams
            ]
        )

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
            return Delivery(
                entry, None, published_ms, replay, claimed, f"cannot decode outbox entry: {exc}"
            )
        return Delivery(entry, event, published_ms, replay, claimed, exact=exact)
