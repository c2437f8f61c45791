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
    e = SyncEvent(
        entity_type="knowledge",
        entity_id=eid,
        data=data or {"x": 1},
        version=version,
        base_version=base,
    )
    return Job(
        Delivery(None, e, 0),
        e,
        e.event_id,
        spec_for("knowledge"),  # type: ignore[arg-type]
        frozenset({"redis"}),
    )


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


# ---- compare-and-set of resolutions ------------------------------------------------------


def test_resolution_base_drops_a_resolution_a_newer_version_supersedes():
    from argo_agents.sync.strategies import resolution_base

    assert resolution_base(3, 3) == 3  # v3 is still the newest: publish on it, as v4
    assert resolution_base(3, 4) is None  # v4 was published after v3: keep v4
    assert resolution_base(3, 3, [3, 7]) == 7  # a store's higher version is replaced too
    assert resolution_base(3, 0) == 3  # counters unknown: the conflict's own version
    assert resolution_base(3, 4, [9]) is None  # a newer publish wins even over a rogue version


class _FakeStrict:
    """An outbox whose appends succeed only for the entities in ``free`` (all or nothing)."""

    def __init__(self, free):
        self.free, self.calls = set(free), []

    def append(self, events, *, min_versions):
        self.calls.append([e.entity_id for e in events])
        ok = all(e.entity_id in self.free for e in events)
        return [
            e.model_copy(update={"version": v if ok else 0})
            for e, v in zip(events, min_versions, strict=True)
        ]


def _manager(strict):
    from argo_agents.sync.conflicts import ConflictManager

    cm = ConflictManager.__new__(ConflictManager)
    cm._strict = strict
    return cm


def test_publish_if_newest_retries_one_by_one_when_any_is_superseded():
    strict = _FakeStrict(free={"a", "c"})
    events = [
        SyncEvent(entity_type="knowledge", entity_id=i, data={"x": i}, base_version=4)
        for i in "abc"
    ]
    out = _manager(strict).publish_if_newest(events)
    assert [o.version if o else None for o in out] == [5, None, 5]
    assert strict.calls == [["a", "b", "c"], ["a"], ["b"], ["c"]]
    assert _manager(_FakeStrict(free="ab")).publish_if_newest(events[:2])[1].version == 5
    assert _manager(strict).publish_if_newest([]) == []


def test_the_strict_append_is_the_outbox_append_with_a_check_in_front():
    from argo_agents.stores.redis_stream import _APPEND, _APPEND_AT_FLOORS

    strict = _APPEND_AT_FLOORS
    assert strict.endswith(_APPEND) and "ARGV[b+3]" in strict.removesuffix(_APPEND)


def test_a_refused_manual_resolution_reads_as_its_message():
    from argo_agents.sync.conflicts import ConflictMovedOn

    err = ConflictMovedOn("conflict abc is out of date: inspect it again")
    assert str(err) == "conflict abc is out of date: inspect it again"
    assert isinstance(err, KeyError)  # the CLI prints a KeyError's message and exits 1
