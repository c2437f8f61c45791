"""Typed events of a goal run as it streams (`Argo.stream_goal`, `astream_goal`, ...).

Built from LangGraph's ``updates`` and ``custom`` stream modes, so the same
information reaches Studio and `langgraph-sdk` clients. The last event of every
stream is `RunEnded`, carrying the run as `get_run` would return it (possibly
paused for approval).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from argo_agents.approval.escalation import Escalation
from argo_agents.approval.policy import ApprovalRequest
from argo_agents.assignment.scoring import Assignment
from argo_agents.planning.models import ExecutionPlan

if TYPE_CHECKING:
    from argo_agents.api import GoalRun


class PlanReady(BaseModel):
    """The goal is decomposed: its plan (validated)."""

    kind: Literal["plan_ready"] = "plan_ready"
    plan: ExecutionPlan


class AgentsAssigned(BaseModel):
    """Each step has its agent."""

    kind: Literal["agents_assigned"] = "agents_assigned"
    assignments: dict[str, Assignment]


class StepFinished(BaseModel):
    """A step ended (done, prepared, failed or skipped)."""

    kind: Literal["step_finished"] = "step_finished"
    step_id: str
    status: str
    error: str = ""


class Progress(BaseModel):
    """Progress a long node reported while it runs (LangGraph's custom stream)."""

    kind: Literal["progress"] = "progress"
    data: dict[str, Any] = Field(default_factory=dict)


class ApprovalRequested(BaseModel):
    """The run paused: these steps wait for the Director."""

    kind: Literal["approval_requested"] = "approval_requested"
    approvals: list[ApprovalRequest]


class EscalationRequested(BaseModel):
    """The run paused: an agent cannot proceed and asks the Director (answer with
    `Argo.answer`, or `argo answer THREAD ESCALATION_ID OPTION`)."""

    kind: Literal["escalation_requested"] = "escalation_requested"
    escalations: list[Escalation]


class Synced(BaseModel):
    """The outcome was written through the sync engine (the receipt's figures)."""

    kind: Literal["synced"] = "synced"
    receipt: dict[str, Any]


class RunEnded(BaseModel):
    """The stream is over: the run as it now stands (``run.status`` says how)."""

    kind: Literal["run_ended"] = "run_ended"
    run: GoalRun


RunEvent = (
    PlanReady
    | AgentsAssigned
    | StepFinished
    | Progress
    | ApprovalRequested
    | EscalationRequested
    | Synced
    | RunEnded
)


def events_of_update(update: Mapping[str, Any]) -> Iterator[RunEvent]:
    """The events one ``updates`` chunk ({node: state update}) stands for."""
    for node, change in update.items():
        if node == "__interrupt__":
            for item in change:
                yield _interrupt_event(getattr(item, "value", None) or {})
            continue
        if not isinstance(change, dict):
            continue
        if change.get("plan"):
            yield PlanReady(plan=ExecutionPlan.model_validate(change["plan"]))
        if change.get("assignments"):
            found = {k: Assignment.model_validate(v) for k, v in change["assignments"].items()}
            yield AgentsAssigned(assignments=found)
        errors = change.get("errors")
        errors = errors if isinstance(errors, dict) else {}
        statuses = change.get("step_status")
        for step_id, status in (statuses if isinstance(statuses, dict) else {}).items():
            if status not in ("pending", "awaiting_director"):  # not finished
                yield StepFinished(step_id=step_id, status=status, error=errors.get(step_id, ""))
        if change.get("sync_receipt"):
            yield Synced(receipt=dict(change["sync_receipt"]))


def _interrupt_event(value: Any) -> RunEvent:
    """What the gate's interrupt asks: the agents' escalations, or approvals."""
    value = value if isinstance(value, dict) else {}
    if value.get("escalations"):
        return EscalationRequested(
            escalations=[Escalation.model_validate(e) for e in value["escalations"]]
        )
    approvals = value.get("approvals", [])
    return ApprovalRequested(approvals=[ApprovalRequest.model_validate(a) for a in approvals])


def rebuild_models() -> None:
    """Resolve `RunEnded.run` once `GoalRun` exists (called by `argo_agents.api`)."""
    from argo_agents.api import GoalRun

    RunEnded.model_rebuild(_types_namespace={"GoalRun": GoalRun})
