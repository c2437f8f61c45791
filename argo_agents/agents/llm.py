"""LLM result production: the model writes the step result from the same brief.

The model sees what the offline producer sees (step, upstream results,
evidence and sources) through the agent kind's prompt in ``argo_agents/prompts/``, and
answers in a `StepDraft` via structured output. Any model failure falls back
to the offline result, with the reason in ``sources``: a step never fails
because a provider did.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field, ValidationError

from argo_agents.agents.brief import Brief, cite
from argo_agents.agents.models import Artefact, ArtefactItem, KnowledgeItem, StepResult
from argo_agents.agents.offline import produce_offline
from argo_agents.prompts import render_prompt

log = logging.getLogger(__name__)

FALLBACK_PREFIX = "llm failed, offline result instead: "


class ArtefactDraft(BaseModel):
    """Something the step produced: a plan, checklist, ranking, snippet..."""

    name: str = Field(description="snake_case name, e.g. bottleneck_ranking")
    kind: str = Field(description="checklist, ranking, options, plan, table, code or text")
    content: str
    items: list[str] = Field(
        default_factory=list,
        description="For a ranking or an options list: its entries, best first.",
    )

    def artefact(self) -> Artefact:
        """The artefact as a step result keeps it."""
        items = [ArtefactItem(text=t) for t in self.items]
        return Artefact(name=self.name, kind=self.kind, content=self.content, items=items)


class KnowledgeDraft(BaseModel):
    """A finding worth remembering for future goals."""

    title: str
    text: str
    tags: list[str] = Field(default_factory=list)


class StepDraft(BaseModel):
    """The step result the model is asked to write (its structured-output schema)."""

    summary: str = Field(description="Two sentences naming the subject and the outcome.")
    findings: list[str] = Field(description="Specific findings; cite context by title and score.")
    artefacts: list[ArtefactDraft] = Field(default_factory=list)
    confidence: float = Field(description="0..1: how well the context supports the findings.")
    knowledge: list[KnowledgeDraft] = Field(
        default_factory=list, description="One or two items worth keeping."
    )


def _step_text(b: Brief) -> str:
    return f"{b.step_id}: action {b.action}, category {b.step.category}\n{b.step.description}"


def _upstream_text(b: Brief) -> str:
    if not b.upstream:
        return "- none (this step has no dependencies)"
    return "\n".join(
        f"- {sid} ({r.agent_kind}, confidence {r.confidence}): {r.summary}\n"
        + "\n".join(f"  - {f}" for f in r.findings[:6])
        for sid, r in b.upstream.items()
    )


def _context_text(b: Brief) -> str:
    lines = [f"- {cite(e)}: {e['detail']}" for e in b.evidence] or ["- nothing found"]
    if history := b.context.get("history"):
        lines.append("- " + json.dumps({"history": history}, default=str))
    return "\n".join(lines + ["Consulted:"] + [f"- {s}" for s in b.sources or ["no store"]])


def render_agent_prompt(b: Brief) -> str:
    """The system prompt of ``b.kind``'s agent for this step."""
    return render_prompt(
        f"agent_{b.kind}",
        goal=b.goal,
        subject=b.subject,
        target=b.target or "none stated",
        step=_step_text(b),
        upstream=_upstream_text(b),
        context=_context_text(b),
    )


def model_name(model: BaseChatModel) -> str:
    """The provider's model name when it has one, else the class name."""
    for attr in ("model_name", "model"):
        if isinstance(value := getattr(model, attr, None), str) and value:
            return value
    return type(model).__name__


def _to_result(b: Brief, draft: StepDraft, model: BaseChatModel) -> StepResult:
    knowledge = [
        KnowledgeItem.for_step(b.goal_id, b.step_id, k.title, k.text, k.tags or [b.kind, b.action])
        for k in draft.knowledge[:2]
    ]
    if not knowledge:  # every result keeps at least its own outcome
        knowledge = [
            KnowledgeItem.for_step(
                b.goal_id,
                b.step_id,
                f"{b.action.replace('_', ' ').capitalize()}: {b.subject}",
                draft.summary + "\n" + "\n".join(f"- {f}" for f in draft.findings[:4]),
                [b.kind, b.action],
            )
        ]
    return StepResult(
        step_id=b.step_id,
        agent_id=b.agent_id,
        agent_kind=b.kind,
        summary=draft.summary,
        findings=draft.findings,
        artefacts=[a.artefact() for a in draft.artefacts],
        confidence=min(1.0, max(0.0, draft.confidence)),
        knowledge=knowledge,
        sources=[*b.sources, f"llm: {model_name(model)}"],
        produced_by="llm",
    )


def _errors(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])


def _fallback(b: Brief, reason: str) -> StepResult:
    log.warning("agent %s step %s: %s%s", b.agent_id, b.step_id, FALLBACK_PREFIX, reason)
    return produce_offline(b, notes=[FALLBACK_PREFIX + reason])


async def aproduce_with_llm(model: BaseChatModel, b: Brief) -> StepResult:
    """The model's result for the step; the offline result (reason in sources) on failure."""
    messages = [
        SystemMessage(content=render_agent_prompt(b)),
        HumanMessage(content=f"Carry out step {b.step_id} and report the result."),
    ]
    try:
        raw: Any = await model.with_structured_output(StepDraft).ainvoke(messages)
    except ValidationError as exc:  # the tool-call parser validates the draft itself
        return _fallback(b, f"model answer did not parse ({_errors(exc)})")
    # Deliberately broad: any provider, network or parsing error means "no usable
    # draft"; the reason is logged and kept in the result's sources.
    except Exception as exc:
        return _fallback(b, f"model call failed ({type(exc).__name__}: {exc})")
    if raw is None:
        return _fallback(b, "model returned no structured answer")
    try:
        draft = raw if isinstance(raw, StepDraft) else StepDraft.model_validate(raw)
    except ValidationError as exc:
        return _fallback(b, f"model answer did not parse ({_errors(exc)})")
    return _to_result(b, draft, model)
