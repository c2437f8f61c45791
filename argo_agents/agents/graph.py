"""The agent subgraphs: Technical, Research and Creative, one builder for all three.

``begin`` chooses the path: without a model, ``work_offline`` runs the kind's
fixed tool policy; with one, ``call_model ↔ run_tools`` loops until the model
stops asking for tools or the run's tool budget is spent, and ``finish`` asks
for the typed result. Builders return an uncompiled `StateGraph`; entry points
compile it (``graphs/*.py`` without a checkpointer, the orchestrator as a node
of its own graph, tests with theirs).
"""

from __future__ import annotations

from typing import get_args

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from argo_agents.agents.deps import DepsProvider
from argo_agents.agents.models import AgentKind
from argo_agents.agents.nodes import AgentNodes, after_begin, after_model, after_tools
from argo_agents.agents.state import AgentInput, AgentOutput, AgentState

AGENT_KINDS: tuple[AgentKind, ...] = get_args(AgentKind)


def build_agent_graph(kind: AgentKind, deps: DepsProvider) -> StateGraph:
    """The uncompiled subgraph of one agent kind; ``deps`` is called at run time."""
    if kind not in AGENT_KINDS:
        raise ValueError(f"unknown agent kind {kind!r}; choose one of {list(AGENT_KINDS)}")
    nodes = AgentNodes(kind, deps)
    builder = StateGraph(AgentState, input_schema=AgentInput, output_schema=AgentOutput)
    builder.add_node("begin", nodes.begin)
    builder.add_node("work_offline", nodes.work_offline)
    builder.add_node("call_model", nodes.call_model)
    builder.add_node("run_tools", nodes.run_tools)
    builder.add_node("finish", nodes.finish)
    builder.add_edge(START, "begin")
    builder.add_conditional_edges("begin", after_begin)
    builder.add_conditional_edges("call_model", after_model)
    builder.add_conditional_edges("run_tools", after_tools)
    builder.add_edge("work_offline", END)
    builder.add_edge("finish", END)
    return builder


def compile_agents(deps: DepsProvider) -> dict[AgentKind, CompiledStateGraph]:
    """Every agent kind's subgraph, compiled (no checkpointer: the orchestrator's is used)."""
    return {kind: build_agent_graph(kind, deps).compile(name=kind) for kind in AGENT_KINDS}
