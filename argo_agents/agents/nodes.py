"""The nodes of an agent subgraph: begin, the offline policy, the model ↔ tools loop, finish.

Every node is async and runs blocking work (opening stores) in a worker thread;
tools run their store reads in threads too, so the LangGraph server's event
loop is never blocked. Tools are built per node call from the deps and the
step (`tools_for`): they hold connections, which must never sit in graph state.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Literal

from langchain_core.messages import AIMessage, AnyMessage
from langchain_core.tools import BaseTool
from pydantic import ValidationError

from argo_agents.agents.deliberation import with_consensus
from argo_agents.agents.deps import AgentDeps, DepsProvider
from argo_agents.agents.director import cite_answers, escalate_tool
from argo_agents.agents.llm import (
    FALLBACK_PREFIX,
    call_model,
    check_draft,
    draft_result,
    errors_text,
    first_messages,
    model_name,
    outputs_of,
    run_tool_calls,
)
from argo_agents.agents.models import AgentKind, StepResult
from argo_agents.agents.policy import run_policy
from argo_agents.agents.results import compose, scope_of
from argo_agents.agents.state import (
    AgentState,
    AgentUpdate,
    answers_of,
    run_of,
    step_of,
    team_of,
)
from argo_agents.agents.tools import tools_for
from argo_agents.planning.llm import LLMFallbackRefused
from argo_agents.stores.errors import StoreError
from argo_agents.structured import fallback_event

log = logging.getLogger(__name__)

Node = Callable[[AgentState], Awaitable[AgentUpdate]]


class AgentNodes:
    """The nodes of one agent kind's subgraph."""

    def __init__(self, kind: AgentKind, deps: DepsProvider) -> None:
        self.kind, self._deps = kind, deps

    async def _open(self, state: AgentState) -> tuple[AgentDeps, list[BaseTool]]:
        deps = await asyncio.to_thread(self._deps)
        return deps, [*tools_for(self.kind, deps, scope_of(state)), escalate_tool()]

    async def begin(self, state: AgentState) -> AgentUpdate:
        """Choose the mode: the model's loop when a model is configured, else the policy."""
        deps, tools = await self._open(state)
        if deps.model is None:
            return {"mode": "offline", "tool_calls_made": 0}
        limit = run_of(state)["max_tool_calls"]
        messages = first_messages(self.kind, state, tools, limit)
        return {"mode": "llm", "messages": messages, "tool_calls_made": 0}

    async def work_offline(self, state: AgentState) -> AgentUpdate:
        """The offline policy: the kind's tool calls, and the result built from them."""
        return await self._offline(state, [])

    async def _offline(self, state: AgentState, notes: list[str]) -> AgentUpdate:
        _, tools = await self._open(state)
        scope = scope_of(state)
        limit = run_of(state)["max_tool_calls"]
        description = step_of(state).description
        outputs = await run_policy(self.kind, scope, description, tools, limit, team_of(state))
        result = compose(self.kind, state, outputs, questions=notes, notes=notes)
        return await self._decided(state, result)

    async def _decided(self, state: AgentState, result: StepResult) -> AgentUpdate:
        """The result, with the other agents' vote when it names competing options (a vote
        that settles nothing escalates to the Director, whose answer then decides)."""
        deps = await asyncio.to_thread(self._deps)
        scope = scope_of(state)
        answers = answers_of(state)
        result = await asyncio.to_thread(with_consensus, self.kind, deps, scope, result, answers)
        result = cite_answers(result, answers)  # what the Director decided for this step
        return {"result": result.model_dump(mode="json")}

    async def _fallback(self, state: AgentState, reason: str) -> AgentUpdate:
        step_id = scope_of(state).step_id
        deps = await asyncio.to_thread(self._deps)
        if deps.llm_fallback == "never":
            raise LLMFallbackRefused(
                f"agent {state['agent_id']} step {step_id}: the model gave no usable result "
                f"({reason}); fix the model endpoint, or set ARGO_LLM_FALLBACK=offline"
            )
        log.warning("agent %s step %s: %s%s", state["agent_id"], step_id, FALLBACK_PREFIX, reason)
        if deps.publish is not None:  # counted too, not only logged and noted in the result
            event = fallback_event(state["goal_id"], f"agent:{self.kind}", reason)
            try:
                await asyncio.to_thread(deps.publish, [event])
            except StoreError as exc:
                log.warning("agent %s: the fallback was not counted: %s", state["agent_id"], exc)
        return await self._offline(state, [FALLBACK_PREFIX + reason])

    async def call_model(self, state: AgentState) -> AgentUpdate:
        """One model turn with the kind's tools."""
        deps, tools = await self._open(state)
        assert deps.model is not None  # begin chose this path because a model is configured
        try:
            reply = await call_model(deps.model, tools, state["messages"])
        # Deliberately broad: any provider, network or parsing error means no usable
        # turn; the reason is logged and kept in the result.
        except Exception as exc:
            return await self._fallback(state, f"model call failed ({type(exc).__name__}: {exc})")
        return {"messages": [reply]}

    async def run_tools(self, state: AgentState) -> AgentUpdate:
        """Run the tool calls of the model's last turn, within the run's tool budget."""
        _, tools = await self._open(state)
        reply = state["messages"][-1]
        assert isinstance(reply, AIMessage)  # routed here only after a turn with tool calls
        budget = run_of(state)["max_tool_calls"] - state.get("tool_calls_made", 0)
        answers = await run_tool_calls(reply, tools, max(0, budget))
        ran = sum(1 for m in answers if m.artifact is not None)
        messages: list[AnyMessage] = list(answers)
        return {"messages": messages, "tool_calls_made": state.get("tool_calls_made", 0) + ran}

    async def finish(self, state: AgentState) -> AgentUpdate:
        """Ask the model for its draft; keep the citations the tools back; build the result."""
        deps, _ = await self._open(state)
        assert deps.model is not None
        outputs = outputs_of(state["messages"])
        try:
            draft = await draft_result(deps.model, state["messages"])
        except ValidationError as exc:
            return await self._fallback(state, f"model answer did not parse ({errors_text(exc)})")
        except Exception as exc:  # deliberately broad, as in call_model
            return await self._fallback(state, f"model call failed ({type(exc).__name__}: {exc})")
        checked = check_draft(draft, outputs)
        result = compose(
            self.kind,
            state,
            outputs,
            summary=checked.summary,
            findings=checked.findings,
            extra_figures=checked.figures,
            questions=checked.questions,
            produced_by="llm",
            notes=[f"llm: {model_name(deps.model)}"],
        )
        return await self._decided(state, result)


def after_begin(state: AgentState) -> Literal["work_offline", "call_model"]:
    """The offline policy without a model, else the model's loop."""
    return "call_model" if state.get("mode") == "llm" else "work_offline"


def after_model(state: AgentState) -> Literal["run_tools", "finish", "__end__"]:
    """Tools while the model asks for them and budget is left; else the report."""
    if state.get("result"):
        return "__end__"  # the model failed and the offline result stands
    last = state["messages"][-1]
    wants_tools = isinstance(last, AIMessage) and bool(last.tool_calls)
    if wants_tools and state.get("tool_calls_made", 0) < run_of(state)["max_tool_calls"]:
        return "run_tools"
    return "finish"


def after_tools(state: AgentState) -> Literal["call_model", "finish"]:
    """Back to the model until the tool budget is spent."""
    if state.get("tool_calls_made", 0) >= run_of(state)["max_tool_calls"]:
        return "finish"
    return "call_model"
