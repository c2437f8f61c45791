"""What earlier runs recorded changes the next plan and assignment, and says why."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage

from argo_agents.agents.results import confidence
from argo_agents.agents.tools import Record, ToolOutput
from argo_agents.assignment.hungarian import assign_batch
from argo_agents.assignment.registry import AgentRegistry
from argo_agents.assignment.scoring import select_agent
from argo_agents.assignment.teams import form_team
from argo_agents.learning.history import LearnedHistory, build_history
from argo_agents.learning.patterns import merge_patterns
from argo_agents.learning.prediction import predict_step
from argo_agents.orchestrator.planning_nodes import assign_plan
from argo_agents.planning.llm import plan_with_llm
from argo_agents.planning.models import Pattern, PlanStep
from argo_agents.planning.offline import PlanningContext, plan_offline
from argo_agents.planning.validate import validate_plan
from tests.fakes import ToolCallingFake

OPTIMIZE = "Optimise the checkout service's query latency"
DEPLOY = "Deploy the payments API to production"


def run(rid: str, action: str, agent: str, ok: bool = True, ms: int = 1000) -> dict[str, Any]:
    return {
        "id": rid,
        "activity_type": action,
        "agent_id": agent,
        "task_id": f"goal-{rid}",
        "success": ok,
        "duration_ms": ms,
    }


def decision(rid: str, action: str, verdict: str, at: str, **content: Any) -> dict[str, Any]:
    return {
        "id": rid,
        "decision": verdict,
        "content": {"step_id": action, "goal_id": f"goal-{rid}", "at": at, **content},
    }


def warm(goal: str, history: LearnedHistory) -> Any:
    return plan_offline(goal, context=PlanningContext(history=history))


def test_a_warm_plans_estimates_come_from_measured_history() -> None:
    history = build_history(
        [
            run(f"a{i}", "analyze_performance", "technical-1", ms=ms)
            for i, ms in enumerate((2000, 4500, 9000))
        ]
    )
    cold, plan = plan_offline(OPTIMIZE), warm(OPTIMIZE, history)
    step = plan.step("analyze_performance")
    assert cold.step("analyze_performance").estimated_duration_s == 300
    assert (step.estimated_duration_s, step.template_duration_s) == (5, 300)  # median 4.5 s
    assert plan.estimated_duration_s == cold.estimated_duration_s - 300 + 5
    assert any("median of 3 runs" in line for line in plan.rationale)
    # one run is not history enough to replace the template's figure
    once = build_history([run("b1", "analyze_performance", "technical-1")])
    assert warm(OPTIMIZE, once).step("analyze_performance").estimated_duration_s == 300


def test_a_step_the_director_rejected_is_not_proposed_again() -> None:
    history = build_history(
        [],
        [
            decision("d1", "deploy_to_production", "reject", "2025-01-02", reason="freeze week"),
            decision("d0", "deploy_to_production", "approve", "2025-01-01"),
            decision("d2", "deploy_to_production", "reject", "2025-01-03"),
        ],
    )
    cold, plan = plan_offline(DEPLOY), warm(DEPLOY, history)
    assert "deploy_to_production" in cold.step_ids()
    assert "deploy_to_production" not in plan.step_ids()
    assert "monitor_rollout" not in plan.step_ids()  # it needs the deployment
    validate_plan(plan)
    line = next(r for r in plan.rationale if r.startswith("Dropped"))
    assert "deploy_to_production, monitor_rollout" in line and "d2" in line
    assert "freeze week" in line


def test_a_later_approval_outweighs_an_older_rejection() -> None:
    history = build_history(
        [],
        [
            decision("d1", "deploy_to_production", "reject", "2025-01-01"),
            decision("d2", "deploy_to_production", "approve", "2025-01-02"),
        ],
    )
    assert "deploy_to_production" in warm(DEPLOY, history).step_ids()


def test_a_step_the_director_edited_is_proposed_with_the_edit_but_never_ungated() -> None:
    change = {
        "estimated_cost_usd": {"before": 120.0, "after": 90.0},
        "category": {"before": "production_deployment", "after": "analysis"},
    }
    history = build_history(
        [],
        [
            decision("e1", "deploy_to_production", "edit", "2025-01-01", changes=change),
        ],
    )
    plan = warm(DEPLOY, history)
    step = plan.step("deploy_to_production")
    assert step.category == "production_deployment"  # a label edit never ungates a step
    assert step.estimated_cost_usd == 120.0  # nor does a cost cut: the gate asks again
    assert any("cut its cost to $90.00" in r for r in plan.rationale)
    longer = {"estimated_duration_s": {"before": 900, "after": 1800}}
    rows = [decision("e2", "deploy_to_production", "edit", "2025-01-02", changes=longer)]
    edited = warm(DEPLOY, build_history([], rows)).step("deploy_to_production")
    assert edited.estimated_duration_s == 1800


def test_a_step_that_failed_gains_a_precheck_before_it() -> None:
    rows = [
        run("f1", "identify_bottlenecks", "research-1", ok=False),
        run("f2", "identify_bottlenecks", "research-1", ok=False),
        run("f3", "identify_bottlenecks", "research-1"),
    ]
    assert "precheck_identify_bottlenecks" not in warm(OPTIMIZE, build_history(rows)).step_ids()
    similar = [r["task_id"] for r in rows]  # failure points count for goals like this one
    plan = warm(OPTIMIZE, build_history(rows, similar_goal_ids=similar))
    check = plan.step("precheck_identify_bottlenecks")
    assert plan.step("identify_bottlenecks").dependencies == [check.id]
    assert check.dependencies == ["analyze_performance"]
    assert check.category == "analysis"
    validate_plan(plan)
    assert any("failed in 2 of 3" in r and "f1" in r for r in plan.rationale)
    # a step that succeeded is left alone
    ok = [run(f"g{i}", "identify_bottlenecks", "research-1") for i in range(3)]
    fine = build_history(ok, similar_goal_ids=[r["task_id"] for r in ok])
    assert "precheck_identify_bottlenecks" not in warm(OPTIMIZE, fine).step_ids()


def drafted(goal: str, history: LearnedHistory | None) -> Any:
    """The plan a model drafts for ``goal`` (the same draft every time), with ``history``."""
    deploy = plan_offline(DEPLOY)
    steps = [
        s.model_dump()
        for s in deploy.steps
        if s.id in ("review_release_readiness", "deploy_to_production")
    ]
    steps[1]["dependencies"] = [steps[0]["id"]]
    call = {"name": "PlanDraft", "args": {"steps": steps, "rationale": ["model"]}, "id": "1"}
    model = ToolCallingFake(messages=iter([AIMessage(content="", tool_calls=[call])]))
    context = PlanningContext(history=history) if history is not None else None
    return plan_with_llm(model, goal, context=context, fallback="never")


def test_a_model_drafted_plan_learns_as_the_offline_plan_does() -> None:
    cold = drafted(DEPLOY, None)
    assert cold.source == "llm"
    assert cold.step_ids() == ["review_release_readiness", "deploy_to_production"]
    rows = [run(f"m{i}", "review_release_readiness", "technical-1", ms=3000) for i in range(3)]
    rejected = [
        decision("r1", "deploy_to_production", "reject", "2025-01-02", reason="freeze week"),
        decision("r2", "deploy_to_production", "reject", "2025-01-03"),
    ]
    warm_plan = drafted(DEPLOY, build_history(rows, rejected))
    assert warm_plan.source == "llm"  # learned, not fallen back to the offline planner
    assert warm_plan.step_ids() == ["review_release_readiness"]
    assert warm_plan.step("review_release_readiness").estimated_duration_s == 3
    assert any("freeze week" in r for r in warm_plan.rationale)
    assert any("median of 3 runs" in r for r in warm_plan.rationale)


def twins() -> AgentRegistry:
    return AgentRegistry.from_spec(
        [
            {"agent_id": "technical-1", "kind": "technical"},
            {"agent_id": "technical-2", "kind": "technical"},
            {"agent_id": "research-1", "kind": "research"},
            {"agent_id": "creative-1", "kind": "creative"},
        ]
    )


def test_the_agent_with_the_better_record_for_an_action_is_preferred() -> None:
    step = plan_offline(OPTIMIZE).step("analyze_performance")
    assert select_agent(step, twins(), {}).agent_id == "technical-1"  # the tie goes to the id
    rows = [run(f"t1-{i}", step.action, "technical-1", ok=i == 0) for i in range(4)]
    rows += [run(f"t2-{i}", step.action, "technical-2") for i in range(4)]
    history = build_history(rows)
    chosen = select_agent(step, twins(), {}, history)
    assert chosen.agent_id == "technical-2"
    assert chosen.record_factor > 1 and "4/4 runs succeeded" in chosen.reason
    other = plan_offline(OPTIMIZE).step("validate_results")
    batch = assign_batch([step, other], twins(), {}, history)
    assert batch[0].agent_id == "technical-2"


def test_team_formation_prefers_the_pair_with_the_better_record() -> None:
    step = PlanStep(
        id="s",
        action="s",
        description="d",
        category="analysis",
        required_capabilities=["research", "profiling"],
    )
    assert form_team(step, twins(), "research-1") is not None
    pairs = [
        {"agent1": "research-1", "agent2": "technical-1", "interactions": 5, "successes": 1},
        {"agent1": "technical-2", "agent2": "research-1", "interactions": 5, "successes": 5},
    ]
    team = form_team(step, twins(), "research-1", build_history([], [], pairs))
    assert team is not None and team.members == ["research-1", "technical-2"]
    assert team.coverage == 1.0 and "5/5 together" in team.reason
    # a step its lead covers alone needs no team
    assert (
        form_team(
            step.model_copy(update={"required_capabilities": ["research"]}), twins(), "research-1"
        )
        is None
    )


def test_prediction_uses_history_speed_and_load() -> None:
    plan = plan_offline(OPTIMIZE)
    step = plan.step("analyze_performance")
    rows = [run(f"p{i}", step.action, "technical-1", ms=2000) for i in range(2)]
    rows += [run(f"q{i}", step.action, "technical-2", ms=4000) for i in range(2)]
    history = build_history(rows)
    agent = twins().get("technical-2")
    pred = predict_step(step, agent, 5, history)  # full load: factor 1.25
    assert pred is not None
    assert (pred.mean_s, pred.speed_factor, pred.speed_source) == (
        3.0,
        pytest.approx(1.333, abs=1e-3),
        "history",
    )
    assert pred.load_factor == 1.25 and pred.predicted_s == pytest.approx(5.0)
    assert pred.template_s == 300
    assert predict_step(step, agent, 0, LearnedHistory()) is None
    warm_plan = plan_offline(OPTIMIZE, context=PlanningContext(history=history))
    assigned = assign_plan(warm_plan, twins(), {}, history)
    shown = assigned["analyze_performance"].prediction
    assert shown is not None and shown.template_s == 300 and shown.runs == 4


def test_similar_sequences_merge_into_one_family() -> None:
    base = ["a", "b", "c", "d"]
    pats = [
        Pattern(id="p1", task_type="optimize", success_rate=1.0, step_sequence=base, occurrences=3),
        Pattern(
            id="p2",
            task_type="optimize",
            success_rate=0.5,
            step_sequence=["pre", *base],
            occurrences=1,
            failure_points=["b"],
        ),
        Pattern(
            id="p3", task_type="optimize", success_rate=1.0, step_sequence=["x", "y"], occurrences=1
        ),
    ]
    fams = merge_patterns(pats)
    assert [f.pattern_ids for f in fams] == [["p1", "p2"], ["p3"]]
    assert fams[0].occurrences == 4 and fams[0].success_rate == pytest.approx(0.875)
    assert fams[0].failure_points == ["b"]


def kn(rid: str, score: float = 1.0) -> Record:
    return Record(
        store="chroma",
        record_id=rid,
        query="knowledge_search",
        title=rid,
        score=score,
        fields={"collection": "knowledge"},
    )


def test_a_runs_own_text_stored_as_knowledge_does_not_raise_confidence() -> None:
    independent = ToolOutput(tool="knowledge_search", records=[kn("doc-chunk-1", 0.4)])
    own = ToolOutput(
        tool="similar_cases",
        records=[
            kn("kn-0123456789abcdef"),
            Record(
                store="chroma",
                record_id="g.s-result",
                query="similar_cases",
                title="r",
                score=1.0,
                fields={"collection": "step_result"},
            ),
        ],
    )
    earlier = ToolOutput(
        tool="earlier_results",
        records=[
            Record(store="neo4j", record_id="r1", query="previous_results", title="r", score=0.9)
        ],
    )
    assert confidence([independent, own, earlier]) == confidence([independent])
    assert confidence([own, earlier]) == confidence([])
