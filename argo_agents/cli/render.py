"""Rich renderings of a run: plan, assignments, approvals, results, sync receipt."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from argo_agents.api import GoalRun
from argo_agents.approval.policy import ApprovalRequest
from argo_agents.orchestrator.state import StepFailure


def plan_table(run: GoalRun) -> Table:
    """The plan with each step's agent, score and status."""
    plan = run.plan
    table = Table(
        title=f"Plan {plan.plan_id} — intent {plan.intent}, source {plan.source}"
        if plan
        else "Plan  — intent ?, source ?"
    )
    for col in (
        "step",
        "category",
        "depends on",
        "cost $",
        "agent",
        "score",
        "status",
        "executed by",
    ):
        table.add_column(col)
    for step in plan.steps if plan else []:
        a = run.assignments.get(step.id)
        execution = run.executions.get(step.id)
        table.add_row(
            step.id,
            step.category,
            ", ".join(step.dependencies) or "-",
            f"{step.estimated_cost_usd:.0f}",
            a.agent_id if a else "-",
            f"{a.adjusted_score:.2f}" if a else "-",
            run.step_status.get(step.id, "pending"),
            escape(execution.executor) if execution else "-",
        )
    return table


def approvals_table(pending: list[ApprovalRequest]) -> Table:
    """What the Director is asked to decide: the step's own words, not only its label."""
    table = Table(title="Awaiting the Director's approval")
    for col in ("step", "what it does", "category", "cost $", "why"):
        table.add_column(col)
    for p in pending:
        # plan text may come from an LLM: never let it render as markup
        table.add_row(
            escape(p.step_id),
            escape(p.description or p.action),
            p.category,
            f"{p.estimated_cost_usd:.2f}",
            escape(p.reason),
        )
    return table


CITATIONS_SHOWN = 2  # per step in the summary; `argo status --json` lists them all
FINDING_CHARS = 400  # the step's first finding, shortened; `--json` has them all


def print_outcome(console: Console, run: GoalRun) -> None:
    """Results by step and the sync receipt of a finished run."""
    colour = {"completed": "green", "rejected": "yellow"}.get(run.status, "red")
    console.print(f"\n[bold {colour}]Goal {run.status}[/bold {colour}] (thread {run.thread_id})")
    for sid, result in run.results.items():
        text = result.error if isinstance(result, StepFailure) else result.summary
        status = run.step_status.get(sid, "?")
        tag = escape(f"[{status}]")
        console.print(f"  [bold]{sid}[/bold] {tag} ({result.agent_id}): {escape(text)}")
        if not isinstance(result, StepFailure):
            if result.findings:  # what the records say, not only that there are some
                first = result.findings[0]
                cut = first if len(first) <= FINDING_CHARS else first[: FINDING_CHARS - 1] + "…"
                console.print(f"    finds: {escape(cut)}")
            if any(a.kind == "report" for a in result.artefacts):
                console.print(f"    wrote a report: argo status {run.thread_id} --report")
            for cited in result.evidence[:CITATIONS_SHOWN]:  # what the findings rest on
                console.print(
                    f"    [dim]cites {cited.store} {escape(cited.record_id)}: "
                    f"{escape(cited.title[:70])}[/dim]"
                )
        if execution := run.executions.get(sid):
            console.print(
                f"    executed by {escape(execution.executor)} under approval "
                f"{execution.approval_id} in {execution.duration_s:.2f}s"
            )
    print_execution_summary(console, run)
    for sid, why in run.errors.items():
        if run.step_status.get(sid) in ("skipped", "failed"):
            console.print(f"  [yellow]{sid}[/yellow]: {run.step_status[sid]} — {why}")
    if run.sync_receipt:
        console.print(f"  sync: {run.sync_receipt.model_dump(mode='json')}")
    if run.plan and (rationale := run.plan.rationale):
        console.print("  rationale: " + " ".join(rationale))


def print_execution_summary(console: Console, run: GoalRun) -> None:
    """What acted on the world: executed steps, and the steps only prepared."""
    if run.steps_executed:
        names = ", ".join(sorted({e.executor for e in run.executions.values()}))
        console.print(
            f"  [green]{len(run.steps_executed)} step(s) executed[/green] "
            f"({len(run.executions)} executor call(s): {escape(names)})"
        )
    if run.steps_prepared:
        console.print(
            f"  [yellow]{len(run.steps_prepared)} step(s) prepared, not executed[/yellow] "
            f"(no executor configured; their results are change plans): "
            + ", ".join(run.steps_prepared)
            + ". Route them to an MCP tool or a Python function with ARGO_EXECUTORS."
        )
