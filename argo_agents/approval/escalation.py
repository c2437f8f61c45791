"""Escalation: an agent that cannot proceed asks the Director a typed question.

Pure models and rules, like the rest of :mod:`argo_agents.approval`: what an
escalation holds (reason, question, options, the evidence that raised it),
how an answer is parsed and checked against the open questions, and the
interrupt payload the gate shows. The gate keeps escalations in its own record
(:mod:`argo_agents.orchestrator.escalation_record`), never trusting graph state.

An option whose id is ``skip`` or ``abort`` ends the step ``skipped``; every
escalation offers ``skip``, so the Director can always stop a step.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from argo_agents.approval.decisions import InvalidResumeError

EscalationReason = Literal["conflicting_evidence", "missing_access", "risk_above_remit"]
REASONS: tuple[EscalationReason, ...] = (
    "conflicting_evidence",
    "missing_access",
    "risk_above_remit",
)
ENDING_OPTIONS = frozenset({"skip", "abort"})
MAX_ESCALATIONS_PER_STEP = 3
"""A step that keeps escalating (access still missing after "retry") then fails instead."""
OPTION_ID = r"^[a-z0-9][a-z0-9_-]{0,39}$"
ESCALATION_SHAPE = (
    '{"escalations": {"<escalation_id>": "<option_id>" | {"option": "<option_id>", '
    '"note": "<why>"}}, "director": "<name>" (optional)}'
)
_MAX_NOTE = 2000


class InvalidEscalationAnswerError(InvalidResumeError):
    """An answer to an escalation ARGO cannot act on (unknown escalation or option)."""

    def __init__(self, problem: str) -> None:
        prefix, suffix = "invalid escalation answer: ", f". Send {ESCALATION_SHAPE}"
        self.problem = problem.removeprefix(prefix).removesuffix(suffix)
        ValueError.__init__(self, f"{prefix}{self.problem}{suffix}")


class EscalationOption(BaseModel):
    """One way the Director may answer."""

    id: str = Field(pattern=OPTION_ID, description="What the Director sends back.")
    description: str = Field(min_length=1, max_length=500)

    @property
    def ends_step(self) -> bool:
        """``skip`` / ``abort``: the step ends skipped instead of running again."""
        return self.id in ENDING_OPTIONS


SKIP = EscalationOption(id="skip", description="Skip this step (and the steps that need it).")


class EscalationAnswer(BaseModel):
    """The Director's answer, as the gate recorded it."""

    option: str
    note: str = ""
    by: str | None = None
    by_verified: bool = False
    at: datetime
    round: str
    response_id: str
    """The RESPONSE message recorded through the sync engine."""


class Escalation(BaseModel):
    """A question an agent put to the Director, and the answer once there is one."""

    id: str
    run_id: str
    goal_id: str
    step_id: str
    agent_id: str
    agent_kind: str
    reason: EscalationReason
    question: str
    options: list[EscalationOption]
    evidence: list[str] = Field(default_factory=list)
    """What triggered it: the executor's error, the tied vote, the cost against the remit."""
    raised_at: datetime
    message_id: str
    """The ESCALATION message recorded through the sync engine."""
    answer: EscalationAnswer | None = None

    def option(self, option_id: str) -> EscalationOption | None:
        """The option with this id, if it is one of this escalation's."""
        return next((o for o in self.options if o.id == option_id), None)

    def request_view(self) -> dict[str, Any]:
        """What the interrupt payload shows of it (no answer: it is open)."""
        return self.model_dump(mode="json", exclude={"answer"})


class EscalationNeeded(Exception):  # noqa: N818 (a signal, not a failure)
    """Raised inside a step when its agent cannot proceed without the Director."""

    def __init__(
        self,
        reason: EscalationReason,
        question: str,
        options: list[EscalationOption],
        evidence: list[str] | None = None,
    ) -> None:
        super().__init__(f"{reason}: {question}")
        self.reason = reason
        self.question = question
        self.options = with_skip(options)
        self.evidence = list(evidence or [])


def with_skip(options: list[EscalationOption]) -> list[EscalationOption]:
    """``options`` (first of each id kept) with ``skip`` added if none ends the step."""
    seen: dict[str, EscalationOption] = {}
    for o in options:
        seen.setdefault(o.id, o)
    out = list(seen.values())
    return out if any(o.ends_step for o in out) else [*out, SKIP]


def escalation_id(run_id: str, step_id: str, ordinal: int) -> str:
    """Deterministic per run, step and how many escalations the step raised before."""
    raw = f"{run_id}|{step_id}|{ordinal}"
    return f"esc-{hashlib.sha256(raw.encode()).hexdigest()[:12]}"


class EscalationInterrupt(BaseModel):
    """The interrupt payload of a Director round: open escalations (no approvals)."""

    run_id: str
    goal: str
    approvals: list[dict[str, Any]] = Field(default_factory=list)
    escalations: list[dict[str, Any]]
    error: str | None = None
    expected: str = ESCALATION_SHAPE


class OptionAnswer(BaseModel):
    """An option id with the Director's note."""

    option: str
    note: str = Field("", max_length=_MAX_NOTE)


class EscalationResume(BaseModel):
    """What the Director sends back (the interrupt's ``response_schema``, for Studio)."""

    escalations: dict[str, str | OptionAnswer] = Field(
        description="An option id (or {option, note}) per open escalation id; "
        "escalations left out stay open."
    )
    director: str | None = Field(None, max_length=200, description="Who answers.")


ESCALATION_RESUME_SCHEMA: dict[str, Any] = EscalationResume.model_json_schema()


def parse_answers(
    value: Any, open_ones: list[Escalation], *, director: str | None = None
) -> dict[str, tuple[str, str, str | None]]:
    """Escalation id -> (option, note, who) from a resume value; raise if it is refused."""
    if not isinstance(value, dict):
        raise InvalidEscalationAnswerError(f"got {type(value).__name__}, not a dict")
    if unknown_keys := sorted(set(value) - {"escalations", "director"}):
        raise InvalidEscalationAnswerError(f"unknown keys {unknown_keys}")
    try:
        parsed = EscalationResume.model_validate(value)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise InvalidEscalationAnswerError(problems) from exc
    if not parsed.escalations:
        raise InvalidEscalationAnswerError("'escalations' is empty; answer at least one")
    by_id = {e.id: e for e in open_ones}
    if unknown := sorted(set(parsed.escalations) - set(by_id)):
        raise InvalidEscalationAnswerError(
            f"unknown escalation ids {unknown}; open escalations are {sorted(by_id)}"
        )
    who = parsed.director if parsed.director is not None else director
    out: dict[str, tuple[str, str, str | None]] = {}
    for esc_id, raw in parsed.escalations.items():
        option, note = (raw, "") if isinstance(raw, str) else (raw.option, raw.note)
        if by_id[esc_id].option(option) is None:
            ids = [o.id for o in by_id[esc_id].options]
            raise InvalidEscalationAnswerError(
                f"escalation {esc_id!r}: unknown option {option!r}; its options are {ids}"
            )
        out[esc_id] = (option, note, who)
    return out


def now() -> datetime:
    """The time an escalation is raised or answered."""
    return datetime.now(UTC)
