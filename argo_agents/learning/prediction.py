"""Completion-time prediction from measured history of the same action.

predicted = mean measured duration × the agent's speed factor × the load
factor 1 + (load − 0.5) × 0.5 (load = the agent's workload over its
capacity). The speed factor is learned when the agent has runs of the action
(its mean over everyone's mean), else the registry's figure.
"""

from __future__ import annotations

from statistics import mean
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel

from argo_agents.analytics.queries import predict_completion_s
from argo_agents.learning.history import MIN_RUNS_FOR_ESTIMATE, LearnedHistory

if TYPE_CHECKING:
    from argo_agents.assignment.registry import AgentProfile
    from argo_agents.planning.models import PlanStep


class CompletionPrediction(BaseModel):
    """A step's predicted duration beside the template's estimate, with its basis."""

    predicted_s: float
    template_s: int
    """The template's estimate (what the plan would say without history)."""
    runs: int
    """Measured runs of the action it rests on."""
    mean_s: float
    speed_factor: float
    speed_source: Literal["history", "registry"]
    load: float
    load_factor: float
    records: list[str]
    """Ids of some of the activity records it rests on."""


def load_factor(load: float) -> float:
    """1 + (load − 0.5) × 0.5."""
    return 1 + (load - 0.5) * 0.5


def predict_step(
    step: PlanStep, agent: AgentProfile, workload: int, history: LearnedHistory | None
) -> CompletionPrediction | None:
    """The step's predicted duration on ``agent`` at ``workload``; None without history."""
    h = history.of(step.action) if history else None
    durations = h.durations_s if h else []
    if h is None or len(durations) < MIN_RUNS_FOR_ESTIMATE:
        return None
    overall = mean(durations)
    own = [r.duration_s for r in h.runs if r.agent_id == agent.agent_id and r.duration_s]
    if len(own) >= MIN_RUNS_FOR_ESTIMATE and overall > 0:
        speed, source = mean(own) / overall, "history"
    else:
        speed, source = agent.speed_factor, "registry"
    load = workload / agent.max_workload
    template = step.template_duration_s
    return CompletionPrediction(
        predicted_s=round(predict_completion_s(durations, speed, load), 3),
        template_s=step.estimated_duration_s if template is None else template,
        runs=len(durations),
        mean_s=round(overall, 3),
        speed_factor=round(speed, 3),
        speed_source=source,
        load=round(load, 3),
        load_factor=round(load_factor(load), 3),
        records=[r.record_id for r in h.runs[:5]],
    )
