"""The bridge's channels and message shape (see the package docstring)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

CHANNEL_IN = "layer1_to_layer2"  # front layer → ARGO
CHANNEL_OUT = "layer2_to_layer1"  # ARGO → front layer
CHANNEL_SYNC = "layer_sync"  # presence: bridge_ready, heartbeat

REQUESTS = ("submit_goal", "approve", "answer", "get_run")


class BadMessage(ValueError):
    """A request the bridge cannot act on; the ``error`` answer carries this text."""


def message(event_type: str, data: dict[str, Any], *, source: str, target: str) -> dict[str, Any]:
    """A message in the protocol's shape."""
    return {
        "id": f"msg_{uuid.uuid4().hex}",
        "timestamp": datetime.now(UTC).isoformat(),
        "source": source,
        "target": target,
        "event_type": event_type,
        "data": data,
    }


def parse_request(raw: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    """(id, event_type, data) of a front-layer request; `BadMessage` says what is wrong."""
    if "_invalid" in raw:
        raise BadMessage("the message is not a JSON object")
    missing = [k for k in ("id", "event_type", "data") if k not in raw]
    if missing:
        raise BadMessage(f"the message lacks {missing}; send id, timestamp, source, target, "
                         "event_type and data")  # fmt: skip
    if raw["event_type"] not in REQUESTS:
        raise BadMessage(f"unknown event_type {raw['event_type']!r}; send one of {list(REQUESTS)}")
    if not isinstance(raw["data"], dict):
        raise BadMessage("data must be a JSON object")
    return str(raw["id"]), str(raw["event_type"]), raw["data"]
