"""Scoring agents for a step, and picking the best one for a single step.

Capability score = share of the step's required capabilities the
agent has; adjusted = score / (1 + 0.1 x workload), so a busy agent yields to
an idle one of similar skill. The same cost function feeds the batch
(Hungarian) assignment, so single and batch choices are explained alike.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Literal

from pydantic import BaseModel

from argo_agents.assignment.registry import AgentProfile, AgentRegistry
from argo_agents.assignment.teams import Team
from argo_agents.learning.history import LearnedHistory
from argo_agents.learning.prediction import CompletionPrediction
from argo_agents.planning.models import PlanStep

WORKLOAD_WEIGHT = 0.1
# Large against the other cost terms (each about 0..a few), so an agent with
# none of a step's capabilities is chosen only when no agent matches at all.
NO_MATCH_PENALTY = 1000.0


class Assignment(BaseModel):
    """Which agent runs a step, and why."""

    step_id: str
    agent_id: str
    agent_kind: str
    capability_score: float
    adjusted_score: float
    cost: float
    method: Literal["single", "hungarian"]
    reason: str
    record_factor: float = 1.0
    """How the agent's record on this action scaled its match (1.0: too little history)."""
    prediction: CompletionPrediction | None = None
    """The step's predicted duration on this agent, beside the template's estimate."""
    team: Team | None = None
    """The team chosen for a step no single agent covers, when there is one."""


def capability_score(required: Collection[str], agent_caps: Collection[str]) -> float:
    """Share of ``required`` that ``agent_caps`` covers; 1.0 when nothing is required."""
    wanted = set(required)
    if not wanted:
        return 1.0
    return len(wanted & set(agent_caps)) / len(wanted)


def adjusted_score(score: float, workload: int) -> float:
    """``score / (1 + 0.1 x workload)``."""
    if workload < 0:
        raise ValueError(f"workload must be >= 0, got {workload}")
    return score / (1 + WORKLOAD_WEIGHT * workload)


def assignment_cost(
    step: PlanStep, agent: AgentProfile, workload: int, record: float = 1.0
) -> float:
    """Assignment cost: (1 - match x record) + workload/max_workload + estimated hours
    (x speed factor).

    ``record`` is the agent's record factor on the step's action
    (`LearnedHistory.record_factor`; 1.0 without history). Plus
    :data:`NO_MATCH_PENALTY` when the agent has none of the required capabilities.
    """
    score = capability_score(step.required_capabilities, agent.capabilities)
    hours = max(step.estimated_duration_s, 0) / 3600 * agent.speed_factor
    penalty = NO_MATCH_PENALTY if score == 0 else 0.0
    return (1 - score * record) + workload / agent.max_workload + hours + penalty


def record_of(history: LearnedHistory | None, agent_id: str, action: str) -> float:
    """The agent's record factor on ``action`` (1.0 without history)."""
    return history.record_factor(agent_id, action) if history else 1.0


def record_note(history: LearnedHistory | None, agent: AgentProfile, action: str) -> str:
    """Why the agent's record moved its score, or nothing when it did not."""
    h = history.of(action) if history else None
    rec = h.by_agent().get(agent.agent_id) if h else None
    factor = record_of(history, agent.agent_id, action)
    if rec is None or factor == 1.0:
        return ""
    return (
        f"; its record on {action} ({rec.successes}/{rec.runs} runs succeeded) "
        f"scales its match by {factor:.2f}"
    )


def _matched(step: PlanStep, agent: AgentProfile) -> str:
    wanted = set(step.required_capabilities)
    return f"{len(wanted & agent.capabilities)}/{len(wanted)}"


def select_agent(
    step: PlanStep,
    registry: AgentRegistry,
    workloads: Mapping[str, int],
    history: LearnedHistory | None = None,
) -> Assignment:
    """The agent with the best adjusted score times its record factor on the step's action;
    ties go to the less busy, then the lower id."""

    def key(agent: AgentProfile) -> tuple[float, int, str]:
        w = workloads.get(agent.agent_id, 0)
        adj = adjusted_score(capability_score(step.required_capabilities, agent.capabilities), w)
        adj *= record_of(history, agent.agent_id, step.action)
        # Rounding keeps float noise from deciding what is really a tie.
        return (-round(adj, 9), w, agent.agent_id)

    ranked = sorted(registry.profiles, key=key)
    best = ranked[0]
    w = workloads.get(best.agent_id, 0)
    score = capability_score(step.required_capabilities, best.capabilities)
    adj = adjusted_score(score, w)
    reason = (
        f"{best.agent_id} ({best.kind}) has {_matched(step, best)} required capabilities "
        f"(score {score:.2f}); at workload {w} its adjusted score is {adj:.2f}, "
        f"{record_note(history, best, step.action)}, the best of {len(ranked)} agent(s)"
    )
    if len(ranked) > 1 and key(ranked[1])[0] == key(best)[0]:
        reason += f"; tied with {ranked[1].agent_id}, won on lower workload or id"
    return Assignment(
        step_id=step.id,
        agent_id=best.agent_id,
        agent_kind=best.kind,
        capability_score=score,
        adjusted_score=adj,
        cost=assignment_cost(step, best, w, record_of(history, best.agent_id, step.action)),
        method="single",
        reason=reason,
        record_factor=record_of(history, best.agent_id, step.action),
    )
