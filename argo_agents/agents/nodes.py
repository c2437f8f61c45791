"""The two nodes of an agent subgraph: gather context, then produce the result.

Both are async and run every blocking call (opening stores, store queries)
in a worker thread, so the LangGraph server's event loop is never blocked.
They are made per agent kind by the factories below; `graph.py` wires them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from argo_agents.agents.brief import make_brief
from argo_agents.agents.creative import gather_creative
from argo_agents.agents.deps import AgentDeps, DepsProvider
from argo_agents.agents.gathering import GatheredContext
from argo_agents.agents.llm import aproduce_with_llm
from argo_agents.agents.models import AgentKind
from argo_agents.agents.offline import produce_offline
from argo_agents.agents.research import gather_research
from argo_agents.agents.state import AgentState, AgentUpdate
from argo_agents.agents.technical import gather_technical

Node = Callable[[AgentState], Awaitable[AgentUpdate]]

GATHERERS: dict[AgentKind, Callable[[AgentDeps, AgentState], GatheredContext]] = {
    "technical": gather_technical,
    "research": gather_research,
    "creative": gather_creative,
}


def make_gather_context(kind: AgentKind, deps: DepsProvider) -> Node:
    """The ``gather_context`` node of ``kind``: read the agent's store(s) for this step."""
    gather = GATHERERS[kind]

    async def gather_context(state: AgentState) -> AgentUpdate:
        """Context from the store this agent kind is best at."""
        opened = await asyncio.to_thread(deps)
        return {"context": await asyncio.to_thread(gather, opened, state)}

    return gather_context


def make_produce_result(kind: AgentKind, deps: DepsProvider) -> Node:
    """The ``produce_result`` node of ``kind``: the model's result, or the offline one."""

    async def produce_result(state: AgentState) -> AgentUpdate:
        """A `StepResult` from the step, its upstream results and the gathered context."""
        opened = await asyncio.to_thread(deps)
        brief = make_brief(state, kind)
        if opened.model is None:
            result = produce_offline(brief)
        else:
            result = await aproduce_with_llm(opened.model, brief)
        return {"result": result.model_dump(mode="json")}

    return produce_result
