"""One approval round: what to ask the Director, and how an answer changes the record.

Pure functions over an :class:`ApprovalRecord`; the gate node only loads the
record, calls these, and saves the result. Every step is classified by ARGO
itself (:mod:`argo_agents.approval.classifier`) on every round, so an edit is
re-classified before it can approve anything.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from argo_agents.approval.budget import SpendLimit, plan_spend
from argo_agents.approval.classifier import Finding, classify_plan
from argo_agents.approval.decisions import (
    EXPECTED_SHAPE,
    Decision,
    InvalidResumeError,
    LedgerEntry,
    StepEdit,
    allows_over_budget,
    apply_edit,
    parse_resume,
)
from argo_agents.approval.identity import DirectorIdentity
from argo_agents.approval.policy import ApprovalPolicy, ApprovalRequest
from argo_agents.approval.record import ApprovalRecord, digest
from argo_agents.planning.models import ExecutionPlan, PlanStep
from argo_agents.planning.validate import PlanValidationError


class RoundView(BaseModel):
    """The gate's verdict on a record: what is pending and where spending stands."""

    requests: list[ApprovalRequest]
    plan_spend_usd: float
    spend_limit: SpendLimit
    accepted_spend_usd: float | None


class ApprovalInterrupt(BaseModel):
    """The interrupt payload: what the Director is asked, and what to send back."""

    run_id: str
    goal: str
    approvals: list[ApprovalRequest]
    budget_usd: float | None
    plan_spend_usd: float
    spend_limit: SpendLimit
    accepted_spend_usd: float | None = None
    error: str | None = None
    expected: str = EXPECTED_SHAPE


class EditDecision(BaseModel):
    """Approve a step with changes; it is asked again if it still needs approval."""

    edit: StepEdit


class ResumeValue(BaseModel):
    """What the Director sends back (the interrupt's ``response_schema``, for Studio's form).

    Only documentation for clients: the gate parses the value itself
    (`parse_resume`), so a bad value is refused with a message, not a crash.
    """

    decisions: dict[str, Literal["approve", "reject"] | EditDecision] = Field(
        description="A verdict per pending step id; steps left out stay pending."
    )
    director: str | None = Field(
        None,
        description="Who decides (recorded as asserted unless the server authenticated the user).",
    )
    reason: str = Field("", description="Why; recorded with every decision of this answer.")
    allow_over_budget: bool = Field(
        False, description="Accept the plan's spending over the goal budget."
    )


RESUME_SCHEMA: dict[str, Any] = ResumeValue.model_json_schema()


def findings_of(plan: ExecutionPlan, goal: str) -> dict[str, list[Finding]]:
    """ARGO's own classification of every step (independent of the planner's labels)."""
    return classify_plan(plan, goal)


def assess(record: ApprovalRecord, policy: ApprovalPolicy) -> RoundView:
    """What the Director must decide now under ``policy``."""
    skip = record.skipped
    return RoundView(
        requests=policy.requests(
            record.plan,
            findings_of(record.plan, record.goal),
            goal_budget_usd=record.budget_usd,
            decided=record.decided,
            skip=skip,
            accepted_spend_usd=record.accepted_spend_usd,
        ),
        plan_spend_usd=plan_spend(record.plan, skip),
        spend_limit=policy.spend_limit(record.budget_usd),
        accepted_spend_usd=record.accepted_spend_usd,
    )


def answer(
    record: ApprovalRecord,
    value: Any,
    *,
    policy: ApprovalPolicy,
    round_id: str,
    identity: DirectorIdentity,
    now: datetime | None = None,
) -> ApprovalRecord:
    """The record after the Director's answer to round ``round_id``; raise if it is refused.

    Nothing is applied when the answer is refused (an unknown step, a bad
    edit, approvals over the goal budget without ``allow_over_budget``).
    """
    pending = assess(record, policy).requests
    decisions = parse_resume(value, pending, director=identity.name, now=now)
    plan = record.plan
    before = {s.id: s for s in plan.steps}
    for d in decisions:
        if d.verdict == "edit":
            try:
                plan = apply_edit(plan, d.step_id, d.edits or {})
            except PlanValidationError as exc:
                raise InvalidResumeError(f"edit of step {d.step_id!r}: {exc}") from exc
    findings = findings_of(plan, record.goal)
    entries = [
        _ledger_entry(record, plan, round_id, d, before[d.step_id], findings, policy, identity)
        for d in decisions
    ]
    updated = record.model_copy(
        update={
            "plan": plan,
            "ledger": [*record.ledger, *entries],
            "open_round": None,
            "answered": {**record.answered, round_id: digest(value)},
        }
    )
    return _within_budget(updated, entries, policy, allows_over_budget(value))


def _ledger_entry(
    record: ApprovalRecord,
    plan: ExecutionPlan,
    round_id: str,
    d: Decision,
    old_step: PlanStep,
    findings: dict[str, list[Finding]],
    policy: ApprovalPolicy,
    identity: DirectorIdentity,
) -> LedgerEntry:
    """One decision as the ledger keeps it; an edit that still trips a rule is asked again."""
    step = plan.step(d.step_id)
    still = policy.step_reasons(step, findings.get(step.id, [])) if d.verdict == "edit" else []
    note = ""
    if d.verdict == "edit":
        note = (
            "edited; asked again: " + "; ".join(still)
            if still
            else "edited; approved with these changes"
        )
    old = old_step.model_dump()
    return LedgerEntry(
        run_id=record.run_id,
        plan_id=plan.plan_id,
        goal_id=record.goal_id,
        round=round_id,
        step_id=d.step_id,
        decision=d.verdict,
        by=identity.name if identity.verified else d.by,
        by_verified=identity.verified,
        at=d.at,
        reason=f"{d.reason} ({note})" if d.reason and note else d.reason or note,
        estimated_cost_usd=step.estimated_cost_usd,
        edits=d.edits,
        changes={
            k: {"before": old[k], "after": v} for k, v in (d.edits or {}).items() if old[k] != v
        },
        requeued=bool(still),
        reasons_after_edit=still,
    )


def _within_budget(
    record: ApprovalRecord, entries: list[LedgerEntry], policy: ApprovalPolicy, allow: bool
) -> ApprovalRecord:
    limit = policy.spend_limit(record.budget_usd)
    spend = plan_spend(record.plan, record.skipped)
    approves = any(e.decision != "reject" and e.settles for e in entries)
    if limit.kind != "goal_budget" or not approves:
        return record
    if not limit.exceeded_by(spend, record.accepted_spend_usd):
        return record
    if not allow:
        raise InvalidResumeError(limit.refusal(spend))
    return record.model_copy(update={"accepted_spend_usd": spend})
