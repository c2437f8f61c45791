"""What a goal submitted by a Director must be before anything is planned."""

from __future__ import annotations

from typing import Any

from argo_agents.approval.budget import BudgetValueError, check_amount

MAX_GOAL_CHARS = 10_000


class InvalidGoalError(ValueError):
    """A goal that cannot be planned (empty, too long, a bad budget)."""


def validate_goal_input(goal: Any, budget_usd: Any, director: Any = None) -> str:
    """The goal text, stripped; raises `InvalidGoalError` saying what is wrong."""
    if not isinstance(goal, str) or not goal.strip():
        raise InvalidGoalError(
            "the goal is empty: describe what you want done, e.g. "
            "'optimise the checkout service's query latency by 40%'"
        )
    if len(goal) > MAX_GOAL_CHARS:
        raise InvalidGoalError(
            f"the goal has {len(goal)} characters; the limit is "
            f"{MAX_GOAL_CHARS}: summarise it and attach details later"
        )
    try:
        goal.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidGoalError(
            "the goal is not valid text (it holds a lone surrogate, e.g. "
            "from a terminal in another encoding): retype it"
        ) from exc
    try:
        check_amount("budget_usd", budget_usd)
    except BudgetValueError as exc:
        raise InvalidGoalError(str(exc)) from exc
    if director is not None and (not isinstance(director, str) or len(director) > 200):
        raise InvalidGoalError("director must be a name of at most 200 characters")
    return goal.strip()
