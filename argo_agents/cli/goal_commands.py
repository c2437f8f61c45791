"""`argo run`, `argo approve`, `argo status`, `argo demo`: a Director's goals."""

from __future__ import annotations

import json
import sys
import time
from typing import Annotated, Any

import typer
from rich.console import Console

from argo_agents.api import PROGRESS_NODE, Argo, GoalRun
from argo_agents.approval.decisions import InvalidResumeError
from argo_agents.cli.answer_command import escalation_lines, show_escalations
from argo_agents.cli.answer_command import register as register_answer
from argo_agents.cli.json_output import diagnostics
from argo_agents.cli.json_stream import emit, emit_stream, run_goal_json
from argo_agents.cli.render import approvals_table, plan_table, print_outcome
from argo_agents.orchestrator.context import Context
from argo_agents.orchestrator.errors import (
    ConcurrentDecisionError,
    InvalidContextError,
    InvalidGoalError,
    NotAwaitingApprovalError,
    RunNotContinuableError,
    RunNotFoundError,
)
from argo_agents.run_events import RunEnded

console = Console()
errors = diagnostics  # refusals: stdout stays the output (a table, or JSON lines)
SAMPLE_GOAL = (
    "Optimise the checkout service's query latency by 40% and deploy the optimisation to production"
)


def _progress(node: str, update: dict[str, Any]) -> None:
    """One line per graph step, so long runs show where they are."""
    if node == PROGRESS_NODE:  # what a long node reports while it runs
        if update.get("event") == "step_started":
            console.print(f"  [dim]step {update['step_id']}: started on {update['agent_id']}[/dim]")
        elif update.get("event") == "sync_started":
            console.print(f"  [dim]writing {update['records']} records to the four stores[/dim]")
    elif node == "run_agent_step":
        for sid, status in (update.get("step_status") or {}).items():
            execution = ((update.get("results") or {}).get(sid) or {}).get("execution")
            by = f" — executed by {execution['executor']}" if execution else ""
            console.print(f"  step [bold]{sid}[/bold]: {status}{by}")
    elif node == "sync_to_stores":
        console.print("  outcome written through the sync engine")
    elif not node.startswith("__"):
        console.print(f"  [dim]{node.replace('_', ' ')}[/dim]")


def _show_run(thread: str, as_json: bool, report: bool = False) -> None:
    with Argo() as argo:
        try:
            current = argo.get_run(thread)
        except RunNotFoundError as exc:
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(2) from exc
    if as_json:
        print(current.model_dump_json())
        return
    if report:
        reports = current.reports()
        if not reports:
            console.print(f"[yellow]run {thread} has no report yet[/yellow] (a documentation "
                          "step writes one when it finishes)")  # fmt: skip
            raise typer.Exit(1)
        print("\n".join(reports.values()), end="")  # Markdown on stdout, for a file or a pager
        return
    console.print(f"run {thread}: [bold]{current.status}[/bold] — {current.goal}")
    console.print(plan_table(current))
    if current.pending_approvals:
        console.print(approvals_table(current.pending_approvals))
    if current.pending_escalations:
        show_escalations(current)
    print_outcome(console, current)


def _ingest_demo_corpus(argo: Argo, out: Console = console) -> None:
    """The demo's documents (a postmortem, a runbook, guidelines), so its agents have the
    user's kind of knowledge to find and cite; unchanged on a rerun, so nothing is written."""
    from importlib.resources import as_file, files

    with as_file(files("argo_agents") / "demo_corpus") as corpus:
        report = argo.ingest([str(corpus)], embed_workers=1)
    out.print(
        f"[dim]demo knowledge: {report.total} documents from {corpus.name}/ "
        f"({report.new} new, {report.unchanged} unchanged)[/dim]"
    )


def _demo_json(goal: str, budget: float) -> None:
    """`argo demo --json`: the same job, its run's events on stdout (approving every pause),
    the stack's progress and the demo's notes on stderr; exit 1 unless it completed."""
    from argo_agents.config import Settings
    from argo_agents.local_stack import LocalStack

    LocalStack(Settings()).up(progress=lambda msg: errors.print(f"  {msg}"))
    with Argo.local() as argo:
        _ingest_demo_corpus(argo, errors)
        run = run_goal_json(argo, goal, budget, "demo-director", approve_all=True)
    raise typer.Exit(0 if run.status == "completed" else 1)


def _say_executors(argo: Argo) -> None:
    """Which executors will act, or that steps which would change the world are only prepared."""
    if names := argo.services().executors.names():
        console.print(f"[dim]executors: {', '.join(names)} (after each step's approval)[/dim]")
    else:
        console.print(
            "[dim]no executors are configured (ARGO_EXECUTORS): steps that would change "
            "the world end prepared, with a change plan, not executed[/dim]"
        )


def _decide(run: GoalRun, approve_all: bool, interactive: bool) -> dict[str, Any] | None:
    console.print(approvals_table(run.pending_approvals))
    if approve_all:
        return {p.step_id: "approve" for p in run.pending_approvals}
    if not interactive:
        return None
    return {
        p.step_id: ("approve" if typer.confirm(f"Approve {p.step_id}?") else "reject")
        for p in run.pending_approvals
    }


def _drive(
    argo: Argo, run: GoalRun, approve_all: bool, interactive: bool, director: str | None
) -> GoalRun:
    console.print(plan_table(run))
    while run.status in ("awaiting_approval", "awaiting_director"):
        if run.status == "awaiting_director":  # an agent's question: never answered for you
            if not interactive:
                show_escalations(run)  # `argo answer` goes on
                return run
            run = _ask_director(argo, run, director)
            continue
        decisions = _decide(run, approve_all, interactive)
        if decisions is None:
            console.print(
                f"Paused. Decide with: [bold]argo approve {run.thread_id}[/bold] [--reject STEP]..."
            )
            return run
        run = argo.resume(run.thread_id, decisions, director=director, progress=_progress)
    print_outcome(console, run)
    return run


def _ask_director(argo: Argo, run: GoalRun, director: str | None) -> GoalRun:
    """Ask the first open escalation on the terminal and answer it with the chosen option."""
    first = run.pending_escalations[0]
    console.print("[yellow]An agent asks the Director:[/yellow]")
    for line in escalation_lines([first]):
        console.print(line, soft_wrap=True)
    offered = [o.id for o in first.options]
    option = ""
    while option not in offered:
        if option:
            errors.print(f"{option!r} is not one of {', '.join(offered)}")
        option = str(typer.prompt(f"Answer {first.id} ({'/'.join(offered)})")).strip()
    return argo.answer(run.thread_id, first.id, option, director=director, progress=_progress)


def _run_context(model: str | None, agents: list[str] | None) -> Context:
    """The run's choices from `argo run --model/--agent` (exit 2 if unusable)."""
    try:
        return Context(model=model, agents=agents or None)
    except InvalidContextError as exc:
        errors.print(f"[red]invalid option:[/red] {exc}")
        raise typer.Exit(2) from exc


def _parse_edits(given: list[str], rejected: list[str]) -> dict[str, dict[str, Any]]:
    """``STEP=JSON`` options as {step: changes}; exit 2 with what is wrong."""
    found: dict[str, dict[str, Any]] = {}
    for item in given:
        step, sep, raw = item.partition("=")
        try:
            changes = json.loads(raw) if sep and step else None
        except json.JSONDecodeError as exc:
            errors.print(f"[red]--edit {item!r}:[/red] the changes are not JSON ({exc})")
            raise typer.Exit(2) from exc
        if not isinstance(changes, dict) or not changes:
            errors.print(
                f"[red]--edit {item!r}:[/red] write STEP=JSON with a JSON object of "
                "changes, e.g. deploy_to_production='{\"estimated_cost_usd\": 90}'"
            )
            raise typer.Exit(2)
        found[step] = changes
    if both := sorted(set(rejected) & set(found)):
        errors.print(f"[red]cannot both reject and edit:[/red] {', '.join(both)}")
        raise typer.Exit(2)
    return found


def demo(
    goal: Annotated[str, typer.Argument()] = SAMPLE_GOAL,
    budget: float = 1000.0,
    as_json: Annotated[
        bool, typer.Option("--json", help="The run's events as NDJSON; notes on stderr.")
    ] = False,
) -> None:
    """ARGO's main job on the local stack: a sample goal from plan to synced outcome."""
    if as_json:
        _demo_json(goal, budget)
        return
    started = time.monotonic()
    from argo_agents.cli.stack_commands import up

    up()
    console.rule(f"Director's goal: {goal}")
    with Argo.local() as argo:
        _ingest_demo_corpus(argo)
        result = argo.submit_goal(
            goal, budget_usd=budget, director="demo-director", progress=_progress
        )
        console.print("[dim]demo: the Director approves every gated step[/dim]")
        _say_executors(argo)
        result = _drive(argo, result, True, False, "demo-director")
    console.print(
        f"\nend to end in {time.monotonic() - started:.1f}s; stores stay up "
        "(`argo stack status`, `argo stack down`)"
    )
    raise typer.Exit(0 if result.status == "completed" else 1)


def register(app: typer.Typer) -> None:  # noqa: PLR0915 (see the docstring)
    """Add the goal commands to the `argo` app.

    Long because it nests the goal commands, each short, so Typer reads their
    signatures as the CLI's help.
    """

    @app.command()
    def run(
        goal: Annotated[str, typer.Argument(help="The goal, in your words.")],
        budget: Annotated[float | None, typer.Option(help="Goal budget in USD.")] = None,
        director: Annotated[str | None, typer.Option(help="Who decides approvals.")] = None,
        approve_all: Annotated[bool, typer.Option(help="Approve every gated step.")] = False,
        interactive: Annotated[
            bool | None,
            typer.Option(help="Ask for each approval (default: when stdin is a terminal)."),
        ] = None,
        model: Annotated[
            str | None,
            typer.Option(help="This run's model: 'offline', or a name on the configured endpoint."),
        ] = None,
        agent: Annotated[
            list[str] | None, typer.Option(help="Only assign this agent kind (repeatable).")
        ] = None,
        as_json: Annotated[
            bool, typer.Option("--json", help="One JSON object per run event (NDJSON), no prompts.")
        ] = False,
    ) -> None:
        """Plan a goal, assign agents, ask for approvals, run, and sync the outcome."""
        if interactive is None:
            interactive = not as_json and sys.stdin is not None and sys.stdin.isatty()
        with Argo(context=_run_context(model, agent)) as argo:
            try:
                result = (
                    run_goal_json(argo, goal, budget, director, approve_all)
                    if as_json
                    else _drive(
                        argo,
                        argo.submit_goal(
                            goal, budget_usd=budget, director=director, progress=_progress
                        ),
                        approve_all,
                        interactive,
                        director,
                    )
                )
            except (InvalidGoalError, InvalidContextError) as exc:
                errors.print(f"[red]invalid goal:[/red] {exc}")
                raise typer.Exit(2) from exc
        paused = ("awaiting_approval", "awaiting_director")
        raise typer.Exit(0 if result.status == "completed" or result.status in paused else 1)

    @app.command()
    def approve(
        thread: Annotated[str, typer.Argument(help="The run's thread id.")],
        reject: Annotated[list[str] | None, typer.Option(help="Reject this step.")] = None,
        edit: Annotated[
            list[str] | None,
            typer.Option(
                help="Approve STEP with changes: STEP=JSON, e.g. "
                "deploy='{\"estimated_cost_usd\": 90}' (if it still needs approval, "
                "it is asked again)."
            ),
        ] = None,
        director: Annotated[str | None, typer.Option()] = None,
        allow_over_budget: Annotated[bool, typer.Option()] = False,
        as_json: Annotated[
            bool, typer.Option("--json", help="One JSON object per run event (NDJSON).")
        ] = False,
    ) -> None:
        """Approve every pending step of a paused run, except those you --reject or --edit."""
        edits = _parse_edits(edit or [], rejected=reject or [])
        with Argo() as argo:
            try:
                current = argo.get_run(thread)
                rejected = set(reject or [])
                decisions: dict[str, Any] = {
                    p.step_id: ("reject" if p.step_id in rejected else "approve")
                    for p in current.pending_approvals
                }
                decisions.update({sid: {"edit": changes} for sid, changes in edits.items()})
                if as_json:  # the resumed run's events; its pauses are decided by later calls
                    events = argo.stream_resume(
                        thread, decisions, director=director, allow_over_budget=allow_over_budget
                    )
                    emit_stream(events)
                    return
                result = argo.resume(
                    thread,
                    decisions,
                    director=director,
                    allow_over_budget=allow_over_budget,
                    progress=_progress,
                )
            except (
                RunNotFoundError,
                NotAwaitingApprovalError,
                InvalidResumeError,
                ConcurrentDecisionError,
            ) as exc:
                errors.print(f"[red]cannot approve:[/red] {exc}")
                raise typer.Exit(2) from exc
            _drive(argo, result, False, False, director)

    @app.command(name="continue")
    def continue_(
        thread: Annotated[str, typer.Argument(help="The run's thread id.")],
        as_json: Annotated[
            bool, typer.Option("--json", help="The run as it ended, as one run_ended line.")
        ] = False,
    ) -> None:
        """Carry on a run that stopped on an error (e.g. a store down while it was written)."""
        with Argo() as argo:
            try:
                result = argo.continue_run(thread, progress=None if as_json else _progress)
            except (RunNotFoundError, RunNotContinuableError) as exc:
                errors.print(f"[red]cannot continue:[/red] {exc}")
                raise typer.Exit(2) from exc
            if as_json:
                emit(RunEnded(run=result))
                return
            _drive(argo, result, False, False, None)

    @app.command()
    def status(
        thread: Annotated[str, typer.Argument(help="The run's thread id.")],
        as_json: Annotated[bool, typer.Option("--json", help="The whole run as JSON.")] = False,
        report: Annotated[
            bool,
            typer.Option("--report", help="Print the run's report (Markdown) to stdout."),
        ] = False,
    ) -> None:
        """Show a run: plan, assignments, pending approvals, results and their evidence."""
        _show_run(thread, as_json, report)

    app.command()(demo)
    register_answer(app, _progress)
