"""Prompts: every prompt file loads and its placeholders match what the code passes."""

from __future__ import annotations

import pytest

from argo_agents.planning import CAPABILITIES, CATEGORIES, PlanningContext
from argo_agents.planning.intents import parse_goal
from argo_agents.planning.llm import render_plan_prompt
from argo_agents.prompts import (
    PromptRenderError,
    load_prompt,
    placeholders,
    prompt_names,
    render_prompt,
)

PLAN_VALUES = {"goal", "categories", "capabilities", "patterns", "similar_goals"}


def test_the_package_ships_the_plan_and_agent_prompts() -> None:
    assert prompt_names() == ["agent_creative", "agent_research", "agent_technical", "plan"]


@pytest.mark.parametrize("name", prompt_names())
def test_every_prompt_loads_and_has_named_placeholders(name: str) -> None:
    text = load_prompt(name)
    assert text.strip()
    placeholders(text)  # raises on positional "{}" fields


def test_plan_prompt_placeholders_match_what_the_planner_passes() -> None:
    assert placeholders(load_prompt("plan")) == PLAN_VALUES


def test_plan_prompt_renders_goal_vocabulary_and_context() -> None:
    goal = "Deploy the billing service to production"
    ctx = PlanningContext(
        patterns=[{"id": "pat-9", "task_type": "deploy", "success_rate": 0.9,
                   "step_sequence": ["run_release_tests", "deploy_to_production"]}],
        similar_goals=[{"goal": "ship billing v1", "similarity": 0.77, "outcome": "success"}],
    )  # fmt: skip
    text = render_plan_prompt(goal, parse_goal(goal), ctx)
    assert goal in text
    assert all(c in text for c in CATEGORIES) and all(c in text for c in CAPABILITIES)
    assert "pat-9" in text and "ship billing v1" in text and "0.77" in text
    assert "$100" in text and "{" not in text.replace("{{", "")


def test_missing_and_extra_values_are_named() -> None:
    with pytest.raises(PromptRenderError) as err:
        render_prompt("plan", goal="g", categories="c", capabilities="x", colour="red")
    assert err.value.missing == {"patterns", "similar_goals"}
    assert err.value.extra == {"colour"}
    assert "similar_goals" in str(err.value) and "colour" in str(err.value)


def test_unknown_prompt_names_the_directory() -> None:
    with pytest.raises(FileNotFoundError, match="prompts"):
        load_prompt("no_such_prompt")


def test_prompt_name_cannot_escape_the_directory() -> None:
    with pytest.raises(ValueError, match="bare file stem"):
        load_prompt("../pyproject")


def test_escaped_braces_and_attribute_fields() -> None:
    assert placeholders("{{literal}} {step.id} {steps[0]} {goal}") == {"step", "steps", "goal"}
    with pytest.raises(ValueError, match="positional"):
        placeholders("a {} b")
