"""The policy classifier: sensitive categories a step really touches, whatever its label."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from argo_agents.approval.classifier import (
    READ_ONLY,
    SENSITIVE,
    Finding,
    classify_plan,
    classify_step,
)
from argo_agents.planning.intents import parse_goal
from argo_agents.planning.models import ExecutionPlan, PlanStep
from argo_agents.planning.offline import PlanningContext, plan_offline
from argo_agents.planning.templates import KNOWN_STEPS

OFFLINE_GOALS = [
    "Optimise the checkout service's query latency by 40%",
    "Research how competitors price their premium support plans",
    "Build the entire customer loyalty platform",
    "Integrate the Stripe billing API into the invoicing service",
    "Deploy the payments API to production",
    "Delete the stale session records from the analytics database",
    "Migrate the orders table to the new sharded cluster",
    "Build the entire customer loyalty platform and deploy it to production",
    "Optimise the checkout service's query latency by 40% and deploy the optimisation to "
    "production",
    "Make the onboarding emails friendlier",  # general
    "Research the release process",
    "Integrate Slack webhooks and then migrate the user table",
    "Delete the obsolete test accounts and migrate the orders table",
    "체크아웃 서비스를 배포해줘",
]


def categories(findings: list[Finding]) -> list[str]:
    return [f.category for f in findings]


def mk(
    action: str, description: str, category: str = "implementation", caps: Any = (), sid: str = ""
) -> PlanStep:
    return PlanStep(
        id=sid or action, action=action, description=description, category=category,
        required_capabilities=list(caps),
    )  # fmt: skip


def plan_of(goal: str, *steps: PlanStep) -> ExecutionPlan:
    return ExecutionPlan(
        plan_id="plan-x", goal_id="goal-x", goal=goal, intent="general", subject="x",
        steps=list(steps), source="llm",
    )  # fmt: skip


def one(step: PlanStep, goal: str = "Look after the payments API") -> list[str]:
    return categories(classify_step(step, parse_goal(goal)))


def assert_only_template_gates(plan: ExecutionPlan, goal: str) -> None:
    findings = classify_plan(plan, goal)
    assert list(findings) == plan.step_ids()
    for s in plan.steps:
        own = KNOWN_STEPS[s.action].category
        expected = [own] if own in SENSITIVE else []
        assert categories(findings[s.id]) == expected, (s.id, s.description, findings[s.id])


# --- ARGO's own plans stay clean --------------------------------------------------------


@pytest.mark.parametrize("goal", OFFLINE_GOALS)
def test_offline_plans_flag_exactly_their_gated_steps(goal: str) -> None:
    plan = plan_offline(goal)
    assert_only_template_gates(plan, goal)
    gated = [s for s in plan.steps if s.category in SENSITIVE]
    parsed = parse_goal(goal)
    asks = {parsed.intent, *parsed.extra_intents} & {"integrate", "migrate", "deploy", "delete"}
    assert len(gated) == len(asks)
    for s in gated:
        assert classify_plan(plan, goal)[s.id][0].evidence == f"ARGO's {s.action} step"


@pytest.mark.parametrize(
    ("goal", "task_type", "sequence"),
    [
        (
            "Optimise the checkout service's query latency by 40%",
            "optimization",
            ["establish_baseline", "analyze_performance", "identify_bottlenecks",
             "implement_optimizations", "peer_review", "load_test", "validate_results",
             "write_report"],
        ),
        (
            "Deploy the payments API to production",
            "deployment",
            ["review_release_readiness", "security_review", "load_test", "deploy_to_production",
             "monitor_rollout"],
        ),
    ],
)  # fmt: skip
def test_plans_extended_by_a_strong_pattern_stay_clean(
    goal: str, task_type: str, sequence: list[str]
) -> None:
    pattern = {"id": "p1", "task_type": task_type, "success_rate": 0.9, "step_sequence": sequence}
    plan = plan_offline(goal, context=PlanningContext(patterns=[pattern]))
    # "Load-test ... under production-like traffic" is the template's wording, not a deployment.
    assert "load_test" in plan.step_ids()
    assert_only_template_gates(plan, goal)


def test_in_clause_destructive_goal_flags_the_acting_template_steps() -> None:
    goal = "Optimise checkout queries by dropping unused indexes"
    findings = classify_plan(plan_offline(goal), goal)
    assert categories(findings["implement_optimizations"]) == ["data_deletion"]
    assert "'dropping'" in findings["implement_optimizations"][0].evidence
    # Analysis and design only read: the goal's words in them do nothing.
    for sid in ("analyze_performance", "identify_bottlenecks", "generate_solutions"):
        assert findings[sid] == []


def test_known_gated_step_also_shows_what_its_subject_does() -> None:
    goal = "Deploy the cleanup job that purges old logs"
    findings = classify_plan(plan_offline(goal), goal)
    assert categories(findings["deploy_to_production"]) == [
        "data_deletion",
        "production_deployment",
    ]
    assert findings["prepare_rollback_plan"] == []  # design: read-only


def test_goal_words_for_its_own_gated_intent_are_left_to_the_gated_step() -> None:
    goal = "Integrate the Stripe billing API into the invoicing service"
    plan = plan_offline(goal)
    # Without the gated step, the goal-level rule takes over for every acting step.
    trimmed = plan.model_copy(
        update={"steps": [s for s in plan.steps if s.id != "connect_external_service"]}
    )
    findings = classify_plan(trimmed, goal)
    for s in trimmed.steps:
        expected = [] if s.category in READ_ONLY else ["external_integration"]
        assert categories(findings[s.id]) == expected, s.id


def test_known_step_with_extra_capability_is_flagged_for_it() -> None:
    plan = plan_offline("Deploy the payments API to production")
    rollback = plan.step("prepare_rollback_plan")
    goal = parse_goal(plan.goal)
    assert classify_step(rollback, goal) == []  # its own 'deployment' capability is trusted
    extra = rollback.model_copy(update={"required_capabilities": ["devops", "integration"]})
    assert categories(classify_step(extra, goal)) == ["external_integration"]


# --- the LLM path: attackers and mislabels ------------------------------------------------


def test_real_deployment_labelled_analysis() -> None:
    s = mk(
        "deploy_payments_api_to_production",
        "Deploy the payments API to production now",
        category="analysis",
    )
    findings = classify_step(s, parse_goal("Analyse the payments API"))
    assert categories(findings) == ["production_deployment"]
    assert findings[0].evidence == "'deploy' in the action"


def test_drop_tables_labelled_implementation() -> None:
    s = mk("drop_customer_tables", "DROP the customer tables in prod")
    assert one(s) == ["data_deletion", "production_deployment"]
    only_description = mk("tidy_step", "DROP the customer tables in prod")
    assert classify_step(only_description, parse_goal("Tidy the schema"))[0] == Finding(
        category="data_deletion", evidence="'DROP' in the description"
    )


def test_template_action_reused_with_another_description() -> None:
    s = mk(
        "review_release_readiness",
        "Review readiness, then deploy it to production",
        category="analysis",
    )
    assert one(s, "Deploy the payments API to production") == ["production_deployment"]


def test_template_step_relabelled_or_resubjected_is_scanned_whole() -> None:
    goal = "Optimise the checkout service's query latency"
    relabelled = mk("deploy_to_production", "Deploy the payments API to production", "analysis")
    assert one(relabelled, goal) == ["production_deployment"]
    # The subject must come from the Director's goal, never from the planner.
    swapped = mk(
        "implement_optimizations",
        "Implement the chosen optimisations of the orders table by dropping it",
    )
    assert one(swapped, goal) == ["data_deletion"]


@pytest.mark.parametrize(
    ("action", "description", "expected"),
    [
        ("backfill_order_totals", "Backfill the order totals into the new column",
         "data_migration"),
        ("sync_warehouse", "Copy the customer records to the warehouse", "data_migration"),
        ("update_schema", "ALTER TABLE orders ADD COLUMN region", "data_migration"),
        ("notify_customers", "Send an email to every customer about the outage",
         "external_integration"),
        ("hook_up_billing", "Call the Stripe API to create invoices", "external_integration"),
        ("setup_alerts", "Post alerts to a webhook owned by ops", "external_integration"),
        ("tidy_storage", "Clean up the old snapshots in the bucket", "data_deletion"),
        ("reduce_costs", "rm -rf /var/lib/archive", "data_deletion"),
        ("go_live_step", "Switch the new checkout to live traffic", "production_deployment"),
        ("finalise", "Cut over the invoicing service", "production_deployment"),
        ("주문_정리", "주문 테이블을 삭제합니다", "data_deletion"),
        ("올리기", "서비스를 배포합니다", "production_deployment"),
        ("옮기기", "주문 데이터를 새 클러스터로 이관", "data_migration"),
        ("붙이기", "결제 시스템과 연동", "external_integration"),
    ],
)  # fmt: skip
def test_sensitive_acts_without_the_category_label(
    action: str, description: str, expected: str
) -> None:
    assert expected in one(mk(action, description, category="implementation"))


@pytest.mark.parametrize(
    ("capability", "expected"),
    [
        ("deployment", "production_deployment"),
        ("database_migration", "data_migration"),
        ("integration", "external_integration"),
    ],
)
def test_capability_alone_is_a_signal(capability: str, expected: str) -> None:
    findings = classify_step(mk("step_7", "Do the thing", caps=[capability]), parse_goal("x"))
    assert findings == [Finding(category=expected, evidence=f"capability '{capability}'")]


def test_the_planners_own_label_counts() -> None:
    findings = classify_step(mk("step_8", "Do the thing", "data_deletion"), parse_goal("x"))
    assert findings == [
        Finding(category="data_deletion", evidence="labelled data_deletion by the planner")
    ]


@pytest.mark.parametrize(
    "description",
    [
        "Add a drop-down menu to the settings page",
        "Clean up the code of the product catalogue",
        "Import the module and profile the hot loop",
        "Summarise the liveness probe results",
    ],
)
def test_ordinary_work_is_not_flagged(description: str) -> None:
    assert one(mk("polish_ui", description)) == []


# --- the goal-level rule ------------------------------------------------------------------


def test_goal_asks_for_a_gated_act_no_step_is_identified_doing() -> None:
    goal = "Delete the stale sessions"
    plan = plan_of(
        goal,
        mk("list_sessions", "List the stale sessions", "analysis"),
        mk("tidy_sessions", "tidy up sessions"),
        mk("check_sessions", "Check that nothing broke", "validation"),
    )
    findings = classify_plan(plan, goal)
    assert findings["list_sessions"] == []
    missing = Finding(
        category="data_deletion",
        evidence="the goal asks to delete and no step is identified as doing it",
    )
    assert findings["tidy_sessions"] == [missing]
    assert findings["check_sessions"] == [missing]


def test_goal_level_rule_flags_every_step_when_none_acts() -> None:
    goal = "Deploy the payments API to production"
    plan = plan_of(goal, mk("a", "Look at it", "analysis"), mk("b", "Write it up", "documentation"))
    for found in classify_plan(plan, goal).values():
        assert categories(found) == ["production_deployment"]


def test_goal_level_rule_covers_extra_intents_and_stays_quiet_when_a_step_does_it() -> None:
    goal = "Build the loyalty platform and deploy it to production"
    plan = plan_of(
        goal,
        mk("design_it", "Design the loyalty platform", "design"),
        mk("build_it", "Build the loyalty platform"),
    )
    assert categories(classify_plan(plan, goal)["build_it"]) == ["production_deployment"]
    assert classify_plan(plan, goal)["design_it"] == []
    shipped = plan_of(goal, *plan.steps, mk("ship_it", "Ship the platform", "analysis"))
    findings = classify_plan(shipped, goal)
    assert findings["build_it"] == []
    assert categories(findings["ship_it"]) == ["production_deployment"]


def test_research_goal_naming_a_release_adds_nothing() -> None:
    goal = "Research the release process"
    plan = plan_of(goal, mk("study", "Study the team's habits", "research"))
    assert classify_plan(plan, goal) == {"study": []}


# --- shape of the findings ----------------------------------------------------------------


def test_findings_are_strictest_first_one_per_category() -> None:
    s = mk(
        "integrate_and_deploy",
        "Migrate the rows, deploy to production, deploy again, then drop the old table",
        category="production_deployment",
        caps=["deployment", "integration"],
    )
    findings = classify_step(s, parse_goal("x"))
    assert categories(findings) == list(SENSITIVE)
    by_category = {f.category: f.evidence for f in findings}
    assert by_category["production_deployment"] == "'deploy' in the action"
    assert by_category["external_integration"] == "'integrate' in the action"
    assert by_category["data_deletion"] == "'drop' in the description"


def test_finding_is_frozen() -> None:
    f = Finding(category="data_deletion", evidence="'drop' in the action")
    with pytest.raises(ValidationError):
        f.category = "analysis"  # type: ignore[misc]
