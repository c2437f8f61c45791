"""Redis Streams for the sync engine's outbox (hashes and lists: `redis_keyspace`).

The sync package decides key names and meaning; this module only speaks
Redis (it is, with the cache adapter, the only sync-side importer of
`redis`). Command errors are translated as in `RedisKeyspace`.

`append` is one Lua script per batch so that assigning versions, recording
the newest version in the ledger and XADDing the entries happen atomically: a
crash can never leave a version that the ledger knows but the outbox lacks.
The script first checks a guard hash and appends nothing without it
(`MissingGuard`): counters that vanished (a flushed, replaced or evicting
Redis) must not restart every entity at version 1. The guard holds an ``id``
and a ``used`` flag, set once the counter hash exists: a counter hash lost
on its own (one evicted or deleted key) is refused as well.
All keys of one namespace share a hash tag, so the scripts also run on Redis
Cluster (one namespace lives on one slot).

Leases: a consumer renews the entries it is working on (`renew`) so that
`claim_idle` leaves them alone, and consumers that are gone are deleted
(`drop_idle_consumers`); both are scripts, so what they check still holds
when they act.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import redis

from argo_agents.stores.errors import StoreRejected
from argo_agents.stores.records import AppendItem, StreamEntry
from argo_agents.stores.redis_keyspace import RedisKeyspace, as_str

# KEYS[1]: the counter hash, KEYS[2]: its guard hash. ARGV per item: entity field,
# ledger field, mode ("=" exact | "+" next at least), version, hash, op, ts_ms, stream
# index (into KEYS), ledger index (into KEYS), replay flag, payload.
_STRIDE = 11
_NO_GUARD = "NOGUARD"
_APPEND = """
if redis.call('HEXISTS', KEYS[2], 'id') == 0 then return {'NOGUARD'} end
if redis.call('HGET', KEYS[2], 'used') == '1' and redis.call('EXISTS', KEYS[1]) == 0 then
  return {'NOGUARD'}
end
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
redis.call('HSET', KEYS[2], 'used', '1')
return out
"""

# Set the guard KEYS[1] of counter hash KEYS[2] to id ARGV[1] (ARGV[2] == '1': only if it
# has none); ``used`` says whether the counter hash exists now. Returns the guard's id.
_GUARD = """
if ARGV[2] == '1' and redis.call('HEXISTS', KEYS[1], 'id') == 1 then
  return redis.call('HGET', KEYS[1], 'id')
end
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'used', redis.call('EXISTS', KEYS[2]))
return ARGV[1]
"""

# Raise counters (KEYS[1]) and ledger entries (KEYS[2]) to at least the given version,
# never lower them. ARGV per item: counter field, version, ledger field, ledger value.
_RAISE = """
local raised = 0
for b = 1, #ARGV, 4 do
  local v = tonumber(ARGV[b + 1])
  local cur = tonumber(redis.call('HGET', KEYS[1], ARGV[b]) or '0')
  if v > cur then
    redis.call('HSET', KEYS[1], ARGV[b], ARGV[b + 1])
    raised = raised + 1
  end
  local old = redis.call('HGET', KEYS[2], ARGV[b + 2])
  if (not old) or tonumber(string.match(old, '^(%d+)')) < v then
    redis.call('HSET', KEYS[2], ARGV[b + 2], ARGV[b + 3])
  end
end
return raised
"""

# Renew ARGV[2]'s hold on entries of stream KEYS[1] (group ARGV[1]): reset their idle
# time without counting a delivery (XCLAIM ... JUSTID), but only for entries still
# pending on ARGV[2] -- a plain XCLAIM would take back an entry another consumer has
# claimed meanwhile. Returns the ids now pending on some other consumer.
_RENEW = """
local claim, lost = {'XCLAIM', KEYS[1], ARGV[1], ARGV[2], '0'}, {}
for i = 3, #ARGV do
  local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1)
  if #p > 0 then
    if p[1][2] == ARGV[2] then claim[#claim + 1] = ARGV[i] else lost[#lost + 1] = ARGV[i] end
  end
end
if #claim > 5 then
  claim[#claim + 1] = 'JUSTID'
  redis.call(unpack(claim))
end
return lost
"""

# Delete consumers of group ARGV[1] on stream KEYS[1] that hold no pending entry and
# have been idle at least ARGV[2] ms; ARGV[3]: only this consumer ('' any), ARGV[4]:
# never this one. Checked and deleted in one script: a consumer that reads entries
# between a check and a delete would lose them from the group's pending list.
_DROP = """
local ok, consumers = pcall(redis.call, 'XINFO', 'CONSUMERS', KEYS[1], ARGV[1])
if not ok then return {} end
local gone = {}
for _, c in ipairs(consumers) do
  local info = {}
  for i = 1, #c, 2 do info[c[i]] = c[i + 1] end
  local name = info['name']
  if tonumber(info['pending']) == 0 and tonumber(info['idle']) >= tonumber(ARGV[2])
      and (ARGV[3] == '' or name == ARGV[3]) and name ~= ARGV[4] then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], name)
    gone[#gone + 1] = name
  end
end
return gone
"""

RENEW_CHUNK = 500  # ids per renew call: Lua's unpack() has a stack limit of a few thousand


class MissingGuard(StoreRejected):
    """The counters' guard is gone, or the counters without it: nothing was appended."""


# KEYS: stream, index hash; ARGV: member, then field/value pairs.
_XADD_ONCE = """
local known = redis.call('HGET', KEYS[2], ARGV[1])
if known then return known end
local fields = {}
for i = 2, #ARGV do fields[#fields + 1] = ARGV[i] end
local id = redis.call('XADD', KEYS[1], '*', unpack(fields))
redis.call('HSET', KEYS[2], ARGV[1], id)
return id
"""


# `_APPEND` with a compare-and-set in front: an item appended in "+" mode at least at
# version F is appended only if the entity's counter (KEYS[1]) is still below F, i.e. it
# gets exactly F. Otherwise nothing of the call is appended and every item comes back as
# version 0. Built on the same script, so the guard, the ledger and the stream entries
# stay exactly as every other append makes them (conflict resolutions use it).
_APPEND_AT_FLOORS = (
    f"""
for b = 1, #ARGV, {_STRIDE} do
  if ARGV[b+2] == '+' and
      tonumber(redis.call('HGET', KEYS[1], ARGV[b]) or '0') >= tonumber(ARGV[b+3]) then
    local none = {{}}
    for _ = 1, #ARGV, {_STRIDE} do
      none[#none + 1] = '0'
      none[#none + 1] = ''
    end
    return none
  end
end
"""
    + _APPEND
)


class RedisStreams(RedisKeyspace):
    """Thin, typed access to the Redis commands the sync engine uses."""

    def __init__(self, client: redis.Redis, address: str = "redis") -> None:
        super().__init__(client, address)
        self._append = client.register_script(_APPEND)
        self._append_at_floors = client.register_script(_APPEND_AT_FLOORS)
        self._raise = client.register_script(_RAISE)
        self._guard = client.register_script(_GUARD)
        self._renew = client.register_script(_RENEW)
        self._drop = client.register_script(_DROP)
        self._xadd_once = client.register_script(_XADD_ONCE)

    @classmethod
    def from_url(cls, url: str, *, timeout_s: float = 5.0) -> RedisStreams:
        """A client of its own (e.g. a worker process that has no cache adapter)."""
        client = redis.Redis.from_url(
            url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s
        )
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

    def append(
        self,
        counter_key: str,
        items: Sequence[AppendItem],
        *,
        guard_key: str,
        at_floors: bool = False,
    ) -> list[tuple[int, str]]:
        """Assign versions, update the ledger and XADD, atomically; (version, entry id).

        With ``at_floors``, an item in "+" mode must get exactly its ``version`` (the
        entity's counter is still below it); else nothing is appended and every item
        comes back as version 0 (a compare-and-set for conflict resolutions).

        Raises `MissingGuard` (and appends nothing) when ``guard_key`` (see
        `set_guard`) is missing, or says ``counter_key`` existed and it does not.
        """
        if not items:
            return []
        keys = [counter_key, guard_key]
        index: dict[str, int] = {}
        for name in {i.stream for i in items} | {i.ledger_key for i in items}:
            index[name] = len(keys) + 1  # Lua KEYS are 1-based
            keys.append(name)
        args: list[Any] = []
        for i in items:
            args += [
                i.entity_field,
                i.ledger_field,
                "=" if i.exact_version else "+",
                i.version,
                i.hash,
                i.operation,
                i.ts_ms,
                index[i.stream],
                index[i.ledger_key],
                "1" if i.replay else "0",
                i.payload,
            ]
        assert len(args) == _STRIDE * len(items)
        with self._errors():
            script = self._append_at_floors if at_floors else self._append
            out = script(keys=keys, args=args)
        if len(out) == 1 and as_str(out[0]) == _NO_GUARD:
            raise MissingGuard(
                self.name, self.address, f"{counter_key} lost, or its guard {guard_key}"
            )
        return [(int(out[k]), as_str(out[k + 1])) for k in range(0, len(out), 2)]

    def read_group(
        self,
        group: str,
        consumer: str,
        streams: Sequence[str],
        count: int,
        block_ms: int | None = None,
    ) -> list[StreamEntry]:
        """New entries for ``consumer``, taking streams in the given order until ``count``."""
        with self._errors():
            found = self._read_in_order(group, consumer, streams, count, ">")
            if not found and block_ms:
                # Nothing anywhere: wait on every stream at once for the first arrival.
                reply = self.client.xreadgroup(
                    group, consumer, {s: ">" for s in streams}, count=count, block=block_ms
                )
                found += self._entries(reply)
        return found

    def read_own_pending(
        self, group: str, consumer: str, streams: Sequence[str], count: int
    ) -> list[StreamEntry]:
        """Entries delivered to ``consumer`` and not yet acknowledged, oldest first."""
        with self._errors():
            return self._read_in_order(group, consumer, streams, count, "0")

    def _read_in_order(
        self, group: str, consumer: str, streams: Sequence[str], count: int, start: str
    ) -> list[StreamEntry]:
        """XREADGROUP stream by stream from ``start`` (">" new, "0" own pending)."""
        found: list[StreamEntry] = []
        for stream in streams:
            if len(found) >= count:
                break
            reply = self.client.xreadgroup(
                group, consumer, {stream: start}, count=count - len(found)
            )
            found += self._entries(reply)
        return found

    def claim_idle(
        self,
        stream: str,
        group: str,
        consumer: str,
        min_idle_ms: int,
        count: int,
        start: str = "0-0",
    ) -> tuple[list[StreamEntry], str]:
        """XAUTOCLAIM entries idle longer than ``min_idle_ms`` (their worker died or failed).

        Scans the pending list from ``start``; returns the entries and the cursor
        to continue from ("0-0" once the scan reached the end). Redis scans at
        most 10 × ``count`` pending entries per call, so a caller that always
        started at "0-0" would never reach entries behind many live ones.
        """
        with self._errors():
            reply = self.client.xautoclaim(
                stream, group, consumer, min_idle_ms, start_id=start, count=count
            )
        entries = [
            StreamEntry(stream, as_str(i), {as_str(k): v for k, v in f.items()})
            for i, f in reply[1]
            if f is not None
        ]
        return entries, as_str(reply[0])

    def renew(
        self, group: str, consumer: str, ids_by_stream: Mapping[str, Sequence[str]]
    ) -> list[str]:
        """Reset the idle time of ``consumer``'s pending entries (no delivery is counted).

        Entries no longer pending are skipped; returns the ids another consumer
        holds now (claimed while this one still worked on them).
        """
        calls = [
            (s, list(ids[k : k + RENEW_CHUNK]))
            for s, ids in ids_by_stream.items()
            for k in range(0, len(ids), RENEW_CHUNK)
        ]
        if not calls:
            return []
        with self._errors():
            pipe = self.client.pipeline(transaction=False)
            for stream, ids in calls:
                self._renew(keys=[stream], args=[group, consumer, *ids], client=pipe)
            replies = pipe.execute()
        return [as_str(i) for reply in replies for i in reply]

    def drop_idle_consumers(
        self, stream: str, group: str, min_idle_ms: int, *, only: str = "", keep: str = ""
    ) -> list[str]:
        """XGROUP DELCONSUMER every consumer with nothing pending, idle ``min_idle_ms``.

        ``only`` limits it to one consumer, ``keep`` spares one; returns the
        names deleted (none when the stream or group does not exist).
        """
        with self._errors():
            gone = self._drop(keys=[stream], args=[group, int(min_idle_ms), only, keep])
        return [as_str(n) for n in gone]

    def ack_delete(
        self,
        group: str,
        ids_by_stream: Mapping[str, Sequence[str]],
        delete_keys: Sequence[str] = (),
    ) -> None:
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

    # ---- counters, guard field, keys, server settings ------------------------------------
    def raise_versions(
        self, counter_key: str, ledger_key: str, items: Sequence[tuple[str, int, str, str]]
    ) -> int:
        """Raise counters and ledger entries to at least each item's version, atomically.

        Items: (counter field, version, ledger field, ledger value). Nothing is
        ever lowered. Returns how many counters were raised.
        """
        if not items:
            return 0
        args: list[Any] = []
        for field, version, ledger_field, ledger_value in items:
            args += [field, int(version), ledger_field, ledger_value]
        with self._errors():
            return int(self._raise(keys=[counter_key, ledger_key], args=args))

    def set_guard(
        self, guard_key: str, counter_key: str, value: str, *, only_if_missing: bool
    ) -> str:
        """Vouch for ``counter_key`` with guard id ``value``; return the guard's id now.

        With ``only_if_missing`` an existing guard is kept (concurrent first
        starts agree on the one that came first).
        """
        with self._errors():
            return as_str(
                self._guard(
                    keys=[guard_key, counter_key], args=[value, "1" if only_if_missing else "0"]
                )
            )

    def guard(self, guard_key: str) -> str | None:
        """The guard's id (None when there is no guard)."""
        with self._errors():
            return as_str(self.client.hget(guard_key, "id"))

    def drop_guard(self, guard_key: str) -> None:
        """Remove the guard: appends are refused until `set_guard`."""
        with self._errors():
            self.client.delete(guard_key)

    def scan_keys(self, pattern: str, count: int = 1000) -> Iterator[list[str]]:
        """Keys matching ``pattern``, in pages of about ``count`` (SCAN: never blocks Redis)."""
        page: list[str] = []
        with self._errors():
            for key in self.client.scan_iter(match=pattern, count=count):
                page.append(as_str(key))
                if len(page) >= count:
                    yield page
                    page = []
        if page:
            yield page

    def server_config(self, names: Sequence[str]) -> dict[str, str] | None:
        """CONFIG GET of each name; None when the server refuses CONFIG (managed Redis)."""
        found: dict[str, str] = {}
        try:
            with self._errors():
                for name in names:
                    found.update(
                        {as_str(k): as_str(v) for k, v in self.client.config_get(name).items()}
                    )
        except StoreRejected:
            return None
        return found

    def memory_share(self) -> float | None:
        """Memory used as a share of ``maxmemory``; None when no limit is set (or INFO is
        refused, as some managed services do)."""
        try:
            with self._errors():
                info = self.client.info("memory")
        except StoreRejected:
            return None
        limit = int(info.get("maxmemory") or 0)
        return int(info.get("used_memory") or 0) / limit if limit else None

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

    def xadd_once(self, stream: str, index: str, member: str, fields: Mapping[str, Any]) -> str:
        """Append one entry unless ``index`` already maps ``member`` to one; return its id.

        Atomic (one script), so an entry added again after a crash (before the caller
        acknowledged what it added) is not doubled.
        """
        flat: list[Any] = [x for kv in fields.items() for x in kv]
        with self._errors():
            return as_str(self._xadd_once(keys=[stream, index], args=[member, *flat]))

    def xdel_indexed(
        self, stream: str, index: str, ids: Sequence[str], members: Sequence[str]
    ) -> int:
        """Delete entries by id and their ``index`` members, in one transaction."""
        if not ids:
            return 0
        with self._errors():
            pipe = self.client.pipeline(transaction=True)
            pipe.xdel(stream, *ids)
            if members:
                pipe.hdel(index, *members)
            return int(pipe.execute()[0])

    def xrange(self, stream: str, count: int = 100, start: str = "-") -> list[StreamEntry]:
        """Entries of a stream, oldest first."""
        with self._errors():
            reply = self.client.xrange(stream, min=start, max="+", count=count) or []
        return [
            StreamEntry(stream, as_str(i), {as_str(k): v for k, v in (f or {}).items()})
            for i, f in reply
        ]

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
                    out.append(
                        StreamEntry(
                            as_str(stream),
                            as_str(entry_id),
                            {as_str(k): v for k, v in fields.items()},
                        )
                    )
        return out
