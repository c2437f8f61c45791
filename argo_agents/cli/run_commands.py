"""`argo runs [--status S] [--json]`: find runs, for example those waiting for a decision."""

from __future__ import annotations

from typing import Annotated, get_args

import typer
from rich.console import Console
from rich.table import Table

from argo_agents.api import RunStatus
from argo_agents.cli.json_output import print_json

console = Console()

STATUSES = get_args(RunStatus)  # the API's statuses, one list


def register(app: typer.Typer) -> None:  # noqa: PLR0915 (see the docstring)
    """Add `argo runs` and `argo agents` to the `argo` app.

    Long because it nests the two commands, so Typer reads their signatures as help.
    """

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
                print_json(summary)
            return
        table = Table("thread", "status", "goal", "waiting for")
        for run in found:
            waiting = ", ".join(p.step_id for p in run.pending_approvals)
            table.add_row(run.thread_id, run.status, run.goal[:60], waiting)
        console.print(table if found else "no runs")

    @app.command()
    def agents(
        as_json: Annotated[bool, typer.Option("--json", help="One JSON object per agent.")] = False,
    ) -> None:
        """The agents: the registry's and those scaling added, with workload and load."""
        from argo_agents.api import Argo
        from argo_agents.assignment.scaling import load_of
        from argo_agents.orchestrator.planning_nodes import pool_of

        with Argo() as argo:
            services = argo.services()
            registry = pool_of(services).registry(services.registry)
            workloads = services.stores.cache.workloads(registry.agent_ids())
        base = set(services.registry.agent_ids())
        rows = [
            {
                "agent_id": p.agent_id,
                "kind": p.kind,
                "origin": "registry" if p.agent_id in base else "scaled",
                "workload": workloads.get(p.agent_id, 0),
                "max_workload": p.max_workload,
                "capabilities": sorted(p.capabilities),
            }
            for p in registry.profiles
        ]
        if as_json:
            for row in rows:
                print_json(row)
            return
        table = Table("agent", "kind", "origin", "workload", "capabilities")
        for p in registry.profiles:
            origin = "registry" if p.agent_id in base else "scaled"
            held = f"{workloads.get(p.agent_id, 0)}/{p.max_workload}"
            table.add_row(p.agent_id, p.kind, origin, held, ", ".join(sorted(p.capabilities)))
        console.print(table)
        load = load_of(registry, workloads)
        console.print(f"load {load:.0%} (an instance is added above 85%, retired under 30%)")
