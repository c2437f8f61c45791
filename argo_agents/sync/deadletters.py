"""Dead letters: events that a store rejected, or that kept failing past the limit.

Each dead letter is an entry in the ``dlq`` stream with the event (version
included), the store that failed, the error and the attempts. `replay`
re-publishes the same event (same version, so the same event id): the
progress it left behind makes the stores that already applied it skip it,
and version fences make a replay of a superseded event change nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import orjson

from argo_agents.stores.ports import StreamPort
from argo_agents.sync.events import SyncEvent, decode_event, encode_event
from argo_agents.sync.keys import Keys
from argo_agents.sync.outbox import Outbox


@dataclass(frozen=True)
class DeadLetter:
    """One dead-lettered event as listed by `argo sync dlq`."""

    id: str  # the dlq entry id (what `replay` takes)
    event: SyncEvent | None  # None when the outbox entry itself was unreadable
    store: str
    error: str
    attempts: int
    failed_at: float
    raw: str = ""
    kind: str = ""


class DeadLetters:
    """The dead-letter stream of one namespace."""

    def __init__(self, redis: StreamPort, keys: Keys, outbox: Outbox) -> None:
        self.redis = redis
        self.keys = keys
        self.outbox = outbox

    def add(
        self,
        event: SyncEvent | None,
        store: str,
        error: str,
        attempts: int,
        raw: bytes | str = b"",
        *,
        kind: str = "undecodable",
    ) -> str:
        """Record one dead letter; return its id.

        ``kind`` says why: ``rejected`` (the store refused the record), ``broken``
        (the record alone kept raising an unexpected error) or ``undecodable``.
        """
        fields = {
            "store": store,
            "error": error[:2000],
            "attempts": attempts,
            "failed_at": f"{time.time():.3f}",
            "kind": kind,
        }
        if event is None:
            fields["raw"] = raw if raw else b""
            return self.redis.xadd(self.keys.dead_letters, fields)
        fields["e"] = encode_event(event)
        fields["v"] = int(event.version or 0)
        # once per event: a worker that dies after adding it, before acknowledging the
        # outbox entry, adds it again on redelivery, and that must not double it
        return self.redis.xadd_once(self.keys.dead_letters, self._index, event.event_id, fields)

    @property
    def _index(self) -> str:
        return f"{self.keys.dead_letters}:events"

    def recent(self, count: int = 100) -> list[DeadLetter]:
        """Oldest dead letters first."""
        out = []
        for entry in self.redis.xrange(self.keys.dead_letters, count=count):
            f = entry.fields
            event = decode_event(f["e"], int(f["v"])) if "e" in f else None
            raw = f.get("raw", b"")
            out.append(
                DeadLetter(
                    id=entry.id,
                    event=event,
                    store=_text(f.get("store")),
                    error=_text(f.get("error")),
                    attempts=int(f.get("attempts", 0)),
                    failed_at=float(f.get("failed_at", 0)),
                    kind=_text(f.get("kind")),
                    raw=raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw),
                )
            )
        return out

    def count(self) -> int:
        """How many dead letters wait."""
        return self.redis.xlen(self.keys.dead_letters)

    def redrive(self, store_is_up: Callable[[str], bool], *, max_redrives: int) -> list[str]:
        """Replay, automatically, the dead letters that a store's trouble (not the record's
        content) put there, once that store answers again (SQS-style redrive).

        That is every ``broken`` letter (an unexpected error, not a refusal) and the
        letters older ARGO versions wrote for an outage. Each event is redriven at
        most ``max_redrives`` times; then it waits for `argo sync replay`.
        Returns the replayed event ids.
        """
        counts_key = f"{self.keys.dead_letters}:redrives"
        candidates = [
            d for d in self.recent(count=10_000) if d.event is not None and _caused_by_the_store(d)
        ]
        if not candidates:
            return []
        known = self.redis.hget_fields(
            counts_key, [d.event.event_id for d in candidates if d.event]
        )
        due = [
            d
            for d, n in zip(candidates, known, strict=True)
            if int(n or 0) < max_redrives and store_is_up(d.store)
        ]
        if not due:
            return []
        self.redis.hset_many(
            {
                counts_key: {
                    d.event.event_id: int(n or 0) + 1
                    for d, n in zip(candidates, known, strict=True)
                    if d in due and d.event
                }
            }
        )
        return self.replay([d.id for d in due])

    def replay(self, ids: Sequence[str] = (), *, all_: bool = False) -> list[str]:
        """Re-publish dead letters (given ids, or all); return the replayed event ids."""
        letters = (
            self.recent(count=1_000_000)
            if all_
            else [d for d in self.recent(count=1_000_000) if d.id in set(ids)]
        )
        replayable = [d for d in letters if d.event is not None]
        if not replayable:
            return []
        # append first, then delete: a crash in between replays it twice, which the
        # stores' version fences make harmless; the other order could lose it
        self.outbox.append([d.event for d in replayable if d.event], replay=True)
        self.redis.xdel_indexed(
            self.keys.dead_letters,
            self._index,
            [d.id for d in replayable],
            [d.event.event_id for d in replayable if d.event],
        )
        return [d.event.event_id for d in replayable if d.event]


def _caused_by_the_store(letter: DeadLetter) -> bool:
    if letter.kind == "broken":
        return True
    # written before dead letters had a kind, when an outage could dead-letter events
    return not letter.kind and "is the " in letter.error and "server running?" in letter.error


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    return "" if value is None else str(value)


def summary(letter: DeadLetter) -> dict[str, object]:
    """A JSON-friendly view of a dead letter (CLI)."""
    ev = letter.event
    return {
        "id": letter.id,
        "store": letter.store,
        "error": letter.error,
        "attempts": letter.attempts,
        "failed_at": letter.failed_at,
        "entity": f"{ev.entity_type}:{ev.entity_id} v{ev.version}" if ev else None,
        "raw": letter.raw[:200] if not ev else None,
        "data": orjson.loads(orjson.dumps(ev.data))
        if ev and len(orjson.dumps(ev.data)) < 2000
        else None,
    }
