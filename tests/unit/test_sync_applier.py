"""The applier's retry policy: colliding writers are retried harder, and never trip a circuit."""

from __future__ import annotations

from collections.abc import Sequence

from argo_agents.stores.errors import StoreBusy, StoreUnavailable
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
    events = [SyncEvent(entity_type="goal", entity_id=f"g{i}", data={}, version=1)
              for i in range(n)]
    return [Job(Delivery(None, e, 0), e, e.event_id, spec_for("goal"),  # type: ignore[arg-type]
                frozenset({NEO4J})) for e in events]


CONFIG = SyncConfig(retry_attempts=3, busy_attempts=8, retry_initial_s=0.001,
                    retry_max_s=0.002, breaker_initial_s=60)


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
