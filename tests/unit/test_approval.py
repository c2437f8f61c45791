"""Approval: the policy, parsing the Director's resume value, edits and the budget."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from argo_agents.approval import (
    ApprovalPolicy,
    ApprovalRecord,
    ApprovalRequest,
    InvalidResumeError,
    answer,
    apply_edit,
    assess,
    parse_resume,
    plan_spend,
)
from argo_agents.approval.identity import DirectorIdentity
from argo_agents.planning import (
    GATED_CATEGORIES,
    ExecutionPlan,
    PlanStep,
    PlanValidationError,
    plan_offline,
)

NOW = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
POLICY = ApprovalPolicy()


def step(sid: str, category: str = "analysis", cost: float = 10.0, deps: Any = ()) -> PlanStep:
    return PlanStep(
        id=sid, action=f"do_{sid}", description=f"{sid} the thing", category=category,
        required_capabilities=["research"], dependencies=list(deps), estimated_cost_usd=cost,
    )  # fmt: skip


def plan_of(*steps: PlanStep) -> ExecutionPlan:
    return ExecutionPlan(
        plan_id="plan-x", goal_id="goal-x", goal="g", intent="general", subject="the thing",
        steps=list(steps),
    )  # fmt: skip


def asked(plan: ExecutionPlan, **kw: Any) -> dict[str, str]:
    return {r.step_id: r.reason for r in POLICY.requests(plan, {}, **kw)}


# --- policy ---------------------------------------------------------------------------


@pytest.mark.parametrize("category", sorted(GATED_CATEGORIES))
def test_every_gated_category_is_asked_even_when_cheap(category: str) -> None:
    reasons = asked(plan_of(step("g", category=category, cost=1.0)))
    assert list(reasons) == ["g"]
    assert category.replace("_", " ") in reasons["g"]


def test_step_over_threshold_is_asked_and_cheap_ungated_is_not() -> None:
    reasons = asked(plan_of(step("cheap", cost=99.0), step("pricey", cost=100.01)))
    assert list(reasons) == ["pricey"]
    assert "$100.01" in reasons["pricey"] and "$100.00 per-step approval" in reasons["pricey"]


def test_every_applicable_reason_is_listed() -> None:
    reasons = asked(plan_of(step("d", "production_deployment", cost=250.0)), goal_budget_usd=200)
    assert reasons["d"].count("; ") == 2  # category, threshold and budget


def test_plan_without_gated_step_yields_no_requests() -> None:
    assert asked(plan_offline("optimise the checkout service's query latency")) == {}


@pytest.mark.parametrize(
    ("goal", "gated"),
    [
        ("Deploy the billing service to production", "deploy_to_production"),
        ("Integrate Stripe payments", "connect_external_service"),
        ("Migrate the orders table to Postgres", "run_data_migration"),
        ("Purge stale sessions", "delete_data"),
    ],
)
def test_offline_gated_plans_ask_for_their_gated_step(goal: str, gated: str) -> None:
    assert gated in asked(plan_offline(goal))


def test_already_decided_steps_are_never_asked_again() -> None:
    plan = plan_of(step("g", "data_deletion"), step("h", "data_migration"))
    assert list(asked(plan, decided={"g"})) == ["h"]


def test_goal_budget_asks_from_the_step_that_crosses_it_with_the_plans_total() -> None:
    plan = plan_of(step("a", cost=40.0), step("b", cost=40.0), step("c", cost=40.0))
    reasons = asked(plan, goal_budget_usd=100.0)
    assert list(reasons) == ["c"]
    assert "total $120.00" in reasons["c"] and "goal budget of $100.00" in reasons["c"]
    assert list(asked(plan, goal_budget_usd=70.0)) == ["b", "c"]
    assert asked(plan, goal_budget_usd=100.0, accepted_spend_usd=120.0) == {}


def test_without_a_budget_the_per_goal_threshold_asks_for_the_crossing_steps() -> None:
    plan = plan_of(*(step(f"s{i}", cost=99.0) for i in range(7)))
    reasons = asked(plan)
    assert list(reasons) == ["s5", "s6"]  # $495 after s4; s5 takes it to $594
    assert "$693.00" in reasons["s5"] and "$500.00 per-goal" in reasons["s5"]


def test_skipped_steps_are_neither_asked_nor_counted() -> None:
    plan = plan_of(step("a", "data_deletion"), step("b", cost=90.0), step("c", cost=20.0))
    assert list(asked(plan, goal_budget_usd=100.0, skip={"a", "b"})) == []
    assert plan_spend(plan, {"a", "b"}) == 20.0


def test_threshold_is_configurable() -> None:
    strict = ApprovalPolicy(budget_threshold_usd=5.0)
    assert [r.step_id for r in strict.requests(plan_of(step("a", cost=6.0)), {})] == ["a"]


def test_per_run_settings_only_tighten_the_policy() -> None:
    loose = POLICY.tightened(budget_threshold_usd=1e12, plan_threshold_usd=1e12)
    assert loose == POLICY
    tight = POLICY.tightened(budget_threshold_usd=5, extra_gated_categories=["design"])
    assert tight.budget_threshold_usd == 5 and "design" in tight.gated_categories
    assert POLICY.strictest(tight) == tight.strictest(POLICY) == tight
    with pytest.raises(ValueError, match="unknown categories"):
        POLICY.tightened(extra_gated_categories=["prod"])
    with pytest.raises(ValueError, match="unknown categories"):
        ApprovalPolicy(gated_categories=frozenset({"production_deploy"}))


# --- parse_resume ---------------------------------------------------------------------

PENDING = [
    ApprovalRequest(step_id=s, action=f"do_{s}", category="data_deletion", reason="r",
                    estimated_cost_usd=10.0)
    for s in ("g", "h")
]  # fmt: skip


def test_resume_with_each_verdict_is_parsed() -> None:
    value = {
        "decisions": {"g": "approve", "h": {"edit": {"estimated_cost_usd": 5}}},
        "director": "dana",
        "reason": "fine",
    }
    decisions = parse_resume(value, PENDING, now=NOW)
    assert [(d.step_id, d.verdict, d.edits, d.by, d.at, d.reason) for d in decisions] == [
        ("g", "approve", None, "dana", NOW, "fine"),
        ("h", "edit", {"estimated_cost_usd": 5.0}, "dana", NOW, "fine"),
    ]


def test_partial_resume_leaves_the_rest_pending() -> None:
    decisions = parse_resume({"decisions": {"h": "Reject"}}, PENDING, director="sub")
    assert [(d.step_id, d.verdict, d.by) for d in decisions] == [("h", "reject", "sub")]


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("approve", "got str, not a dict"),
        ({}, "'decisions' is missing"),
        ({"decisions": {}}, "'decisions' is missing or empty"),
        ({"decision": {"g": "approve"}}, "unknown keys ['decision']"),
        ({"decisions": {"zz": "approve", "g": "approve"}}, "unknown step ids ['zz']"),
        ({"decisions": {"g": "maybe"}}, "verdict 'maybe'"),
        ({"decisions": {"g": {"edit": "cheaper"}}}, "non-empty dict"),
        ({"decisions": {"g": {"edit": {"owner": "me"}}}}, "cannot edit ['owner']"),
        ({"decisions": {"g": {"edit": {"estimated_cost_usd": -1}}}}, "estimated_cost_usd"),
        ({"decisions": {"g": {"edit": {"category": "fun"}}}}, "unknown category"),
        ({"decisions": {"g": {"approve": True}}}, "an edit must be"),
        ({"decisions": {"g": "approve"}, "director": 7}, "'director' must be a string"),
        ({"decisions": {"g": "approve"}, "allow_over_budget": "yes"}, "true or false"),
        ({"decisions": {"g": "approve"}, "director": "x" * 201}, "limit is 200"),
    ],
)
def test_bad_resume_values_are_refused(value: Any, fragment: str) -> None:
    with pytest.raises(InvalidResumeError) as err:
        parse_resume(value, PENDING)
    assert fragment in str(err.value)
    assert '{"decisions":' in str(err.value)  # the expected shape is always shown
    assert isinstance(err.value, ValueError)


def test_unknown_step_ids_message_lists_the_pending_ones() -> None:
    with pytest.raises(InvalidResumeError, match=r"pending steps are \['g', 'h'\]"):
        parse_resume({"decisions": {"x": "approve"}}, PENDING)


# --- edits ----------------------------------------------------------------------------


def test_apply_edit_changes_only_that_step_and_revalidates() -> None:
    plan = plan_of(step("a"), step("b", deps=["a"]))
    edited = apply_edit(plan, "b", {"estimated_cost_usd": 1.5, "description": "cheaper b"})
    assert edited.step("b").estimated_cost_usd == 1.5 and edited.step("a") == plan.step("a")
    assert plan.step("b").estimated_cost_usd == 10.0  # the original is untouched
    with pytest.raises(PlanValidationError, match="no step 'zz'"):
        apply_edit(plan, "zz", {"description": "x"})
    with pytest.raises(PlanValidationError, match="bad edit"):
        apply_edit(plan, "a", {"required_capabilities": ["telepathy"]})


def resolve(
    plan: ExecutionPlan,
    value: dict[str, Any],
    *,
    goal_budget_usd: float | None = None,
    record: ApprovalRecord | None = None,
) -> ApprovalRecord:
    record = record or ApprovalRecord(
        run_id="run-1",
        thread_id="t",
        goal=plan.goal,
        goal_id=plan.goal_id,
        plan=plan,
        policy=POLICY,
        budget_usd=goal_budget_usd,
    )
    return answer(
        record,
        value,
        policy=POLICY,
        round_id=f"round-{len(record.answered)}",
        identity=DirectorIdentity(name="sub", verified=False),
        now=NOW,
    )


def still_asked(record: ApprovalRecord) -> list[str]:
    return [r.step_id for r in assess(record, POLICY).requests]


def test_edit_that_removes_the_need_for_approval_approves_the_step() -> None:
    plan = plan_of(step("a", cost=150.0))
    out = resolve(plan, {"decisions": {"a": {"edit": {"estimated_cost_usd": 80}}}})
    assert out.decided == {"a"} and still_asked(out) == []
    assert out.plan.step("a").estimated_cost_usd == 80
    entry = out.ledger[0]
    assert entry.decision == "edit" and "approved with these changes" in entry.reason
    assert entry.changes == {"estimated_cost_usd": {"before": 150.0, "after": 80.0}}
    assert (entry.run_id, entry.by, entry.by_verified) == ("run-1", "sub", False)


def test_edit_of_a_still_gated_step_asks_again() -> None:
    plan = plan_of(step("d", "production_deployment", cost=150.0))
    out = resolve(plan, {"decisions": {"d": {"edit": {"estimated_cost_usd": 20}}}})
    assert out.decided == set() and out.ledger[0].requeued
    assert still_asked(out) == ["d"]
    assert assess(out, POLICY).requests[0].estimated_cost_usd == 20


def test_edit_that_relabels_a_deployment_is_reclassified_and_asked_again() -> None:
    deploy = PlanStep(
        id="ship",
        action="deploy_billing",
        description="Deploy billing to prod",
        category="production_deployment",
        estimated_cost_usd=20.0,
    )
    out = resolve(plan_of(deploy), {"decisions": {"ship": {"edit": {"category": "analysis"}}}})
    assert still_asked(out) == ["ship"]
    entry = out.ledger[0]
    assert entry.requeued and any("production deployment" in r for r in entry.reasons_after_edit)


def test_rejected_step_skips_its_dependents() -> None:
    plan = plan_of(step("d", "data_deletion"), step("v", "data_migration", deps=["d"]))
    out = resolve(plan, {"decisions": {"d": "reject"}})
    assert out.rejected == {"d"} and out.skipped == {"d", "v"} and still_asked(out) == []
    assert out.ledger[0].decision == "reject"


def test_an_answer_is_recorded_against_its_round() -> None:
    plan = plan_of(step("d", "data_deletion"))
    value = {"decisions": {"d": "approve"}}
    out = resolve(plan, value)
    assert list(out.answered) == ["round-0"] and out.open_round is None
    assert out.ledger[0].round == "round-0"


# --- budget ---------------------------------------------------------------------------


def test_approval_over_the_goal_budget_is_refused_with_the_plans_total() -> None:
    plan = plan_of(step("a", cost=60.0), step("d", "production_deployment", cost=50.0))
    record = ApprovalRecord(
        run_id="run-1",
        thread_id="t",
        goal="g",
        goal_id="goal-x",
        plan=plan,
        policy=POLICY,
        budget_usd=100.0,
    )
    reason = assess(record, POLICY).requests[0].reason
    with pytest.raises(InvalidResumeError) as err:
        resolve(plan, {"decisions": {"d": "approve"}}, record=record)
    message = str(err.value)
    assert "$110.00" in message and "$110.00" in reason, "one figure in both"
    assert "$100.00" in message and "allow_over_budget" in message
    assert message.count("invalid resume value") == 1 and message.count('"decisions"') == 1


def test_allow_over_budget_accepts_the_plan_as_approved_once() -> None:
    plan = plan_of(
        step("a", cost=60.0), step("d", "production_deployment", cost=50.0), step("b", cost=5.0)
    )
    value = {"decisions": {"d": "approve"}, "allow_over_budget": True}
    out = resolve(plan, value, goal_budget_usd=100.0)
    assert out.decided == {"d"} and out.accepted_spend_usd == 115.0
    assert still_asked(out) == [], "steps that needed no approval are not asked again"


def test_rejecting_enough_brings_the_plan_back_within_budget() -> None:
    plan = plan_of(step("d", "data_deletion", cost=30.0), step("m", "data_migration", cost=30.0))
    out = resolve(plan, {"decisions": {"d": "approve", "m": "reject"}}, goal_budget_usd=50.0)
    assert out.decided == {"d", "m"} and out.accepted_spend_usd is None
