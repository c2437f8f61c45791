"""Optimal batch assignment of many ready steps at once (the Hungarian algorithm).

Greedy one-step-at-a-time choice can give the only agent that can do step B
to step A, which any agent could do. ``linear_sum_assignment`` minimises the
total cost over the whole batch instead. Each agent gets one column ("slot")
per step, and slot k costs as if the agent's workload were k higher, so
loading one agent with several steps costs more with each step; since slot
costs rise with k, the optimum over slots equals the optimum over all
step -> agent mappings with this incremental-workload cost.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from scipy.optimize import linear_sum_assignment

from argo_agents.assignment.registry import AgentRegistry
from argo_agents.assignment.scoring import (
    NO_MATCH_PENALTY,
    Assignment,
    adjusted_score,
    assignment_cost,
    capability_score,
    record_note,
    record_of,
)
from argo_agents.learning.history import LearnedHistory
from argo_agents.planning.models import PlanStep


def assign_batch(
    steps: Sequence[PlanStep],
    registry: AgentRegistry,
    workloads: Mapping[str, int],
    history: LearnedHistory | None = None,
) -> list[Assignment]:
    """One assignment per step (in step order) minimising the batch's total cost.

    ``history`` scales each agent's match by its record on the step's action.
    """
    if not steps:
        return []
    agents = registry.profiles
    slots = [(agent, k) for agent in agents for k in range(len(steps))]
    cost = np.array(
        [
            [
                assignment_cost(
                    step,
                    agent,
                    workloads.get(agent.agent_id, 0) + k,
                    record_of(history, agent.agent_id, step.action),
                )
                for agent, k in slots
            ]
            for step in steps
        ]
    )
    rows, cols = linear_sum_assignment(cost)  # rows come back sorted: step order
    total = float(cost[rows, cols].sum())
    result = []
    for row, col in zip(rows, cols, strict=True):
        step, (agent, k) = steps[row], slots[col]
        load = workloads.get(agent.agent_id, 0) + k
        score = capability_score(step.required_capabilities, agent.capabilities)
        hours = max(step.estimated_duration_s, 0) / 3600 * agent.speed_factor
        penalty = f" + no-match penalty {NO_MATCH_PENALTY:.0f}" if score == 0 else ""
        record = record_of(history, agent.agent_id, step.action)
        result.append(
            Assignment(
                step_id=step.id,
                agent_id=agent.agent_id,
                agent_kind=agent.kind,
                capability_score=score,
                adjusted_score=adjusted_score(score, load),
                cost=float(cost[row, col]),
                method="hungarian",
                record_factor=record,
                reason=(
                    f"{agent.agent_id} ({agent.kind}) has capability score {score:.2f} "
                    f"at workload {load}/{agent.max_workload}: cost {cost[row, col]:.2f} = "
                    f"mismatch {1 - score * record:.2f} + load {load / agent.max_workload:.2f} + "
                    f"hours {hours:.2f}{penalty}{record_note(history, agent, step.action)}; "
                    f"minimum batch total {total:.2f} "
                    f"for {len(steps)} step(s) over {len(agents)} agent(s)"
                ),
            )
        )
    return result
