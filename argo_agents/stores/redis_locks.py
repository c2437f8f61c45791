"""`RedisLocks`: short per-key leases, for stores that have no compare-and-set of their own.

Chroma cannot make an upsert or a delete conditional on the stored version, so
a read-then-write could let an older version overwrite a newer one that
another worker wrote in between. Holding a lease on each entity for the
duration of the read and the write closes that window; a lease expires by
itself if its holder dies. Release is owner-checked in Lua: a worker never
drops a lease that expired and was taken by another.
"""

from __future__ import annotations

from collections.abc import Sequence

import redis

from argo_agents.stores.redis_keyspace import RedisKeyspace

_RELEASE = """
local n = 0
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then n = n + redis.call('DEL', key) end
end
return n
"""


class RedisLocks(RedisKeyspace):
    """Leases under ``argo:lock:<key>`` held by a token."""

    prefix = "argo:lock:"

    def __init__(self, client: redis.Redis, address: str = "redis") -> None:
        super().__init__(client, address)
        self._release = client.register_script(_RELEASE)

    def acquire(self, keys: Sequence[str], token: str, ttl_ms: int) -> set[str]:
        """Take the free leases among ``keys`` (one round trip); return the keys taken."""
        if not keys:
            return set()
        with self._errors():
            pipe = self.client.pipeline(transaction=False)
            for key in keys:
                pipe.set(self.prefix + key, token, nx=True, px=ttl_ms)
            taken = pipe.execute()
        return {k for k, ok in zip(keys, taken, strict=True) if ok}

    def release(self, keys: Sequence[str], token: str) -> int:
        """Drop the leases ``token`` still holds; return how many."""
        if not keys:
            return 0
        with self._errors():
            return int(self._release(keys=[self.prefix + k for k in keys], args=[token]))
