"""`--json` for the commands that drive a run: one JSON object per typed run event.

Each line of stdout is one event of `argo_agents.run_events`, as its model
dumps it: ``{"kind": "plan_ready" | "agents_assigned" | "step_finished" |
"progress" | "approval_requested" | ... | "run_ended", ...}``; the last line of a
stream is ``run_ended`` with the whole run. Diagnostics go to stderr, so a
script reads stdout line by line with any JSON parser.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from argo_agents.cli.json_output import diagnostics, print_json
from argo_agents.run_events import RunEnded, RunEvent

if TYPE_CHECKING:
    from argo_agents.api import Argo, GoalRun


def emit(event: RunEvent) -> None:
    """One event as one line of stdout (flushed: a reader sees it as it happens)."""
    print_json(event.model_dump(mode="json"))


def emit_stream(events: Iterable[RunEvent]) -> GoalRun:
    """Print every event of a run's stream; the run as it ended."""
    ended: GoalRun | None = None
    for event in events:
        emit(event)
        if isinstance(event, RunEnded):
            ended = event.run
    if ended is None:  # pragma: no cover - every stream ends with RunEnded
        raise RuntimeError("the run's stream ended without run_ended")
    return ended


def run_goal_json(
    argo: Argo, goal: str, budget: float | None, director: str | None, approve_all: bool
) -> GoalRun:
    """`argo run --json`: the goal's events; with ``approve_all``, each pause is approved
    and the resumed run's events follow. Never asks on the terminal."""
    run = emit_stream(argo.stream_goal(goal, budget_usd=budget, director=director))
    while run.status == "awaiting_approval" and approve_all:
        decisions = {p.step_id: "approve" for p in run.pending_approvals}
        run = emit_stream(argo.stream_resume(run.thread_id, decisions, director=director))
    if run.status == "awaiting_approval":
        diagnostics.print(f"paused; decide with: argo approve {run.thread_id} --json")
    return run
