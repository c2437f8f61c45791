"""Run a goal with your own agents: two Technical agents with different skills.

    .venv/bin/python examples/custom_registry.py

The same registry can come from the environment instead:
ARGO_AGENTS='[{"agent_id": "technical-perf", "kind": "technical", ...}, ...]'.
"""

from __future__ import annotations

from argo_agents import Argo
from argo_agents.assignment.registry import AgentRegistry
from argo_agents.bootstrap import build_services

REGISTRY = AgentRegistry.from_spec(
    [
        {
            "agent_id": "technical-perf",
            "kind": "technical",
            "capabilities": ["performance_analysis", "software_engineering", "data_analysis"],
        },
        {
            "agent_id": "technical-ops",
            "kind": "technical",
            "capabilities": ["devops", "deployment"],
        },
        {"agent_id": "research-1", "kind": "research"},
        {"agent_id": "creative-1", "kind": "creative"},
    ]
)

services = build_services(registry=REGISTRY)
with Argo(services.settings, services=services) as argo:
    run = argo.submit_goal("Optimise the checkout service's query latency by 40%", budget_usd=900)
    if run.status == "awaiting_approval":
        run = argo.resume(run.thread_id, {p.step_id: "approve" for p in run.pending_approvals})
    for step_id, assignment in run.assignments.items():
        print(f"{step_id}: {assignment.agent_id} (score {assignment.adjusted_score:.2f})")
    print(f"goal {run.status}")
