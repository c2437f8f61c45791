"""Does learning change the next plan? `python bench/learning_families.py [--data-dir D]`.

For each family of similar goals, on fresh local stacks (one per mode):
  cold: only the family's last goal is planned, on a stack with no history;
  warm: the whole family runs first (the offline agents, a scripted Director),
        then the last goal is planned.
It prints, per family, whether the warm plan differs from the cold one in steps,
dependencies, assignment or estimates, and the warm plan's rationale lines the
cold one lacks (why). The scripted Director rejects or edits what the family
says; a family may name a step that fails in its earlier goals (injected into the
agent, so the failure is real to the orchestrator and recorded like any other).
"""

from __future__ import annotations

import argparse
import dataclasses
import uuid
from pathlib import Path
from typing import Any

from langgraph.graph import START, StateGraph
from scratch import scratch_dir

from argo_agents.agents.state import AgentInput, AgentOutput, AgentState
from argo_agents.api import Argo, GoalRun
from argo_agents.bootstrap import ModelChoice, build_services
from argo_agents.config import Settings
from argo_agents.local_stack import LocalStack
from argo_agents.services import Services
from argo_agents.sync.config import SyncConfig

FAMILIES: dict[str, dict[str, Any]] = {
    "deploy, Director rejects the deployment": {
        "goals": [
            "Deploy the checkout service to production",
            "Deploy the billing service to production",
            "Deploy the search service to production",
        ],
        "director": {"deploy_to_production": "reject"},
    },
    "migrate, Director edits the migration": {
        "goals": [
            "Migrate the orders table to the new sharded cluster",
            "Migrate the invoices table to the new sharded cluster",
            "Migrate the refunds table to the new sharded cluster",
        ],
        "director": {
            "run_data_migration": {
                "edit": {
                    "estimated_cost_usd": 90.0,
                    "required_capabilities": [
                        "database_migration",
                        "data_engineering",
                        "security_review",
                    ],
                }
            }
        },
    },
    "optimize, a step fails in earlier goals": {
        "goals": [
            "Optimise the checkout service query latency",
            "Optimise the billing service query latency",
            "Optimise the search service query latency",
        ],
        "failing": "identify_bottlenecks",
    },
    "research, nothing special": {
        "goals": [
            "Research how competitors price their premium support plans",
            "Research how competitors price their enterprise support plans",
            "Research how competitors price their basic support plans",
        ],
    },
}


def failing_agents(services: Services, action: str) -> Services:
    """``services`` whose agents fail ``action`` (and run every other step as usual)."""
    real_builder = services.build_agents

    def build(deps: Any) -> dict[str, Any]:
        real = dict(real_builder(deps))
        return {kind: _wrap(kind, graph, action) for kind, graph in real.items()}

    return dataclasses.replace(services, build_agents=build)


def _wrap(kind: str, graph: Any, action: str) -> Any:
    async def run(state: AgentState) -> dict[str, Any]:
        if state["step"]["action"] == action:
            raise RuntimeError(f"{action} failed (injected by the benchmark)")
        return dict(await graph.ainvoke(state))

    builder = StateGraph(AgentState, input_schema=AgentInput, output_schema=AgentOutput)
    builder.add_node("run", run)
    builder.add_edge(START, "run")
    return builder.compile(name=kind)


def run_goal(argo: Argo, goal: str, director: dict[str, Any]) -> GoalRun:
    """Run ``goal`` to its end, the scripted Director deciding every approval: its own
    decision the first time a step is asked, approval after (an edit that still needs
    approval is asked again)."""
    run = argo.submit_goal(goal, budget_usd=100_000, director="bench")
    asked: set[str] = set()
    while run.status == "awaiting_approval":
        decisions = {
            p.step_id: "approve" if p.step_id in asked else director.get(p.step_id, "approve")
            for p in run.pending_approvals
        }
        asked |= set(decisions)
        run = argo.resume(run.thread_id, decisions, reason="bench director")
    return run


def plans(data_dir: Path, warm: bool) -> dict[str, GoalRun]:
    """The last goal's run per family, after the earlier goals if ``warm``."""
    stack = LocalStack(Settings(_env_file=None, data_dir=data_dir))  # type: ignore[call-arg]
    endpoints = stack.up()
    config = SyncConfig(namespace=f"bench:{uuid.uuid4().hex[:8]}", block_ms=50)
    services = build_services(
        stack.settings, endpoints=endpoints, model=ModelChoice.OFFLINE, sync_config=config
    )
    out = {}
    try:
        for name, fam in FAMILIES.items():
            director = fam.get("director", {})
            if warm:
                flaky = failing_agents(services, fam["failing"]) if "failing" in fam else services
                for goal in fam["goals"][:-1]:
                    run_goal(Argo(services.settings, services=flaky), goal, director)
            out[name] = run_goal(
                Argo(services.settings, services=services), fam["goals"][-1], director
            )
    finally:
        services.close()
        stack.down()
    return out


def differences(cold: GoalRun, warm: GoalRun) -> list[str]:
    """What differs between the two plans, as short sentences."""
    assert cold.plan is not None and warm.plan is not None
    c = {s.id: s for s in cold.plan.steps}
    w = {s.id: s for s in warm.plan.steps}
    out = []
    if set(c) != set(w):
        out.append(f"steps: -{sorted(set(c) - set(w))} +{sorted(set(w) - set(c))}")
    both = sorted(set(c) & set(w))
    if deps := [s for s in both if c[s].dependencies != w[s].dependencies]:
        out.append(f"dependencies of {deps}")
    ca, wa = cold.assignments, warm.assignments
    if moved := [s for s in both if s in ca and s in wa and ca[s].agent_id != wa[s].agent_id]:
        out.append(
            "assignment: " + ", ".join(f"{s} {ca[s].agent_id}→{wa[s].agent_id}" for s in moved)
        )
    est = [
        f"{s} {c[s].estimated_duration_s}s→{w[s].estimated_duration_s}s"
        for s in both
        if c[s].estimated_duration_s != w[s].estimated_duration_s
    ]
    est += [
        f"{s} ${c[s].estimated_cost_usd}→${w[s].estimated_cost_usd}"
        for s in both
        if c[s].estimated_cost_usd != w[s].estimated_cost_usd
    ]
    if est:
        out.append("estimates: " + "; ".join(est))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None, help="parent of the two stacks")
    args = parser.parse_args()
    root = args.data_dir or scratch_dir("argo-learning-")
    print(f"cold stack in {root / 'cold'} …")
    cold = plans(root / "cold", warm=False)
    print(f"warm stack in {root / 'warm'} …")
    warm = plans(root / "warm", warm=True)
    changed = 0
    for name in FAMILIES:
        diff = differences(cold[name], warm[name])
        changed += bool(diff)
        print(f"\n== {name}: {'DIFFERS' if diff else 'same plan'}")
        for line in diff:
            print(f"   {line}")
        assert cold[name].plan is not None and warm[name].plan is not None
        new = [r for r in warm[name].plan.rationale if r not in cold[name].plan.rationale]
        for line in new:
            print(f"   why: {line}")
    print(f"\n{changed} of {len(FAMILIES)} families' warm plans differ from the cold ones")


if __name__ == "__main__":
    main()
