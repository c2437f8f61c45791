"""Offline findings per kind of step: measure, diagnose, propose, research, build, check.

Each playbook turns a `Brief` into a summary, findings and one artefact that
name the subject, use what upstream steps reported and cite the stored context
by title and score. Which playbook runs follows from the step's action and
category (`playbook_for`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from argo_agents.agents.brief import Brief, cite, context_phrase
from argo_agents.agents.lenses import Option, Suspect, mentions, supported
from argo_agents.agents.models import Artefact, ArtefactItem
from argo_agents.agents.targets import acceptance_criterion, mentions_target
from argo_agents.planning.models import GATED_CATEGORIES, PlanStep

# Below what an offline result with no stored context gets (0.35): only results
# built on failures (stores down, model fallbacks) or that say so themselves.
LOW_CONFIDENCE = 0.3


@dataclass
class Draft:
    """A playbook's output before confidence, knowledge and sources are added."""

    summary: str
    findings: list[str]
    artefact: Artefact


def _artefact(
    name: str, kind: str, lines: list[str], items: list[ArtefactItem] | None = None
) -> Artefact:
    return Artefact(name=name, kind=kind, content="\n".join(lines), items=items or [])


def _task(b: Brief) -> str:
    """The step's own description (naming the subject), which makes each summary distinct."""
    text = (b.step.description or b.action.replace("_", " ")).strip().rstrip(".")
    return text if b.subject in text else f"{text} (for {b.subject})"


def _target(b: Brief) -> str:
    return f" (target {b.target})" if b.target else ""


def rank_suspects(b: Brief) -> list[tuple[Suspect, list[str]]]:
    """The lens's suspects with the reasons that support each, best supported first.

    Reasons are the subject naming one of the suspect's words, stored evidence
    mentioning one, and upstream steps whose findings mention one; an upstream
    bottleneck ranking, when there is one, decides the order outright.
    """
    ranking = _upstream_ranking(b)
    scored = []
    for i, s in enumerate(b.lens.suspects):
        why = [f"the subject naming '{w}'" for w in s.words if mentions(b.subject, w)][:1]
        why += [
            f"{e['type'].replace('_', ' ')} '{e['title']}'"
            for e in b.evidence
            if e["type"] != "related" and supported(s, [f"{e['title']} {e['detail']}"])
        ]
        why += [f"{sid}'s findings" for sid, r in b.upstream.items() if supported(s, r.findings)]
        order = ranking.index(s.key) if s.key in ranking else len(ranking)
        scored.append((order, -len(why), i, s, why))
    scored.sort(key=lambda t: t[:3])
    return [(s, why) for *_, s, why in scored]


def _upstream_ranking(b: Brief) -> list[str]:
    """Suspect keys in the order an upstream ``ranking`` artefact lists them."""
    for a in (a for r in b.upstream.values() for a in r.artefacts):
        if a.kind == "ranking":
            # the suspect itself (its text), not only its key: lenses reuse keys
            by_text = {s.text: s.key for s in b.lens.suspects}
            return [by_text[i.text] for i in a.items if i.text in by_text]
    return []


def measure(b: Brief) -> Draft:
    """Analysis steps: what to measure about the subject, and what is already known."""
    findings = [f"Baseline for {b.subject}: {m}." for m in b.lens.measures[:4]]
    if b.target:
        findings.append(
            f"To show a {b.target} change, run each baseline measurement at least "
            "5 times and record the spread; a smaller gain than the noise is no gain."
        )
    if related := b.cited("related", limit=4):
        names = "; ".join(f"{e['title']} ({e['detail']})" for e in related)
        findings.append(
            f"Scope: the goal graph links {b.subject} to {names} — measure these "
            "dependencies as part of the baseline."
        )
    findings += [
        f"Reuse {cite(e)}: {e['detail']}."
        for e in b.cited("knowledge", "previous_step", "similar_case", "pattern", "past_goal")
    ]
    summary = (
        f"{_task(b)}: {len(b.lens.measures)} {b.lens.name} baseline metrics to record; "
        f"{context_phrase(b.evidence)}."
    )
    plan = [f"- [ ] {m}" for m in b.lens.measures]
    return Draft(summary, findings, _artefact(f"{b.action}_measurement_plan", "checklist", plan))


def diagnose(b: Brief) -> Draft:
    """Bottleneck steps: the lens's suspects ranked by the support upstream and context give."""
    ranked = rank_suspects(b)
    findings = []
    for i, (s, why) in enumerate(ranked[:3], 1):
        support = (
            "supported by: " + "; ".join(why[:3])
            if why
            else "not yet evidenced: confirm it in the profile"
        )
        findings.append(f"Bottleneck #{i} in {b.subject}: {s.text} — {support}.")
    findings += [f"Input from {sid}: {f}" for sid, f in b.upstream_findings()[:2]]
    findings += [f"Related: {cite(e)}." for e in b.cited("knowledge", "previous_step", "past_goal")]
    top = ranked[0][0].text
    summary = (
        f"{_task(b)}: most likely {top}; ranked {len(ranked)} suspects from "
        f"{len(b.upstream)} upstream result(s); {context_phrase(b.evidence)}."
    )
    lines = [f"{i}. {s.text} ({len(why)} supporting)" for i, (s, why) in enumerate(ranked, 1)]
    items = [ArtefactItem(key=s.key, text=s.text) for s, _ in ranked]
    return Draft(summary, findings, _artefact("bottleneck_ranking", "ranking", lines, items))


def _option_rank(b: Brief) -> list[tuple[Option, Suspect]]:
    by_key = {o.key: o for o in b.lens.options}
    return [(by_key[s.key], s) for s, _ in rank_suspects(b) if s.key in by_key]


def propose(b: Brief) -> Draft:
    """Design steps: concrete options, ordered by the bottlenecks upstream steps reported."""
    letters = "ABCDEFG"
    findings: list[str] = []
    items: list[ArtefactItem] = []
    options = _option_rank(b)
    for (opt, suspect), letter in zip(options[:3], letters, strict=False):
        findings.append(
            f"Option {letter} for {b.subject}: {opt.text} — addresses {suspect.text}; "
            f"trade-off: {opt.tradeoff}."
        )
        items.append(ArtefactItem(key=opt.key, text=opt.text))
    cases = b.cited("similar_case", "pattern", limit=2)
    for e, letter in zip(cases, letters[len(findings) :], strict=False):
        adapt = f"adapt {cite(e)} to {b.subject}: {e['detail'][:160]}."
        findings.append(f"Option {letter}: {adapt}")
        items.append(ArtefactItem(text=adapt))
    lines = [f.split(" — ")[0] for f in findings]
    if findings:
        basis = (
            f"the bottleneck ranking of {', '.join(b.upstream)}"
            if b.upstream
            else f"the {b.lens.name} lens"
        )
        findings.append(
            f"Recommended first: Option A, because {basis} puts "
            f"'{options[0][1].text}' on top{_target(b)}."
        )
    summary = (
        f"{_task(b)}: {len(lines)} options, led by: {options[0][0].text}; "
        f"{context_phrase(b.evidence)}."
    )
    return Draft(summary, findings, _artefact("solution_options", "options", lines, items))


def research(b: Brief) -> Draft:
    """Research steps: pattern success rates, history counts, open questions."""
    findings = []
    for p in b.patterns:
        findings.append(
            f"Pattern '{p.name or p.id}' for {b.intent} tasks: "
            f"{p.success_rate:.0%} success over {p.occurrences} runs — "
            + (" → ".join(p.step_sequence) or "no sequence recorded")
            + "."
        )
    if not b.patterns:
        findings.append(
            f"No pattern with ≥ 70% success is recorded for {b.intent} tasks yet: "
            "this goal's outcome will seed one."
        )
    h = b.context.get("history")
    runs = h.get("runs", 0) if h else 0
    if h and runs:
        findings.append(
            f"History: {h['runs']} past {b.action}/{b.intent} activities, "
            f"{h['success_rate']:.0%} succeeded, mean {h['mean_duration_s']} s; "
            f"predicted ≈ {h['predicted_s']} s for this step."
        )
    else:
        findings.append(f"History: no recorded {b.action} activity to compare with.")
    findings += _research_focus(b)
    findings += [f"See {cite(e)}." for e in b.cited("knowledge", "similar_case", "previous_step")]
    summary = (
        f"{_task(b)}: {len(b.patterns)} applicable pattern(s), {runs} historical "
        f"run(s); {context_phrase(b.evidence)}."
    )
    lines = ["source | item | score"] + [
        f"{e['store']} | {e['title']} | {e['score']}" for e in b.evidence
    ]
    return Draft(summary, findings, _artefact("evidence_table", "table", lines))


def _research_focus(b: Brief) -> list[str]:
    """What this kind of research step adds: questions, sources, data or a synthesis."""
    if b.action.startswith(("scope", "clarify", "frame")):
        found = [f"Question for {b.subject}: what is the current {m}?" for m in b.lens.measures]
        return found + (
            [f"Success criterion: {acceptance_criterion(b.target, b.subject)}."] if b.target else []
        )
    if b.action.startswith(("mine", "analy")):
        return [
            f"Mine agent_activities and events for {b.subject}: {m} over the last 90 days."
            for m in b.lens.measures[:2]
        ]
    if b.action.startswith(("synth", "compare")):
        return [f"From {sid}: {f}" for sid, f in b.upstream_findings()[:5]] or [
            f"Nothing upstream to synthesise for {b.subject} yet."
        ]
    return [
        f"Review for {b.subject}: official documentation, published benchmarks and "
        f"post-mortems on {s.text}."
        for s, _ in rank_suspects(b)[:2]
    ] + [f"From {sid}: {f}" for sid, f in b.upstream_findings()[:2]]


def _chosen_option(b: Brief) -> str:
    """The first entry of an upstream options list; else the lens's first option."""
    for a in (a for r in b.upstream.values() for a in r.artefacts):
        if a.kind == "options" and a.items:
            return a.items[0].text
    return b.lens.options[0].text


def build(b: Brief) -> Draft:
    """Implementation steps: a change plan for the option upstream recommended."""
    if b.action.startswith("backup"):
        return _backup(b)
    option = _chosen_option(b)
    steps = [
        f"Implement for {b.subject}: {option}, rolled out {b.lens.rollout}.",
        f"Add tests that check: {b.lens.checks[0]}.",
        f"Compare against the baseline{_target(b)} before the full rollout.",
        f"Rollback: {b.lens.rollback}.",
    ]
    findings = steps + [
        f"Learned from {cite(e)}." for e in b.cited("previous_step", "similar_case", "knowledge")
    ]
    src = ", ".join(b.upstream) or "the lens defaults"
    summary = (
        f"{_task(b)}: change plan to {option} (chosen from {src}); {context_phrase(b.evidence)}."
    )
    return Draft(summary, findings, _artefact("change_plan", "plan", steps))


def _backup(b: Brief) -> Draft:
    steps = [
        f"Snapshot {b.subject} with row counts and checksums per table.",
        "Restore-test the snapshot on a scratch copy and compare its counts and checksums.",
        "Record where the backup lives, who can restore it and how long it is kept.",
        f"Gate: the next step starts only when the restore test of {b.subject} passed.",
    ]
    steps += [f"Scope from {sid}: {f}" for sid, f in b.upstream_findings()[:2]]
    summary = f"{_task(b)}: a verified, restore-tested backup plan; {context_phrase(b.evidence)}."
    return Draft(summary, steps, _artefact("backup_plan", "plan", steps[:4]))


def check(b: Brief) -> Draft:
    """Validation steps: upstream results checked against the goal's target and the lens."""
    criteria = ([acceptance_criterion(b.target, b.subject)] if b.target else []) + [
        f"{_task(b)} — done, with its evidence attached",
        *b.lens.checks,
    ]
    findings = [f"Acceptance: {c}." for c in criteria[:3]]
    weak = []
    for sid, r in b.upstream.items():
        conf = r.confidence
        if conf < LOW_CONFIDENCE:
            weak.append(sid)
        named = b.target and any(mentions_target(f, b.target) for f in r.findings)
        findings.append(
            f"{sid} ({r.agent_kind}, confidence {conf:.2f}): "
            + ("re-run before sign-off" if conf < LOW_CONFIDENCE else "usable")
            + (f"; addresses the {b.target} target." if named else ".")
        )
    if not b.upstream:
        findings.append("No upstream results to validate yet.")
    verdict = (
        "blocked: re-run " + ", ".join(weak)
        if weak
        else "ready to measure"
        if b.upstream
        else "nothing to validate"
    )
    findings += [f"Compare with {cite(e)}." for e in b.cited("previous_step", "history", limit=2)]
    summary = (
        f"{_task(b)}: {verdict}; {len(b.upstream)} upstream result(s) checked against "
        f"{len(criteria)} criteria."
    )
    return Draft(
        summary,
        findings,
        _artefact("acceptance_checklist", "checklist", [f"- [ ] {c}" for c in criteria]),
    )


def document(b: Brief) -> Draft:
    """Documentation steps: an outline built from what upstream steps found."""
    sections = [
        f"## {sid.replace('_', ' ').capitalize()}: {r.summary[:100]}"
        for sid, r in b.upstream.items()
    ]
    outline = [
        f"# {b.subject}",
        "## Context and goal" + _target(b),
        *sections,
        "## Decisions and open questions",
        "## Runbook",
    ]
    findings = [f"Document {b.subject} in {len(outline) - 1} sections, one per upstream step."]
    findings += [f"Record from {sid}: {f}" for sid, f in b.upstream_findings()[:3]]
    findings += [f"Link {cite(e)}." for e in b.cited(limit=2)]
    summary = f"{_task(b)}: an outline of {len(outline)} parts; {context_phrase(b.evidence)}."
    return Draft(summary, findings, _artefact(f"{b.action}_outline", "outline", outline))


def gate(b: Brief) -> Draft:
    """Approval-gated steps: preconditions from upstream, go/no-go checks, rollback."""
    findings = [
        f"Precondition {sid}: confidence {r.confidence:.2f}"
        + (" — too low, hold." if r.confidence < LOW_CONFIDENCE else ".")
        for sid, r in b.upstream.items()
    ]
    findings += [f"Go/no-go for {b.subject}: {c}." for c in b.lens.checks]
    findings.append(
        f"Rollback for {b.subject}: stop at the first failed check and restore "
        "from the state recorded before this step."
    )
    runbook = ["Confirm the Director's approval is recorded", *findings]
    summary = (
        f"{_task(b)}: a {b.step.category.replace('_', ' ')} runbook with "
        f"{len(b.upstream)} precondition(s) and {len(b.lens.checks)} go/no-go checks."
    )
    return Draft(summary, findings, _artefact(f"{b.action}_runbook", "runbook", runbook))


Playbook = Callable[[Brief], Draft]


def playbook_for(step: PlanStep) -> Playbook:
    """The playbook for a step, from its action words first and its category second."""
    action, category = step.action, step.category
    if category in GATED_CATEGORIES:
        return gate
    if "bottleneck" in action or action.startswith(("identify", "diagnose")):
        return diagnose
    if category == "validation" or action.startswith(("validate", "verify", "benchmark")):
        return check
    if category == "design" or action.startswith(("generate", "brainstorm", "design")):
        return propose
    if category == "research" or action.startswith(("research", "review_lit", "mine", "synth")):
        return research
    if category == "implementation":
        return build
    if category == "documentation" or action.startswith(("write_report", "document")):
        return document
    return measure
