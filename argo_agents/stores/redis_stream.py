"""Redis Streams for the sync engine's outbox (hashes and lists: `redis_keyspace`).

The sync package decides key names and meaning; this module only speaks
Redis (it is, with the cache adapter, the only sync-side importer of
`redis`). Command errors are translated as in `RedisKeyspace`.

`append` is one Lua script per batch so that assigning versions, recording
the newest version in the ledger and XADDing the entries happen atomically: a
crash can never leave a version that the ledger knows but the outbox lacks.
All keys of one namespace share a hash tag, so the script also runs on Redis
Cluster (one namespace lives on one slot).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import redis

from argo_agents.stores.redis_keyspace import RedisKeyspace, as_str

# Per item ARGV: entity field, ledger field, mode ("=" exact | "+" next at least),
# version, hash, op, ts_ms, stream index (into KEYS), ledger index (into KEYS),
# replay flag, payload.
_STRIDE = 11
_APPEND = """
local out = {}
for b = 1, #ARGV, 11 do
  local ekey, lfield, mode = ARGV[b], ARGV[b+1], ARGV[b+2]
  local v = tonumber(ARGV[b+3])
  local cur = tonumber(redis.call('HGET', KEYS[1], ekey) or '0')
  if mode == '=' then
    if v > cur then redis.call('HSET', KEYS[1], ekey, v) end
  else
    if cur + 1 > v then v = cur + 1 end
    redis.call('HSET', KEYS[1], ekey, v)
  end
  local ledger = KEYS[tonumber(ARGV[b+8])]
  local old = redis.call('HGET', ledger, lfield)
  if (not old) or tonumber(string.match(old, '^(%d+)')) <= v then
    redis.call('HSET', ledger, lfield,
      string.format('%d', v) .. '|' .. ARGV[b+4] .. '|' .. ARGV[b+5] .. '|' .. ARGV[b+6])
  end
  local id = redis.call('XADD', KEYS[tonumber(ARGV[b+7])], '*',
    'v', string.format('%d', v), 'e', ARGV[b+10], 'r', ARGV[b+9], 'x', mode)
  out[#out + 1] = string.format('%d', v)
  out[#out + 1] = id
end
return out
"""


@dataclass(frozen=True, slots=True)
class AppendItem:
    """One event to append: see `RedisStreams.append`."""

    entity_field: str  # key of the per-entity version counter
    ledger_key: str
    ledger_field: str
    exact_version: bool  # True: use `version`; False: next version, at least `version`
    version: int
    hash: str
    operation: str
    ts_ms: int
    stream: str
    payload: bytes
    replay: bool = False


@dataclass(frozen=True, slots=True)
class StreamEntry:
    """An entry read from a stream: where it is and its fields (str keys)."""

    stream: str
    id: str
    fields: dict[str, Any]


class RedisStreams(RedisKeyspace):
    """Thin, typed access to the Redis commands the sync engine uses."""

    def __init__(self, client: redis.Redis, address: str = "redis") -> None:
        super().__init__(client, address)
        self._append = client.register_script(_APPEND)

    @classmethod
    def from_url(cls, url: str, *, timeout_s: float = 5.0) -> RedisStreams:
        """A client of its own (e.g. a worker process that has no cache adapter)."""
        client = redis.Redis.from_url(url, socket_timeout=timeout_s,
                                      socket_connect_timeout=timeout_s)
        host = url.rsplit("@", 1)[-1]
        return cls(client, f"redis://{host}")

    # ---- streams --------------------------------------------------------------------
    def ensure_group(self, streams: Sequence[str], group: str) -> None:
        """Create the consumer group (and empty stream) where missing; idempotent."""
        with self._errors():
            for stream in streams:
                try:
                    self.client.xgroup_create(stream, group, id="0", mkstream=True)
                except redis.ResponseError as exc:
                    if "BUSYGROUP" not in str(exc):
                        raise

    def append(self, counter_key: str, items: Sequence[AppendItem]) -> list[tuple[int, str]]:
        """Assign versions, update the ledger and XADD, atomically; (version, entry id)."""
        if not items:
            return []
        keys = [counter_key]
        index: dict[str, int] = {}
        for name in {i.stream for i in items} | {i.ledger_key for i in items}:
            index[name] = len(keys) + 1  # Lua KEYS are 1-based
            keys.append(name)
        args: list[Any] = []
        for i in items:
            args += [i.entity_field, i.ledger_field, "=" if i.exact_version else "+", i.version,
                     i.hash, i.operation, i.ts_ms, index[i.stream], index[i.ledger_key],
                     "1" if i.replay else "0", i.payload]
        assert len(args) == _STRIDE * len(items)
        with self._errors():
            out = self._append(keys=keys, args=args)
        return [(int(out[k]), as_str(out[k + 1])) for k in range(0, len(out), 2)]

    def read_group(self, group: str, consumer: str, streams: Sequence[str], count: int,
                   block_ms: int | None = None) -> list[StreamEntry]:
        """New entries for ``consumer``, taking streams in the given order until ``count``."""
        with self._errors():
            found = self._read_in_order(group, consumer, streams, count, ">")
            if not found and block_ms:
                # Nothing anywhere: wait on every stream at once for the first arrival.
                reply = self.client.xreadgroup(group, consumer, {s: ">" for s in streams},
                                               count=count, block=block_ms)
                found += self._entries(reply)
        return found

    def read_own_pending(self, group: str, consumer: str, streams: Sequence[str],
                         count: int) -> list[StreamEntry]:
        """Entries delivered to ``consumer`` and not yet acknowledged, oldest first."""
        with self._errors():
            return self._read_in_order(group, consumer, streams, count, "0")

    def _read_in_order(self, group: str, consumer: str, streams: Sequence[str], count: int,
                       start: str) -> list[StreamEntry]:
        """XREADGROUP stream by stream from ``start`` (">" new, "0" own pending)."""
        found: list[StreamEntry] = []
        for stream in streams:
            if len(found) >= count:
                break
            reply = self.client.xreadgroup(group, consumer, {stream: start},
                                           count=count - len(found))
            found += self._entries(reply)
        return found

    def claim_idle(self, stream: str, group: str, consumer: str, min_idle_ms: int,
                   count: int) -> list[StreamEntry]:
        """XAUTOCLAIM entries idle longer than ``min_idle_ms`` (their worker died or failed)."""
        with self._errors():
            reply = self.client.xautoclaim(stream, group, consumer, min_idle_ms,
                                           start_id="0-0", count=count)
        return [StreamEntry(stream, as_str(i), {as_str(k): v for k, v in f.items()})
                for i, f in reply[1] if f is not None]

    def ack_delete(self, group: str, ids_by_stream: Mapping[str, Sequence[str]],
                   delete_keys: Sequence[str] = ()) -> None:
        """XACK and XDEL entries (the stream holds only unfinished work) and drop keys."""
        with self._errors():
            pipe = self.client.pipeline(transaction=True)
            for stream, ids in ids_by_stream.items():
                if ids:
                    pipe.xack(stream, group, *ids)
                    pipe.xdel(stream, *ids)
            if delete_keys:
                pipe.delete(*delete_keys)
            pipe.execute()

    def stream_sizes(self, streams: Sequence[str], group: str) -> dict[str, tuple[int, int]]:
        """(entries, pending) per stream; entries include pending ones."""
        with self._errors():
            pipe = self.client.pipeline(transaction=False)
            for s in streams:
                pipe.xlen(s)
                pipe.xpending(s, group)
            replies = pipe.execute(raise_on_error=False)
        sizes = {}
        for k, s in enumerate(streams):
            length, pend = replies[2 * k], replies[2 * k + 1]
            pending = pend.get("pending", 0) if isinstance(pend, dict) else 0
            sizes[s] = (int(length) if isinstance(length, int) else 0, int(pending))
        return sizes

    def xlen(self, stream: str) -> int:
        """Entries in a stream (0 when it does not exist)."""
        with self._errors():
            return int(self.client.xlen(stream))

    def xadd(self, stream: str, fields: Mapping[str, Any]) -> str:
        """Append one entry (dead letters)."""
        with self._errors():
            return as_str(self.client.xadd(stream, dict(fields)))  # type: ignore[arg-type]

    def xrange(self, stream: str, count: int = 100, start: str = "-") -> list[StreamEntry]:
        """Entries of a stream, oldest first."""
        with self._errors():
            reply = self.client.xrange(stream, min=start, max="+", count=count) or []
        return [StreamEntry(stream, as_str(i), {as_str(k): v for k, v in (f or {}).items()})
                for i, f in reply]

    def xdel(self, stream: str, ids: Sequence[str]) -> int:
        """Delete entries by id."""
        if not ids:
            return 0
        with self._errors():
            return int(self.client.xdel(stream, *ids))

    @staticmethod
    def _entries(reply: Any) -> list[StreamEntry]:
        out = []
        for stream, items in reply or []:
            for entry_id, fields in items:
                if fields is not None:  # an entry deleted while pending
                    out.append(StreamEntry(as_str(stream), as_str(entry_id),
                                           {as_str(k): v for k, v in fields.items()}))
        return out
