"""`argo stack install | up | down | status`: the embedded local stack of real servers."""

from __future__ import annotations

import dataclasses
import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from argo_agents.config import Settings
from argo_agents.local_stack import LocalStack
from argo_agents.local_stack.errors import StackEnvMissingError, StackError
from argo_agents.local_stack.stack_env import StackEnv

stack_app = typer.Typer(
    help="Start, stop and inspect the embedded local stack.", no_args_is_help=True
)
console = Console()


@stack_app.command()
def install(
    force: Annotated[
        bool, typer.Option("--force", help="Reinstall even if the environment is ready.")
    ] = False,
) -> None:
    """Make the local stack's own environment (bqemulator, DuckDB) with pip; idempotent."""
    env = StackEnv.from_settings(Settings())
    try:
        with console.status("installing the local stack's environment…"):
            env.install(force=force, say=lambda msg: console.print(f"  {msg}"))
    except StackError as exc:
        console.print(f"[red]stack install failed:[/red] {exc}")
        raise typer.Exit(1) from exc


@stack_app.command()
def up() -> None:
    """Start Redis, ArcadeDB (Bolt), bqemulator and Chroma; idempotent."""
    stack = LocalStack(Settings())
    try:
        with console.status("starting the local stack…"):
            stack.up(progress=lambda msg: console.print(f"  {msg}"))
    except StackError as exc:
        console.print(f"[red]stack up failed:[/red] {exc}")
        # A missing environment is an environment error (exit 2), like unset stores.
        raise typer.Exit(2 if isinstance(exc, StackEnvMissingError) else 1) from exc
    print_stack_status(stack)


@stack_app.command()
def down() -> None:
    """Stop the servers that `argo stack up` started (external services are untouched)."""
    stopped = LocalStack(Settings()).down()
    console.print(f"stopped: {', '.join(stopped) or 'nothing was running'}")


@stack_app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per store.")] = False,
) -> None:
    """Show each store's address and health; exit 1 if any is unhealthy."""
    stack = LocalStack(Settings())
    if as_json:
        found = stack.status()
        for s in found:
            print(json.dumps(dataclasses.asdict(s)))
        if not all(s.healthy for s in found):
            raise typer.Exit(1)
        return
    if not print_stack_status(stack):
        raise typer.Exit(1)


def print_stack_status(stack: LocalStack) -> bool:
    """Print each store's address and health; True when every one is healthy."""
    table = Table(title=f"ARGO local stack ({stack.root})")
    for col in ("store", "address", "managed", "pid", "health"):
        table.add_column(col)
    all_ok = True
    for s in stack.status():
        all_ok &= s.healthy
        health = "[green]ok[/green]" if s.healthy else f"[red]{s.detail}[/red]"
        table.add_row(
            s.name, s.address, "local" if s.managed else "external", str(s.pid or "-"), health
        )
    console.print(table)
    return all_ok
