"""When a step escalates on its own (no model needed), and what its next run is given.

Two triggers live here, beside the agents' own (a tied vote in
`agents.deliberation`, the `escalate_to_director` tool): a step estimated
above its agent's remit (`Context.agent_remit_usd`) asks before it runs, and
an executor that reports an authorization failure asks whether access was
granted. The third function turns an answered escalation into the agent's input.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from argo_agents.agents.state import DirectorAnswer
from argo_agents.approval.escalation import Escalation, EscalationNeeded, EscalationOption
from argo_agents.planning.models import PlanStep

# What executors, HTTP APIs, cloud SDKs and MCP tools say when a credential is missing or
# refused. Conservative: a missed match only fails the step the ordinary way (retried).
_ACCESS = re.compile(
    r"\b(401|403)\b|unauthori[sz]ed|forbidden|permission denied|access denied|"
    r"not authori[sz]ed|authentication (failed|required)|invalid (api[ _-]?key|token|"
    r"credentials?)|missing (api[ _-]?key|token|credentials?)|no credentials|"
    r"insufficient (scope|permissions?)",
    re.IGNORECASE,
)


def access_problem(exc: BaseException) -> str | None:
    """The authorization failure behind ``exc`` (its chain included), or None."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, PermissionError) or _ACCESS.search(str(current)):
            return f"{type(current).__name__}: {current}"
        current = current.__cause__ or current.__context__
    return None


def missing_access(step: PlanStep, executor: str, problem: str) -> EscalationNeeded:
    """The question to ask when ``executor`` was refused access for ``step``."""
    return EscalationNeeded(
        "missing_access",
        f"Executor {executor} was refused access while acting for step {step.id} "
        f"({step.action}). Grant the access and retry, or skip the step?",
        [
            EscalationOption(id="retry", description="Access is granted now: run the step again."),
            EscalationOption(id="skip", description="Skip this step (and the steps that need it)."),
        ],
        [problem],
    )


def over_remit(
    step: PlanStep, remit_usd: float | None, answers: Sequence[DirectorAnswer]
) -> EscalationNeeded | None:
    """The question to ask before a step estimated above the agent's remit runs (None when
    it is within the remit, or the Director already let it proceed)."""
    if remit_usd is None or step.estimated_cost_usd <= remit_usd:
        return None
    if any(a["reason"] == "risk_above_remit" for a in answers):
        return None  # asked once; an answer that ends the step never runs it again
    return EscalationNeeded(
        "risk_above_remit",
        f"Step {step.id} ({step.action}) is estimated at ${step.estimated_cost_usd:,.2f}, "
        f"above the agent's remit of ${remit_usd:,.2f}. Proceed at that cost?",
        [EscalationOption(id="proceed", description="Run the step at its estimated cost.")],
        [
            f"estimated_cost_usd={step.estimated_cost_usd}",
            f"agent_remit_usd={remit_usd}",
            f"category={step.category}",
        ],
    )


def director_answer(esc: Escalation) -> DirectorAnswer:
    """An answered escalation as the step's agent receives it."""
    if esc.answer is None:
        raise ValueError(f"escalation {esc.id} has no answer yet")
    option = esc.option(esc.answer.option)
    return {
        "escalation_id": esc.id,
        "reason": esc.reason,
        "question": esc.question,
        "option": esc.answer.option,
        "option_description": option.description if option else "",
        "note": esc.answer.note,
        "by": esc.answer.by,
        "response_id": esc.answer.response_id,
    }
