"""`argo runs [--status S] [--json]`: find runs, for example those waiting for a decision."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

console = Console()

STATUSES = ("awaiting_approval", "running", "stalled", "completed", "failed", "rejected")


def register(app: typer.Typer) -> None:
    """Add `argo runs` to the `argo` app."""

    @app.command()
    def runs(
        status: Annotated[
            str | None,
            typer.Option(help=f"Only runs in this state: {', '.join(STATUSES)}."),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    ) -> None:
        """Runs in this environment's checkpointer, newest thread first."""
        from argo_agents.api import Argo

        if status is not None and status not in STATUSES:
            console.print(f"[red]unknown status {status!r}[/red]; choose one of {STATUSES}")
            raise typer.Exit(2)
        found = Argo().list_runs(status=status)  # type: ignore[arg-type]
        if as_json:
            for run in found:
                summary = {
                    "thread_id": run.thread_id,
                    "run_id": run.run_id,
                    "status": run.status,
                    "goal": run.goal,
                    "pending_approvals": [p.step_id for p in run.pending_approvals],
                }
                print(json.dumps(summary))
            return
        table = Table("thread", "status", "goal", "waiting for")
        for run in found:
            waiting = ", ".join(p.step_id for p in run.pending_approvals)
            table.add_row(run.thread_id, run.status, run.goal[:60], waiting)
        console.print(table if found else "no runs")
