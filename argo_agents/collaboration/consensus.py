"""Consensus: agents able to judge vote on competing options before a deadline.

Each voter gets a CONSENSUS message with the options; it scores every option
by its own reads of the stores (Research: the knowledge; Technical: the graph)
and votes for the best, with that score as its confidence and the records as
its evidence. Votes that arrive after the deadline, or voters that fail, are
listed as missing and the decision is taken with the votes present. The rule
is configurable (``ARGO_CONSENSUS_RULE``): ``majority`` (one voter, one vote),
``confidence`` (votes weighted by their confidence) or ``past_success`` (by
the voter kind's success rate in the warehouse). The decision and every vote
are recorded (warehouse event ``consensus_decision``) and returned for the
step's result, where the Director sees them.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from argo_agents.collaboration.messages import AgentMessage, MessageError, MessageKind
from argo_agents.stores.errors import StoreError
from argo_agents.sync.events import SyncEvent

if TYPE_CHECKING:
    from argo_agents.agents.deps import AgentDeps
    from argo_agents.agents.models import AgentKind
    from argo_agents.agents.tools import RunScope

log = logging.getLogger(__name__)

Rule = Literal["majority", "confidence", "past_success"]
VOTE_WITHIN_S = 10.0


class Option(BaseModel):
    """One of the competing options."""

    key: str
    text: str


class Vote(BaseModel):
    """One voter's choice, how sure it is, and the records it rests on."""

    voter: str
    option: str
    confidence: float = Field(ge=0.0, le=1.0)
    evidence: list[str] = Field(default_factory=list)


class ConsensusDecision(BaseModel):
    """What was decided, by which rule, from which votes."""

    topic: str
    rule: Rule
    options: list[Option]
    votes: list[Vote]
    missing: list[str] = Field(default_factory=list)
    tally: dict[str, float] = Field(default_factory=dict)
    chosen: str | None = None
    decided_by: str = "vote"
    """``vote``, or ``director:<escalation id>`` when the vote settled nothing and the
    Director chose."""

    def undecided(self) -> str | None:
        """Why the vote settles nothing (no vote came, or the best options are tied), or None."""
        if not self.votes:
            return f"no voter voted (missing: {', '.join(self.missing) or 'none asked'})"
        top = max(self.tally.values())
        tied = [k for k, w in self.tally.items() if w == top]
        return f"tie between {', '.join(tied)} at {top} each" if len(tied) > 1 else None

    def tied(self) -> list[Option]:
        """The options the Director must choose between (all of them when nobody voted)."""
        if not self.votes:
            return list(self.options)
        top = max(self.tally.values())
        return [o for o in self.options if self.tally.get(o.key) == top]

    def line(self) -> str:
        """One line for a result's findings."""
        if self.decided_by != "vote" and self.chosen is not None:
            text = next(o.text for o in self.options if o.key == self.chosen)
            votes = "; ".join(f"{v.voter} for {v.option}" for v in self.votes) or "none"
            return (
                f"Consensus on {self.topic}: the vote settled nothing (votes: {votes}); the "
                f"Director chose {self.chosen}: {text} ({self.decided_by})"
            )
        if self.chosen is None:
            return f"Consensus on {self.topic}: no decision ({len(self.missing)} voter(s) missing)"
        text = next(o.text for o in self.options if o.key == self.chosen)
        votes = "; ".join(f"{v.voter} for {v.option} ({v.confidence:.2f})" for v in self.votes)
        missing = f"; missing: {', '.join(self.missing)}" if self.missing else ""
        return f"Consensus ({self.rule}) on {self.topic}: {text} — votes: {votes}{missing}"


def decide(
    votes: Sequence[Vote], rule: Rule, weights: Mapping[str, float] | None = None
) -> tuple[str | None, dict[str, float]]:
    """(the chosen option, the tally) under ``rule``; ties go to the lower option key."""
    tally: dict[str, float] = defaultdict(float)
    for v in votes:
        if rule == "majority":
            tally[v.option] += 1.0
        elif rule == "confidence":
            tally[v.option] += v.confidence
        else:
            tally[v.option] += (weights or {}).get(v.voter, 1.0)
    if not tally:
        return None, {}
    chosen = min(tally, key=lambda k: (-tally[k], k))
    return chosen, {k: round(w, 3) for k, w in sorted(tally.items())}


def hold_vote(
    deps: AgentDeps,
    scope: RunScope,
    topic: str,
    options: Sequence[Option],
    voters: Sequence[AgentKind],
    rule: Rule,
    within_s: float = VOTE_WITHIN_S,
) -> ConsensusDecision:
    """Ask each voter kind, wait for the votes until the deadline, decide and record."""
    from argo_agents.collaboration.helpers import answer_pending, bus_for

    bus = bus_for(deps)
    deadline = datetime.now(UTC) + timedelta(seconds=within_s)
    asked: dict[str, AgentMessage] = {}
    for kind in voters:
        request = AgentMessage(
            run_id=scope.run_id,
            goal_id=scope.goal_id,
            from_agent=scope.agent_id or "agent",
            to=kind,
            kind=MessageKind.CONSENSUS,
            payload={"topic": topic, "options": [o.model_dump() for o in options]},
            deadline=deadline,
        )
        try:
            bus.send(request)
            answer_pending(deps, kind)
        except (MessageError, StoreError):
            continue  # that voter is missing; the others still decide
        asked[kind] = request
    votes: list[Vote] = []
    missing: list[str] = [k for k in voters if k not in asked]
    for voter, request in asked.items():
        response = bus.response_to(request.id)
        if response is None or response.sent_at > deadline or "vote" not in response.payload:
            missing.append(voter)
            continue
        votes.append(Vote.model_validate(response.payload["vote"]))
    weights = _past_success(deps, [v.voter for v in votes]) if rule == "past_success" else None
    chosen, tally = decide(votes, rule, weights)
    decision = ConsensusDecision(
        topic=topic,
        rule=rule,
        options=list(options),
        votes=votes,
        missing=missing,
        tally=tally,
        chosen=chosen,
    )
    _record(deps, scope, decision)
    return decision


def vote(deps: AgentDeps, kind: AgentKind, request: AgentMessage) -> dict[str, object]:
    """``kind``'s vote: the option its own reads support best."""
    from argo_agents.agents.policy import key_terms
    from argo_agents.agents.tools import RunScope, ToolFailed, store_reads

    scope = RunScope(
        run_id=request.run_id, goal_id=request.goal_id, intent="", subject="",
        step_id="", action="", agent_id=f"{kind}-voter",
    )  # fmt: skip
    reads = store_reads(deps, scope, kind)
    best: tuple[float, str, list[str]] = (-1.0, "", [])
    for raw in request.payload.get("options", []):
        option = Option.model_validate(raw)
        try:
            if kind == "technical":
                records, _ = reads.graph_mentions(key_terms(option.text) or [option.text])
            else:
                records, _ = reads.knowledge_search(option.text, 3)
        except (StoreError, ToolFailed):
            continue
        score = max((r.score or 0.0 for r in records), default=0.0)
        if score > best[0]:
            best = (score, option.key, [r.record_id for r in records])
    if not best[1]:
        return {"note": f"{kind} could not read the stores to judge the options"}
    chosen = Vote(voter=kind, option=best[1], confidence=round(max(0.0, best[0]), 3),
                  evidence=best[2])  # fmt: skip
    return {"vote": chosen.model_dump()}


def _past_success(deps: AgentDeps, voters: Sequence[str]) -> dict[str, float]:
    """Each voter kind's success rate in the warehouse (1.0 when unknown)."""
    from argo_agents.analytics.queries import agent_performance

    try:
        rows = agent_performance(deps.stores.warehouse, days=30)
    except StoreError:
        return {}
    rates: dict[str, float] = {}
    for kind in voters:
        mine = [r for r in rows if str(r.get("agent_id", "")).startswith(f"{kind}-")]
        total = sum(int(r.get("total_activities") or 0) for r in mine)
        ok = sum(int(r.get("successful_activities") or 0) for r in mine)
        rates[kind] = ok / total if total else 1.0
    return rates


def _record(deps: AgentDeps, scope: RunScope, decision: ConsensusDecision) -> None:
    if deps.publish is None:
        return
    event = SyncEvent(
        entity_type="event",
        entity_id=f"consensus-{scope.run_id}-{scope.step_id}",
        data={"event_type": "consensus_decision", "goal_id": scope.goal_id,
              "step_id": scope.step_id, **decision.model_dump(mode="json")},
    )  # fmt: skip
    try:
        deps.publish([event])
    except StoreError as exc:  # the decision stands in the step's result
        log.warning("consensus on %s: not recorded in the stores: %s", decision.topic, exc)
