"""When a Creative step finds competing approaches, the other agents vote on them.

The options are the distinct approaches the step's own evidence names (the
titles of the independent records it cites, at most three); Technical and
Research judge them by their reads of the stores (`collaboration.consensus`),
and the result gains the options, the decision with every vote, and a finding
that says it, so the Director sees how the choice was made. A vote that
settles nothing (a tie, or no vote at all) escalates to the Director as
conflicting evidence; when the step runs again, the Director's option decides.
"""

from __future__ import annotations

from collections.abc import Sequence

from argo_agents.agents.deps import AgentDeps
from argo_agents.agents.models import (
    KNOWLEDGE_ID_PREFIX,
    AgentKind,
    Artefact,
    ArtefactItem,
    Citation,
    StepResult,
)
from argo_agents.agents.state import DirectorAnswer
from argo_agents.agents.tools import RunScope
from argo_agents.approval.escalation import EscalationNeeded, EscalationOption
from argo_agents.collaboration.consensus import ConsensusDecision, Option, hold_vote

MAX_OPTIONS = 3
VOTERS: tuple[AgentKind, ...] = ("technical", "research")


def _independent(c: Citation) -> bool:
    """Not text ARGO wrote about its own earlier work (knowledge items, step results)."""
    return not (
        c.record_id.startswith(KNOWLEDGE_ID_PREFIX)
        or c.record_id.endswith("-result")
        or c.query == "previous_results"
    )


def options_from(result: StepResult) -> list[Option]:
    """Distinct approaches named by the step's independent evidence, best first."""
    titles: list[str] = []
    for c in sorted(result.evidence, key=lambda c: -(c.score or 0.0)):
        if _independent(c) and c.title and c.title not in titles:
            titles.append(c.title)
    return [Option(key=f"option-{i + 1}", text=t) for i, t in enumerate(titles[:MAX_OPTIONS])]


def _settled(decision: ConsensusDecision, answers: Sequence[DirectorAnswer]) -> ConsensusDecision:
    """The decision, or the Director's choice when the vote settled nothing; raises
    `EscalationNeeded` when it settled nothing and the Director has not chosen yet."""
    keys = {o.key for o in decision.options}
    chosen = [a for a in answers if a["reason"] == "conflicting_evidence" and a["option"] in keys]
    if chosen:  # the Director was asked because the vote was tied: the answer decides
        return decision.model_copy(
            update={
                "chosen": chosen[-1]["option"],
                "decided_by": f"director:{chosen[-1]['escalation_id']}",
            }
        )
    if (why := decision.undecided()) is None:
        return decision
    raise EscalationNeeded(
        "conflicting_evidence",
        f"The agents' vote on {decision.topic} settled nothing ({why}). Which approach "
        "should this step take?",
        [EscalationOption(id=o.key, description=o.text) for o in decision.tied()],
        [decision.line(), f"tally: {decision.tally}", *(f"vote: {v}" for v in decision.votes)],
    )


def with_consensus(
    kind: AgentKind,
    deps: AgentDeps,
    scope: RunScope,
    result: StepResult,
    answers: Sequence[DirectorAnswer] = (),
) -> StepResult:
    """``result`` with the other agents' vote on its options (Creative steps with two or
    more); unchanged otherwise."""
    options = options_from(result) if kind == "creative" else []
    if len(options) < 2:
        return result
    decision = hold_vote(
        deps, scope, f"the approach for {scope.subject}", options, VOTERS, deps.consensus_rule
    )
    decision = _settled(decision, answers)
    listed = Artefact(
        name="options",
        kind="options",
        content="\n".join(f"{o.key}: {o.text}" for o in options),
        items=[ArtefactItem(key=o.key, text=o.text) for o in options],
    )
    chosen = [o for o in options if o.key == decision.chosen]
    decided = Artefact(
        name="consensus",
        kind="decision",
        content=decision.model_dump_json(),
        items=[ArtefactItem(key=o.key, text=o.text) for o in chosen],
    )
    return result.model_copy(
        update={
            "artefacts": [*result.artefacts, listed, decided],
            "findings": [*result.findings, decision.line()],
        }
    )
