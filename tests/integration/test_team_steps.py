"""A step no single agent covers runs with its team: the teammate is asked and answers."""

from __future__ import annotations

import pytest

from tests.orchestration_support import make_argo, make_services

pytestmark = pytest.mark.integration

OPTIMIZE = "Optimise the checkout service's query latency"


def test_the_team_chosen_at_assignment_takes_part_in_the_step(endpoints, tmp_path):
    services = make_services(endpoints, tmp_path)
    try:
        run = make_argo(services).submit_goal(OPTIMIZE, budget_usd=1_000)
        assert run.status == "completed", run.errors
        team = run.assignments["identify_bottlenecks"].team
        assert team is not None and team.members == ["research-1", "technical-1"]
        result = run.results["identify_bottlenecks"]
        assert result.team == ["technical-1"]  # asked, and its answer used
        asked = [t for t in result.tool_calls if t.tool == "ask_agent"]
        assert [t.args["agent_id"] for t in asked] == ["technical-1"]
        # a step its agent covers alone asks no teammate
        assert run.results["analyze_performance"].team == []
    finally:
        services.close()
