"""The agent's line to the Director: the `escalate_to_director` tool, and answers cited.

An LLM agent that cannot proceed (the evidence conflicts, it lacks access,
the risk is beyond its remit) calls `escalate_to_director`; the call raises
`EscalationNeeded`, which ends the step's run there, and the orchestrator
pauses the run with the question. When the step runs again it is given the
Director's answer (`AgentInput.director_answers`), and its result cites it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NoReturn, TypeVar

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from argo_agents.agents.models import Citation, StepResult
from argo_agents.agents.state import DirectorAnswer
from argo_agents.approval.escalation import (
    OPTION_ID,
    EscalationNeeded,
    EscalationOption,
    EscalationReason,
)

TOOL_NAME = "escalate_to_director"
R = TypeVar("R", bound=StepResult)


class OptionArgs(BaseModel):
    """One answer the Director may give."""

    id: str = Field(pattern=OPTION_ID, description="Short id, e.g. use_cache, retry, skip.")
    description: str = Field(min_length=1, max_length=500, description="What it means.")


class EscalateArgs(BaseModel):
    """An escalation: why, the question, and the options to choose from."""

    reason: EscalationReason = Field(
        description="conflicting_evidence, missing_access or risk_above_remit."
    )
    question: str = Field(min_length=5, max_length=1000, description="The question to decide.")
    options: list[OptionArgs] = Field(
        min_length=1, max_length=6, description="Distinct options; 'skip' is always added."
    )
    evidence: list[str] = Field(
        default_factory=list, max_length=10, description="Record ids or facts behind it."
    )


def _escalate(
    reason: EscalationReason,
    question: str,
    options: list[OptionArgs],
    evidence: list[str] | None = None,
) -> NoReturn:
    raise EscalationNeeded(
        reason,
        question,
        [
            EscalationOption(id=o.id, description=o.description)
            for o in (OptionArgs.model_validate(raw) for raw in options)
        ],
        evidence,
    )


def escalate_tool() -> BaseTool:
    """`escalate_to_director`: stop this step and ask the Director (the run pauses)."""
    return StructuredTool.from_function(
        func=_escalate,
        name=TOOL_NAME,
        description=(
            "Stop and ask the Director when you cannot proceed: the evidence conflicts, you "
            "lack access to something the step needs, or the risk is beyond your remit. The "
            "run pauses until the Director picks one of your options; the step then runs "
            "again with the answer. Do not use it for what your tools can answer."
        ),
        args_schema=EscalateArgs,
    )


def answer_line(a: DirectorAnswer) -> str:
    """One line saying what the Director answered."""
    by = f" by {a['by']}" if a["by"] else ""
    note = f" — note: {a['note']}" if a["note"] else ""
    return (
        f"Director's answer to escalation {a['escalation_id']} ({a['reason']}: "
        f"{a['question']}){by}: {a['option']} ({a['option_description']}){note}"
    )


def cite_answers(result: R, answers: Sequence[DirectorAnswer]) -> R:
    """``result`` with a finding and a citation for each Director's answer it rests on."""
    missing = [a for a in answers if not any(a["escalation_id"] in f for f in result.findings)]
    cited = {c.record_id for c in result.evidence}
    return result.model_copy(
        update={
            "findings": [*result.findings, *(answer_line(a) for a in missing)],
            "evidence": [
                *result.evidence,
                *(
                    Citation(
                        store="bigquery",
                        record_id=a["response_id"],
                        query="escalation_response",
                        title=f"Director: {a['option']}",
                    )
                    for a in answers
                    if a["response_id"] not in cited
                ),
            ],
        }
    )
