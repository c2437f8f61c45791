"""The state of an agent subgraph: what the orchestrator sends in, what comes back.

Input ⊂ State, Output separate (LangGraph template convention): the parent
graph sends an `AgentInput` for one step and reads only `result` back, so the
agent's conversation and tool outputs never leak into the orchestrator's state.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from typing import Annotated, Any, NotRequired

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages

# typing_extensions: pydantic (Studio's schema view) needs it on Python < 3.12.
from typing_extensions import TypedDict

from argo_agents.agents.models import ModelDump, StepResult
from argo_agents.planning.models import PlanStep

DEFAULT_MAX_TOOL_CALLS = 8


class RunInfo(TypedDict):
    """The run a step belongs to: its id (tool outputs are cached per run) and tool budget."""

    run_id: str
    max_tool_calls: int


class DirectorAnswer(TypedDict):
    """The Director's answer to an escalation this step raised before (see `approval.escalation`).

    response_id: the RESPONSE message recorded through the sync engine (what a result cites).
    """

    escalation_id: str
    reason: str
    question: str
    option: str
    option_description: str
    note: str
    by: str | None
    response_id: str


class TeamMate(TypedDict):
    """A member of a step's team other than its lead: who, of which kind, bringing what."""

    agent_id: str
    kind: str
    covers: list[str]
    """The step's capabilities the lead lacks and this member has."""


class AgentInput(TypedDict):
    """One step to carry out.

    goal, goal_id, intent, subject: the Director's goal as the planner read it.
    step: the `PlanStep` as a dict (id, action, description, category, ...).
    agent_id: the agent instance the step was assigned to (e.g. "technical-1").
    upstream: step id -> `StepResult` dict of each dependency of this step.
    run: the run's id and tool budget (see `agent_run`); defaults when absent.
    director_answers: the Director's answers to this step's earlier escalations, in order.
    team: the step's teammates besides its agent (a step no single agent covers).
    """

    goal: str
    goal_id: str
    intent: str
    subject: str
    step: ModelDump
    agent_id: str
    upstream: dict[str, ModelDump]
    run: NotRequired[RunInfo]
    director_answers: NotRequired[list[DirectorAnswer]]
    team: NotRequired[list[TeamMate]]


class AgentState(AgentInput):
    """Working state: the input, the model conversation, tool outputs and the result.

    mode: "llm" or "offline", chosen when the step starts.
    messages: the model ↔ tools conversation (LLM mode only).
    outputs: `ToolOutput` dumps of every tool call, in call order.
    tool_calls_made: tool calls run so far (bounded by ``run.max_tool_calls``).
    """

    mode: str
    messages: Annotated[list[AnyMessage], add_messages]
    outputs: Annotated[list[ModelDump], operator.add]
    tool_calls_made: int
    result: ModelDump


class AgentUpdate(TypedDict, total=False):
    """What a node of the subgraph writes."""

    mode: str
    messages: list[AnyMessage]
    outputs: list[ModelDump]
    tool_calls_made: int
    result: ModelDump


class AgentOutput(TypedDict):
    """What the parent graph receives: ``StepResult.model_dump(mode="json")``."""

    result: ModelDump


def agent_run(task: Mapping[str, Any], context: object | None) -> RunInfo:
    """The ``run`` input of a step of ``task``, with the tool budget of the run's context."""
    limit = getattr(context, "max_agent_tool_calls", DEFAULT_MAX_TOOL_CALLS)
    return {"run_id": str(task.get("run_id") or ""), "max_tool_calls": int(limit)}


def run_of(state: AgentInput) -> RunInfo:
    """The step's run info; a step sent without one is its goal's only run."""
    run = state.get("run")
    if run is not None and run["run_id"]:
        return run
    limit = run["max_tool_calls"] if run is not None else DEFAULT_MAX_TOOL_CALLS
    return {"run_id": state["goal_id"], "max_tool_calls": limit}


def step_of(state: AgentInput) -> PlanStep:
    """The step to carry out, parsed from the input."""
    return PlanStep.model_validate(state["step"])


def answers_of(state: AgentInput) -> list[DirectorAnswer]:
    """The Director's answers to this step's escalations (empty when it never escalated)."""
    return list(state.get("director_answers") or [])


def team_of(state: AgentInput) -> list[TeamMate]:
    """The step's teammates (empty when its agent covers the step alone)."""
    return list(state.get("team") or [])


def upstream_of(state: AgentInput) -> dict[str, StepResult]:
    """The result of each dependency, parsed from the input."""
    return {sid: StepResult.model_validate(r) for sid, r in (state.get("upstream") or {}).items()}
