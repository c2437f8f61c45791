"""Offline result production: a specific `StepResult` from the step, upstream and context.

No model is needed (the offline path is a first-class one): the step's playbook writes the findings
(:mod:`.playbooks`), confidence follows from how much the stores and the
upstream steps gave to work with, and the result keeps one or two knowledge
items worth remembering. Deterministic: the same input gives the same result.
"""

from __future__ import annotations

from argo_agents.agents.brief import Brief
from argo_agents.agents.models import KnowledgeItem, StepResult
from argo_agents.agents.playbooks import Draft, playbook_for

BASE_CONFIDENCE = 0.35
MAX_OFFLINE_CONFIDENCE = 0.9  # nothing was measured offline; never claim certainty


def confidence(b: Brief) -> float:
    """0.35 with nothing to go on, rising with evidence, its quality and upstream results."""
    kinds = {e["type"] for e in b.evidence}
    scores = [e["score"] for e in b.evidence if e["score"] is not None and e["type"] != "related"]
    value = (
        BASE_CONFIDENCE
        + 0.05 * min(len(kinds), 4)  # breadth: different kinds of evidence agree
        + 0.02 * min(len(b.evidence), 8)  # depth
        + 0.1 * (max(scores) if scores else 0.0)  # quality of the best match
        + 0.05 * min(len(b.upstream), 2)  # built on earlier results
        - 0.05 * sum(1 for s in b.sources if s.startswith("no context from"))
    )
    return round(min(MAX_OFFLINE_CONFIDENCE, max(0.2, value)), 2)


def _title(action: str) -> str:
    return action.replace("_", " ").capitalize()


def knowledge_for(b: Brief, draft: Draft) -> list[KnowledgeItem]:
    """The outcome itself, and the artefact when it holds a reusable list."""
    tags = list(dict.fromkeys([b.kind, b.action, b.step.category, b.lens.name, b.intent]))
    tags = [t for t in tags if t]
    items = [
        KnowledgeItem.for_step(
            b.goal_id,
            b.step_id,
            f"{_title(b.action)}: {b.subject}",
            draft.summary + "\n" + "\n".join(f"- {f}" for f in draft.findings[:4]),
            tags,
        )
    ]
    content = draft.artefact.content.strip()
    if content.count("\n") >= 1:
        name = draft.artefact.name.replace("_", " ")
        items.append(
            KnowledgeItem.for_step(
                b.goal_id,
                b.step_id,
                f"{name.capitalize()} for {b.subject}",
                content,
                [*tags, draft.artefact.kind],
            )
        )
    return items


def produce_offline(b: Brief, *, notes: list[str] | None = None) -> StepResult:
    """The step's result from its playbook; ``notes`` are added to ``sources`` (e.g. a fallback)."""
    draft = playbook_for(b.step)(b)
    return StepResult(
        step_id=b.step_id,
        agent_id=b.agent_id,
        agent_kind=b.kind,
        summary=draft.summary,
        findings=draft.findings,
        artefacts=[draft.artefact],
        confidence=confidence(b),
        knowledge=knowledge_for(b, draft),
        sources=[*b.sources, *(notes or [])] or ["no store consulted"],
        produced_by="offline",
    )
