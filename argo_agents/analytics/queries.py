"""The warehouse's named analytic queries (docs/store-model.md), as parameterized SQL.

Each query reads the ``*_latest`` views, so the append-only tables'
re-delivered or re-versioned rows count once. Windows and thresholds are query
parameters (``@days``...), never formatted into the SQL; ``{dataset}`` is
expanded by the warehouse adapter. The functions return rows as dicts.
Per-agent queries skip rows without an agent (collaboration records share the
``agent_activities`` table).
"""

from __future__ import annotations

from collections.abc import Sequence
from statistics import mean
from typing import Any

from argo_agents.stores.ports import WarehousePort

Rows = list[dict[str, Any]]

# Per event type over the window: days active, total, mean and peak per hour.
EVENT_PATTERN_STATS = """
WITH event_stats AS (
  SELECT event_type, DATE(timestamp) AS event_date, EXTRACT(HOUR FROM timestamp) AS event_hour,
         COUNT(*) AS event_count
  FROM {dataset}.events_latest
  WHERE timestamp > TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL @days DAY)
  GROUP BY event_type, event_date, event_hour
)
SELECT event_type, COUNT(DISTINCT event_date) AS active_days, SUM(event_count) AS total_events,
       AVG(event_count) AS avg_events_per_hour, MAX(event_count) AS peak_events
FROM event_stats
GROUP BY event_type
ORDER BY total_events DESC, event_type
"""

# Pairs of agents that worked on the same task (each pair once: a1 < a2).
AGENT_COLLABORATION = """
WITH pairs AS (
  SELECT a1.agent_id AS agent1, a2.agent_id AS agent2, COUNT(*) AS interactions,
         AVG(CASE WHEN a1.success AND a2.success THEN 1 ELSE 0 END) AS success_rate
  FROM {dataset}.agent_activities_latest a1
  JOIN {dataset}.agent_activities_latest a2
    ON a1.task_id = a2.task_id AND a1.agent_id < a2.agent_id
  WHERE a1.timestamp > TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL @days DAY)
  GROUP BY agent1, agent2
  HAVING COUNT(*) >= @min_interactions
)
SELECT agent1, agent2, interactions, success_rate, interactions * success_rate AS score
FROM pairs
ORDER BY score DESC, interactions DESC, agent1, agent2
"""

AGENT_PERFORMANCE = """
SELECT agent_id, COUNT(*) AS total_activities, COUNTIF(success = TRUE) AS successful_activities,
       AVG(duration_ms) AS avg_duration_ms, COUNT(DISTINCT DATE(timestamp)) AS active_days
FROM {dataset}.agent_activities_latest
WHERE timestamp > TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL @days DAY) AND agent_id IS NOT NULL
GROUP BY agent_id
ORDER BY successful_activities DESC, agent_id
"""

# Whole elapsed hours via seconds: BigQuery's HOUR diff truncates the duration,
# the emulator's (DuckDB) counts hour boundaries crossed; seconds agree on both.
AGENT_WORKLOAD = """
SELECT agent_id, COUNT(*) AS total_tasks, AVG(duration_ms) AS avg_duration,
       STDDEV(duration_ms) AS duration_variance,
       COUNT(*) / (DIV(TIMESTAMP_DIFF(MAX(timestamp), MIN(timestamp), SECOND), 3600) + 1)
         AS tasks_per_hour
FROM {dataset}.agent_activities_latest
WHERE timestamp > TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL @hours HOUR) AND agent_id IS NOT NULL
GROUP BY agent_id
ORDER BY tasks_per_hour DESC, agent_id
"""

# LAG must be computed before grouping (the source's one-level version is not
# valid BigQuery: analytic functions cannot be grouped by directly).
EVENT_TRANSITIONS = """
WITH seq AS (
  SELECT LAG(event_type) OVER (ORDER BY timestamp, id) AS prev_event, event_type AS current_event
  FROM {dataset}.events_latest
  WHERE timestamp > TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL @days DAY)
)
SELECT prev_event, current_event, COUNT(*) AS frequency
FROM seq
WHERE prev_event IS NOT NULL
GROUP BY prev_event, current_event
HAVING COUNT(*) > @min_frequency
ORDER BY frequency DESC, prev_event, current_event
"""

# Recent activities of one action (activity_type) or one task type (content.task_type).
TASK_HISTORY = """
SELECT agent_id, task_id, activity_type, success, duration_ms, timestamp
FROM {dataset}.agent_activities_latest
WHERE (activity_type = @action OR JSON_VALUE(content, '$.task_type') = @task_type)
  AND timestamp > TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL @days DAY)
ORDER BY timestamp DESC, id
LIMIT @limit
"""


# Recent runs of one action (activity_type), each with its record id for citation;
# rows with a partner are collaboration records, not step runs.
STEP_HISTORY = """
SELECT id, agent_id, task_id, activity_type, success, duration_ms, timestamp
FROM {dataset}.agent_activities_latest
WHERE activity_type = @action AND task_id <> @exclude_task_id
  AND JSON_VALUE(content, '$.partner_id') IS NULL
  AND timestamp > TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL @days DAY)
ORDER BY timestamp DESC, id
LIMIT @limit
"""


# Recent runs of several actions at once (what the planner learns estimates, failure
# points and agent records from); collaboration rows (with a partner) are left out.
ACTION_RUNS = """
SELECT id, agent_id, task_id, activity_type, success, duration_ms, timestamp,
       JSON_VALUE(content, '$.prepared') AS prepared
FROM {dataset}.agent_activities_latest
WHERE activity_type IN UNNEST(@actions) AND task_id <> @exclude_task_id
  AND agent_id IS NOT NULL AND JSON_VALUE(content, '$.partner_id') IS NULL
  AND timestamp > TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL @days DAY)
ORDER BY timestamp DESC, id
LIMIT @limit
"""

# The Director's approval decisions on steps of some goals (the gate's audit records).
DIRECTOR_DECISIONS = """
SELECT id, actor, action AS decision, content, timestamp
FROM {dataset}.audit_logs_latest
WHERE action IN ('approve', 'reject', 'edit')
  AND JSON_VALUE(content, '$.goal_id') IN UNNEST(@goal_ids)
  AND JSON_VALUE(content, '$.step_id') IN UNNEST(@actions)
ORDER BY timestamp DESC, id
LIMIT @limit
"""

# How each pair of agents did when one's step fed the other's (collaboration rows).
PAIR_RECORDS = """
SELECT agent_id AS agent1, JSON_VALUE(content, '$.partner_id') AS agent2,
       COUNT(*) AS interactions, COUNTIF(success = TRUE) AS successes
FROM {dataset}.agent_activities_latest
WHERE JSON_VALUE(content, '$.partner_id') IS NOT NULL AND agent_id IS NOT NULL
  AND timestamp > TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL @days DAY)
GROUP BY agent1, agent2
ORDER BY agent1, agent2
"""


def action_runs(
    warehouse: WarehousePort,
    actions: Sequence[str],
    *,
    exclude_task_id: str = "",
    days: int = 90,
    limit: int = 500,
) -> Rows:
    """Recent runs of any of ``actions`` in other goals, newest first, with row ids."""
    if not actions:
        return []
    params = {
        "actions": list(actions),
        "exclude_task_id": exclude_task_id,
        "days": days,
        "limit": limit,
    }
    return warehouse.query(ACTION_RUNS, params)


def director_decisions(
    warehouse: WarehousePort, goal_ids: Sequence[str], actions: Sequence[str], *, limit: int = 200
) -> Rows:
    """The Director's decisions on ``actions`` in the goals ``goal_ids``, newest first.

    Each row has ``id``, ``actor``, ``decision``, ``content`` (the audit record) and
    ``timestamp``.
    """
    if not goal_ids or not actions:
        return []
    params = {"goal_ids": list(goal_ids), "actions": list(actions), "limit": limit}
    return warehouse.query(DIRECTOR_DECISIONS, params)


def pair_records(warehouse: WarehousePort, *, days: int = 90) -> Rows:
    """Per pair of agents that collaborated: interactions and successful ones."""
    return warehouse.query(PAIR_RECORDS, {"days": days})


def event_pattern_stats(warehouse: WarehousePort, *, days: int = 7) -> Rows:
    """Per event type: active days, total, average and peak events per hour."""
    return warehouse.query(EVENT_PATTERN_STATS, {"days": days})


def agent_collaboration(
    warehouse: WarehousePort, *, days: int = 30, min_interactions: int = 1
) -> Rows:
    """Agent pairs sharing tasks: interactions, joint success rate, score (= product)."""
    params = {"days": days, "min_interactions": min_interactions}
    return warehouse.query(AGENT_COLLABORATION, params)


def agent_performance(warehouse: WarehousePort, *, days: int = 7) -> Rows:
    """Per agent: activities, successes (COUNTIF), mean duration, active days."""
    return warehouse.query(AGENT_PERFORMANCE, {"days": days})


def agent_workload(warehouse: WarehousePort, *, hours: int = 24) -> Rows:
    """Per agent: tasks, mean and stddev of duration, tasks per hour."""
    return warehouse.query(AGENT_WORKLOAD, {"hours": hours})


def event_transitions(warehouse: WarehousePort, *, days: int = 7, min_frequency: int = 10) -> Rows:
    """Which event type follows which, and how often (for predictive caching)."""
    return warehouse.query(EVENT_TRANSITIONS, {"days": days, "min_frequency": min_frequency})


def task_history(
    warehouse: WarehousePort,
    task_type: str,
    *,
    action: str | None = None,
    days: int = 90,
    limit: int = 200,
) -> Rows:
    """Recent activities of ``action`` or of the task type ``task_type``, newest first."""
    params = {"task_type": task_type, "action": action or task_type, "days": days, "limit": limit}
    return warehouse.query(TASK_HISTORY, params)


def step_history(
    warehouse: WarehousePort,
    action: str,
    *,
    exclude_task_id: str = "",
    days: int = 90,
    limit: int = 50,
) -> Rows:
    """Recent runs of ``action`` in other goals (``task_id``), newest first, with row ids."""
    params = {"action": action, "exclude_task_id": exclude_task_id, "days": days, "limit": limit}
    return warehouse.query(STEP_HISTORY, params)


def predict_completion_s(
    similar_durations: Sequence[float], speed_factor: float, load: float
) -> float:
    """Mean of similar durations × agent speed × load factor (1 + (load − 0.5) × 0.5)."""
    if not similar_durations:
        raise ValueError("no similar durations to predict from; pass at least one duration")
    return mean(similar_durations) * speed_factor * (1 + (load - 0.5) * 0.5)
