"""Everything result production needs about one step, read once from the agent state.

Both the offline producer and the LLM prompt are built from a `Brief`, so the
two paths see exactly the same step, upstream results and gathered context.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from argo_agents.agents.gathering import Evidence, GatheredContext
from argo_agents.agents.lenses import Lens, pick_lens
from argo_agents.agents.models import AgentKind, StepResult
from argo_agents.agents.state import AgentState, step_of, upstream_of
from argo_agents.planning.intents import extract_subject
from argo_agents.planning.models import Pattern, PlanStep

_SCORE_LABEL = {
    "knowledge": "match",
    "pattern": "success",
    "similar_case": "similarity",
    "previous_step": "confidence",
    "history": "success",
    "past_goal": "match",
}
_TYPE_NAME = {
    "knowledge": "knowledge",
    "pattern": "pattern",
    "similar_case": "similar case",
    "previous_step": "earlier result",
    "related": "linked node",
    "history": "history",
    "past_goal": "past goal",
}


@dataclass(frozen=True)
class Brief:
    """One step in its goal, with upstream results and the evidence gathered for it."""

    kind: AgentKind
    goal: str
    goal_id: str
    intent: str
    subject: str
    target: str | None
    step: PlanStep
    agent_id: str
    upstream: dict[str, StepResult]
    evidence: list[Evidence]
    sources: list[str]
    context: GatheredContext
    patterns: list[Pattern]
    """The applicable patterns the research agent found (empty for other kinds)."""
    lens: Lens

    @property
    def action(self) -> str:
        """The step's action, e.g. ``analyze_performance``."""
        return self.step.action or self.step.id or "step"

    @property
    def step_id(self) -> str:
        """The step's id within its plan."""
        return self.step.id or self.action

    def upstream_findings(self) -> list[tuple[str, str]]:
        """(step id, finding) of every dependency, in dependency order."""
        return [(sid, f) for sid, r in self.upstream.items() for f in r.findings]

    def cited(self, *types: str, limit: int = 3) -> list[Evidence]:
        """The strongest evidence of these types (all when none given), best of each type first.

        Taking one of each kind before a second of any keeps a citation list
        from being all knowledge items when a pattern or a past goal was found too.
        """
        items = [e for e in self.evidence if not types or e["type"] in types]
        ranked = sorted(items, key=lambda e: -(e["score"] if e["score"] is not None else 0))
        firsts = [
            e for i, e in enumerate(ranked) if e["type"] not in {x["type"] for x in ranked[:i]}
        ]
        chosen = (firsts + [e for e in ranked if e not in firsts])[:limit]
        return sorted(chosen, key=ranked.index)


def cite(e: Evidence) -> str:
    """``knowledge 'Index the orders table' (neo4j, match 0.67)``."""
    label = _SCORE_LABEL.get(e["type"], "score")
    score = "" if e["score"] is None else f", {label} {e['score']:.2f}"
    return f"{_TYPE_NAME.get(e['type'], e['type'])} '{e['title']}' ({e['store']}{score})"


def context_phrase(evidence: list[Evidence]) -> str:
    """``"drew on 2 knowledge items, 1 pattern"`` or that nothing was found."""
    if not evidence:
        return "no stored context was found, so this rests on the step and upstream results"
    counts = Counter(_TYPE_NAME.get(e["type"], e["type"]) for e in evidence)
    return "drew on " + ", ".join(f"{n} {t}{'' if n == 1 else 's'}" for t, n in counts.items())


def make_brief(state: AgentState, kind: AgentKind) -> Brief:
    """The brief for this state (context may be empty when gathering was skipped)."""
    context: GatheredContext = state.get("context") or {}
    step = step_of(state)
    _, target = extract_subject(state["goal"]) if state["goal"].strip() else ("", None)
    return Brief(
        kind=kind,
        goal=state["goal"],
        goal_id=state["goal_id"],
        intent=state["intent"],
        subject=state["subject"],
        target=target,
        step=step,
        agent_id=state["agent_id"],
        upstream=upstream_of(state),
        evidence=list(context.get("evidence", [])),
        sources=list(context.get("sources", [])),
        context=context,
        patterns=[Pattern.model_validate(p) for p in context.get("patterns", [])],
        lens=pick_lens(state["subject"], step.description, state["goal"]),
    )
