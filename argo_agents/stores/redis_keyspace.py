"""`RedisKeyspace`: the sync engine's typed access to Redis hashes, strings and lists.

The base of `RedisStreams` (which adds the outbox's stream commands): it holds
the client and translates every command error — connection problems and
refusals that pass (`transient_reply`: out of memory, failover, loading, ...)
become `StoreUnavailable` (retry later), other refused commands
`StoreRejected`. `RedisCache` classifies its errors with the same function.
The sync package decides key names and meaning; this module only speaks Redis.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import redis
from redis import exceptions as rx

from argo_agents.stores.errors import StoreRejected, StoreUnavailable, unavailable_hint

# Error replies that mean "not now" rather than "not this command", by their first word:
# OOM (maxmemory reached), READONLY (a replica, e.g. mid-failover), LOADING (still reading
# its data set), BUSY (a long script runs), TRYAGAIN (resharding), CLUSTERDOWN/MASTERDOWN,
# NOREPLICAS (min-replicas-to-write unmet), MISCONF (cannot persist, e.g. disk full).
TRANSIENT_REPLIES = frozenset(
    {
        "OOM",
        "READONLY",
        "LOADING",
        "BUSY",
        "TRYAGAIN",
        "CLUSTERDOWN",
        "MASTERDOWN",
        "NOREPLICAS",
        "MISCONF",
    }
)
# redis-py's classes for some of them (LOADING's BusyLoadingError is a ConnectionError).
_TRANSIENT_REPLY_CLASSES = (
    rx.OutOfMemoryError,
    rx.ReadOnlyError,
    rx.TryAgainError,
    rx.ClusterDownError,
)  # ClusterDownError includes MasterDownError
BUSY_HINT = "the server refuses commands for now (memory, failover, loading or a busy script)"
_PIPELINE_ERROR = " of pipeline caused error: "
# Redis < 7 wraps the error of a call inside a script: "ERR Error running script (call to
# f_<sha>): @user_script:1: @user_script: 1: -OOM command not allowed ..."
_SCRIPT_CALL_ERROR = re.compile(r"Error running script \(.*?: -([A-Z]+)\b")


def transient_reply(exc: redis.ResponseError) -> bool:
    """Whether the server refused the command for now (retry) rather than for what it is."""
    return isinstance(exc, _TRANSIENT_REPLY_CLASSES) or reply_code(exc) in TRANSIENT_REPLIES


def reply_code(exc: redis.ResponseError) -> str:
    """The error reply's first word ("OOM", "WRONGTYPE", ...). redis-py strips the codes it
    has a class for into ``status_code``; for the others the code starts the message, after
    the "Command # n (...) of pipeline caused error: " prefix a pipeline adds. For a script
    on Redis < 7 it is the code of the call that failed inside the script."""
    text = str(exc.args[0]) if exc.args else ""
    text = text.rpartition(_PIPELINE_ERROR)[2]
    wrapped = _SCRIPT_CALL_ERROR.match(text)
    if wrapped:
        return wrapped.group(1)
    code = getattr(exc, "status_code", None)
    return str(code) if code else text.split(" ", 1)[0]


def as_str(value: Any) -> Any:
    """Decode bytes replies; leave anything else as it is."""
    return value.decode() if isinstance(value, bytes) else value


class RedisKeyspace:
    """Hash, string and list commands, each one round trip (pipelined where many)."""

    name = "redis"

    def __init__(self, client: redis.Redis, address: str = "redis") -> None:
        self.client = client
        self.address = address

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            raise StoreUnavailable(
                "redis", self.address, f"outbox unreachable ({exc})", hint=unavailable_hint("redis")
            ) from exc
        except redis.ResponseError as exc:
            if transient_reply(exc):
                raise StoreUnavailable(
                    "redis", self.address, f"command refused for now ({exc})", hint=BUSY_HINT
                ) from exc
            raise StoreRejected("redis", self.address, f"command refused ({exc})") from exc

    # ---- hashes, strings, lists ------------------------------------------------------
    def hgetall_many(self, keys: Sequence[str]) -> list[dict[str, str]]:
        """HGETALL of each key, in one round trip."""
        if not keys:
            return []
        with self._errors():
            pipe = self.client.pipeline(transaction=False)
            for k in keys:
                pipe.hgetall(k)
            return [{as_str(a): as_str(b) for a, b in h.items()} for h in pipe.execute()]

    def hset_many(
        self,
        values: Mapping[str, Mapping[str, Any]],
        ttl_s: int | None = None,
        incr: Mapping[str, Mapping[str, int]] | None = None,
    ) -> None:
        """HSET (and HINCRBY) fields of several hashes, refreshing their TTL."""
        with self._errors():
            pipe = self.client.pipeline(transaction=False)
            for key, mapping in values.items():
                if mapping:
                    pipe.hset(key, mapping=dict(mapping))  # type: ignore[arg-type]
            for key, counters in (incr or {}).items():
                for field, delta in counters.items():
                    pipe.hincrby(key, field, delta)
            if ttl_s:
                for key in set(values) | set(incr or {}):
                    pipe.expire(key, ttl_s)
            pipe.execute()

    def hget_fields(self, key: str, fields: Sequence[str]) -> list[str | None]:
        """HMGET."""
        if not fields:
            return []
        with self._errors():
            return [as_str(v) for v in self.client.hmget(key, list(fields))]

    def hget_all(self, key: str) -> dict[str, str]:
        """HGETALL of one key."""
        with self._errors():
            return {as_str(a): as_str(b) for a, b in self.client.hgetall(key).items()}

    def hdel(self, key: str, fields: Sequence[str]) -> int:
        """HDEL."""
        with self._errors():
            return int(self.client.hdel(key, *fields)) if fields else 0

    def hscan(self, key: str, count: int = 500) -> Iterator[tuple[str, str]]:
        """Every field of a large hash, without blocking the server."""
        with self._errors():
            for field, value in self.client.hscan_iter(key, count=count):
                yield as_str(field), as_str(value)

    def hlen(self, key: str) -> int:
        """HLEN."""
        with self._errors():
            return int(self.client.hlen(key))

    def mget(self, keys: Sequence[str]) -> list[str | None]:
        """MGET."""
        if not keys:
            return []
        with self._errors():
            return [as_str(v) for v in self.client.mget(list(keys))]

    def set_many(self, values: Mapping[str, Any], ttl_s: int) -> None:
        """SET with expiry for several keys, in one round trip."""
        with self._errors():
            pipe = self.client.pipeline(transaction=False)
            for key, value in values.items():
                pipe.set(key, value, ex=ttl_s)
            pipe.execute()

    def push_capped(self, lists: Mapping[str, Sequence[Any]], cap: int) -> None:
        """LPUSH values and trim each list to its ``cap`` newest items."""
        with self._errors():
            pipe = self.client.pipeline(transaction=False)
            for key, values in lists.items():
                if values:
                    pipe.lpush(key, *values)
                    pipe.ltrim(key, 0, cap - 1)
            pipe.execute()

    def lrange(self, key: str, count: int) -> list[str]:
        """The ``count`` newest items of a list."""
        with self._errors():
            return [as_str(v) for v in self.client.lrange(key, 0, count - 1)]

    def scan_delete(self, pattern: str) -> int:
        """Delete every key matching ``pattern`` (tests and `reset`)."""
        n = 0
        with self._errors():
            for key in self.client.scan_iter(match=pattern, count=1000):
                n += int(self.client.delete(key))
        return n
