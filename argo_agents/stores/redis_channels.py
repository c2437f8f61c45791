"""Redis pub/sub channels: the transport of the layer bridge (no persistence, by design).

Publishing is fire-and-forget, as the bridge's protocol is; the listener is a
connection of its own (a subscribed connection can run no other command).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

import redis

from argo_agents.config.endpoints import Endpoints
from argo_agents.stores.errors import StoreUnavailable, unavailable_hint


class RedisChannels:
    """Publish JSON messages and listen to channels."""

    def __init__(self, url: str, address: str) -> None:
        # no socket timeout: the listener waits for messages as long as it runs
        self._client = redis.Redis.from_url(url, socket_connect_timeout=5, retry=None)
        self.address = address

    @classmethod
    def from_endpoints(cls, endpoints: Endpoints) -> RedisChannels:
        """On the environment's Redis."""
        return cls(endpoints.redis_url, endpoints.redis_address)

    def publish(self, channel: str, message: dict[str, Any]) -> int:
        """Send ``message`` as JSON; return how many subscribers received it."""
        try:
            return int(self._client.publish(channel, json.dumps(message, default=str)))
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            raise StoreUnavailable(
                "redis", self.address, f"publish failed ({exc})", hint=unavailable_hint("redis")
            ) from exc

    def first_sight(self, key: str, ttl_s: int) -> bool:
        """Record ``key`` for ``ttl_s`` seconds; True only the first time (``SET NX EX``):
        the bridge's replay check, shared by every bridge on this Redis."""
        try:
            return bool(self._client.set(key, b"1", nx=True, ex=int(ttl_s)))
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            raise StoreUnavailable(
                "redis", self.address, f"SET failed ({exc})", hint=unavailable_hint("redis")
            ) from exc

    def listen(
        self, channels: Sequence[str], poll_s: float = 0.5
    ) -> Iterator[dict[str, Any] | None]:
        """Each JSON message on ``channels`` (a dict), or None every ``poll_s`` without one,
        so the caller can check whether to stop. A message that is not a JSON object is
        yielded as ``{"_invalid": <text>}``."""
        pubsub = self._client.pubsub(ignore_subscribe_messages=True)
        try:
            pubsub.subscribe(*channels)
            while True:
                raw = pubsub.get_message(timeout=poll_s)
                if raw is None:
                    yield None
                    continue
                data = raw["data"]
                text = data.decode() if isinstance(data, bytes) else str(data)
                try:
                    parsed = json.loads(text)
                except ValueError:
                    parsed = None
                yield parsed if isinstance(parsed, dict) else {"_invalid": text[:500]}
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            raise StoreUnavailable(
                "redis", self.address, f"listening failed ({exc})", hint=unavailable_hint("redis")
            ) from exc
        finally:
            pubsub.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()
