"""Approval: when ARGO pauses for the Director, and how the Director's answers apply.

`classifier` says which gated categories a step really touches; `policy` what
must be asked; `budget` the one computation of a plan's spending; `decisions`
parses an answer; `round` applies it to the gate's `record`, the only approvals
ARGO trusts; `identity` says who decided.
"""

from argo_agents.approval.budget import BudgetValueError, SpendLimit, plan_spend
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
from argo_agents.approval.policy import ApprovalPolicy, ApprovalRequest
from argo_agents.approval.record import ApprovalRecord
from argo_agents.approval.round import ApprovalInterrupt, ResumeValue, answer, assess

__all__ = [
    "EDITABLE_FIELDS",
    "EXPECTED_SHAPE",
    "ApprovalInterrupt",
    "ApprovalPolicy",
    "ApprovalRecord",
    "ApprovalRequest",
    "BudgetValueError",
    "Decision",
    "InvalidResumeError",
    "LedgerEntry",
    "ResumeValue",
    "SpendLimit",
    "StepEdit",
    "allows_over_budget",
    "answer",
    "apply_edit",
    "assess",
    "parse_resume",
    "plan_spend",
]
