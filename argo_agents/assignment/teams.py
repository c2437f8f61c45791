"""Team formation: for a step no single agent covers, the best team of size N around its lead.

A team is scored by what it can do and how its members did together:
coverage of the step's capabilities (the union of the members'), plus half
the members' mean individual match, plus half their synergy: the mean success
rate of each pair's earlier collaborations (runs in which one's step fed the
other's), 0.5 for a pair with no record. The lead (the agent assignment chose)
is always in the team, so the team explains who helps it.
"""

from __future__ import annotations

from itertools import combinations

from pydantic import BaseModel

from argo_agents.assignment.registry import AgentProfile, AgentRegistry
from argo_agents.learning.history import LearnedHistory
from argo_agents.planning.models import PlanStep

TEAM_SIZE = 2
UNKNOWN_PAIR_RATE = 0.5


class Team(BaseModel):
    """The agents chosen to run a step together, and why."""

    members: list[str]
    """The lead first."""
    coverage: float
    individual: float
    synergy: float
    score: float
    reason: str


def _match(step: PlanStep, agent: AgentProfile) -> float:
    wanted = set(step.required_capabilities)
    return len(wanted & agent.capabilities) / len(wanted) if wanted else 1.0


def _synergy(members: list[AgentProfile], history: LearnedHistory | None) -> tuple[float, str]:
    rates, said = [], []
    for a, b in combinations(members, 2):
        rec = history.pair(a.agent_id, b.agent_id) if history else None
        rates.append(rec.rate if rec else UNKNOWN_PAIR_RATE)
        said.append(
            f"{a.agent_id}+{b.agent_id} {rec.successes}/{rec.interactions} together"
            if rec
            else f"{a.agent_id}+{b.agent_id} no record"
        )
    return (sum(rates) / len(rates) if rates else UNKNOWN_PAIR_RATE), ", ".join(said)


def _score(
    step: PlanStep, members: list[AgentProfile], history: LearnedHistory | None
) -> tuple[float, Team]:
    wanted = set(step.required_capabilities)
    covered = set().union(*(m.capabilities for m in members)) & wanted
    coverage = len(covered) / len(wanted)
    individual = sum(_match(step, m) for m in members) / len(members)
    synergy, said = _synergy(members, history)
    score = coverage + 0.5 * individual + 0.5 * synergy
    team = Team(
        members=[m.agent_id for m in members],
        coverage=round(coverage, 3),
        individual=round(individual, 3),
        synergy=round(synergy, 3),
        score=round(score, 3),
        reason=(
            f"team {'+'.join(m.agent_id for m in members)} covers {len(covered)}/{len(wanted)} "
            f"capabilities, mean match {individual:.2f}, synergy {synergy:.2f} ({said})"
        ),
    )
    return score, team


def form_team(
    step: PlanStep,
    registry: AgentRegistry,
    lead_id: str,
    history: LearnedHistory | None = None,
    size: int = TEAM_SIZE,
) -> Team | None:
    """The best team of ``size`` with ``lead_id``; None when the lead covers the step alone
    (or the step needs fewer than two capabilities, or there is nobody to team with)."""
    lead = registry.get(lead_id)
    if len(step.required_capabilities) < 2 or _match(step, lead) >= 1.0:
        return None
    others = [p for p in registry.profiles if p.agent_id != lead_id]
    if not others or size < 2:
        return None
    best: tuple[float, Team] | None = None
    for partners in combinations(others, min(size, len(others) + 1) - 1):
        scored = _score(step, [lead, *partners], history)
        # strictly better only: on a tie the earlier (registry order) team stays
        if best is None or round(scored[0], 9) > round(best[0], 9):
            best = scored
    return best[1] if best else None
