"""The orchestrator's drawing reads as the design, and the graph compiles without stores."""

from __future__ import annotations

import pytest

from argo_agents.orchestrator.errors import InvalidGoalError
from argo_agents.orchestrator.graph import build_orchestrator
from argo_agents.planning.goal_input import validate_goal_input
from argo_agents.planning.offline import plan_offline


def _no_services():
    raise AssertionError("building the graph must not open any store")


def test_drawing_shows_the_designed_path():
    mermaid = build_orchestrator(_no_services).compile().get_graph().draw_mermaid()
    for node in (
        "interpret_goal",
        "decompose_goal",
        "assign_agents",
        "await_approval",
        "run_agent_step",
        "collect_results",
        "integrate_results",
        "sync_to_stores",
    ):
        assert node in mermaid
    assert "decompose_goal --> assign_agents" in mermaid
    assert "integrate_results --> sync_to_stores" in mermaid


def test_levels_group_steps_that_can_run_together():
    plan = plan_offline("Deploy the payments API to production")
    groups = plan.levels()
    assert groups[0] == ["review_release_readiness"]
    assert set(groups[1]) == {"run_release_tests", "scan_release_security", "prepare_rollback_plan"}
    assert groups[-1] == ["monitor_rollout"]


@pytest.mark.parametrize(
    "goal, budget",
    [("", None), ("   ", None), ("x" * 10_001, None), ("ok goal", -5), ("ok goal", "ten")],
)
def test_bad_goal_input_is_refused_with_a_typed_error(goal, budget):
    with pytest.raises(InvalidGoalError):
        validate_goal_input(goal, budget)


def test_studio_shows_what_each_per_run_knob_means():
    schema = build_orchestrator(_no_services).compile().get_context_jsonschema()
    assert schema is not None
    knobs = schema["properties"]
    assert {"max_step_attempts", "budget_threshold_usd", "max_agent_tool_calls"} <= set(knobs)
    for name, spec in knobs.items():
        assert spec.get("description"), f"context field {name} has no description"


def test_studio_form_requires_a_goal_and_explains_each_field():
    schema = build_orchestrator(_no_services).compile().get_input_jsonschema()
    assert schema["required"] == ["goal"]
    assert set(schema["properties"]) == {"goal", "budget_usd", "director"}
    assert all(spec.get("description") for spec in schema["properties"].values())
