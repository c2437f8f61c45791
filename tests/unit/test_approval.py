"""Approval: the policy, parsing the Director's resume value, edits and the budget."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from argo_agents.approval import (
    ApprovalPolicy,
    ApprovalRequest,
    BudgetGuard,
    InvalidResumeError,
    allows_over_budget,
    apply_edit,
    parse_resume,
    resolve_decisions,
)
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
    return {r.step_id: r.reason for r in POLICY.evaluate(plan, **kw)}


# --- policy ---------------------------------------------------------------------------


@pytest.mark.parametrize("category", sorted(GATED_CATEGORIES))
def test_every_gated_category_is_asked_even_when_cheap(category: str) -> None:
    reasons = asked(plan_of(step("g", category=category, cost=1.0)))
    assert list(reasons) == ["g"]
    assert category.replace("_", " ") in reasons["g"]


def test_step_over_threshold_is_asked_and_cheap_ungated_is_not() -> None:
    reasons = asked(plan_of(step("cheap", cost=99.0), step("pricey", cost=100.01)))
    assert list(reasons) == ["pricey"]
    assert "$100.01" in reasons["pricey"] and "$100.00 approval threshold" in reasons["pricey"]


def test_every_applicable_reason_is_listed() -> None:
    reasons = asked(plan_of(step("d", "production_deployment", cost=250.0)), goal_budget_usd=200)
    assert reasons["d"].count("; ") == 2  # category, threshold and budget


def test_plan_without_gated_step_yields_no_requests() -> None:
    assert POLICY.evaluate(plan_offline("optimise the checkout service's query latency")) == []


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
    assert list(asked(plan, already_decided={"g"})) == ["h"]


def test_goal_budget_asks_for_the_step_that_would_exceed_it() -> None:
    plan = plan_of(step("a", cost=40.0), step("b", cost=40.0), step("c", cost=40.0))
    reasons = asked(plan, goal_budget_usd=100.0)
    assert list(reasons) == ["c"]
    assert "$120.00" in reasons["c"] and "goal budget of $100.00" in reasons["c"]
    assert list(asked(plan, goal_budget_usd=100.0, approved_spend_usd=50.0)) == ["b", "c"]


def test_skipped_steps_are_neither_asked_nor_counted() -> None:
    plan = plan_of(step("a", "data_deletion"), step("b", cost=90.0), step("c", cost=20.0))
    assert list(asked(plan, goal_budget_usd=100.0, skip={"a", "b"})) == []


def test_threshold_is_configurable() -> None:
    strict = ApprovalPolicy(budget_threshold_usd=5.0)
    assert [r.step_id for r in strict.evaluate(plan_of(step("a", cost=6.0)))] == ["a"]


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


def resolve(plan: ExecutionPlan, value: dict[str, Any], **kw: Any):  # type: ignore[no-untyped-def]
    pending = POLICY.evaluate(plan, goal_budget_usd=kw.get("goal_budget_usd"))
    decisions = parse_resume(value, pending, now=NOW)
    return resolve_decisions(
        plan, decisions, policy=POLICY, allow_over_budget=allows_over_budget(value), **kw
    )


def test_edit_that_removes_the_need_for_approval_approves_the_step() -> None:
    plan = plan_of(step("a", cost=150.0))
    out = resolve(plan, {"decisions": {"a": {"edit": {"estimated_cost_usd": 80}}}})
    assert out.approved == ["a"] and out.requeued == [] and out.pending == []
    assert out.plan.step("a").estimated_cost_usd == 80 and out.approved_spend_usd == 80
    assert (
        out.ledger[0].decision == "edit" and "approved with these changes" in out.ledger[0].reason
    )


def test_edit_of_a_still_gated_step_asks_again() -> None:
    plan = plan_of(step("d", "production_deployment", cost=150.0))
    out = resolve(plan, {"decisions": {"d": {"edit": {"estimated_cost_usd": 20}}}})
    assert out.approved == [] and out.requeued == ["d"]
    assert [r.step_id for r in out.pending] == ["d"]
    assert out.pending[0].estimated_cost_usd == 20


def test_rejected_step_skips_its_dependents() -> None:
    plan = plan_of(step("d", "data_deletion"), step("v", "data_migration", deps=["d"]))
    out = resolve(plan, {"decisions": {"d": "reject"}})
    assert out.rejected == ["d"] and out.skipped == ["v"] and out.pending == []
    assert out.ledger[0].decision == "reject"


# --- budget ---------------------------------------------------------------------------


def test_approval_over_the_goal_budget_is_refused_with_the_numbers() -> None:
    plan = plan_of(step("a", cost=60.0), step("d", "production_deployment", cost=50.0))
    with pytest.raises(InvalidResumeError) as err:
        resolve(plan, {"decisions": {"d": "approve"}}, goal_budget_usd=100.0)
    message = str(err.value)
    assert "$50.00" in message and "$60.00 already committed" in message
    assert "$110.00" in message and "$100.00" in message and "allow_over_budget" in message


def test_allow_over_budget_accepts_the_overspend() -> None:
    plan = plan_of(step("a", cost=60.0), step("d", "production_deployment", cost=50.0))
    value = {"decisions": {"d": "approve"}, "allow_over_budget": True}
    out = resolve(plan, value, goal_budget_usd=100.0)
    assert out.approved == ["d"] and out.approved_spend_usd == 50.0


def test_budget_counts_approvals_from_earlier_rounds() -> None:
    plan = plan_of(step("d", "data_deletion", cost=30.0), step("m", "data_migration", cost=30.0))
    first = resolve(plan, {"decisions": {"d": "approve"}}, goal_budget_usd=50.0)
    assert first.approved_spend_usd == 30.0 and [r.step_id for r in first.pending] == ["m"]
    assert "over the goal budget" in first.pending[0].reason
    with pytest.raises(InvalidResumeError, match=r"\$30.00 already committed"):
        resolve_decisions(
            first.plan,
            parse_resume({"decisions": {"m": "approve"}}, first.pending, now=NOW),
            policy=POLICY,
            goal_budget_usd=50.0,
            already_decided={"d"},
            approved_spend_usd=first.approved_spend_usd,
        )


def test_budget_guard_without_a_budget_never_refuses() -> None:
    guard = BudgetGuard(goal_budget_usd=None, committed_usd=1e6)
    assert guard.check({"a": 500.0}) == 1e6 + 500.0
