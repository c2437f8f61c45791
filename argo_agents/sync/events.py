"""`SyncEvent`: one change to one entity, the unit that flows through the outbox.

An event is identified by (entity type, entity id, version); its `event_id` is
derived from those three, never random, so a redelivered or replayed event is
recognisably the same write in every store (BigQuery ``row_ids``, Chroma ids,
Neo4j fences). `hash` is the SHA-256 of the canonical JSON of `data` (sorted
keys, no whitespace, orjson), so two stores can be compared without moving the
data itself.

Construction already refuses what can never be published (no entity id, data
that is not plain JSON); `validate_event` adds the checks that depend on the
sync matrix and the configured size limit, and `SyncEngine.publish` runs it on
every event before anything is written.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import IntEnum, StrEnum
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, field_validator

# orjson would silently turn datetimes, dataclasses and str subclasses into
# JSON; passing them through makes them a TypeError, so `data` is plain JSON
# and re-reading it from any store gives back exactly what was hashed.
_JSON_OPTIONS = (
    orjson.OPT_SORT_KEYS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)
_RELATION_TYPE = re.compile(r"^[A-Z][A-Z0-9_]{0,63}$")
_LABEL = re.compile(r"^[A-Z][A-Za-z0-9_]{0,63}$")


class Priority(IntEnum):
    """Outbox priority; URGENT is read before HIGH, NORMAL and LOW."""

    LOW = 0
    NORMAL = 1
    HIGH = 2
    URGENT = 3


class Operation(StrEnum):
    """What happened to the entity."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


class InvalidEventError(ValueError):
    """The event can never be applied as it is; fix the event, then publish again."""


class UnknownEntityTypeError(InvalidEventError):
    """The entity type is not in the sync matrix."""


class MissingEntityIdError(InvalidEventError):
    """The event has no entity id."""


class NotSerializableError(InvalidEventError):
    """`data` is not plain JSON (dict/list/str/int/float/bool/None, finite numbers)."""


class EventTooLargeError(InvalidEventError):
    """The canonical JSON of `data` is over the configured size limit."""


class InvalidRelationError(InvalidEventError):
    """An entry of ``data["relations"]`` is not ``{"type", "label", "id"}`` with safe names."""


def canonical_json(data: Any) -> bytes:
    """Canonical JSON bytes of ``data``; raise `NotSerializableError` if it is not plain JSON."""
    _check_finite(data)
    try:
        return orjson.dumps(data, option=_JSON_OPTIONS)
    except (TypeError, orjson.JSONEncodeError) as exc:
        raise NotSerializableError(
            f"event data is not JSON-serialisable ({exc}); convert values to str/int/float/"
            f"bool/None, lists and dicts with str keys before publishing"
        ) from exc


def data_hash(data: Any) -> str:
    """SHA-256 hex digest of the canonical JSON of ``data``."""
    return hashlib.sha256(canonical_json(data)).hexdigest()


def make_event_id(entity_type: str, entity_id: str, version: int) -> str:
    """The deterministic id of one version of one entity."""
    return hashlib.sha256(f"{entity_type}|{entity_id}|{version}".encode()).hexdigest()


def _check_finite(obj: Any) -> None:
    """Refuse NaN and infinities, which JSON cannot represent (orjson writes them as null)."""
    kind = type(obj)
    if kind is float:
        if not math.isfinite(obj):
            raise NotSerializableError(
                f"event data holds the number {obj!r}; JSON has no NaN/Infinity: use null"
            )
    elif kind is dict:
        for value in obj.values():
            if type(value) not in (str, int, bool) and value is not None:
                _check_finite(value)
    elif kind in (list, tuple):
        # Fast path for embeddings: one C-level sum instead of 384 Python calls.
        if obj and type(obj[0]) is float:
            try:
                if math.isfinite(math.fsum(obj)):
                    return
            except (TypeError, OverflowError):
                pass
        for value in obj:
            _check_finite(value)


class SyncEvent(BaseModel):
    """One version of one entity, to be written to every store the matrix names."""

    model_config = ConfigDict(frozen=True)

    entity_type: str
    entity_id: str
    operation: Operation = Operation.UPDATE
    data: dict[str, Any] = Field(default_factory=dict)
    source: str = "orchestrator"
    version: int | None = None  # None: the engine assigns the next version at publish
    hash: str = ""
    timestamp: datetime = Field(default_factory=lambda: datetime.now(UTC))
    priority: Priority = Priority.NORMAL
    confidence: float = 1.0
    operation_id: str | None = None
    base_version: int | None = None  # the version this change was based on (conflict check)

    def __init__(self, **values: Any) -> None:
        # Checked here, outside pydantic validators, so callers get the typed
        # error itself rather than a ValidationError wrapping it.
        entity_id = values.get("entity_id")
        if entity_id is None or not str(entity_id).strip():
            raise MissingEntityIdError(
                f"a {values.get('entity_type', '?')} event has no entity_id; every event "
                f"names the entity it changes"
            )
        if not values.get("hash"):
            values["hash"] = data_hash(values.get("data") or {})
        super().__init__(**values)

    @field_validator("timestamp")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        """Naive timestamps are taken as UTC; aware ones are converted to UTC."""
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    @property
    def event_id(self) -> str:
        """SHA-256 of ``type|id|version``: the same write has the same id everywhere."""
        if self.version is None:
            raise ValueError("the event has no version yet: SyncEngine.publish assigns it")
        return make_event_id(self.entity_type, self.entity_id, self.version)

    @property
    def entity_key(self) -> str:
        """``type|id``: the key of the entity in the engine's Redis hashes."""
        return f"{self.entity_type}|{self.entity_id}"


def validate_event(event: SyncEvent, known_types: Mapping[str, Any], max_bytes: int) -> int:
    """Raise the typed error that says why ``event`` cannot be published; return its size."""
    if event.entity_type not in known_types:
        raise UnknownEntityTypeError(
            f"unknown entity type {event.entity_type!r}; choose one of "
            f"{', '.join(sorted(known_types))} (or add it to the sync matrix)"
        )
    if not event.entity_id or not event.entity_id.strip():
        raise MissingEntityIdError(f"a {event.entity_type} event has no entity_id")
    body = canonical_json(event.data)
    if hashlib.sha256(body).hexdigest() != event.hash:
        raise InvalidEventError(
            f"{event.entity_type} {event.entity_id}: hash does not match data; leave `hash` "
            f"unset and let SyncEvent compute it"
        )
    if len(body) > max_bytes:
        raise EventTooLargeError(
            f"{event.entity_type} {event.entity_id}: data is {len(body)} bytes, over the "
            f"{max_bytes}-byte limit; store large content elsewhere and publish a reference, "
            f"or raise SyncConfig.max_event_bytes"
        )
    _check_relations(event)
    return len(body)


def _check_relations(event: SyncEvent) -> None:
    if event.entity_type == "relationship":  # a delete, too, names the edge it removes
        d = event.data
        if (
            not all(d.get(k) for k in ("src_id", "dst_id"))
            or not _RELATION_TYPE.match(str(d.get("type", "")))
            or not all(_LABEL.match(str(d.get(k, ""))) for k in ("src_label", "dst_label"))
        ):
            raise InvalidRelationError(
                f"{event.entity_id}: a relationship needs type (UPPER_SNAKE_CASE), src_label, "
                f"src_id, dst_label, dst_id (CamelCase labels); got keys {sorted(d)}"
            )
    relations = event.data.get("relations")
    if relations is None:
        return
    if not isinstance(relations, list):
        raise InvalidRelationError(f"{event.entity_id}: `relations` must be a list")
    for rel in relations:
        if not isinstance(rel, dict) or not rel.get("id"):
            raise InvalidRelationError(
                f"{event.entity_id}: each relation is {{'type', 'label', 'id'}}, got {rel!r}"
            )
        # Cypher cannot parameterise relationship types or labels, so they must be
        # safe identifiers before they ever reach a query.
        if not _RELATION_TYPE.match(str(rel.get("type", ""))):
            raise InvalidRelationError(
                f"{event.entity_id}: relation type {rel.get('type')!r} must be UPPER_SNAKE_CASE"
            )
        if not _LABEL.match(str(rel.get("label", ""))):
            raise InvalidRelationError(
                f"{event.entity_id}: relation label {rel.get('label')!r} must be a CamelCase name"
            )


def decode_event(payload: bytes | str, version: int) -> SyncEvent:
    """Rebuild an event read from the outbox (validated and hashed at publish).

    `model_construct` skips validation: the payload was written by
    `encode_event` from a validated event, and validating it again cost more
    than the rest of a worker's CPU time per event.
    """
    v = orjson.loads(payload)
    return SyncEvent.model_construct(
        entity_type=v["entity_type"],
        entity_id=v["entity_id"],
        operation=Operation(v["operation"]),
        data=v["data"],
        source=v["source"],
        version=version,
        hash=v["hash"],
        timestamp=datetime.fromisoformat(v["timestamp"]),
        priority=Priority(v["priority"]),
        confidence=float(v["confidence"]),
        operation_id=v.get("operation_id"),
        base_version=v.get("base_version"),
    )


def encode_event(event: SyncEvent) -> bytes:
    """Compact JSON of an event for the outbox (the version travels beside it)."""
    # Built by hand: pydantic's model_dump walks every float of an embedding.
    return orjson.dumps(
        {
            "entity_type": event.entity_type,
            "entity_id": event.entity_id,
            "operation": event.operation.value,
            "data": event.data,
            "source": event.source,
            "hash": event.hash,
            "timestamp": event.timestamp.isoformat(),
            "priority": int(event.priority),
            "confidence": event.confidence,
            "operation_id": event.operation_id,
            "base_version": event.base_version,
        }
    )
