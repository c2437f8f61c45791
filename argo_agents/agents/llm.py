"""The model side of an agent: a model ↔ tools loop, then a typed result.

The model gets the kind's prompt (``argo_agents/prompts/agent_<kind>.md``) and
its tools; it calls tools until it stops or the run's tool budget is spent, and
is then asked for a `StepDraft` through structured output (function calling,
see `argo_agents.structured`). The draft's findings and figures keep only the
record ids the tools really returned; the result is then built like the
offline one (`results.compose`). A model that fails falls back to the offline
policy, loudly: logged, and said in the result's sources and open questions.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AnyMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolCall,
    ToolMessage,
)
from langchain_core.tools import BaseTool
from pydantic import BaseModel, Field, ValidationError

from argo_agents.agents.director import answer_line
from argo_agents.agents.models import AgentKind, Figure
from argo_agents.agents.state import AgentState, answers_of, step_of, team_of, upstream_of
from argo_agents.agents.tools import ToolOutput
from argo_agents.prompts import render_prompt
from argo_agents.structured import structured

log = logging.getLogger(__name__)

FALLBACK_PREFIX = "llm failed, offline result instead: "
REPORT_REQUEST = (
    "Report the step's result now as a StepDraft. Cite only record ids your tools returned; "
    "put what the records do not answer in open_questions."
)


class FindingDraft(BaseModel):
    """One finding and the records it rests on."""

    text: str = Field(description="The finding, naming the subject.")
    record_ids: list[str] = Field(description="record_id of each record it rests on.")


class FigureDraft(BaseModel):
    """A number computed from records."""

    name: str = Field(description="snake_case, e.g. past_success_rate")
    value: float
    unit: str = Field(description="s, ms, ratio, count, usd...")
    record_ids: list[str] = Field(description="record_id of each record it was computed from.")


class StepDraft(BaseModel):
    """The step result the model is asked for (its structured-output schema)."""

    summary: str = Field(description="Two sentences naming the subject and the outcome.")
    findings: list[FindingDraft] = Field(description="Findings, each with its record ids.")
    figures: list[FigureDraft] = Field(description="Numbers computed from records, if any.")
    open_questions: list[str] = Field(description="What the records do not answer.")


def model_name(model: BaseChatModel) -> str:
    """The provider's model name when it has one, else the class name."""
    for attr in ("model_name", "model"):
        if isinstance(value := getattr(model, attr, None), str) and value:
            return value
    return type(model).__name__


def _upstream_text(state: AgentState) -> str:
    upstream = upstream_of(state)
    if not upstream:
        return "- none (this step has no dependencies)"
    return "\n".join(
        f"- {sid} ({r.agent_kind}, confidence {r.confidence}): {r.summary}\n"
        + "\n".join(f"  - {f}" for f in r.findings[:6])
        for sid, r in upstream.items()
    )


def first_messages(
    kind: AgentKind, state: AgentState, tools: Sequence[BaseTool], limit: int
) -> list[AnyMessage]:
    """The system prompt of ``kind``'s agent for this step, and the request to carry it out."""
    step = step_of(state)
    system = render_prompt(
        f"agent_{kind}",
        goal=state["goal"],
        subject=state["subject"],
        step=f"{step.id}: action {step.action}, category {step.category}\n{step.description}",
        upstream=_upstream_text(state),
        tools=", ".join(t.name for t in tools),
        max_tool_calls=limit,
    )
    ask = f"Carry out step {step.id}."
    if team := team_of(state):  # the step needs more than this agent covers
        ask += "\nYour team for this step (ask each with ask_agent, naming its agent_id):\n" + (
            "\n".join(f"- {m['agent_id']} ({m['kind']}): {', '.join(m['covers'])}" for m in team)
        )
    if answers := answers_of(state):  # the step escalated before: the Director has decided
        ask += "\nYou escalated this step and the Director answered; act on it:\n" + "\n".join(
            f"- {answer_line(a)}" for a in answers
        )
    return [SystemMessage(content=system), HumanMessage(content=ask)]


async def call_model(
    model: BaseChatModel, tools: Sequence[BaseTool], messages: list[AnyMessage]
) -> AIMessage:
    """One model turn with the tools offered."""
    reply = await model.bind_tools(list(tools)).ainvoke(messages)
    if not isinstance(reply, AIMessage):
        raise TypeError(f"the model answered {type(reply).__name__}, not an AIMessage")
    return reply


async def run_tool_calls(
    reply: AIMessage, tools: Sequence[BaseTool], budget: int
) -> list[ToolMessage]:
    """Answer every tool call of ``reply``: run the first ``budget``, refuse the rest."""
    by_name = {t.name: t for t in tools}

    async def answer(i: int, call: ToolCall) -> ToolMessage:
        tool = by_name.get(call["name"])
        if tool is None:
            text = f"no tool {call['name']!r}; tools: {', '.join(by_name)}"
        elif i >= budget:
            text = "not run: this step's tool budget is spent; report with what you have"
        else:
            message = await tool.ainvoke({**call, "type": "tool_call"})
            if isinstance(message, ToolMessage):
                return message
            text = str(message)
        return ToolMessage(content=text, tool_call_id=call["id"], name=call["name"], status="error")

    return list(await asyncio.gather(*(answer(i, c) for i, c in enumerate(reply.tool_calls))))


def outputs_of(messages: Sequence[BaseMessage]) -> list[ToolOutput]:
    """The typed outputs of the tool calls that ran."""
    return [
        ToolOutput.model_validate(m.artifact)
        for m in messages
        if isinstance(m, ToolMessage) and isinstance(m.artifact, dict)
    ]


def closed(messages: list[AnyMessage]) -> list[AnyMessage]:
    """``messages`` with any unanswered tool calls answered (an API refuses dangling ones)."""
    last = messages[-1] if messages else None
    if not isinstance(last, AIMessage) or not last.tool_calls:
        return messages
    refusals: list[AnyMessage] = [
        ToolMessage(
            content="not run: this step's tool budget is spent",
            tool_call_id=str(c["id"]),
            name=c["name"],
            status="error",
        )
        for c in last.tool_calls
    ]
    return [*messages, *refusals]


async def draft_result(model: BaseChatModel, messages: list[AnyMessage]) -> StepDraft:
    """The model's `StepDraft` after its tool calls (raises when it gives none)."""
    raw: Any = await structured(model, StepDraft).ainvoke(
        [*closed(messages), HumanMessage(content=REPORT_REQUEST)]
    )
    if raw is None:
        raise ValueError("model returned no structured answer")
    return raw if isinstance(raw, StepDraft) else StepDraft.model_validate(raw)


def errors_text(exc: ValidationError) -> str:
    """The first few validation errors, one line."""
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])


class CheckedDraft(BaseModel):
    """A draft with its citations checked against the records the tools returned."""

    summary: str
    findings: list[str]
    figures: list[Figure]
    questions: list[str]


def check_draft(draft: StepDraft, outputs: Sequence[ToolOutput]) -> CheckedDraft:
    """Keep only citations of records the tools returned; say what was dropped."""
    known = {r.record_id: r for o in outputs for r in o.records}
    questions = list(draft.open_questions)
    findings: list[str] = []
    for f in draft.findings:
        cited = [i for i in f.record_ids if i in known]
        if unknown := [i for i in f.record_ids if i not in known]:
            questions.append(f"cited records no tool returned were dropped: {', '.join(unknown)}")
        marks = " ".join(f"[{known[i].store} {i} via {known[i].query}]" for i in cited)
        findings.append(f"{f.text} {marks}" if cited else f"{f.text} (rests on no record)")
    figures: list[Figure] = []
    for g in draft.figures:
        cited = [i for i in g.record_ids if i in known]
        if not cited:
            questions.append(f"figure {g.name} = {g.value} cites no returned record; dropped")
            continue
        query = known[cited[0]].query
        figures.append(Figure(name=g.name, value=g.value, unit=g.unit, records=cited, query=query))
    return CheckedDraft(
        summary=draft.summary, findings=findings, figures=figures, questions=questions
    )
