"""Conflict strategies and the version judge, without any store."""

from datetime import UTC, datetime, timedelta

from argo_agents.stores.records import StoredVersion
from argo_agents.sync.config import ConflictStrategy as S
from argo_agents.sync.config import SyncConfig
from argo_agents.sync.events import SyncEvent
from argo_agents.sync.job import Job, judge, newest_per_entity
from argo_agents.sync.matrix import spec_for
from argo_agents.sync.outbox import Delivery
from argo_agents.sync.strategies import Side, resolve, take

T0 = datetime(2024, 1, 1, tzinfo=UTC)
inc = Side({"a": 1, "b": 2}, confidence=0.6, timestamp=T0 + timedelta(seconds=5), version=3)
sto = Side({"a": 9, "c": 3}, confidence=0.9, timestamp=T0, version=3)


def test_last_write_wins_takes_incoming():
    assert resolve(S.LAST_WRITE_WINS, inc, sto).data == {"a": 1, "b": 2}


def test_highest_confidence_keeps_the_more_confident_side():
    assert resolve(S.HIGHEST_CONFIDENCE, inc, sto).winner == "stored"
    assert resolve(S.HIGHEST_CONFIDENCE, Side({"a": 1}, 0.95), sto).winner == "incoming"


def test_merge_keeps_stored_keys_and_lets_confidence_then_time_decide_clashes():
    assert resolve(S.MERGE, inc, sto).data == {"a": 9, "b": 2, "c": 3}  # stored more confident
    equal = Side({"a": 9, "c": 3}, confidence=0.6, timestamp=T0)
    assert resolve(S.MERGE, inc, equal).data == {"a": 1, "b": 2, "c": 3}  # incoming is later


def test_manual_parks_and_rollback_restores_the_previous_state():
    assert resolve(S.MANUAL, inc, sto) is None
    assert resolve(S.ROLLBACK, inc, sto, previous=Side({"old": 1})).data == {"old": 1}
    assert resolve(S.ROLLBACK, inc, sto, previous=Side(None)).data is None  # created: delete


def test_take_for_a_parked_conflict():
    assert take("stored", inc, sto).data == sto.data
    assert take("merged", inc, sto).data == {"a": 9, "b": 2, "c": 3}


def test_strategy_per_entity_type():
    cfg = SyncConfig(strategies={"pattern": S.MERGE})
    assert cfg.strategy_for("pattern") is S.MERGE
    assert cfg.strategy_for("goal") is S.LAST_WRITE_WINS


def job(version, base=None, data=None, eid="k"):
    e = SyncEvent(entity_type="knowledge", entity_id=eid, data=data or {"x": 1}, version=version,
                  base_version=base)
    return Job(Delivery(None, e, 0), e, e.event_id, spec_for("knowledge"),  # type: ignore[arg-type]
               frozenset({"redis"}))


def test_judge_versions_and_hashes():
    j = job(5)
    assert judge(j, None) == "write"
    assert judge(j, StoredVersion("k", 4, "h")) == "write"
    assert judge(j, StoredVersion("k", 6, "h")) == "done"  # superseded: older never wins
    assert judge(j, StoredVersion("k", 5, j.event.hash)) == "done"  # already applied
    assert judge(j, StoredVersion("k", 5, "other")) == "conflict"
    based = job(5, base=2)
    assert judge(based, StoredVersion("k", 3, "h")) == "conflict"  # a writer raced it
    assert judge(based, StoredVersion("k", 2, "h")) == "write"


def test_newest_version_of_each_entity_wins_within_a_batch():
    a1, a3, b2 = job(1, eid="a"), job(3, eid="a"), job(2, eid="b")
    keep, superseded = newest_per_entity([a3, a1, b2])
    assert {j.event_id for j in keep} == {a3.event_id, b2.event_id}
    assert superseded == [a1]
