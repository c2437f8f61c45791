"""The Strategic Orchestrator's state: what goes in, what is tracked, what comes out.

State holds plain JSON (model dumps), never connections or credentials, so a
checkpoint can be resumed by any process and rendered by Studio.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, Literal

from typing_extensions import TypedDict

StepStatus = Literal["pending", "ready", "done", "failed", "skipped"]
RunStatus = Literal["planning", "awaiting_approval", "running", "completed", "failed", "rejected"]


def merge(left: dict[str, Any] | None, right: dict[str, Any] | None) -> dict[str, Any]:
    """Reducer: parallel steps each add their own keys."""
    return {**(left or {}), **(right or {})}


class InputState(TypedDict, total=False):
    """What a Director submits."""

    goal: str
    """The goal in the Director's words."""
    budget_usd: float | None
    """Hard limit on the sum of approved estimated step costs."""
    director: str | None
    """Who submitted the goal; recorded on every approval decision."""


class OutputState(TypedDict, total=False):
    """What a finished (or paused) run reports."""

    run_id: str
    """This goal's run on the thread; a new goal on the thread is a new run."""
    goal_id: str
    status: RunStatus
    plan: dict[str, Any]
    assignments: dict[str, dict[str, Any]]
    step_status: dict[str, StepStatus]
    results: dict[str, dict[str, Any]]
    approval_ledger: list[dict[str, Any]]
    """A copy of the gate's decisions for this run; the gate trusts only its own record."""
    integration: dict[str, Any]
    sync_receipt: dict[str, Any]
    errors: dict[str, str]


class State(InputState, OutputState, total=False):
    """Everything the orchestrator tracks between nodes."""

    planning_context: dict[str, Any]
    """Patterns and similar past goals read from the stores for the planner."""
    pending_approvals: list[dict[str, Any]]
    """The approvals the Director has not decided yet (the interrupt payload)."""
    approval_error: str | None
    """Why the last resume value was refused; shown in the next interrupt."""
    step_status: Annotated[dict[str, StepStatus], merge]  # type: ignore[misc]
    results: Annotated[dict[str, dict[str, Any]], merge]  # type: ignore[misc]
    errors: Annotated[dict[str, str], merge]
    """Why a step failed or was skipped, by step id."""
    attempts: Annotated[dict[str, int], merge]
    started_at: str
    published: Annotated[list[str], operator.add]  # type: ignore[misc]
    """Event ids of every record this run has published (what its receipt waits for)."""


class StepTask(TypedDict):
    """The payload `Send` gives one parallel step run."""

    goal: str
    goal_id: str
    run_id: str
    started_at: str
    intent: str
    subject: str
    plan: dict[str, Any]
    step: dict[str, Any]
    assignment: dict[str, Any]
    upstream: dict[str, dict[str, Any]]
