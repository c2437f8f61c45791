"""Approval: when ARGO pauses for the Director, and how the Director's answers apply."""

from argo_agents.approval.budget import ApprovalOutcome, BudgetGuard, resolve_decisions
from argo_agents.approval.decisions import (
    EDITABLE_FIELDS,
    EXPECTED_SHAPE,
    Decision,
    InvalidResumeError,
    LedgerEntry,
    StepEdit,
    allows_over_budget,
    apply_edit,
    parse_resume,
)
from argo_agents.approval.policy import ApprovalPolicy, ApprovalRequest, Assessment

__all__ = [
    "EDITABLE_FIELDS",
    "EXPECTED_SHAPE",
    "ApprovalOutcome",
    "ApprovalPolicy",
    "ApprovalRequest",
    "Assessment",
    "BudgetGuard",
    "Decision",
    "InvalidResumeError",
    "LedgerEntry",
    "StepEdit",
    "allows_over_budget",
    "apply_edit",
    "parse_resume",
    "resolve_decisions",
]
