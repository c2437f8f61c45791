"""The LLM path of result production, driven by a scripted fake chat model."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from langchain_core.messages import AIMessage

from argo_agents.agents.brief import make_brief
from argo_agents.agents.graph import AGENT_KINDS
from argo_agents.agents.llm import (
    FALLBACK_PREFIX,
    StepDraft,
    aproduce_with_llm,
    render_agent_prompt,
)
from argo_agents.agents.models import Artefact
from argo_agents.prompts import load_prompt, placeholders
from tests.fakes import ToolCallingFake

SUBJECT = "the checkout service's query latency"


def draft_call(**args: Any) -> AIMessage:
    return AIMessage(
        content="", tool_calls=[{"name": StepDraft.__name__, "args": args, "id": "call-1"}]
    )


def model(*messages: AIMessage) -> ToolCallingFake:
    return ToolCallingFake(messages=iter(messages), seen=[])


def brief(kind: str = "technical", **context: Any) -> Any:
    state = {
        "goal": f"Optimize {SUBJECT} by 40%",
        "goal_id": "goal-1",
        "intent": "optimize",
        "subject": SUBJECT,
        "agent_id": f"{kind}-1",
        "upstream": {},
        "step": {
            "id": "analyze_performance",
            "action": "analyze_performance",
            "category": "analysis",
            "description": f"Profile {SUBJECT}",
        },
        "context": {
            "evidence": [
                {
                    "type": "knowledge",
                    "id": "k1",
                    "title": "Index orders",
                    "score": 0.75,
                    "detail": "mentions checkout",
                    "store": "neo4j",
                }
            ],
            "sources": ["neo4j: 1 knowledge item mentions checkout"],
            **context,
        },
    }
    return make_brief(state, kind)  # type: ignore[arg-type]


GOOD = dict(
    summary=f"Profiled {SUBJECT}: p95 dominated by order lookups.",
    findings=[f"{SUBJECT}: order lookups scan the orders table (knowledge 'Index orders', 0.75)"],
    artefacts=[{"name": "baseline", "kind": "checklist", "content": "- p95\n- p99"}],
    confidence=0.8,
    knowledge=[{"title": "Order lookups scan", "text": "Index orders.customer_id", "tags": ["db"]}],
)


def test_model_writes_the_result_through_structured_output() -> None:
    fake = model(draft_call(**GOOD))
    result = asyncio.run(aproduce_with_llm(fake, brief()))
    assert result.produced_by == "llm"
    assert result.summary == GOOD["summary"]
    assert result.findings == GOOD["findings"]
    assert result.artefacts == [Artefact(**a) for a in GOOD["artefacts"]]
    assert result.confidence == 0.8
    assert [k.title for k in result.knowledge] == ["Order lookups scan"]
    assert result.knowledge[0].id.startswith("kn-")
    assert "neo4j: 1 knowledge item mentions checkout" in result.sources
    assert any(s.startswith("llm: ") for s in result.sources)


def test_model_sees_step_subject_and_context_in_its_prompt() -> None:
    fake = model(draft_call(**GOOD))
    asyncio.run(aproduce_with_llm(fake, brief()))
    system = str(fake.seen[0][0].content)
    assert SUBJECT in system and "Index orders" in system and "40%" in system
    assert "analyze_performance" in system


def test_result_without_knowledge_still_keeps_its_outcome() -> None:
    fake = model(draft_call(**{**GOOD, "knowledge": []}))
    result = asyncio.run(aproduce_with_llm(fake, brief()))
    assert len(result.knowledge) == 1 and SUBJECT in result.knowledge[0].title


def test_out_of_range_confidence_is_clamped() -> None:
    fake = model(draft_call(**{**GOOD, "confidence": 1.7}))
    assert asyncio.run(aproduce_with_llm(fake, brief())).confidence == 1.0


class Exploding(ToolCallingFake):
    def _generate(self, *args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("provider unreachable")


@pytest.mark.parametrize(
    ("fake", "reason"),
    [
        (Exploding(messages=iter([])), "ConnectionError: provider unreachable"),
        (model(AIMessage(content="I cannot do that")), "no structured answer"),
        (model(draft_call(summary="only a summary")), "did not parse"),
    ],
    ids=["provider-error", "no-tool-call", "invalid-draft"],
)
def test_model_failure_falls_back_to_offline_with_the_reason(fake: Any, reason: str) -> None:
    result = asyncio.run(aproduce_with_llm(fake, brief()))
    assert result.produced_by == "offline"
    fallback = [s for s in result.sources if s.startswith(FALLBACK_PREFIX)]
    assert len(fallback) == 1 and reason in fallback[0]
    assert SUBJECT in result.summary


@pytest.mark.parametrize("kind", AGENT_KINDS)
def test_every_agent_prompt_renders_with_exactly_the_values_passed(kind: str) -> None:
    assert placeholders(load_prompt(f"agent_{kind}")) == {
        "goal",
        "subject",
        "target",
        "step",
        "upstream",
        "context",
    }
    text = render_agent_prompt(brief(kind))
    assert SUBJECT in text and "{" not in text.replace("{{", "")
