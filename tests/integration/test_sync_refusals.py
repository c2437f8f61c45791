"""Invalid events are refused with their typed error, and nothing at all is written."""

from __future__ import annotations

import pytest

from argo_agents.sync import (
    EventTooLargeError,
    InvalidRelationError,
    MissingEntityIdError,
    NotSerializableError,
    SyncEvent,
    UnknownEntityTypeError,
)
from tests.integration.test_sync_support import (  # noqa: F401  (fixtures)
    make_engine_fixture,
    sync_stores_fixture,
    uid,
)

pytestmark = pytest.mark.integration


def invalid(kind: str) -> SyncEvent:
    """One invalid event of each kind. Kinds a constructor already refuses are built with
    `model_construct`, as a caller bypassing validation would."""
    eid = uid("bad")
    if kind == "unknown type":
        return SyncEvent(entity_type="spaceship", entity_id=eid, data={})
    if kind == "missing id":
        return SyncEvent.model_construct(entity_type="goal", entity_id="", data={}, hash="x")
    if kind == "not serialisable":
        return SyncEvent.model_construct(
            entity_type="goal", entity_id=eid, data={"s": {1}}, hash="x"
        )
    if kind == "too large":
        return SyncEvent(entity_type="goal", entity_id=eid, data={"text": "x" * 5000})
    if kind == "bad relation":
        return SyncEvent(
            entity_type="step",
            entity_id=eid,
            data={"relations": [{"type": "X]->() DETACH DELETE n//", "label": "Step", "id": "s"}]},
        )
    raise AssertionError(kind)


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("unknown type", UnknownEntityTypeError),
        ("missing id", MissingEntityIdError),
        ("not serialisable", NotSerializableError),
        ("too large", EventTooLargeError),
        ("bad relation", InvalidRelationError),
    ],
)
def test_invalid_event_refused_and_nothing_written(make_engine, kind, error):
    engine = make_engine(max_event_bytes=4096)
    good = SyncEvent(entity_type="goal", entity_id=uid("good"), data={"text": "fine"})
    with pytest.raises(error):
        engine.publish([good, invalid(kind)])  # the valid one first: still nothing written
    entries, _ = engine.ctx.outbox.sizes()
    assert entries == 0
    assert engine.ctx.redis.hget_all(engine.ctx.keys.versions) == {}
    assert engine.ctx.redis.hget_all(engine.ctx.keys.ledger("goal")) == {}


def test_constructors_refuse_what_can_never_be_published():
    with pytest.raises(MissingEntityIdError):
        SyncEvent(entity_type="goal", entity_id=" ", data={})
    with pytest.raises(NotSerializableError):
        SyncEvent(entity_type="goal", entity_id="g", data={"f": float("nan")})
