"""`RedisRecords`: small JSON documents replaced only by compare-and-set on a revision.

For state that clients must not be able to write and that concurrent writers
must not both change, such as the approval gate's record of a run: a write
names the revision it read, and loses (returns False) if someone else wrote
first. The check and the write are one Lua script, so they are atomic.
"""

from __future__ import annotations

from typing import Any

import orjson
import redis

from argo_agents.stores.redis_keyspace import RedisKeyspace, as_str

# ARGV: expected rev, new rev, document, TTL in seconds (0 = keep forever).
_CAS = """
local cur = redis.call('HGET', KEYS[1], 'rev') or '0'
if cur ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'rev', ARGV[2], 'doc', ARGV[3])
local ttl = tonumber(ARGV[4])
if ttl > 0 then redis.call('EXPIRE', KEYS[1], ttl) else redis.call('PERSIST', KEYS[1]) end
return 1
"""


class RedisRecords(RedisKeyspace):
    """`RecordPort` on Redis: ``{rev, doc}`` hashes under ``argo:record:<key>``."""

    prefix = "argo:record:"

    def __init__(self, client: redis.Redis, address: str = "redis") -> None:
        super().__init__(client, address)
        self._cas = client.register_script(_CAS)

    def get(self, key: str) -> tuple[int, dict[str, Any]] | None:
        """The record's revision and document, or None when there is none."""
        with self._errors():
            raw = self.client.hmget(self.prefix + key, ["rev", "doc"])
        rev, doc = (as_str(v) for v in raw)
        if rev is None or doc is None:
            return None
        return int(rev), orjson.loads(doc)

    def compare_and_set(
        self, key: str, expected_rev: int, doc: dict[str, Any], *, ttl_s: int = 0
    ) -> bool:
        """Write ``doc`` as revision ``expected_rev + 1`` if the stored revision is
        ``expected_rev`` (0 = no record yet); False when another writer came first."""
        with self._errors():
            return bool(
                self._cas(
                    keys=[self.prefix + key],
                    args=[str(expected_rev), str(expected_rev + 1), orjson.dumps(doc), ttl_s],
                )
            )
