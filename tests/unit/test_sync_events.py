"""SyncEvent: deterministic ids and hashes, typed refusals."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from argo_agents.sync.events import (
    EventTooLargeError,
    InvalidEventError,
    InvalidRelationError,
    MissingEntityIdError,
    NotSerializableError,
    Operation,
    Priority,
    SyncEvent,
    UnknownEntityTypeError,
    data_hash,
    decode_event,
    encode_event,
    make_event_id,
    validate_event,
)
from argo_agents.sync.matrix import SYNC_MATRIX


def ev(**kw):
    base = {"entity_type": "knowledge", "entity_id": "k1", "data": {"text": "hello", "n": 1}}
    return SyncEvent(**{**base, **kw})


def test_hash_is_canonical_whatever_the_key_order():
    assert ev(data={"a": 1, "b": [1, 2]}).hash == ev(data={"b": [1, 2], "a": 1}).hash
    assert ev(data={"a": 1}).hash != ev(data={"a": 2}).hash


def test_event_id_is_derived_from_type_id_and_version_never_random():
    a, b = ev(version=3), ev(version=3, data={"other": True})
    assert a.event_id == b.event_id == make_event_id("knowledge", "k1", 3)
    assert ev(version=4).event_id != a.event_id


def test_event_id_needs_a_version():
    with pytest.raises(ValueError, match="publish assigns"):
        _ = ev().event_id


def test_defaults_and_utc_timestamps():
    e = ev(timestamp=datetime(2024, 1, 1, 12, tzinfo=timezone(timedelta(hours=2))))
    assert e.operation is Operation.UPDATE and e.priority is Priority.NORMAL
    assert e.timestamp == datetime(2024, 1, 1, 10, tzinfo=UTC)
    assert ev().timestamp.tzinfo is not None


def test_event_is_frozen():
    with pytest.raises(ValidationError):
        ev().entity_id = "x"  # type: ignore[misc]


@pytest.mark.parametrize("entity_id", [None, "", "   "])
def test_missing_entity_id_is_refused_at_construction(entity_id):
    with pytest.raises(MissingEntityIdError):
        SyncEvent(entity_type="knowledge", entity_id=entity_id, data={})


@pytest.mark.parametrize(
    "bad",
    [
        {"when": datetime.now(UTC)},
        {"x": {1, 2}},
        {"nan": float("nan")},
        {"inf": [1.0, float("inf")]},
        {1: "int key"},
        {"o": object()},
    ],
)
def test_non_json_data_is_refused_with_a_typed_error(bad):
    with pytest.raises(NotSerializableError):
        ev(data=bad)


def test_validate_refuses_unknown_type_oversize_bad_relations_and_forged_hash():
    with pytest.raises(UnknownEntityTypeError, match="knowledge"):
        validate_event(ev(entity_type="nope"), SYNC_MATRIX, 1000)
    with pytest.raises(EventTooLargeError, match="max_event_bytes"):
        validate_event(ev(data={"text": "x" * 2000}), SYNC_MATRIX, 1000)
    with pytest.raises(InvalidRelationError):
        validate_event(
            ev(data={"relations": [{"type": "x) DETACH DELETE n //", "label": "Goal", "id": "g"}]}),
            SYNC_MATRIX,
            10_000,
        )
    with pytest.raises(InvalidRelationError):
        validate_event(
            ev(data={"relations": [{"type": "ABOUT", "label": "Goal"}]}), SYNC_MATRIX, 10_000
        )
    with pytest.raises(InvalidRelationError, match="relationship needs"):
        validate_event(
            ev(entity_type="relationship", data={"type": "USES", "src_id": "a"}),
            SYNC_MATRIX,
            10_000,
        )
    rel = {"type": "USES", "src_label": "Agent", "src_id": "a", "dst_label": "Goal", "dst_id": "g"}
    assert validate_event(ev(entity_type="relationship", data=rel), SYNC_MATRIX, 10_000)
    forged = ev().model_copy(update={"hash": "0" * 64})
    with pytest.raises(InvalidEventError, match="hash"):
        validate_event(forged, SYNC_MATRIX, 10_000)
    assert validate_event(ev(), SYNC_MATRIX, 10_000) > 0


def test_outbox_encoding_round_trips():
    e = ev(
        version=7,
        priority=Priority.URGENT,
        base_version=6,
        operation_id="op",
        confidence=0.5,
        operation=Operation.DELETE,
    )
    back = decode_event(encode_event(e), 7)
    assert back == e and back.event_id == e.event_id and back.hash == data_hash(e.data)


def test_outbox_chunks_bound_events_and_bytes_but_never_split_one_event():
    from argo_agents.stores.redis_stream import AppendItem
    from argo_agents.sync.outbox import Outbox

    def item(size: int) -> AppendItem:
        return AppendItem(
            entity_field="f",
            ledger_key="l",
            ledger_field="i",
            exact_version=False,
            version=0,
            hash="h",
            operation="create|x",
            ts_ms=0,
            stream="s",
            payload=b"x" * size,
            replay=False,
        )

    outbox = Outbox(None, None, "g", chunk=3, chunk_bytes=100)  # type: ignore[arg-type]
    assert outbox._chunks([item(10)] * 7) == [(0, 3), (3, 6), (6, 7)]
    assert outbox._chunks([item(60), item(60), item(30), item(500), item(1)]) == [
        (0, 1),
        (1, 3),
        (3, 4),
        (4, 5),
    ]
    assert outbox._chunks([]) == []
