"""Helpers for layer-bridge tests: front-layer requests and the answers they get."""

from __future__ import annotations

import time
from typing import Any

from argo_agents.bridge import message


def answers(channel: Any, reply_to: str) -> list[dict[str, Any]]:
    """Every answer to ``reply_to`` that arrived within a second of the last one."""
    got, quiet_until = [], time.monotonic() + 5
    while time.monotonic() < quiet_until:
        msg = next(channel)
        if msg is not None and msg["data"].get("reply_to") == reply_to:
            got.append(msg)
            quiet_until = time.monotonic() + 1
    return got


def request(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    """A front layer's request in the protocol's shape."""
    return message(event_type, data, source="layer1", target="layer2")
