"""A run whose outcome could not be written is not stranded: it continues, and every record
lands exactly once (no duplicate warehouse rows, no double-counted pattern)."""

from __future__ import annotations

import dataclasses
import uuid

import pytest

from argo_agents.api import Argo
from argo_agents.orchestrator.errors import RunNotContinuableError
from argo_agents.stores.errors import StoreUnavailable
from tests.integration.test_sync_support import raw_row_counts
from tests.orchestration_support import CountingAgents, make_services

pytestmark = pytest.mark.integration

GOAL = "Research how competitors price their premium support plans"


@pytest.fixture(scope="module")
def services(endpoints, tmp_path_factory):
    svc = make_services(endpoints, tmp_path_factory.mktemp("continuation"))
    yield svc
    svc.close()


class FailingOutcome:
    """The real engine; publishing the outcome fails once, before or after Redis took it
    (a crash between the publish and the checkpoint)."""

    def __init__(self, real, *, after_append: bool) -> None:
        self.real, self.after_append, self.failed = real, after_append, False

    def publish(self, events):
        final = any(e.entity_type == "event" for e in events)
        if final and not self.failed:
            self.failed = True
            if self.after_append:
                self.real.publish(events)
            raise StoreUnavailable("redis", "test", "connection lost while publishing")
        return self.real.publish(events)

    def __getattr__(self, name):
        return getattr(self.real, name)


@pytest.mark.parametrize("after_append", [False, True], ids=["before-append", "after-append"])
def test_a_run_whose_outcome_failed_to_publish_continues_and_writes_once(services, after_append):
    agents = CountingAgents()
    earlier = Argo(services.settings, services=agents.attach(dataclasses.replace(services)))
    pattern_id = earlier.submit_goal(GOAL).integration["learned_pattern"]["id"]
    counted = _occurrences(services, pattern_id)

    engine = FailingOutcome(services.engine, after_append=after_append)
    svc = agents.attach(dataclasses.replace(services, engine=engine))
    argo = Argo(svc.settings, services=svc)
    thread = f"continue-{uuid.uuid4().hex[:8]}"
    with pytest.raises(StoreUnavailable):
        argo.submit_goal(GOAL, thread_id=thread)
    stalled = argo.get_run(thread)
    assert stalled.status == "stalled" and "sync_to_stores" in stalled.errors["run"]
    ran = sum(agents.calls.values())

    done = argo.continue_run(thread)
    assert done.status == "completed"
    assert sum(agents.calls.values()) == ran, "continuing re-runs no agent"
    assert done.sync_receipt.pending == 0 and done.sync_receipt.dead_lettered == 0
    services.engine.drain(timeout_s=60)
    goal_id = done.goal_id
    for table, row_id in (
        ("metrics", f"metric-{goal_id}-duration"),
        ("events", f"goal-completion-{goal_id}"),
    ):
        assert raw_row_counts(services.stores, table, [row_id]) == {row_id: 1}, table
    goal = services.stores.graph.get_nodes("Goal", [goal_id])[goal_id]
    assert goal["status"] == "completed"
    assert _occurrences(services, pattern_id) == counted + 1, "the run is counted once"
    with pytest.raises(RunNotContinuableError, match="completed"):
        argo.continue_run(thread)


def _occurrences(services, pattern_id: str) -> int:
    found = services.stores.records.get(f"pattern-stats:{pattern_id}")
    assert found is not None
    return int(found[1]["occurrences"])
