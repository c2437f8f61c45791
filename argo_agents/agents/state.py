"""The state of an agent subgraph: what the orchestrator sends in, what comes back.

Input ⊂ State, Output separate (LangGraph template convention): the parent
graph sends an `AgentInput` for one step and reads only `result` back, so the
gathered context never leaks into the orchestrator's state or checkpoints.
"""

from __future__ import annotations

from typing import Any

# typing_extensions: pydantic (Studio's schema view) needs it on Python < 3.12.
from typing_extensions import TypedDict


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
    step: dict[str, Any]
    agent_id: str
    upstream: dict[str, dict[str, Any]]


class AgentState(AgentInput):
    """Working state: the input plus what `gather_context` found and the result.

    context: the agent kind's store findings (see `argo_agents.agents.context`)
    and `sources`, one line per store consulted (or why it gave nothing).
    """

    context: dict[str, Any]
    result: dict[str, Any]


class AgentOutput(TypedDict):
    """What the parent graph receives: ``StepResult.model_dump(mode="json")``."""

    result: dict[str, Any]
