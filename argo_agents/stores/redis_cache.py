"""Redis adapter: versioned JSON values with TTLs, workload counters and pub/sub.

Each cached value is a hash ``{v: version, h: hash, d: JSON}`` under
``argo:cache:<key>``. The version fence runs inside Redis as a Lua script, so
compare-and-set is atomic even with many sync workers; a batch sends one
script call per entry in a single pipeline (one round trip).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import redis

from argo_agents.config.endpoints import Endpoints
from argo_agents.config.settings import CacheTTL
from argo_agents.stores.errors import StoreRejected, StoreUnavailable, unavailable_hint
from argo_agents.stores.naming import to_json
from argo_agents.stores.records import CacheEntry, StoredVersion, WriteResult
from argo_agents.stores.redis_keyspace import BUSY_HINT, transient_reply

KEY_PREFIX = "argo:cache:"
WORKLOAD_KEY = "argo:workload"

# Returns 1 when applied, 0 when the stored version is the same or newer.
# The TTL is set in the same script so a refreshed value always gets a fresh TTL.
_PUT = """
local cur = redis.call('HGET', KEYS[1], 'v')
if cur and tonumber(cur) >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'h', ARGV[2], 'd', ARGV[3])
local ttl = tonumber(ARGV[4])
if ttl and ttl > 0 then redis.call('EXPIRE', KEYS[1], ttl) else redis.call('PERSIST', KEYS[1]) end
return 1
"""

# Deletes only when the stored version is at or below ARGV[1]: a delete that
# was decided on an old version must not remove a newer value.
_DELETE_UPTO = """
local cur = redis.call('HGET', KEYS[1], 'v')
if not cur then return 0 end
if tonumber(cur) <= tonumber(ARGV[1]) then return redis.call('DEL', KEYS[1]) end
return 0
"""

# Workload never goes below zero, even when completions outnumber starts.
_WORKLOAD = """
local n = redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2])
if n < 0 then redis.call('HSET', KEYS[1], ARGV[1], 0) return 0 end
return n
"""


class RedisCache:
    """`CachePort` on Redis (redis-py); works unchanged on a managed Redis."""

    name = "redis"

    def __init__(self, client: redis.Redis, address: str, ttl: CacheTTL | None = None) -> None:
        self._client = client
        self.address = address
        self.ttl = ttl or CacheTTL()
        self._put = client.register_script(_PUT)
        self._delete_upto = client.register_script(_DELETE_UPTO)
        self._workload = client.register_script(_WORKLOAD)

    @classmethod
    def from_endpoints(cls, endpoints: Endpoints, ttl: CacheTTL | None = None) -> RedisCache:
        """Connect lazily with the endpoints' timeouts and no silent client-side retries."""
        client = redis.Redis.from_url(
            endpoints.redis_url,
            socket_timeout=endpoints.timeout_s,
            socket_connect_timeout=endpoints.timeout_s,
            health_check_interval=30,
            retry=None,  # the sync engine retries with backoff; a hidden retry would blur timeouts
        )
        return cls(client, endpoints.redis_address, ttl)

    @property
    def client(self) -> redis.Redis:
        """The raw client, for other modules of `argo_agents.stores` only (the outbox)."""
        return self._client

    def ttl_for(self, entity_type: str) -> int:
        """TTL in seconds for values of ``entity_type``."""
        return self.ttl.for_type(entity_type)

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            raise StoreUnavailable(
                self.name, self.address, _clean(exc), hint=unavailable_hint(self.name)
            ) from exc
        except redis.ResponseError as exc:
            if transient_reply(exc):  # out of memory, failover, loading, busy script, ...
                raise StoreUnavailable(
                    self.name, self.address, _clean(exc), hint=BUSY_HINT
                ) from exc
            raise StoreRejected(
                self.name,
                self.address,
                _clean(exc),
                hint="the command was refused; check the value and key",
            ) from exc

    # ---- Store ---------------------------------------------------------------------
    def health(self) -> None:
        """PING the server."""
        with self._errors():
            self._client.ping()

    def close(self) -> None:
        """Disconnect the pool."""
        self._client.close()

    # ---- versioned values ----------------------------------------------------------
    def put_many(self, entries: Sequence[CacheEntry]) -> WriteResult:
        """Compare-version-and-set every entry in one pipeline."""
        if not entries:
            return WriteResult()
        with self._errors():
            pipe = self._client.pipeline(transaction=False)
            for e in entries:
                ttl = "" if e.ttl_s is None else str(int(e.ttl_s))
                self._put(
                    keys=[KEY_PREFIX + e.key],
                    args=[int(e.version), e.hash, to_json(e.value), ttl],
                    client=pipe,
                )
            flags = pipe.execute()
        result = WriteResult()
        for e, flag in zip(entries, flags, strict=True):
            (result.applied if flag == 1 else result.stale).append(e.key)
        return result

    def get_many(self, keys: Sequence[str]) -> dict[str, Any]:
        """Decoded values of the keys that exist."""
        if not keys:
            return {}
        with self._errors():
            pipe = self._client.pipeline(transaction=False)
            for k in keys:
                pipe.hget(KEY_PREFIX + k, "d")
            raw = pipe.execute()
        return {k: json.loads(v) for k, v in zip(keys, raw, strict=True) if v is not None}

    def versions(self, keys: Sequence[str]) -> dict[str, StoredVersion]:
        """Version and hash of the keys that exist."""
        if not keys:
            return {}
        with self._errors():
            pipe = self._client.pipeline(transaction=False)
            for k in keys:
                pipe.hmget(KEY_PREFIX + k, ["v", "h"])
            raw = pipe.execute()
        return {
            k: StoredVersion(k, int(v), h.decode())
            for k, (v, h) in zip(keys, raw, strict=True)
            if v is not None
        }

    def ttl_of(self, key: str) -> int | None:
        """Seconds left for ``key``; None when it has no TTL or does not exist."""
        with self._errors():
            left = self._client.ttl(KEY_PREFIX + key)
        return int(left) if left >= 0 else None

    def delete_many(self, keys: Sequence[str], *, version: int | None = None) -> int:
        """Delete keys; with ``version``, only those stored at or below it."""
        if not keys:
            return 0
        with self._errors():
            if version is None:
                return int(self._client.delete(*[KEY_PREFIX + k for k in keys]))
            pipe = self._client.pipeline(transaction=False)
            for k in keys:
                self._delete_upto(keys=[KEY_PREFIX + k], args=[int(version)], client=pipe)
            return sum(int(n) for n in pipe.execute())

    def invalidate(self, keys: Sequence[str]) -> int:
        """Drop cached values whatever their version (a cache miss is always safe)."""
        return self.delete_many(keys)

    # ---- workload and notifications -------------------------------------------------
    def add_workload(self, agent_id: str, delta: int) -> int:
        """Add ``delta`` to an agent's workload, clamped at zero; return the new value."""
        with self._errors():
            return int(self._workload(keys=[WORKLOAD_KEY], args=[agent_id, int(delta)]))

    def workloads(self, agent_ids: Sequence[str]) -> dict[str, int]:
        """Current workload per agent (0 when unknown)."""
        if not agent_ids:
            return {}
        with self._errors():
            raw = self._client.hmget(WORKLOAD_KEY, list(agent_ids))
        return {a: int(v) if v is not None else 0 for a, v in zip(agent_ids, raw, strict=True)}

    def publish(self, channel: str, message: Mapping[str, Any]) -> int:
        """Publish JSON; return how many subscribers received it."""
        with self._errors():
            return int(self._client.publish(channel, to_json(dict(message))))


def _clean(exc: Exception) -> str:
    """The error text without anything that could be a password (redis-py never prints it)."""
    return f"{type(exc).__name__}: {exc}"
