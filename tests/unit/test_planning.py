"""Planning: intents, the offline planner, validation, repair and the LLM planner."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage

from argo_agents.planning import (
    CAPABILITIES,
    CATEGORIES,
    GATED_CATEGORIES,
    ExecutionPlan,
    PlanningContext,
    PlanStep,
    PlanValidationError,
    dependents_closure,
    make_goal_id,
    make_plan,
    make_plan_id,
    plan_offline,
    plan_with_llm,
    ready_steps,
    repair_plan,
    validate_plan,
)
from argo_agents.planning.intents import parse_goal
from argo_agents.planning.llm import FALLBACK_PREFIX
from argo_agents.planning.models import MAX_PATTERNS, STRONG_PATTERN, Pattern
from argo_agents.planning.templates import TEMPLATES
from tests.fakes import ToolCallingFake

GOALS = {
    "optimize": ("optimise the checkout service's query latency by 40%", "checkout service"),
    "research": ("Research and compare vector databases for semantic search", "vector databases"),
    "build": ("Build a REST API for invoices", "REST API for invoices"),
    "integrate": ("Integrate Stripe payments with our checkout service", "Stripe payments"),
    "migrate": ("Migrate the orders table from MySQL to Postgres", "orders table"),
    "deploy": ("Deploy the billing service v2 to production", "billing service v2"),
    "delete": ("Purge stale customer sessions older than 90 days", "stale customer sessions"),
    "general": ("Write a haiku about autumn leaves", "haiku about autumn leaves"),
}
GATED_BY_INTENT = {
    "integrate": "external_integration",
    "deploy": "production_deployment",
    "delete": "data_deletion",
    "migrate": "data_migration",
}


def step(sid: str, deps: list[str] | None = None, **kw: Any) -> PlanStep:
    fields: dict[str, Any] = dict(
        id=sid,
        action=f"do_{sid}".replace("-", "_"),
        description=f"work on {sid}",
        category="analysis",
        required_capabilities=["research"],
        dependencies=deps or [],
        estimated_duration_s=60,
        estimated_cost_usd=1.0,
    )
    fields.update(kw)
    return PlanStep(**fields)


def plan_of(*steps: PlanStep) -> ExecutionPlan:
    return ExecutionPlan(
        plan_id="plan-x", goal_id="goal-x", goal="g", intent="general", subject="g",
        steps=list(steps),
    )  # fmt: skip


# --- intents and subjects -------------------------------------------------------------


@pytest.mark.parametrize("intent", sorted(GOALS))
def test_intent_is_detected_by_keyword(intent: str) -> None:
    assert parse_goal(GOALS[intent][0]).intent == intent


def test_subject_and_target_are_extracted() -> None:
    parsed = parse_goal("optimise the checkout service's query latency by 40%")
    assert parsed.subject == "the checkout service's query latency"
    assert parsed.target == "40%"


def test_korean_optimise_keyword_is_understood() -> None:
    parsed = parse_goal("체크아웃 서비스의 쿼리 지연을 40% 최적화해줘")
    assert parsed.intent == "optimize"
    assert parsed.target == "40%"
    assert "체크아웃 서비스" in parsed.subject and "최적화" not in parsed.subject


def test_second_gated_intent_in_goal_is_kept() -> None:
    parsed = parse_goal("Build a REST API for invoices and deploy it to production")
    assert parsed.intent == "build"
    assert parsed.subject == "a REST API for invoices"
    assert parsed.extra_intents == ["deploy"]


def test_gated_word_inside_the_subject_adds_no_gated_intent() -> None:
    assert parse_goal("Research the release process of our webhook library").extra_intents == []


def test_empty_goal_is_refused() -> None:
    with pytest.raises(ValueError, match="goal is empty"):
        parse_goal("   ")


# --- the offline planner ----------------------------------------------------------------


def test_optimize_goal_yields_digest_plan() -> None:
    plan = plan_offline("optimise the checkout service's query latency by 40%")
    assert [s.action for s in plan.steps] == [
        "analyze_performance",
        "identify_bottlenecks",
        "generate_solutions",
        "implement_optimizations",
        "validate_results",
    ]
    assert [s.dependencies for s in plan.steps] == [[], *[[s.id] for s in plan.steps[:-1]]]
    assert all(s.required_capabilities for s in plan.steps)
    assert plan.estimated_duration_s == 1500
    assert all(s.estimated_cost_usd < 100 for s in plan.steps)
    assert "40%" in plan.steps[-1].description
    assert plan.source == "offline" and plan.repair_notes == []


@pytest.mark.parametrize("intent", sorted(GOALS))
def test_every_intent_gives_a_valid_dag_naming_the_subject(intent: str) -> None:
    goal, subject = GOALS[intent]
    plan = plan_offline(goal)
    validate_plan(plan)
    assert plan.intent == intent
    assert all(subject in s.description for s in plan.steps), [s.description for s in plan.steps]
    assert all(s.category in CATEGORIES for s in plan.steps)
    assert all(set(s.required_capabilities) <= CAPABILITIES for s in plan.steps)


@pytest.mark.parametrize("intent", sorted(GATED_BY_INTENT))
def test_gated_intent_plan_contains_its_gated_category(intent: str) -> None:
    plan = plan_offline(GOALS[intent][0])
    assert GATED_BY_INTENT[intent] in {s.category for s in plan.steps}


@pytest.mark.parametrize("intent", ["optimize", "research", "build", "general"])
def test_ungated_intent_plan_has_no_gated_step(intent: str) -> None:
    plan = plan_offline(GOALS[intent][0])
    assert not {s.category for s in plan.steps} & GATED_CATEGORIES


@pytest.mark.parametrize("intent", ["deploy", "integrate", "migrate"])
def test_costly_gated_plans_have_a_step_over_100_usd(intent: str) -> None:
    assert max(s.estimated_cost_usd for s in plan_offline(GOALS[intent][0]).steps) > 100


@pytest.mark.parametrize("intent", [i for i in TEMPLATES if i != "optimize"])
def test_non_optimize_templates_have_parallel_steps(intent: str) -> None:
    plan = plan_offline(GOALS[intent][0])
    assert plan.estimated_duration_s < sum(s.estimated_duration_s for s in plan.steps)
    assert any(r.startswith("Run in parallel") for r in plan.rationale)


def test_goal_naming_a_second_gated_action_gets_that_gated_step() -> None:
    plan = plan_offline("Build a REST API for invoices and deploy it to production")
    last = plan.steps[-1]
    assert last.category == "production_deployment"
    assert set(last.dependencies) == {"write_documentation", "validate_build"}


def test_large_scope_build_has_an_implementation_step_over_100_usd() -> None:
    plan = plan_offline("Build an entire billing platform")
    assert plan.step("implement_solution").estimated_cost_usd > 100


def test_ids_are_deterministic_and_salted() -> None:
    a, b = plan_offline("Optimise  THE api"), plan_offline("optimise the api")
    assert a.goal_id == b.goal_id == make_goal_id("optimise the api")
    assert a.plan_id == b.plan_id == make_plan_id("optimise the api")
    assert a.goal_id.startswith("goal-") and len(a.goal_id) == len("goal-") + 16
    assert plan_offline("optimise the api", salt="run-2").goal_id != a.goal_id
    assert plan_offline("optimise the api").model_dump() == b.model_dump()


PATTERN = {
    "id": "pat-7",
    "name": "query tuning",
    "task_type": "optimization",
    "success_rate": 0.86,
    "step_sequence": ["analyze_performance", "establish_baseline", "identify_bottlenecks",
                      "implement_optimizations", "load_test", "validate_results"],
}  # fmt: skip


def test_strong_pattern_is_cited_and_adds_its_known_steps() -> None:
    ctx = PlanningContext(patterns=[PATTERN])
    plan = plan_offline("optimise the checkout service's query latency by 40%", context=ctx)
    validate_plan(plan)
    actions = [s.action for s in plan.steps]
    assert actions.index("analyze_performance") < actions.index("establish_baseline")
    assert "establish_baseline" in plan.step("identify_bottlenecks").dependencies
    assert plan.step("load_test").dependencies == ["implement_optimizations"]
    assert "load_test" in plan.step("validate_results").dependencies
    assert any("pat-7" in r and "0.86" in r for r in plan.rationale)


def test_weak_or_foreign_patterns_change_nothing() -> None:
    weak = PATTERN | {"id": "pat-weak", "success_rate": 0.5}
    foreign = PATTERN | {"id": "pat-deploy", "task_type": "deployment"}
    ctx = PlanningContext(patterns=[weak, foreign])
    plan = plan_offline("optimise the checkout service's query latency", context=ctx)
    assert len(plan.steps) == 5
    assert not any("pat-weak" in r or "pat-deploy" in r for r in plan.rationale)


def test_pattern_never_adds_a_gated_step() -> None:
    pattern = PATTERN | {"step_sequence": ["validate_results", "deploy_to_production"]}
    plan = plan_offline("optimise the api", context=PlanningContext(patterns=[pattern]))
    assert not {s.category for s in plan.steps} & GATED_CATEGORIES


def test_similar_goals_are_cited_with_similarity() -> None:
    ctx = PlanningContext(
        similar_goals=[{"goal": "speed up the search API", "similarity": 0.83, "outcome": "ok"}]
    )
    plan = plan_offline("optimise the checkout service", context=ctx)
    assert any("speed up the search API" in r and "0.83" in r for r in plan.rationale)


def test_context_pattern_missing_keys_is_refused() -> None:
    with pytest.raises(ValueError, match="step_sequence"):
        PlanningContext(patterns=[{"id": "p", "task_type": "optimize", "success_rate": 0.9}])


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        (["analyze_performance", "index"], ["analyze_performance", "index"]),
        ('["analyze_performance", "index"]', ["analyze_performance", "index"]),  # JSON text
        ("[]", []),  # how the graph mapper writes an empty list
        ("analyze_performance", ["analyze_performance"]),  # plain text: one action
        ('{"not": "a list"}', []),
        (None, []),
        ([1, "index"], ["1", "index"]),
    ],
)  # fmt: skip
def test_pattern_step_sequence_accepts_lists_and_json_text(stored: Any, expected: list) -> None:
    p = Pattern(id="p", task_type="optimize", success_rate=0.8, step_sequence=stored)
    assert p.step_sequence == expected


def test_pattern_reads_null_counts_as_zero_and_aliases_task_types() -> None:
    row = {
        "id": "p",
        "task_type": " Optimization ",
        "success_rate": None,
        "occurrences": None,
        "step_sequence": None,
        "name": None,
    }
    p = Pattern.model_validate(row)
    assert (p.success_rate, p.occurrences, p.step_sequence, p.name) == (0.0, 0, [], None)
    assert p.intent == "optimize" and p.task_type == " Optimization "
    assert p.model_dump() == {
        "id": "p",
        "task_type": " Optimization ",
        "success_rate": 0.0,
        "step_sequence": [],
        "name": None,
        "occurrences": 0,
        "failure_points": [],
        "agent_types": [],
    }


def test_pattern_threshold_is_inclusive_and_limits_the_cited_patterns() -> None:
    assert (STRONG_PATTERN, MAX_PATTERNS) == (0.7, 5)
    at, under = (
        PATTERN | {"id": "pat-at", "success_rate": 0.7},
        PATTERN | {"id": "pat-under", "success_rate": 0.69},
    )
    assert Pattern.model_validate(at).strong and not Pattern.model_validate(under).strong
    plan = plan_offline("optimise the api", context=PlanningContext(patterns=[at, under]))
    assert any("pat-at" in r for r in plan.rationale)
    assert not any("pat-under" in r for r in plan.rationale)
    assert any("1 pattern(s) not used" in r and "< 0.7" in r for r in plan.rationale)
    many = [PATTERN | {"id": f"pat-{i}", "success_rate": 0.9 - i / 100} for i in range(7)]
    cited = [
        r
        for r in plan_offline("optimise the api", context=PlanningContext(patterns=many)).rationale
        if r.startswith("Pattern ")
    ]
    assert [r.split()[1] for r in cited] == [f"pat-{i}" for i in range(MAX_PATTERNS)]


# --- DAG helpers ----------------------------------------------------------------------


def test_ready_steps_and_dependents_closure() -> None:
    plan = plan_of(step("a"), step("b", ["a"]), step("c", ["a"]), step("d", ["b", "c"]))
    assert [s.id for s in ready_steps(plan, set(), set())] == ["a"]
    assert [s.id for s in ready_steps(plan, {"a"}, {"c"})] == ["b"]
    assert [s.id for s in ready_steps(plan, {"a", "b", "c"}, set())] == ["d"]
    assert dependents_closure(plan, ["a"]) == {"b", "c", "d"}
    assert dependents_closure(plan, ["c"]) == {"d"}
    assert plan.estimated_duration_s == 180


# --- validation -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        ([], "plan has no steps"),
        ([step("a"), step("a")], "duplicate step id 'a'"),
        ([step("a", ["ghost"])], "depends on unknown step 'ghost'"),
        ([step("a", ["b"]), step("b", ["a"])], "cycle: a -> b -> a"),
        ([step("a", ["a"])], "cycle: a -> a"),
        ([step("a", required_capabilities=["profilng"])], "unknown capability 'profilng'"),
        ([step("a", category="shipping")], "unknown category 'shipping'"),
        ([step("a", estimated_duration_s=-1)], "negative duration"),
        ([step("a", estimated_cost_usd=-5.0)], "invalid cost"),
        ([step("a", action="Do It")], "not snake_case"),
    ],
)
def test_validation_catches_each_problem_kind(steps: list[PlanStep], expected: str) -> None:
    with pytest.raises(PlanValidationError) as err:
        validate_plan(plan_of(*steps))
    assert any(expected in p for p in err.value.problems), err.value.problems


def test_validation_lists_every_problem_at_once() -> None:
    bad = plan_of(step("a", ["zz"], category="x"), step("a", required_capabilities=["nope"]))
    with pytest.raises(PlanValidationError) as err:
        validate_plan(bad)
    assert len(err.value.problems) == 4
    assert "repair_plan" in str(err.value)


def test_unknown_capability_names_nearest_known() -> None:
    with pytest.raises(PlanValidationError, match="did you mean 'profiling'"):
        validate_plan(plan_of(step("a", required_capabilities=["profilng"])))


# --- repair ---------------------------------------------------------------------------


def test_repair_fixes_every_repairable_problem_and_notes_it() -> None:
    broken = plan_of(
        step("a", ["c"]),
        step("b", ["a", "ghost", "a"]),
        step("c", ["b"], category="Validation", required_capabilities=["Data Analysis", "zzz"]),
        step("b", action="Second B", category="frobnicate"),
    )
    repaired, notes = repair_plan(broken)
    validate_plan(repaired)
    assert repaired.step_ids() == ["a", "b", "c", "b-2"]
    # DFS from a (first in step order) reaches c, then b, whose edge back to a closes the cycle.
    assert repaired.step("a").dependencies == ["c"]
    assert repaired.step("b").dependencies == []
    assert repaired.step("c").category == "validation"
    assert repaired.step("c").required_capabilities == ["data_analysis"]
    assert repaired.step("b-2").category == "implementation"
    assert repaired.step("b-2").action == "second_b"
    assert repaired.repair_notes == notes
    joined = "\n".join(notes)
    for fragment in (
        "renamed step 'b' to 'b-2'",
        "'ghost'",
        "'zzz' dropped",
        "broke cycle a -> c -> b -> a by removing the dependency of 'b' on 'a'",
    ):
        assert fragment in joined


def test_repair_keeps_gated_sounding_category_gated() -> None:
    repaired, _ = repair_plan(plan_of(step("a", category="deployment")))
    assert repaired.step("a").category == "production_deployment"


def test_repair_refuses_to_guess_a_negative_cost() -> None:
    with pytest.raises(PlanValidationError, match="invalid cost"):
        repair_plan(plan_of(step("a", estimated_cost_usd=-1.0)))


def test_repair_of_a_valid_plan_changes_nothing() -> None:
    plan = plan_offline(GOALS["deploy"][0])
    assert repair_plan(plan) == (plan, [])


# --- the LLM planner ------------------------------------------------------------------


def fake_model(args: dict[str, Any] | None = None, content: str = "") -> ToolCallingFake:
    calls = [{"name": "PlanDraft", "args": args, "id": "1"}] if args is not None else []
    return ToolCallingFake(messages=iter([AIMessage(content=content, tool_calls=calls)]))


def draft_step(sid: str, deps: list[str], **kw: Any) -> dict[str, Any]:
    return step(sid, deps, description=f"{sid} the checkout latency", **kw).model_dump()


OPT_GOAL = "optimise the checkout latency"


def test_valid_llm_plan_is_used() -> None:
    draft = {"steps": [draft_step("a", []), draft_step("b", ["a"])], "rationale": ["two steps"]}
    plan = plan_with_llm(fake_model(draft), OPT_GOAL)
    assert plan.source == "llm" and plan.repair_notes == []
    assert plan.step_ids() == ["a", "b"] and plan.rationale[0] == "two steps"
    assert plan.plan_id == make_plan_id(OPT_GOAL, source="llm") != make_plan_id(OPT_GOAL)


def test_cyclic_llm_plan_is_repaired_and_the_reason_kept() -> None:
    draft = {"steps": [draft_step("a", ["b"]), draft_step("b", ["a"])], "rationale": []}
    plan = plan_with_llm(fake_model(draft), OPT_GOAL)
    assert plan.source == "llm"
    assert any("broke cycle a -> b -> a" in n for n in plan.repair_notes)
    validate_plan(plan)


def test_dangling_dependency_in_llm_plan_is_dropped() -> None:
    draft = {"steps": [draft_step("a", ["ghost"]), draft_step("b", ["a"])]}
    plan = plan_with_llm(fake_model(draft), OPT_GOAL)
    assert plan.source == "llm" and plan.step("a").dependencies == []
    assert any("'ghost'" in n for n in plan.repair_notes)


@pytest.mark.parametrize(
    ("model", "reason"),
    [
        (fake_model(content="I think you should optimise it."), "no parsable plan"),
        (fake_model({"steps": "not a list"}), "no parsable plan"),
        (fake_model({"steps": []}), "repair failed (plan has no steps)"),
        (fake_model({"steps": [draft_step("a", [], estimated_cost_usd=-9.0)]}), "invalid cost"),
    ],
)
def test_unusable_llm_output_falls_back_to_offline_plan(model: Any, reason: str) -> None:
    plan = plan_with_llm(model, OPT_GOAL)
    assert plan.source == "offline" and len(plan.steps) == 5
    assert plan.repair_notes[0].startswith(FALLBACK_PREFIX) and reason in plan.repair_notes[0]


def test_failing_model_falls_back_with_the_error() -> None:
    class Broken(ToolCallingFake):
        def _generate(self, *args: Any, **kwargs: Any) -> Any:
            raise ConnectionError("endpoint unreachable")

    plan = plan_with_llm(Broken(messages=iter([])), OPT_GOAL)
    assert plan.source == "offline"
    assert "ConnectionError: endpoint unreachable" in plan.repair_notes[0]


def test_llm_plan_hiding_the_gated_step_is_replaced() -> None:
    draft = {"steps": [draft_step("ship", [], category="implementation")]}
    plan = plan_with_llm(fake_model(draft), "Deploy the billing service to production")
    assert plan.source == "offline"
    assert "production_deployment" in plan.repair_notes[0]
    assert "production_deployment" in {s.category for s in plan.steps}


def test_make_plan_is_offline_without_a_model() -> None:
    assert make_plan(OPT_GOAL, model=None).source == "offline"
    draft = {"steps": [draft_step("a", [])]}
    assert make_plan(OPT_GOAL, model=fake_model(draft)).source == "llm"
