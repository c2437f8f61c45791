"""Auto-scaling: an instance is added under load and retired when idle, on the real stores."""

from __future__ import annotations

import pytest

from argo_agents.orchestrator.planning_nodes import pool_of
from tests.orchestration_support import CountingAgents, make_argo, make_services

pytestmark = pytest.mark.integration

GOAL = "Analyse the orders table and report its slowest queries"


def test_load_over_85_percent_adds_an_instance_and_idleness_retires_it(endpoints, tmp_path):
    services = make_services(endpoints, tmp_path)
    cache = services.stores.cache
    busy = {p.agent_id: p.max_workload for p in services.registry.profiles}
    try:
        for agent_id, n in busy.items():  # synthetic load: every agent at its capacity
            cache.add_workload(agent_id, n)
        run = make_argo(CountingAgents().attach(services)).submit_goal(GOAL, budget_usd=500)
        (added,) = pool_of(services).instances()
        assert added.agent_id not in busy and added.agent_id.split("-")[0] == added.kind
        assert added.agent_id in {a.agent_id for a in run.assignments.values()}  # it works
    finally:
        for agent_id, n in busy.items():
            cache.add_workload(agent_id, -n)
    services.engine.drain(timeout_s=60)
    scaled = services.stores.warehouse.query(
        "SELECT JSON_VALUE(content, '$.action') AS action, JSON_VALUE(content, '$.agent_id') AS "
        "agent FROM {dataset}.events_latest WHERE event_type = 'agent_scaled' "
        "AND JSON_VALUE(content, '$.goal_id') = @goal",
        {"goal": run.goal_id},
    )
    assert scaled == [{"action": "add", "agent": added.agent_id}]

    idle = make_argo(CountingAgents().attach(services)).submit_goal(GOAL, budget_usd=500)
    assert pool_of(services).instances() == []  # load under 30 %: the idle instance retired
    assert added.agent_id not in {a.agent_id for a in idle.assignments.values()}
    services.close()
