"""The offline agents: a fixed, deterministic policy of tool calls per agent kind.

With no model, each kind calls the same tools a model would be given, with
arguments taken from the step (its action, the goal's intent, the subject's
key terms), and the result is built from what they return (`results.compose`).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence

from langchain_core.messages import ToolMessage
from langchain_core.tools import BaseTool

from argo_agents.agents.models import AgentKind, ToolArgs
from argo_agents.agents.state import TeamMate
from argo_agents.agents.tools import RunScope, ToolOutput

_STOPWORDS = frozenset(
    "a an and are as at be by for from in into is it its of on or our the their this that "
    "to with we all any each every new your more less make makes making".split()
)
_WORD = re.compile(r"[0-9a-zA-Z\uac00-\ud7a3][0-9a-zA-Z_\-\uac00-\ud7a3]*")


def key_terms(text: str, limit: int = 6) -> list[str]:
    """Lowercased content words of ``text`` in order, without stopwords or possessives."""
    terms: list[str] = []
    for word in _WORD.findall(text.casefold().replace("\u2019", "'")):
        word = word.removesuffix("'s").strip("-_")
        if len(word) >= 3 and word not in _STOPWORDS and word not in terms:
            terms.append(word)
    return terms[:limit]


def planned_calls(kind: AgentKind, scope: RunScope, description: str) -> list[tuple[str, ToolArgs]]:
    """The tool calls the offline ``kind`` agent makes for a step, in order."""
    about = f"{description}\n{scope.subject}"
    terms = key_terms(scope.subject) or key_terms(description)
    if kind == "technical":
        calls: list[tuple[str, ToolArgs]] = [
            ("dependency_paths", {}),
            ("earlier_results", {"action": scope.action}),
            ("step_history", {"action": scope.action}),
        ]
        return calls + ([("graph_mentions", {"terms": terms})] if terms else [])
    if kind == "research":
        return [
            ("knowledge_search", {"query": about, "k": 5}),
            ("learned_patterns", {"task_type": scope.intent}),
            ("step_history", {"action": scope.action}),
        ]
    return [
        ("similar_cases", {"query": about, "k": 5}),
        ("knowledge_search", {"query": about, "k": 5}),  # approaches in the user's documents
        ("similar_goals", {"query": scope.subject, "k": 3}),
        ("learned_patterns", {"task_type": scope.intent}),
    ]


async def call_tool(tool: BaseTool, args: ToolArgs, call_id: str) -> ToolOutput:
    """Run one tool as a model's tool call would, and return its typed output."""
    call = {"type": "tool_call", "name": tool.name, "args": args, "id": call_id}
    message = await tool.ainvoke(call)
    if not isinstance(message, ToolMessage):  # a built-in tool always answers a call so
        raise TypeError(f"tool {tool.name} answered {type(message).__name__}, not a ToolMessage")
    return ToolOutput.model_validate(message.artifact)


async def run_policy(
    kind: AgentKind,
    scope: RunScope,
    description: str,
    tools: list[BaseTool],
    limit: int,
    team: Sequence[TeamMate] = (),
) -> list[ToolOutput]:
    """The offline policy's tool outputs (at most ``limit`` calls, run concurrently): the
    kind's own reads, then what its teammates bring, then a help request if it needs one."""
    by_name = {t.name: t for t in tools}
    calls = [(n, a) for n, a in planned_calls(kind, scope, description) if n in by_name][:limit]
    outputs = list(
        await asyncio.gather(
            *(call_tool(by_name[n], a, f"offline-{i}") for i, (n, a) in enumerate(calls))
        )
    )
    asks = [team_request(m, scope) for m in team if m["kind"] != kind]
    if ask := follow_up(kind, scope, outputs):
        if not any(a["kind"] == ask["kind"] for a in asks):  # a teammate of that kind answers
            asks.append(ask)
    for i, args in enumerate(asks):
        if "ask_agent" in by_name and len(outputs) < limit:
            outputs.append(await call_tool(by_name["ask_agent"], args, f"offline-ask-{i}"))
    return outputs


def team_request(mate: TeamMate, scope: RunScope) -> ToolArgs:
    """What the lead asks a teammate: the step's part the lead cannot cover itself."""
    terms = key_terms(f"{scope.action.replace('_', ' ')} {scope.subject}", limit=8)
    covers = " ".join(c.replace("_", " ") for c in mate["covers"])
    return {
        "kind": mate["kind"],
        "agent_id": mate["agent_id"],
        "question": f"{covers}: " + " ".join(terms),
    }


def follow_up(kind: AgentKind, scope: RunScope, outputs: list[ToolOutput]) -> ToolArgs | None:
    """The help request an offline agent makes after its own reads, if any: a Technical
    agent that found no history of its action asks Research for prior art."""
    own = {"earlier_results", "step_history"}
    if kind != "technical" or any(o.records for o in outputs if o.tool in own):
        return None
    # content words only: filler words shared with unrelated documents would match them
    terms = key_terms(f"{scope.action.replace('_', ' ')} {scope.subject}", limit=8)
    return {"kind": "research", "question": "prior art: " + " ".join(terms)}
