"""`argo answer`: the Director answers an agent's escalation; and how a question is shown."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from argo_agents.api import PROGRESS_NODE, Argo, GoalRun, Progress
from argo_agents.approval.escalation import Escalation, InvalidEscalationAnswerError
from argo_agents.cli.json_output import diagnostics
from argo_agents.orchestrator.errors import (
    ConcurrentDecisionError,
    NotAwaitingApprovalError,
    RunNotFoundError,
)

console = Console()
err = diagnostics


def escalation_lines(escalations: list[Escalation]) -> list[str]:
    """Each open question as lines (markup): id, step, agent, reason, question, options with
    their ids, and the evidence; lines rather than a table, so ids never wrap."""
    lines: list[str] = []
    for e in escalations:
        lines += [
            f"[bold]escalation {e.id}[/bold] — step {e.step_id}, agent {e.agent_id}, {e.reason}",
            f"  {escape(e.question)}",
            *(f"  option [bold]{o.id}[/bold]: {escape(o.description)}" for o in e.options),
            *(f"  [dim]evidence: {escape(x)}[/dim]" for x in e.evidence[:5]),
        ]
    return lines


def show_escalations(run: GoalRun) -> None:
    """The questions of a run paused on escalations, and how to answer them."""
    console.print("[yellow]Waiting for the Director:[/yellow]")
    for line in escalation_lines(run.pending_escalations):
        console.print(line, soft_wrap=True)
    first = run.pending_escalations[0] if run.pending_escalations else None
    if first is not None:
        console.print(
            f"Answer with: [bold]argo answer {run.thread_id} {first.id} "
            f"{first.options[0].id}[/bold] [--note TEXT]",
            soft_wrap=True,
        )


def _stderr_progress(node: str, update: dict[str, Any]) -> None:
    """Progress on stderr, so stdout stays one JSON object."""
    if node == PROGRESS_NODE and update.get("event") == "step_started":
        err.print(f"  step {update['step_id']}: started on {update['agent_id']}")


def register(app: typer.Typer, progress: Progress | None = None) -> None:
    """Add `argo answer` to the `argo` app (``progress`` shows the run as it goes on)."""

    @app.command()
    def answer(
        thread: Annotated[str, typer.Argument(help="The run's thread id.")],
        escalation_id: Annotated[str, typer.Argument(help="The escalation to answer.")],
        option: Annotated[str, typer.Argument(help="One of its option ids (skip ends the step).")],
        note: Annotated[str | None, typer.Option(help="Why; recorded with the answer.")] = None,
        director: Annotated[str | None, typer.Option(help="Who answers.")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="The run after it, as JSON.")] = False,
    ) -> None:
        """Answer an agent's escalation; its step runs again with the answer (or is skipped)."""
        with Argo() as argo:
            try:
                run = argo.answer(
                    thread,
                    escalation_id,
                    option,
                    note=note,
                    director=director,
                    progress=_stderr_progress if as_json else progress,
                )
            except (
                RunNotFoundError,
                NotAwaitingApprovalError,
                InvalidEscalationAnswerError,
                ConcurrentDecisionError,
            ) as exc:
                err.print(f"[red]cannot answer:[/red] {escape(str(exc))}", soft_wrap=True)
                raise typer.Exit(2) from exc
        if as_json:
            print(run.model_dump_json())
        else:
            console.print(f"run {thread}: [bold]{run.status}[/bold]")
            if run.status == "awaiting_director":
                show_escalations(run)
            elif run.status == "awaiting_approval":
                console.print(f"Paused for approvals: [bold]argo approve {thread}[/bold]")
        ok = ("completed", "awaiting_approval", "awaiting_director")
        raise typer.Exit(0 if run.status in ok else 1)
