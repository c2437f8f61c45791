"""The Strategic Orchestrator: the only place its nodes are wired.

interpret_goal → decompose_goal → assign_agents → await_approval (↺ per round) →
(run_agent_step ×N in parallel → collect_results)* → integrate_results →
sync_to_stores. Builders return uncompiled graphs; entry points compile them
with their own checkpointer (or none, for `langgraph dev`).
"""

from __future__ import annotations

from langgraph.graph import END, START, StateGraph

from argo_agents.orchestrator.approval_gate import ApprovalGate
from argo_agents.orchestrator.context import Context
from argo_agents.orchestrator.execution import ExecutionNodes, route_ready_steps
from argo_agents.orchestrator.outcome_nodes import OutcomeNodes
from argo_agents.orchestrator.planning_nodes import PlanningNodes
from argo_agents.orchestrator.state import GoalInput, OutputState, State
from argo_agents.services import ServicesProvider


def build_orchestrator(
    services: ServicesProvider,
) -> StateGraph[State, Context, GoalInput, OutputState]:
    """The orchestrator graph, uncompiled; ``services`` is called on first use."""
    planning = PlanningNodes(services)
    gate = ApprovalGate(services)
    execution = ExecutionNodes(services)
    outcome = OutcomeNodes(services)

    builder = StateGraph(
        State, context_schema=Context, input_schema=GoalInput, output_schema=OutputState
    )
    builder.add_node("interpret_goal", planning.interpret_goal)
    builder.add_node("decompose_goal", planning.decompose_goal)
    builder.add_node("assign_agents", planning.assign_agents)
    # the gate routes itself (Command): back to itself while decisions are pending
    builder.add_node(
        "await_approval",
        gate.await_approval,
        destinations=("await_approval", "run_agent_step", "integrate_results"),
    )
    # its input is a `Send` payload (StepTask), not the graph state
    builder.add_node("run_agent_step", execution.run_agent_step)  # type: ignore[arg-type]
    builder.add_node("collect_results", execution.collect_results)
    builder.add_node("integrate_results", outcome.integrate_results)
    builder.add_node("sync_to_stores", outcome.sync_to_stores)

    builder.add_edge(START, "interpret_goal")
    builder.add_edge("interpret_goal", "decompose_goal")
    builder.add_edge("decompose_goal", "assign_agents")
    builder.add_edge("assign_agents", "await_approval")
    builder.add_edge("run_agent_step", "collect_results")
    builder.add_conditional_edges(
        "collect_results",
        route_ready_steps,
        ["run_agent_step", "integrate_results", "await_approval"],  # a step escalated
    )
    builder.add_edge("integrate_results", "sync_to_stores")
    builder.add_edge("sync_to_stores", END)
    return builder
