"""A step's result from what its tools found: evidence, figures, findings, open questions.

Both paths end here. Offline, the findings are statements of what the records
say; with a model, its draft's findings are kept with the records they cite
(ids no tool returned are dropped, and said so). Figures are computed from the
records and name the records they rest on. Confidence follows from the
evidence alone (how much, from how many stores, how strong the best match),
never from how sure a model says it is; with no evidence it is low and the
open questions say why.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from statistics import mean

from argo_agents.agents.models import (
    AgentKind,
    Artefact,
    ArtefactItem,
    Citation,
    Figure,
    KnowledgeItem,
    StepResult,
    ToolUse,
)
from argo_agents.agents.state import AgentState, run_of, step_of, team_of, upstream_of
from argo_agents.agents.tools import Record, RunScope, ToolOutput, self_written
from argo_agents.ingest.search import snippet

log = logging.getLogger(__name__)

QUOTED = 2  # knowledge hits whose passage an offline finding quotes
QUOTE_CHARS = 220
NO_EVIDENCE_CONFIDENCE = 0.1
MAX_CONFIDENCE = 0.9  # stored records are evidence, not proof


def scope_of(state: AgentState) -> RunScope:
    """What the tools read for: this run, goal and step."""
    step = step_of(state)
    return RunScope(
        run_id=run_of(state)["run_id"],
        goal_id=state["goal_id"],
        intent=state["intent"],
        subject=state["subject"],
        step_id=step.id or step.action,
        action=step.action or step.id,
        dependencies=tuple(step.dependencies),
        agent_id=str(state.get("agent_id") or ""),
        team=tuple(m["agent_id"] for m in team_of(state)),
    )


def teammates_heard(scope: RunScope, outputs: Sequence[ToolOutput]) -> list[str]:
    """The teammates who answered this step's requests, in the order they were asked."""
    heard = [
        str(o.args.get("agent_id"))
        for o in outputs
        if o.tool == "ask_agent" and o.error is None and o.args.get("agent_id") in scope.team
    ]
    return list(dict.fromkeys(heard))


def evidence_of(outputs: Sequence[ToolOutput]) -> list[Record]:
    """Every record found, once (first citation wins), in call order."""
    seen: dict[tuple[str, str], Record] = {}
    for out in outputs:
        for r in out.records:
            seen.setdefault((r.store, r.record_id), r)
    return list(seen.values())


def confidence(outputs: Sequence[ToolOutput]) -> float:
    """Low with no evidence; rising with records, stores that agree and the best score.

    Only independent records count: see `self_written`.
    """
    records = [r for r in evidence_of(outputs) if not self_written(r)]
    if not records:
        return NO_EVIDENCE_CONFIDENCE
    stores = {r.store for r in records}
    scores = [r.score for r in records if r.score is not None]
    failed = sum(1 for o in outputs if o.error)
    value = (
        0.2
        + 0.08 * len(stores)
        + 0.03 * min(len(records), 10)
        + 0.15 * (max(scores) if scores else 0.0)
        - 0.05 * failed
    )
    return round(min(MAX_CONFIDENCE, max(NO_EVIDENCE_CONFIDENCE, value)), 2)


# ---- figures ---------------------------------------------------------------------------------
def _history_figures(out: ToolOutput) -> list[Figure]:
    rows = out.records
    ids = [r.record_id for r in rows]
    ok = [r for r in rows if r.fields.get("success")]
    durations = [float(d) for r in rows if (d := r.fields.get("duration_s")) is not None]
    figures = [
        Figure(name="past_runs", value=len(rows), records=ids, query=rows[0].query),
        Figure(
            name="past_success_rate",
            value=round(len(ok) / len(rows), 3),
            unit="ratio",
            records=ids,
            query=rows[0].query,
        ),
    ]
    if durations:
        figures.append(
            Figure(
                name="past_mean_duration_s",
                value=round(mean(durations), 3),
                unit="s",
                records=[r.record_id for r in rows if r.fields.get("duration_s") is not None],
                query=rows[0].query,
            )
        )
    return figures


def _best_score_figure(out: ToolOutput) -> list[Figure]:
    scored = [r for r in out.records if r.score is not None]
    if not scored:
        return [Figure(name=f"{out.tool}_records", value=len(out.records), query=out.tool)]
    best = max(scored, key=lambda r: r.score or 0.0)
    return [
        Figure(
            name=f"{out.tool}_best_score",
            value=float(best.score or 0.0),
            unit="ratio",
            records=[best.record_id],
            query=best.query,
        ),
        Figure(
            name=f"{out.tool}_records",
            value=len(out.records),
            records=[r.record_id for r in out.records],
            query=best.query,
        ),
    ]


def figures_of(outputs: Sequence[ToolOutput]) -> list[Figure]:
    """Numbers computed from the records, each naming the records it rests on."""
    figures: list[Figure] = []
    done: set[str] = set()
    for out in outputs:
        if not out.records or out.tool in done:
            continue
        done.add(out.tool)
        figures += _history_figures(out) if out.tool == "step_history" else _best_score_figure(out)
    return figures


# ---- findings ---------------------------------------------------------------------------------
def cite(r: Record) -> str:
    """``[neo4j kn-1 via knowledge_mentioning, score 0.67]``."""
    score = "" if r.score is None else f", score {r.score:.2f}"
    return f"[{r.store} {r.record_id} via {r.query}{score}]"


def _history_finding(out: ToolOutput, scope: RunScope) -> str:
    subject = scope.subject
    rows = out.records
    ok = sum(1 for r in rows if r.fields.get("success"))
    durations = [float(d) for r in rows if (d := r.fields.get("duration_s")) is not None]
    took = f", mean {mean(durations):.2f} s per run" if durations else ""
    action = str(out.args.get("action", "this action"))
    return (
        f"For {subject}: {action} ran {len(rows)} time(s) in other goals, {ok} succeeded{took} "
        + " ".join(cite(r) for r in rows[:3])
    )


def _list_finding(out: ToolOutput, scope: RunScope) -> str:
    shown = "; ".join(f"'{r.title}' {cite(r)}" for r in out.records[:3])
    more = f" and {len(out.records) - 3} more" if len(out.records) > 3 else ""
    return f"For {scope.subject}, {out.tool.replace('_', ' ')} found {shown}{more}"


def _dependency_finding(out: ToolOutput, scope: RunScope) -> str:
    """Where this step stands in the plan the graph holds: what it waits on (with their
    status) and what waits on it, rather than a list of the plan's step names."""
    by_id = {r.record_id: r for r in out.records}
    mine = next((r for r in out.records if r.record_id.endswith("." + scope.step_id)), None)
    if mine is None:  # the graph does not hold this step (yet): say what it does hold
        return _list_finding(out, scope)

    def named(ids: Sequence[str]) -> str:
        return ", ".join(
            f"{by_id[i].title} ({by_id[i].fields.get('status') or 'status unknown'})"
            if i in by_id
            else i
            for i in ids
        )

    before = list(mine.fields.get("depends_on") or [])
    after = [
        r.record_id for r in out.records if mine.record_id in (r.fields.get("depends_on") or [])
    ]
    waits = f"waits on {named(before)}" if before else "waits on no other step"
    then = f"; {named(after)} wait on it" if after else "; no step waits on it"
    return (
        f"For {scope.subject}, the plan in the graph has {len(out.records)} steps: "
        f"{mine.title} {waits}{then} {cite(mine)}"
    )


def _knowledge_finding(out: ToolOutput, scope: RunScope) -> str:
    """What the best documents say, quoted: the passage of each that shares most words
    with the query (a reader learns what they say, not only their titles). Text ARGO
    wrote about its own earlier steps comes after them, named, not quoted: its words
    are not news."""
    subject = scope.subject
    query = str(out.args.get("query") or subject)
    shown: list[str] = []
    # the user's documents first: ARGO's own items often score high on their own words
    ranked = sorted(out.records, key=self_written)  # stable: by score within each group
    for r in ranked[: QUOTED + 1]:
        text = "" if self_written(r) else str(r.fields.get("text") or "")
        passage = snippet(text, query, QUOTE_CHARS) if len(shown) < QUOTED and text else ""
        shown.append(
            f"'{r.title}': \"{passage}\" {cite(r)}" if passage else f"'{r.title}' {cite(r)}"
        )
    more = f" and {len(out.records) - len(shown)} more" if len(out.records) > len(shown) else ""
    return f"For {subject}, the knowledge base says: " + "; ".join(shown) + more


_FINDING: dict[str, Callable[[ToolOutput, RunScope], str]] = {
    "step_history": _history_finding,
    "knowledge_search": _knowledge_finding,
    "dependency_paths": _dependency_finding,
}


def offline_findings(outputs: Sequence[ToolOutput], scope: RunScope) -> list[str]:
    """One finding per tool that found records, stating what they say."""
    return [_FINDING.get(out.tool, _list_finding)(out, scope) for out in outputs if out.records]


def open_questions(outputs: Sequence[ToolOutput], action: str, subject: str) -> list[str]:
    """What the tools could not answer: failures, empty reads, and no evidence at all."""
    questions = [f"{o.tool} could not read its store: {o.error}" for o in outputs if o.error]
    questions += [
        f"{o.tool} found nothing ({o.note})" for o in outputs if not o.error and not o.records
    ]
    if not evidence_of(outputs):
        questions.insert(
            0,
            f"No stored record bears on {action} for {subject}: this result rests on no "
            "evidence. Ingest documents or run related goals first, or measure it.",
        )
    return questions


def _upstream_finding(state: AgentState) -> list[str]:
    built_on = [
        f"{sid} ({len(r.evidence)} cited record(s), confidence {r.confidence:.2f})"
        for sid, r in upstream_of(state).items()
    ]
    return [f"Builds on {', '.join(built_on)}"] if built_on else []


# ---- the result -------------------------------------------------------------------------------
def _citations(records: Sequence[Record]) -> list[Citation]:
    return [
        Citation(store=r.store, record_id=r.record_id, query=r.query, title=r.title, score=r.score)
        for r in records
    ]


def _artefact(action: str, records: Sequence[Record]) -> Artefact:
    lines = [f"{r.store}\t{r.record_id}\t{r.query}\t{r.score}\t{r.title}" for r in records]
    return Artefact(
        name=f"{action}_evidence",
        kind="evidence_table",
        content="store\trecord_id\tquery\tscore\ttitle\n" + "\n".join(lines),
        items=[ArtefactItem(key=r.record_id, text=r.title) for r in records],
    )


def _sources(outputs: Sequence[ToolOutput]) -> list[str]:
    return [
        f"{o.tool}: {o.error or o.note} ({o.seconds:.3f} s{', cached' if o.cached else ''})"
        for o in outputs
    ] or ["no tool was called"]


def _uses(outputs: Sequence[ToolOutput]) -> list[ToolUse]:
    return [
        ToolUse(
            tool=o.tool,
            args=o.args,
            records=len(o.records),
            seconds=o.seconds,
            cached=o.cached,
            error=o.error,
        )
        for o in outputs
    ]


def _title(action: str) -> str:
    return action.replace("_", " ").capitalize()


def default_summary(scope: RunScope, outputs: Sequence[ToolOutput]) -> str:
    """What the step found, in numbers: records, stores, open reads."""
    records = evidence_of(outputs)
    if not records:
        return (
            f"{_title(scope.action)} for {scope.subject}: no stored evidence found "
            f"({len(outputs)} tool call(s) returned nothing)."
        )
    stores = sorted({r.store for r in records})
    return (
        f"{_title(scope.action)} for {scope.subject}: {len(records)} record(s) from "
        f"{', '.join(stores)} across {len(outputs)} tool call(s)."
    )


def compose(
    kind: AgentKind,
    state: AgentState,
    outputs: Sequence[ToolOutput],
    *,
    summary: str | None = None,
    findings: list[str] | None = None,
    extra_figures: Sequence[Figure] = (),
    questions: Sequence[str] = (),
    produced_by: str = "offline",
    notes: Sequence[str] = (),
) -> StepResult:
    """The step's `StepResult` from its tool outputs (and a model's draft parts, if any)."""
    scope = scope_of(state)
    records = evidence_of(outputs)
    found = offline_findings(outputs, scope) if findings is None else findings
    result = StepResult(
        step_id=scope.step_id,
        agent_id=state["agent_id"],
        agent_kind=kind,
        summary=summary or default_summary(scope, outputs),
        findings=[*found, *_upstream_finding(state)],
        artefacts=[
            *([_artefact(scope.action, records)] if records else []),
            *_report(state, found, records),
        ],
        confidence=confidence(outputs),
        knowledge=_knowledge(scope, kind, found) if records else [],
        sources=[*_sources(outputs), *notes],
        produced_by="llm" if produced_by == "llm" else "offline",
        evidence=_citations(records),
        figures=[*figures_of(outputs), *extra_figures],
        open_questions=[*questions, *open_questions(outputs, scope.action, scope.subject)],
        tool_calls=_uses(outputs),
        team=teammates_heard(scope, outputs),
    )
    log.info(
        "agent %s step %s: %d tool call(s), %.3f s in tools, %d record(s) cited",
        state["agent_id"],
        scope.step_id,
        len(outputs),
        result.tool_time_s,
        len(records),
    )
    return result


REPORT_CATEGORIES = frozenset({"documentation"})  # steps whose deliverable is a document


def _report(state: AgentState, found: Sequence[str], records: Sequence[Record]) -> list[Artefact]:
    """A documentation step's deliverable: a Markdown report of what the steps before it
    and this one found, each statement with the record it cites, and the sources. Built
    from records only, so it is honest offline; a model's findings fill it the same way."""
    step = step_of(state)
    if step.category not in REPORT_CATEGORIES:
        return []
    upstream = upstream_of(state)
    lines = [f"# {state.get('goal') or step.description}", ""]
    lines.append(f"Written by {state['agent_id']} for step {step.id} from stored records; each")
    lines += ["statement cites the record it rests on (store, id, query).", ""]
    for sid, r in upstream.items():
        said = [f for f in r.findings if not f.startswith("Builds on ")]
        if said:
            lines += [f"## {_title(sid)} (confidence {r.confidence:.2f})", ""]
            lines += [*(f"- {f}" for f in said), ""]
    if found:
        lines += [f"## {_title(step.action)}", "", *(f"- {f}" for f in found), ""]
    cited = {(c.store, c.record_id): c for r in upstream.values() for c in r.evidence}
    cited |= {(c.store, c.record_id): c for c in _citations(records)}
    if not cited:
        return []  # nothing to report on: the open questions say so
    lines += ["## Sources", ""]
    lines += [f"- {c.store} `{c.record_id}` ({c.query}): {c.title}" for c in cited.values()]
    asked = [q for r in upstream.values() for q in r.open_questions]
    if asked:
        lines += ["", "## Open questions", "", *(f"- {q}" for q in dict.fromkeys(asked))]
    return [Artefact(name=f"{step.id}_report", kind="report", content="\n".join(lines) + "\n")]


def _knowledge(scope: RunScope, kind: str, findings: Sequence[str]) -> list[KnowledgeItem]:
    """What the step found, kept for later goals (only when it rests on records)."""
    title = f"{_title(scope.action)}: {scope.subject}"
    text = "\n".join(f"- {f}" for f in findings[:4])
    tags = [t for t in dict.fromkeys([kind, scope.action, scope.intent]) if t]
    return [KnowledgeItem.for_step(scope.goal_id, scope.step_id, title, text, tags)]
