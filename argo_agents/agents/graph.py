"""The agent subgraphs: Technical, Research and Creative, one builder for all three.

``gather_context → produce_result``. Builders return an uncompiled
`StateGraph`; entry points compile it (``graphs/*.py`` without a checkpointer,
the orchestrator as a node of its own graph, tests with theirs).
"""

from __future__ import annotations

from typing import get_args

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from argo_agents.agents.deps import DepsProvider
from argo_agents.agents.models import AgentKind
from argo_agents.agents.nodes import make_gather_context, make_produce_result
from argo_agents.agents.state import AgentInput, AgentOutput, AgentState

AGENT_KINDS: tuple[AgentKind, ...] = get_args(AgentKind)


def build_agent_graph(kind: AgentKind, deps: DepsProvider) -> StateGraph:
    """The uncompiled subgraph of one agent kind; ``deps`` is called at run time."""
    if kind not in AGENT_KINDS:
        raise ValueError(f"unknown agent kind {kind!r}; choose one of {list(AGENT_KINDS)}")
    builder = StateGraph(AgentState, input_schema=AgentInput, output_schema=AgentOutput)
    # closures built per kind: mypy cannot match their inferred types to add_node's overloads
    builder.add_node("gather_context", make_gather_context(kind, deps))  # type: ignore[call-overload, arg-type]
    builder.add_node("produce_result", make_produce_result(kind, deps))  # type: ignore[call-overload, arg-type]
    builder.add_edge(START, "gather_context")
    builder.add_edge("gather_context", "produce_result")
    builder.add_edge("produce_result", END)
    return builder


def compile_agents(deps: DepsProvider) -> dict[AgentKind, CompiledStateGraph]:
    """Every agent kind's subgraph, compiled (no checkpointer: the orchestrator's is used)."""
    return {kind: build_agent_graph(kind, deps).compile(name=kind) for kind in AGENT_KINDS}
