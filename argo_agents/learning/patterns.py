"""Similar execution patterns merged into one family.

A pattern's id is the hash of its exact step sequence, so a plan that gained
a precheck (or lost a rejected step) starts a new pattern. Patterns of one
intent whose action sets overlap by at least `MERGE_SIMILARITY` (Jaccard) are
one family: their runs add up, their success rate is the run-weighted mean and
their failure points and agent kinds are the union.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from argo_agents.planning.models import Pattern

MERGE_SIMILARITY = 0.6


class PatternFamily(BaseModel):
    """Patterns of similar sequences, as one."""

    intent: str
    pattern_ids: list[str]
    step_sequence: list[str]
    """The most followed member's sequence."""
    occurrences: int
    success_rate: float
    failure_points: list[str]
    agent_types: list[str]


def jaccard(a: Sequence[str], b: Sequence[str]) -> float:
    """Overlap of two action sets, 0..1."""
    sa, sb = set(a), set(b)
    return len(sa & sb) / len(sa | sb) if sa | sb else 1.0


def _family(members: list[Pattern]) -> PatternFamily:
    runs = sum(max(p.occurrences, 1) for p in members)
    rate = sum(p.success_rate * max(p.occurrences, 1) for p in members) / runs
    lead = max(members, key=lambda p: (p.occurrences, p.success_rate, p.id))
    return PatternFamily(
        intent=lead.intent,
        pattern_ids=[p.id for p in members],
        step_sequence=list(lead.step_sequence),
        occurrences=sum(p.occurrences for p in members),
        success_rate=round(rate, 4),
        failure_points=sorted({a for p in members for a in p.failure_points}),
        agent_types=sorted({k for p in members for k in p.agent_types}),
    )


def merge_patterns(patterns: Sequence[Pattern]) -> list[PatternFamily]:
    """Families of similar patterns (same intent, Jaccard >= 0.6 to a member), most runs first."""
    groups: list[list[Pattern]] = []
    for p in sorted(patterns, key=lambda p: (-p.occurrences, p.id)):
        home = next(
            (
                g
                for g in groups
                if g[0].intent == p.intent
                and any(jaccard(p.step_sequence, q.step_sequence) >= MERGE_SIMILARITY for q in g)
            ),
            None,
        )
        if home is None:
            groups.append([p])
        else:
            home.append(p)
    families = [_family(g) for g in groups]
    families.sort(key=lambda f: (-f.occurrences, f.pattern_ids[0]))
    return families
