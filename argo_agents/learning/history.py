"""What earlier runs measured, as the planner and assignment read it.

Built from records the runs themselves wrote: each step's activity row
(agent, success, measured duration), the Director's decisions (the approval
gate's audit records) and the collaboration rows (which pairs of agents fed
each other's steps, and whether the run succeeded). Every figure keeps the ids
of the records it rests on, so a plan can cite them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from statistics import median
from typing import Any, Literal

from pydantic import BaseModel, Field

# A record only counts once there is a little of it: one lucky or unlucky run
# must not reorder the agents or reshape the next plan.
MIN_RUNS_FOR_ESTIMATE = 2
MIN_RUNS_FOR_RECORD = 3
FAILURE_RATE_FOR_PRECHECK = 0.34


class Run(BaseModel):
    """One earlier run of an action by an agent."""

    record_id: str
    agent_id: str
    goal_id: str = ""
    success: bool
    duration_s: float | None = None
    similar_goal: bool = False
    """Whether it ran for a goal like this one (failure points are learned from these)."""


class DirectorDecision(BaseModel):
    """One decision of the Director on an action in an earlier goal."""

    record_id: str
    action: str
    goal_id: str
    decision: Literal["approve", "reject", "edit"]
    requeued: bool = False
    reason: str = ""
    changes: dict[str, dict[str, Any]] = Field(default_factory=dict)
    at: str = ""


class PairRecord(BaseModel):
    """How two agents did together: runs in which one's step fed the other's."""

    agents: tuple[str, str]
    interactions: int
    successes: int

    @property
    def rate(self) -> float:
        """Success rate with one imagined success and failure (small counts stay near 0.5)."""
        return (self.successes + 1) / (self.interactions + 2)


class AgentRecord(BaseModel):
    """One agent's runs of one action."""

    agent_id: str
    runs: int
    successes: int
    mean_s: float | None

    @property
    def rate(self) -> float:
        """Success rate with one imagined success and failure (see `PairRecord.rate`)."""
        return (self.successes + 1) / (self.runs + 2)


class ActionHistory(BaseModel):
    """Everything earlier runs recorded about one action."""

    action: str
    runs: list[Run] = Field(default_factory=list)
    decisions: list[DirectorDecision] = Field(default_factory=list)
    """Newest first."""

    @property
    def durations_s(self) -> list[float]:
        """Measured durations of the runs that have one."""
        return [r.duration_s for r in self.runs if r.duration_s is not None]

    @property
    def measured_s(self) -> float | None:
        """Median measured duration, once there are enough runs to trust it."""
        durations = self.durations_s
        return median(durations) if len(durations) >= MIN_RUNS_FOR_ESTIMATE else None

    @property
    def similar_runs(self) -> list[Run]:
        """The runs for goals like this one."""
        return [r for r in self.runs if r.similar_goal]

    @property
    def failures(self) -> list[Run]:
        """The runs for goals like this one that failed."""
        return [r for r in self.similar_runs if not r.success]

    @property
    def needs_precheck(self) -> bool:
        """Whether it failed often enough, for goals like this one, that the next plan
        should check first (a step that fails elsewhere says little about this goal)."""
        ran = self.similar_runs
        return bool(ran) and len(self.failures) / len(ran) >= FAILURE_RATE_FOR_PRECHECK

    def by_agent(self) -> dict[str, AgentRecord]:
        """Each agent's record on this action."""
        grouped: dict[str, list[Run]] = {}
        for r in self.runs:
            grouped.setdefault(r.agent_id, []).append(r)
        out = {}
        for agent_id, runs in grouped.items():
            durations = [r.duration_s for r in runs if r.duration_s is not None]
            out[agent_id] = AgentRecord(
                agent_id=agent_id,
                runs=len(runs),
                successes=sum(r.success for r in runs),
                mean_s=sum(durations) / len(durations) if durations else None,
            )
        return out

    def verdict(self) -> tuple[Literal["reject", "edit"], list[DirectorDecision]] | None:
        """What the Director's decisions on this action say about the next plan.

        ``reject`` when most decisions were rejections (and the newest was one);
        ``edit`` with the edits of the newest goal that edited it and did not
        reject it in the end. None when the Director let it through unchanged.
        """
        settled = [d for d in self.decisions if not d.requeued]
        if not settled:
            return None
        rejects = [d for d in settled if d.decision == "reject"]
        if settled[0].decision == "reject" and len(rejects) > len(settled) - len(rejects):
            return "reject", rejects
        goal = settled[0].goal_id
        edits = [d for d in self.decisions if d.goal_id == goal and d.decision == "edit"]
        return ("edit", edits) if edits and settled[0].decision != "reject" else None


class LearnedHistory(BaseModel):
    """The history of the actions a plan may contain, and the agents' pair records."""

    actions: dict[str, ActionHistory] = Field(default_factory=dict)
    pairs: list[PairRecord] = Field(default_factory=list)

    def of(self, action: str) -> ActionHistory | None:
        """The history of ``action``, if it has any."""
        return self.actions.get(action)

    def record_factor(self, agent_id: str, action: str) -> float:
        """How an agent's record on ``action`` scales its match: 1.0 with too little history,
        else its success rate over the 0.5 an unknown agent is assumed to have (0..2)."""
        history = self.actions.get(action)
        record = history.by_agent().get(agent_id) if history else None
        if record is None or record.runs < MIN_RUNS_FOR_RECORD:
            return 1.0
        return round(record.rate / 0.5, 4)

    def pair(self, a: str, b: str) -> PairRecord | None:
        """The pair record of two agents (in either order)."""
        key = (min(a, b), max(a, b))
        return next((p for p in self.pairs if p.agents == key), None)


def _seconds(ms: Any) -> float | None:
    return None if ms is None else round(float(ms) / 1000, 3)


def runs_from_rows(
    rows: Iterable[Mapping[str, Any]], similar_goal_ids: Collection[str] = ()
) -> dict[str, list[Run]]:
    """Activity rows (`queries.action_runs`) grouped by action; runs of the goals
    ``similar_goal_ids`` are marked as such."""
    out: dict[str, list[Run]] = {}
    for r in rows:
        out.setdefault(str(r["activity_type"]), []).append(
            Run(
                record_id=str(r["id"]),
                agent_id=str(r["agent_id"]),
                goal_id=str(r.get("task_id") or ""),
                success=bool(r.get("success")),
                # a prepared step's time is its plan's writing, not the work: no estimate
                duration_s=None if r.get("prepared") == "true" else _seconds(r.get("duration_ms")),
                similar_goal=str(r.get("task_id") or "") in similar_goal_ids,
            )
        )
    return out


def decisions_from_rows(rows: Iterable[Mapping[str, Any]]) -> dict[str, list[DirectorDecision]]:
    """Audit rows (`queries.director_decisions`) grouped by action, newest first."""
    out: dict[str, list[DirectorDecision]] = {}
    for r in rows:
        raw = r.get("content")
        content: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
        action = str(content.get("step_id") or "")
        if not action or r.get("decision") not in ("approve", "reject", "edit"):
            continue
        out.setdefault(action, []).append(
            DirectorDecision(
                record_id=str(r["id"]),
                action=action,
                goal_id=str(content.get("goal_id") or ""),
                decision=r["decision"],
                requeued=bool(content.get("requeued")),
                reason=str(content.get("reason") or ""),
                changes=dict(content.get("changes") or {}),
                at=str(content.get("at") or r.get("timestamp") or ""),
            )
        )
    for decisions in out.values():
        decisions.sort(key=lambda d: d.at, reverse=True)
    return out


def pairs_from_rows(rows: Iterable[Mapping[str, Any]]) -> list[PairRecord]:
    """Collaboration rows (`queries.pair_records`) as pair records, each pair once."""
    merged: dict[tuple[str, str], list[int]] = {}
    for r in rows:
        a, b = str(r["agent1"]), str(r["agent2"])
        counts = merged.setdefault((min(a, b), max(a, b)), [0, 0])
        counts[0] += int(r.get("interactions") or 0)
        counts[1] += int(r.get("successes") or 0)
    return [
        PairRecord(agents=k, interactions=n, successes=s) for k, (n, s) in sorted(merged.items())
    ]


def build_history(
    run_rows: Iterable[Mapping[str, Any]],
    decision_rows: Iterable[Mapping[str, Any]] = (),
    pair_rows: Iterable[Mapping[str, Any]] = (),
    similar_goal_ids: Collection[str] = (),
) -> LearnedHistory:
    """A `LearnedHistory` from the warehouse rows of the three named queries."""
    runs = runs_from_rows(run_rows, frozenset(similar_goal_ids))
    decisions = decisions_from_rows(decision_rows)
    actions = {
        a: ActionHistory(action=a, runs=runs.get(a, []), decisions=decisions.get(a, []))
        for a in sorted(set(runs) | set(decisions))
    }
    return LearnedHistory(actions=actions, pairs=pairs_from_rows(pair_rows))
