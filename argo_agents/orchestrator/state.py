"""The Strategic Orchestrator's state: what goes in, what is tracked, what comes out.

State holds plain JSON (model dumps), never connections or credentials, so a
checkpoint can be resumed by any process and rendered by Studio. Nodes read a
dump through its accessor (`plan_of`, `assignments_of`, `results_of`,
`ledger_of`), which parses it once into its model.
"""

from __future__ import annotations

import operator
from collections.abc import Collection, Mapping
from typing import Annotated, Literal, NotRequired, TypeVar

from pydantic import BaseModel, ConfigDict, TypeAdapter
from typing_extensions import TypedDict

from argo_agents.agents.models import ModelDump, StepResult
from argo_agents.approval.decisions import LedgerEntry
from argo_agents.assignment.scoring import Assignment
from argo_agents.executors.models import ExecutionRecord
from argo_agents.planning.models import ExecutionPlan, dependents_closure

StepStatus = Literal[
    "pending", "ready", "done", "prepared", "failed", "skipped", "awaiting_director"
]
"""``prepared``: a step that would change the world ran to its change plan, but no executor
acted for it (none is configured), so nothing outside ARGO was changed.
``awaiting_director``: its agent escalated; it runs again once the Director answers."""
RunStatus = Literal["planning", "awaiting_approval", "running", "completed", "failed", "rejected"]
FINISHED: tuple[StepStatus, ...] = ("done", "prepared", "failed", "skipped")


def unfinished_dependents(
    plan: ExecutionPlan, roots: Collection[str], status: Mapping[str, str]
) -> set[str]:
    """The steps that need one of ``roots`` and have not finished: they will not run now."""
    return {sid for sid in dependents_closure(plan, roots) if status.get(sid) not in FINISHED}


V = TypeVar("V")


def merge(left: dict[str, V] | None, right: dict[str, V] | None) -> dict[str, V]:
    """Reducer: parallel steps each add their own keys."""
    return {**(left or {}), **(right or {})}


class StepRun(StepResult):
    """A step that ran: its agent's `StepResult`, with how the run got it."""

    attempts: int = 1
    duration_s: float = 0.0
    execution: ExecutionRecord | None = None
    """The executor's call, when one acted for the step (its status is then ``done``)."""
    not_executed: str = ""
    """Why a step that would change the world was only prepared (its status ``prepared``)."""


class StepFailure(BaseModel):
    """A step that failed (or was refused): why, instead of a result."""

    step_id: str
    agent_id: str
    agent_kind: str = ""
    failed: Literal[True]
    error: str = ""
    duration_s: float = 0.0


StepOutcome = StepRun | StepFailure
"""What ``results`` holds for a step: `StepRun`, or `StepFailure` when it failed."""


class LearnedPattern(TypedDict):
    """The execution pattern a run followed (what later plans learn from)."""

    id: str
    task_type: str
    name: str
    step_sequence: list[str]
    agent_types: list[str]
    success: bool
    failure_points: list[str]
    duration_s: float


class ExecutorCall(TypedDict):
    """One executor call of a run, as its integration lists it."""

    step_id: str
    executor: str
    target: str
    approval_id: str


class Integration(TypedDict):
    """The run's results combined: by step, by agent, with its final status."""

    status: RunStatus
    steps_done: list[str]
    # NotRequired: a run integrated before executors existed still reads back
    steps_prepared: NotRequired[list[str]]
    """Steps that would change the world but that no executor acted for."""
    steps_executed: NotRequired[list[str]]
    """Steps an executor acted for, after their approval."""
    executor_calls: NotRequired[list[ExecutorCall]]
    steps_failed: list[str]
    steps_skipped: list[str]
    by_step: dict[str, str]
    """Each step's summary, or its error when it failed."""
    by_agent: dict[str, list[str]]
    success_rate: float
    duration_s: float
    learned_pattern: LearnedPattern


class InputState(TypedDict, total=False):
    """The input's channels in the run's state (the graph's input schema is `GoalInput`)."""

    goal: str
    """The goal in the Director's words."""
    budget_usd: float | None
    """Hard limit on the sum of approved estimated step costs."""
    director: str | None
    """Who submitted the goal; recorded on every approval decision."""


class GoalInput(TypedDict):
    """A Director's goal: what the orchestrator graph takes as input (Studio's form)."""

    # Studio and the server's API show the docstring under each field as its description.
    __pydantic_config__ = ConfigDict(use_attribute_docstrings=True)  # type: ignore[misc]

    goal: str
    """The goal in the Director's words, e.g. "optimise the checkout service's query
    latency by 40%"."""
    budget_usd: NotRequired[float | None]
    """Hard limit on the sum of approved estimated step costs (USD); unset: none."""
    director: NotRequired[str | None]
    """Who submits the goal; recorded on every approval decision (the authenticated user
    when the server has ARGO_DIRECTOR_TOKENS)."""


class OutputState(TypedDict, total=False):
    """What a finished (or paused) run reports."""

    run_id: str
    """This goal's run on the thread; a new goal on the thread is a new run."""
    goal_id: str
    status: RunStatus
    plan: ModelDump | None
    """The `ExecutionPlan`; None until the planner has made it."""
    assignments: dict[str, ModelDump]
    """An `Assignment` per step id."""
    step_status: dict[str, StepStatus]
    results: dict[str, ModelDump]
    """A `StepOutcome` per step id that has finished."""
    approval_ledger: list[ModelDump]
    """A copy of the gate's decisions (`LedgerEntry`) for this run; the gate trusts only
    its own record."""
    integration: Integration | None
    sync_receipt: ModelDump | None
    """The `SyncReceipt` of every record the run published."""
    errors: dict[str, str]
    escalations: dict[str, ModelDump]
    """A copy of the gate's escalation record (`Escalation` per id, with its answer once
    given); the gate and the steps trust only the record."""


class State(InputState, OutputState, total=False):
    """Everything the orchestrator tracks between nodes."""

    planning_context: ModelDump
    """The `PlanningContext`: patterns and similar past goals read from the stores."""
    pending_approvals: list[ModelDump]
    """The approvals the Director has not decided yet (the interrupt payload)."""
    approval_error: str | None
    """Why the last resume value was refused; shown in the next interrupt."""
    model: str | None
    """The chat model the run was submitted with (`Context.model`; None: the deployment's).
    Kept in the state so a run resumed later, by a caller with another context, keeps it."""
    step_status: Annotated[dict[str, StepStatus], merge]  # type: ignore[misc]
    results: Annotated[dict[str, ModelDump], merge]  # type: ignore[misc]
    errors: Annotated[dict[str, str], merge]
    """Why a step failed or was skipped, by step id."""
    attempts: Annotated[dict[str, int], merge]
    escalations: Annotated[dict[str, ModelDump], merge]  # type: ignore[misc]
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
    plan: ModelDump
    step: ModelDump
    assignment: ModelDump
    upstream: dict[str, ModelDump]
    model: NotRequired[str | None]
    """The chat model the run was submitted with (`State.model`)."""


_OUTCOMES: TypeAdapter[dict[str, StepOutcome]] = TypeAdapter(dict[str, StepOutcome])


def plan_of(state: State | StepTask) -> ExecutionPlan:
    """The run's plan (KeyError or ValidationError before the planner has made one)."""
    return ExecutionPlan.model_validate(state["plan"])


def assignments_of(state: State) -> dict[str, Assignment]:
    """Which agent runs each step (empty before agents are assigned)."""
    return {
        sid: Assignment.model_validate(a) for sid, a in (state.get("assignments") or {}).items()
    }


def results_of(state: State) -> dict[str, StepOutcome]:
    """What each finished step produced, or why it failed."""
    return _OUTCOMES.validate_python(state.get("results") or {})


def ledger_of(state: State) -> list[LedgerEntry]:
    """The copy of the gate's decisions kept in the state (for readers, never trusted)."""
    return [LedgerEntry.model_validate(e) for e in state.get("approval_ledger") or []]


def integration_of(state: State) -> Integration:
    """The run's combined results (KeyError before `integrate_results` has run)."""
    if not (integration := state.get("integration")):
        raise KeyError("integration")
    return integration
