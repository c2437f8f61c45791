"""The state of an agent subgraph: what the orchestrator sends in, what comes back.

Input ⊂ State, Output separate (LangGraph template convention): the parent
graph sends an `AgentInput` for one step and reads only `result` back, so the
gathered context never leaks into the orchestrator's state or checkpoints.
"""

from __future__ import annotations

# typing_extensions: pydantic (Studio's schema view) needs it on Python < 3.12.
from typing_extensions import TypedDict

from argo_agents.agents.gathering import GatheredContext
from argo_agents.agents.models import ModelDump, StepResult
from argo_agents.planning.models import PlanStep


class AgentInput(TypedDict):
    """One step to carry out.

    goal, goal_id, intent, subject: the Director's goal as the planner read it.
    step: the `PlanStep` as a dict (id, action, description, category, ...).
    agent_id: the agent instance the step was assigned to (e.g. "technical-1").
    upstream: step id -> `StepResult` dict of each dependency of this step.
    """

    goal: str
    goal_id: str
    intent: str
    subject: str
    step: ModelDump
    agent_id: str
    upstream: dict[str, ModelDump]


class AgentState(AgentInput):
    """Working state: the input plus what `gather_context` found and the result.

    context: the agent kind's store findings (see `argo_agents.agents.gathering`)
    and `sources`, one line per store consulted (or why it gave nothing).
    """

    context: GatheredContext
    result: ModelDump


class AgentUpdate(TypedDict, total=False):
    """What a node of the subgraph writes."""

    context: GatheredContext
    result: ModelDump


class AgentOutput(TypedDict):
    """What the parent graph receives: ``StepResult.model_dump(mode="json")``."""

    result: ModelDump


def step_of(state: AgentInput) -> PlanStep:
    """The step to carry out, parsed from the input."""
    return PlanStep.model_validate(state["step"])


def upstream_of(state: AgentInput) -> dict[str, StepResult]:
    """The result of each dependency, parsed from the input."""
    return {sid: StepResult.model_validate(r) for sid, r in (state.get("upstream") or {}).items()}
