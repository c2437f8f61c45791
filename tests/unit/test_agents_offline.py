"""Offline step results: specific to the subject, built on upstream results, citing context."""

from __future__ import annotations

from typing import Any

import pytest

from argo_agents.agents.brief import make_brief
from argo_agents.agents.models import StepResult, knowledge_id
from argo_agents.agents.offline import produce_offline
from argo_agents.planning.offline import plan_offline

GOAL = "Optimize the checkout service's query latency by 40%"
PLAN = plan_offline(GOAL)
SUBJECT = PLAN.subject

KNOWLEDGE = {
    "type": "knowledge",
    "id": "kn-1",
    "title": "Index orders.customer_id",
    "score": 0.75,
    "detail": "mentions checkout, query",
    "store": "neo4j",
}
CASE = {
    "type": "similar_case",
    "id": "sr-9",
    "title": "Cache cart totals in Redis",
    "score": 0.81,
    "detail": "knowledge: a read-through cache cut p95 by 35%",
    "store": "vector",
}
PATTERN = {
    "id": "pat-1",
    "name": "profile-then-index",
    "task_type": "optimize",
    "success_rate": 0.85,
    "occurrences": 12,
    "step_sequence": ["analyze_performance", "identify_bottlenecks"],
}


def context(*evidence: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"evidence": list(evidence), "sources": [f"test: {len(evidence)} items"], **extra}


def run(
    action: str,
    *,
    kind: str = "technical",
    upstream: dict[str, StepResult] | None = None,
    ctx: dict[str, Any] | None = None,
    goal: str = GOAL,
) -> StepResult:
    plan = PLAN if goal == GOAL else plan_offline(goal)
    step = next(s for s in plan.steps if s.action == action)
    state = {
        "goal": goal,
        "goal_id": plan.goal_id,
        "intent": plan.intent,
        "subject": plan.subject,
        "step": step.model_dump(),
        "agent_id": f"{kind}-1",
        "upstream": {k: v.model_dump(mode="json") for k, v in (upstream or {}).items()},
        "context": ctx if ctx is not None else context(),
    }
    return produce_offline(make_brief(state, kind))  # type: ignore[arg-type]


def test_measurement_names_the_subject_and_lists_latency_metrics() -> None:
    r = run("analyze_performance")
    assert SUBJECT in r.summary
    assert sum(SUBJECT in f for f in r.findings) >= 3
    assert any("p50/p95/p99 latency" in f for f in r.findings)
    assert any("40%" in f for f in r.findings)
    assert r.produced_by == "offline" and r.agent_kind == "technical"


def test_found_context_is_cited_by_title_and_score() -> None:
    r = run("analyze_performance", ctx=context(KNOWLEDGE, CASE))
    text = "\n".join(r.findings)
    assert "knowledge 'Index orders.customer_id' (neo4j, match 0.75)" in text
    assert "similar case 'Cache cart totals in Redis' (vector, similarity 0.81)" in text
    assert "test: 2 items" in r.sources


def test_confidence_grows_with_the_context_found() -> None:
    bare = run("analyze_performance").confidence
    some = run("analyze_performance", ctx=context(KNOWLEDGE)).confidence
    more = run("analyze_performance", ctx=context(KNOWLEDGE, CASE, {**KNOWLEDGE, "id": "k2"}))
    assert bare < some < more.confidence <= 0.9


def test_store_outage_lowers_confidence_and_is_reported() -> None:
    down = {"evidence": [], "sources": ["no context from neo4j (related nodes): refused"]}
    r = run("analyze_performance", ctx=down)
    assert r.confidence < run("analyze_performance").confidence
    assert r.sources == down["sources"]


def test_bottlenecks_use_the_upstream_profile() -> None:
    profile = run("analyze_performance")
    r = run(
        "identify_bottlenecks", upstream={"analyze_performance": profile}, ctx=context(KNOWLEDGE)
    )
    assert any(f.startswith("Input from analyze_performance: ") for f in r.findings)
    assert "unindexed or N+1 database queries" in r.findings[0]
    assert "knowledge 'Index orders.customer_id'" in r.findings[0]
    assert r.artefacts[0].kind == "ranking"


def test_solutions_follow_the_upstream_bottleneck_ranking_and_similar_cases() -> None:
    cache_first = StepResult(
        step_id="identify_bottlenecks",
        agent_id="technical-1",
        agent_kind="technical",
        summary="Cache misses dominate",
        confidence=0.7,
        findings=["Bottleneck #1: missing or ineffective caching of hot reads"],
        artefacts=[
            {
                "name": "bottleneck_ranking",
                "kind": "ranking",
                "content": "1. missing or ineffective caching of hot reads\n"
                "2. unindexed or N+1 database queries",
                "items": [
                    {"key": "cache", "text": "missing or ineffective caching of hot reads"},
                    {"key": "db", "text": "unindexed or N+1 database queries"},
                ],
            }
        ],
    )
    r = run(
        "generate_solutions",
        kind="creative",
        upstream={"identify_bottlenecks": cache_first},
        ctx=context(CASE),
    )
    assert r.findings[0].startswith(f"Option A for {SUBJECT}: add a read-through Redis cache")
    assert any("adapt similar case 'Cache cart totals in Redis'" in f for f in r.findings)
    assert any("identify_bottlenecks" in f for f in r.findings if f.startswith("Recommended"))


def test_implementation_takes_the_option_recommended_upstream() -> None:
    options = run("generate_solutions", kind="creative")
    r = run("implement_optimizations", upstream={"generate_solutions": options})
    first = options.findings[0].split(": ", 1)[1].split(" — ")[0]
    assert first in r.findings[0] and "feature flag" in r.findings[0]


def test_implementation_reads_the_chosen_option_from_the_options_list_not_its_wording() -> None:
    options = StepResult(
        step_id="generate_solutions",
        agent_id="creative-1",
        agent_kind="creative",
        summary="Two options",
        confidence=0.7,
        findings=["Shard first, then cache."],
        artefacts=[
            {
                "name": "solution_options",
                "kind": "options",
                "content": "shard\ncache",
                "items": [{"text": "shard the orders table by customer"}, {"text": "cache"}],
            }
        ],
    )
    r = run("implement_optimizations", upstream={"generate_solutions": options})
    assert r.findings[0].startswith(f"Implement for {SUBJECT}: shard the orders table by customer,")


def test_research_summarises_pattern_success_and_history() -> None:
    history = {
        "runs": 14,
        "successes": 12,
        "success_rate": 0.857,
        "mean_duration_s": 240.0,
        "predicted_s": 240,
    }
    ctx = context(
        {
            "type": "pattern",
            "id": "pat-1",
            "title": "profile-then-index",
            "score": 0.85,
            "detail": "",
            "store": "neo4j",
        },
        patterns=[PATTERN],
        history=history,
    )
    r = run(
        "review_literature",
        kind="research",
        ctx=ctx,
        goal="Research caching strategies for the product catalogue",
    )
    text = "\n".join(r.findings)
    assert "'profile-then-index' for research tasks: 85% success over 12 runs" in text
    assert "14 past review_literature/research activities, 86% succeeded" in text
    assert "1 applicable pattern(s), 14 historical run(s)" in r.summary


def test_research_without_patterns_says_so() -> None:
    r = run(
        "review_literature",
        kind="research",
        goal="Research caching strategies for the product catalogue",
    )
    assert any("No pattern with ≥ 70% success" in f for f in r.findings)


def test_validation_checks_upstream_against_the_target() -> None:
    weak = StepResult(
        step_id="implement_optimizations",
        agent_id="technical-2",
        agent_kind="technical",
        summary="Indexed orders",
        confidence=0.2,
    )
    r = run("validate_results", upstream={"implement_optimizations": weak})
    assert any("≤ 0.60 × baseline (a 40% reduction)" in f for f in r.findings)
    assert "blocked: re-run implement_optimizations" in r.summary
    good = weak.model_copy(update={"confidence": 0.8, "findings": ["p95 fell by 40%"]})
    ok = run("validate_results", upstream={"implement_optimizations": good})
    assert "ready to measure" in ok.summary
    assert any("addresses the 40% target" in f for f in ok.findings)


def test_gated_step_gets_a_runbook_with_its_preconditions() -> None:
    goal = "Delete obsolete test accounts from the billing database"
    backup = StepResult(
        step_id="backup_before_deletion",
        agent_id="technical-1",
        agent_kind="technical",
        summary="Backed up",
        confidence=0.2,
    )
    r = run("delete_data", upstream={"backup_before_deletion": backup}, goal=goal)
    assert r.artefacts[0].kind == "runbook"
    assert any("backup_before_deletion" in f and "too low, hold" in f for f in r.findings)
    assert any("no orphan references remain" in f for f in r.findings)


@pytest.mark.parametrize(
    "goal",
    [
        GOAL,
        "Deploy the payments API to production",
        "Research caching strategies for the product catalogue",
    ],
)
def test_every_step_of_a_plan_gets_a_distinct_specific_result(goal: str) -> None:
    plan = PLAN if goal == GOAL else plan_offline(goal)
    summaries = set()
    for step in plan.steps:
        r = run(step.action, goal=goal)
        assert plan.subject in r.summary, (step.action, r.summary)
        assert r.findings and r.artefacts and 1 <= len(r.knowledge) <= 2
        summaries.add(r.summary)
        assert r.findings != run(plan.steps[0].action, goal=goal).findings or step is plan.steps[0]
    assert len(summaries) == len(plan.steps)


def test_same_input_gives_the_same_result_and_knowledge_ids() -> None:
    a, b = (
        run("analyze_performance", ctx=context(KNOWLEDGE)),
        run("analyze_performance", ctx=context(KNOWLEDGE)),
    )
    assert a == b
    title = a.knowledge[0].title
    assert a.knowledge[0].id == knowledge_id(PLAN.goal_id, "analyze_performance", title)
    assert knowledge_id("goal-other", "analyze_performance", title) != a.knowledge[0].id


def test_backup_steps_get_a_restore_tested_backup_plan() -> None:
    r = run("backup_before_deletion", goal="Delete obsolete test accounts from the billing db")
    assert r.artefacts[0].name == "backup_plan"
    assert any(f.startswith("Restore-test the snapshot") for f in r.findings)


def test_rollout_and_rollback_follow_the_subject_lens() -> None:
    data = run("write_migration_scripts", goal="Migrate the orders table to the new schema")
    perf = run("implement_optimizations")
    assert "idempotent batches" in data.findings[0] and "feature flag" in perf.findings[0]
    assert any("verified backup" in f for f in data.findings)
