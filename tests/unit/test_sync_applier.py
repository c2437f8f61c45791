"""The applier's retry policy: colliding writers are retried harder, and never trip a circuit."""

from __future__ import annotations

from collections.abc import Sequence

from argo_agents.stores.errors import StoreBusy, StoreRejected, StoreUnavailable
from argo_agents.sync import SyncConfig, SyncEvent
from argo_agents.sync.applier import Applier, GroupResult
from argo_agents.sync.job import Job, StoreOutcome
from argo_agents.sync.matrix import NEO4J, spec_for
from argo_agents.sync.outbox import Delivery


class ScriptedWriter:
    """A writer (the applier's own protocol, not a store) that fails ``fail`` times first."""

    name = NEO4J

    def __init__(self, error: type[StoreUnavailable], fail: int) -> None:
        self.error, self.fail, self.calls = error, fail, 0

    def write(self, jobs: Sequence[Job]) -> StoreOutcome:
        self.calls += 1
        if self.calls <= self.fail:
            raise self.error(NEO4J, "bolt://test", "scripted failure")
        return StoreOutcome(applied={j.event_id for j in jobs})


def jobs(n: int = 3) -> list[Job]:
    events = [
        SyncEvent(entity_type="goal", entity_id=f"g{i}", data={}, version=1) for i in range(n)
    ]
    return [
        Job(
            Delivery(None, e, 0),
            e,
            e.event_id,
            spec_for("goal"),  # type: ignore[arg-type]
            frozenset({NEO4J}),
        )
        for e in events
    ]


# Attempts are the defaults (3 and 8); only the waits between them are shortened, so the
# tests do not sleep, and the circuit stays closed for the whole test (60 s).
CONFIG = SyncConfig(
    retry_attempts=3,
    busy_attempts=8,
    retry_initial_s=0.001,
    retry_max_s=0.002,
    breaker_initial_s=60,
)


def run(writer: ScriptedWriter) -> tuple[Applier, GroupResult, list[Job]]:
    applier = Applier({NEO4J: writer}, CONFIG)
    batch = jobs()
    try:
        return applier, applier.apply({NEO4J: batch})[NEO4J], batch
    finally:
        applier.close()


def test_writers_colliding_more_often_than_the_outage_limit_still_get_through():
    writer = ScriptedWriter(StoreBusy, fail=6)  # more than retry_attempts, under busy
    applier, result, batch = run(writer)
    assert result.outcome.applied == {j.event_id for j in batch}
    assert (result.retries, result.error) == (6, "")
    assert not applier.breaker.is_open(NEO4J)


def test_persistent_collisions_fail_the_group_but_leave_the_circuit_closed():
    writer = ScriptedWriter(StoreBusy, fail=100)
    applier, result, _ = run(writer)
    assert writer.calls == 8 and "scripted failure" in result.error
    assert not applier.breaker.is_open(NEO4J)  # later batches still try the store


def test_an_unavailable_store_fails_after_the_outage_limit_and_opens_its_circuit():
    writer = ScriptedWriter(StoreUnavailable, fail=100)
    applier, result, _ = run(writer)
    assert writer.calls == 3 and result.error
    assert applier.breaker.is_open(NEO4J)


class PoisonWriter:
    """Raises for any group holding a job whose entity id is in ``poison``."""

    name = NEO4J

    def __init__(self, poison: set[str], error: Exception) -> None:
        self.poison, self.error, self.calls = poison, error, 0

    def write(self, jobs: Sequence[Job]) -> StoreOutcome:
        self.calls += 1
        if any(j.event.entity_id in self.poison for j in jobs):
            raise self.error
        return StoreOutcome(applied={j.event_id for j in jobs})


def apply_with(writer: PoisonWriter, n: int = 8) -> tuple[Applier, GroupResult, list[Job]]:
    applier = Applier({NEO4J: writer}, CONFIG)
    batch = jobs(n)
    try:
        return applier, applier.apply({NEO4J: batch})[NEO4J], batch
    finally:
        applier.close()


def test_any_per_record_error_is_isolated_and_the_rest_are_applied():
    applier, result, batch = apply_with(PoisonWriter({"g3"}, ValueError("not a number")))
    bad = next(j for j in batch if j.event.entity_id == "g3")
    assert result.broken == {bad.event_id: "ValueError: not a number"}
    assert result.outcome.applied == {j.event_id for j in batch} - {bad.event_id}
    assert result.rejected == {} and result.error == ""
    assert not applier.breaker.is_open(NEO4J), "a record's fault is not an outage"


def test_a_refused_record_is_rejected_not_broken():
    refusal = StoreRejected(NEO4J, "bolt://test", "constraint")
    _, result, batch = apply_with(PoisonWriter({"g0"}, refusal))
    assert list(result.rejected) == [batch[0].event_id] and result.broken == {}


def test_every_job_of_a_write_that_raised_must_read_before_writing_again():
    # a timeout after the store applied the write: the retry must not append it again
    writer = ScriptedWriter(StoreUnavailable, fail=1)
    _, result, batch = run(writer)
    assert result.outcome.applied == {j.event_id for j in batch}
    assert all(j.tried == {NEO4J} and j.may_be_held_by(NEO4J) for j in batch)
