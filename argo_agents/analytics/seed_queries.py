"""The source design's four analytic queries, verbatim, against ARGO's warehouse.

Only the dataset prefix changes (`argo-813.argo_warehouse.` becomes the
configured dataset): the columns they read (``event_type``, ``timestamp``,
``agent_id``, ``task_id``, ``success``, ``duration_ms``) are ARGO's own, so
dashboards written for the design run unchanged. `argo analytics NAME` runs
them; `analytics/queries.py` holds ARGO's parameterised versions.
"""

from __future__ import annotations

import re
from typing import Any

from argo_agents.stores.ports import WarehousePort

SEED_QUERIES: dict[str, str] = {
    "event_patterns": """
WITH event_stats AS (
    SELECT 
        event_type,
        DATE(timestamp) as event_date,
        EXTRACT(HOUR FROM timestamp) as event_hour,
        COUNT(*) as event_count
    FROM `argo-813.argo_warehouse.events`
    WHERE timestamp > TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL 7 DAY)
    GROUP BY event_type, event_date, event_hour
)
SELECT 
    event_type,
    COUNT(DISTINCT event_date) as active_days,
    SUM(event_count) as total_events,
    AVG(event_count) as avg_events_per_hour,
    MAX(event_count) as peak_events
FROM event_stats
GROUP BY event_type
ORDER BY total_events DESC
""",
    "collaboration_pairs": """
WITH agent_pairs AS (
    SELECT 
        a1.agent_id as agent1,
        a2.agent_id as agent2,
        COUNT(*) as interactions
    FROM `argo-813.argo_warehouse.agent_activities` a1
    JOIN `argo-813.argo_warehouse.agent_activities` a2
        ON a1.task_id = a2.task_id
        AND a1.agent_id < a2.agent_id
    WHERE a1.timestamp > TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL 30 DAY)
    GROUP BY agent1, agent2
)
SELECT *
FROM agent_pairs
ORDER BY interactions DESC
""",
    "agent_performance": """
SELECT 
    agent_id,
    COUNT(*) as total_activities,
    COUNTIF(success = TRUE) as successful_activities,
    AVG(duration_ms) as avg_duration_ms,
    COUNT(DISTINCT DATE(timestamp)) as active_days
FROM `argo-813.argo_warehouse.agent_activities`
WHERE timestamp > TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL 7 DAY)
GROUP BY agent_id
ORDER BY successful_activities DESC
""",
    "agent_workload": """
SELECT 
    agent_id,
    COUNT(*) as total_tasks,
    AVG(duration_ms) as avg_duration,
    STDDEV(duration_ms) as duration_variance,
    COUNT(*) / (TIMESTAMP_DIFF(MAX(timestamp), MIN(timestamp), HOUR) + 1) as tasks_per_hour
FROM `argo-813.argo_warehouse.agent_activities`
WHERE timestamp > TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL 24 HOUR)
GROUP BY agent_id
ORDER BY tasks_per_hour DESC
""",
}

_SEED_TABLE = re.compile(r"`argo-813\.argo_warehouse\.(\w+)`")


class UnknownQueryError(KeyError):
    """No seed query by that name; the message lists the names."""

    def __str__(self) -> str:
        return str(self.args[0])


def seed_sql(name: str) -> str:
    """The query with its dataset prefix made ARGO's (``{dataset}``, filled by the adapter)."""
    if name not in SEED_QUERIES:
        raise UnknownQueryError(
            f"no analytic query {name!r}; choose one of {', '.join(SEED_QUERIES)}"
        )
    return _SEED_TABLE.sub(r"{dataset}.\1", SEED_QUERIES[name])


def run_seed_query(warehouse: WarehousePort, name: str) -> list[dict[str, Any]]:
    """Rows of the named query over the warehouse's raw tables."""
    return warehouse.query(seed_sql(name))
