"""The warehouse's named analytic queries, run against the BigQuery emulator.

Rows are written under a fresh tag (agent ids, event types) and placed in
their own minute of the window, so the assertions see exactly this test's rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from argo_agents.analytics import queries
from argo_agents.config.endpoints import Endpoints
from argo_agents.stores.factory import open_warehouse
from argo_agents.stores.ports import WarehousePort
from argo_agents.stores.records import WarehouseRow

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def warehouse(endpoints: Endpoints) -> Iterator[WarehousePort]:
    wh = open_warehouse(endpoints)
    wh.setup()
    yield wh
    wh.close()


@pytest.fixture(scope="module")
def tag() -> str:
    return uuid.uuid4().hex[:8]


def activity(
    tag: str,
    n: int,
    agent: str,
    task: str,
    ok: bool,
    duration: float,
    at: datetime,
    *,
    version: int = 1,
) -> WarehouseRow:
    values: dict[str, Any] = {
        "id": f"act-{tag}-{n}",
        "version": version,
        "timestamp": at,
        "entity_type": "agent_activity",
        "agent_id": f"{agent}-{tag}",
        "task_id": f"task-{tag}-{task}",
        "activity_type": "analyze_performance",
        "success": ok,
        "duration_ms": round(duration * 1000),
        "content": {"task_type": f"optimize-{tag}"},
    }
    return WarehouseRow("agent_activities", f"act-{tag}-{n}|{version}", values)


@pytest.fixture(scope="module")
def seeded(warehouse: WarehousePort, tag: str) -> str:
    now = datetime.now(UTC)
    rows = [
        activity(tag, 1, "tech", "a", True, 100.0, now - timedelta(minutes=50)),
        activity(tag, 2, "research", "a", True, 300.0, now - timedelta(minutes=40)),
        activity(tag, 3, "tech", "b", False, 200.0, now - timedelta(minutes=30)),
        activity(tag, 4, "creative", "b", True, 50.0, now - timedelta(minutes=20)),
        activity(tag, 5, "tech", "c", True, 300.0, now - timedelta(minutes=10)),
        # A newer version of row 5: read through the latest view it counts once.
        activity(tag, 5, "tech", "c", True, 400.0, now - timedelta(minutes=10), version=2),
        # Outside every window but the history's 90 days.
        activity(tag, 6, "tech", "d", True, 900.0, now - timedelta(days=40)),
    ]
    # this test's own stretch of time, a few minutes into an hour so the five events
    # (seconds apart) never straddle an hour boundary (peak is counted per hour)
    base = (now - timedelta(days=6, hours=tag_hour(tag))).replace(minute=5, second=0, microsecond=0)
    sequence = ["created", "planned", "created", "planned", "done"]
    events = [
        WarehouseRow(
            "events",
            f"ev-{tag}-{i}|1",
            {
                "id": f"ev-{tag}-{i}",
                "version": 1,
                "event_type": f"{kind}-{tag}",
                "timestamp": base + timedelta(seconds=i),
                "content": {"n": i},
            },
        )
        for i, kind in enumerate(sequence)
    ]
    warehouse.insert_rows(rows + events)
    return tag


def tag_hour(tag: str) -> int:
    return int(tag[:2], 16) % 20  # spreads concurrent runs over different hours


def mine(rows: list[dict[str, Any]], tag: str, *keys: str) -> list[dict[str, Any]]:
    return [r for r in rows if all(str(r[k]).endswith(tag) for k in keys)]


def test_event_pattern_stats_per_type(warehouse: WarehousePort, seeded: str) -> None:
    rows = {
        r["event_type"]: r
        for r in mine(queries.event_pattern_stats(warehouse), seeded, "event_type")
    }
    assert rows[f"created-{seeded}"]["total_events"] == 2
    assert rows[f"created-{seeded}"]["active_days"] == 1
    assert rows[f"created-{seeded}"]["peak_events"] == 2
    assert rows[f"done-{seeded}"]["avg_events_per_hour"] == 1.0


def test_event_transitions_with_lag(warehouse: WarehousePort, seeded: str) -> None:
    rows = mine(
        queries.event_transitions(warehouse, min_frequency=0), seeded, "prev_event", "current_event"
    )
    pairs = {
        (r["prev_event"].split("-")[0], r["current_event"].split("-")[0]): r["frequency"]
        for r in rows
    }
    assert pairs == {("created", "planned"): 2, ("planned", "created"): 1, ("planned", "done"): 1}
    assert not mine(
        queries.event_transitions(warehouse, min_frequency=2), seeded, "prev_event", "current_event"
    )


def test_agent_collaboration_pairs_share_tasks(warehouse: WarehousePort, seeded: str) -> None:
    rows = mine(queries.agent_collaboration(warehouse), seeded, "agent1", "agent2")
    pairs = {(r["agent1"].split("-")[0], r["agent2"].split("-")[0]): r for r in rows}
    assert set(pairs) == {("research", "tech"), ("creative", "tech")}
    assert pairs[("research", "tech")]["success_rate"] == 1.0
    assert pairs[("creative", "tech")]["score"] == 0.0  # tech failed task b


def test_agent_performance_counts_successes(warehouse: WarehousePort, seeded: str) -> None:
    rows = {
        r["agent_id"]: r for r in mine(queries.agent_performance(warehouse), seeded, "agent_id")
    }
    tech = rows[f"tech-{seeded}"]
    assert tech["total_activities"] == 3  # row 5 once (latest version), row 6 out of window
    assert tech["successful_activities"] == 2
    assert tech["avg_duration_ms"] == pytest.approx((100 + 200 + 400) / 3 * 1000)
    assert tech["active_days"] >= 1


def test_agent_workload_over_the_last_day(warehouse: WarehousePort, seeded: str) -> None:
    rows = {r["agent_id"]: r for r in mine(queries.agent_workload(warehouse), seeded, "agent_id")}
    tech = rows[f"tech-{seeded}"]
    assert tech["total_tasks"] == 3
    assert tech["duration_variance"] == pytest.approx(152_752.5, abs=10)  # the seed's name
    assert tech["tasks_per_hour"] == pytest.approx(3.0)
    assert rows[f"creative-{seeded}"]["duration_variance"] is None


def test_task_history_by_action_or_task_type(warehouse: WarehousePort, seeded: str) -> None:
    rows = queries.task_history(warehouse, f"optimize-{seeded}", action=f"none-{seeded}")
    assert sorted(r["duration_ms"] for r in rows) == [
        50_000,
        100_000,
        200_000,
        300_000,
        400_000,
        900_000,
    ]
    assert rows[0]["timestamp"] >= rows[-1]["timestamp"]  # newest first
    assert not queries.task_history(warehouse, f"optimize-{seeded}", action="x", days=1, limit=0)
