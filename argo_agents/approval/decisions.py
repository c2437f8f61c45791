"""The Director's answers to an approval interrupt: parsing, edits and the ledger.

The resume value arrives from Studio, the dev server, the Python API or the
CLI, so it is checked strictly and every refusal says the expected shape.

Edit semantics: ``{"edit": {...}}`` means "approve with these changes" only
if the edited step no longer needs approval under the policy (e.g. its cost
was cut below the threshold). The edited step is re-classified by ARGO, not
only re-read by its label: if it still needs approval (a gated category by
label or by ARGO's classification, or still too expensive), it goes back to
pending with its new values and is asked again, so an edit can never smuggle a
gated step past the Director (relabelling a deployment ``analysis`` does not).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from argo_agents.approval.policy import ApprovalRequest
from argo_agents.planning.models import CAPABILITIES, CATEGORIES, ExecutionPlan
from argo_agents.planning.validate import PlanValidationError, validate_plan

Verdict = Literal["approve", "reject", "edit"]

EXPECTED_SHAPE = (
    '{"decisions": {"<step_id>": "approve" | "reject" | {"edit": {"<field>": <value>}}}, '
    '"director": "<name>" (optional), "reason": "<why>" (optional), '
    '"allow_over_budget": true (optional)}'
)
_TOP_LEVEL_KEYS = {"decisions", "director", "reason", "allow_over_budget"}
_MAX_TEXT = {"director": 200, "reason": 2000}


class InvalidResumeError(ValueError):
    """A resume value ARGO cannot act on; the message says once what is wrong and what to send."""

    def __init__(self, problem: str) -> None:
        # a message that went through an interrupt payload comes back whole: say it once
        self.problem = problem.removeprefix(_PREFIX).removesuffix(_SUFFIX)
        super().__init__(f"{_PREFIX}{self.problem}{_SUFFIX}")


_PREFIX = "invalid resume value: "
_SUFFIX = f". Send {EXPECTED_SHAPE}"


class StepEdit(BaseModel):
    """The fields of a step the Director may change."""

    model_config = ConfigDict(extra="forbid")

    description: str | None = Field(default=None, max_length=2000)
    estimated_cost_usd: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    estimated_duration_s: int | None = Field(default=None, ge=0)
    required_capabilities: list[str] | None = None
    category: str | None = None

    @field_validator("category")
    @classmethod
    def _known_category(cls, value: str | None) -> str | None:
        if value is not None and value not in CATEGORIES:
            raise ValueError(f"unknown category {value!r}; use one of {', '.join(CATEGORIES)}")
        return value

    @field_validator("required_capabilities")
    @classmethod
    def _known_capabilities(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and (unknown := sorted(set(value) - CAPABILITIES)):
            raise ValueError(f"unknown capabilities {unknown}; see planning.models.CAPABILITIES")
        return value


EDITABLE_FIELDS: frozenset[str] = frozenset(StepEdit.model_fields)


class Decision(BaseModel):
    """One verdict on one pending step."""

    step_id: str
    verdict: Verdict
    edits: dict[str, Any] | None = None
    by: str | None = None
    """The name the resume value (or the goal's submitter) asserts."""
    at: datetime
    reason: str = ""


class LedgerEntry(BaseModel):
    """An audit record of one decision, made and kept by the approval gate.

    It belongs to one goal run (``run_id``, ``plan_id``) and one interrupt
    (``round``); ``by_verified`` says whether the LangGraph server authenticated
    ``by`` or the name was only asserted by the client.
    """

    run_id: str
    plan_id: str
    goal_id: str
    round: str
    step_id: str
    decision: Verdict
    by: str | None
    by_verified: bool = False
    at: datetime
    reason: str
    estimated_cost_usd: float
    edits: dict[str, Any] | None = None
    changes: dict[str, dict[str, Any]] = Field(default_factory=dict)
    """Edited fields with their values ``before`` and ``after``."""
    requeued: bool = False
    """An edit after which the step still needs approval: it is asked again."""
    reasons_after_edit: list[str] = Field(default_factory=list)
    """Why the edited step still needs approval (ARGO's re-classification)."""

    @property
    def settles(self) -> bool:
        """Whether this entry decides its step (a requeued edit does not)."""
        return not self.requeued


def _parse_edit(step_id: str, raw: dict[str, Any]) -> dict[str, Any]:
    if set(raw) != {"edit"}:
        raise InvalidResumeError(
            f"step {step_id!r}: an edit must be {{'edit': {{...}}}}, got keys {sorted(raw)}"
        )
    edits = raw["edit"]
    if not isinstance(edits, dict) or not edits:
        raise InvalidResumeError(f"step {step_id!r}: 'edit' must be a non-empty dict of fields")
    if unknown := sorted(set(edits) - EDITABLE_FIELDS):
        raise InvalidResumeError(
            f"step {step_id!r}: cannot edit {unknown}; editable fields: {sorted(EDITABLE_FIELDS)}"
        )
    try:
        return StepEdit.model_validate(edits).model_dump(exclude_unset=True)
    except ValidationError as exc:
        problems = "; ".join(f"{e['loc'][0]}: {e['msg']}" for e in exc.errors())
        raise InvalidResumeError(f"step {step_id!r}: bad edit ({problems})") from exc


def parse_resume(
    value: Any,
    pending: list[ApprovalRequest],
    *,
    now: datetime | None = None,
    director: str | None = None,
) -> list[Decision]:
    """Decisions from a resume value; steps it does not mention stay pending.

    ``director`` is who to record when the value names nobody (e.g. the
    goal's submitter); ``now`` fixes the timestamp in tests.
    """
    if not isinstance(value, dict):
        raise InvalidResumeError(f"got {type(value).__name__}, not a dict")
    if unknown_keys := sorted(set(value) - _TOP_LEVEL_KEYS):
        raise InvalidResumeError(f"unknown keys {unknown_keys}")
    decisions = value.get("decisions")
    if not isinstance(decisions, dict) or not decisions:
        raise InvalidResumeError("'decisions' is missing or empty; decide at least one step")
    pending_ids = [r.step_id for r in pending]
    if unknown := sorted(set(decisions) - set(pending_ids)):
        raise InvalidResumeError(f"unknown step ids {unknown}; pending steps are {pending_ids}")
    by = value.get("director", director)
    reason = value.get("reason", "")
    for name, field in (("director", by), ("reason", reason)):
        if field is not None and not isinstance(field, str):
            raise InvalidResumeError(f"'{name}' must be a string")
        if field is not None and len(field) > _MAX_TEXT[name]:
            raise InvalidResumeError(
                f"'{name}' has {len(field)} characters; the limit is {_MAX_TEXT[name]}"
            )
    allows_over_budget(value)  # reject a malformed flag now, not at the budget check
    at = now or datetime.now(UTC)
    out = []
    for step_id, raw in decisions.items():
        if isinstance(raw, dict):
            edits = _parse_edit(step_id, raw)
            out.append(
                Decision(step_id=step_id, verdict="edit", edits=edits, by=by, at=at, reason=reason)
            )
        elif isinstance(raw, str) and raw.strip().lower() in ("approve", "reject"):
            verdict: Verdict = "approve" if raw.strip().lower() == "approve" else "reject"
            out.append(Decision(step_id=step_id, verdict=verdict, by=by, at=at, reason=reason))
        else:
            raise InvalidResumeError(
                f"step {step_id!r}: verdict {raw!r} is not 'approve', 'reject' or {{'edit': {{}}}}"
            )
    return out


def allows_over_budget(value: dict[str, Any]) -> bool:
    """Whether the resume value explicitly accepts approvals beyond the goal budget."""
    flag = value.get("allow_over_budget", False)
    if not isinstance(flag, bool):
        raise InvalidResumeError("'allow_over_budget' must be true or false")
    return flag


def apply_edit(plan: ExecutionPlan, step_id: str, edits: dict[str, Any]) -> ExecutionPlan:
    """A copy of ``plan`` with the step's fields changed; raises if the result is invalid."""
    try:
        changes = StepEdit.model_validate(edits).model_dump(exclude_unset=True)
    except ValidationError as exc:
        raise PlanValidationError([f"bad edit of step {step_id!r}: {exc}"], plan.plan_id) from exc
    if step_id not in plan.step_ids():
        raise PlanValidationError([f"no step {step_id!r} to edit"], plan.plan_id)
    steps = [s.model_copy(update=changes) if s.id == step_id else s for s in plan.steps]
    edited = plan.model_copy(update={"steps": steps})
    validate_plan(edited)
    return edited
