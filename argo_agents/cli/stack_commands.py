"""`argo stack install | up | down | status`: the embedded local stack of real servers."""

from __future__ import annotations

import dataclasses
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from argo_agents.cli.json_output import diagnostics, print_json
from argo_agents.config import Settings
from argo_agents.local_stack import LocalStack
from argo_agents.local_stack.errors import StackEnvMissingError, StackError
from argo_agents.local_stack.stack_env import StackEnv

stack_app = typer.Typer(
    help="Start, stop and inspect the embedded local stack.", no_args_is_help=True
)
console = Console()
HELP_JSON = "The result as JSON on stdout; progress on stderr."


@stack_app.command()
def install(
    force: Annotated[
        bool, typer.Option("--force", help="Reinstall even if the environment is ready.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help=HELP_JSON)] = False,
) -> None:
    """Make the local stack's own environment (bqemulator, DuckDB) with pip; idempotent."""
    env = StackEnv.from_settings(Settings())
    out = diagnostics if as_json else console
    try:
        with out.status("installing the local stack's environment…"):
            env.install(force=force, say=lambda msg: out.print(f"  {msg}"))
    except StackError as exc:
        diagnostics.print(f"[red]stack install failed:[/red] {exc}")
        raise typer.Exit(1) from exc
    if as_json:
        print_json({"env": str(env.path), "python": str(env.python), "ready": True})


@stack_app.command()
def up(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per store.")] = False,
) -> None:
    """Start Redis, ArcadeDB (Bolt), bqemulator and Chroma; idempotent."""
    stack = LocalStack(Settings())
    out = diagnostics if as_json else console
    try:
        with out.status("starting the local stack…"):
            stack.up(progress=lambda msg: out.print(f"  {msg}"))
    except StackError as exc:
        diagnostics.print(f"[red]stack up failed:[/red] {exc}")
        # A missing environment is an environment error (exit 2), like unset stores.
        raise typer.Exit(2 if isinstance(exc, StackEnvMissingError) else 1) from exc
    if as_json:
        _print_json_status(stack)
    else:
        print_stack_status(stack)


@stack_app.command()
def down(as_json: Annotated[bool, typer.Option("--json", help=HELP_JSON)] = False) -> None:
    """Stop the servers that `argo stack up` started (external services are untouched)."""
    stopped = LocalStack(Settings()).down()
    if as_json:
        print_json({"stopped": stopped})
    else:
        console.print(f"stopped: {', '.join(stopped) or 'nothing was running'}")


@stack_app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per store.")] = False,
) -> None:
    """Show each store's address and health; exit 1 if any is unhealthy."""
    stack = LocalStack(Settings())
    if as_json:
        if not _print_json_status(stack):
            raise typer.Exit(1)
        return
    if not print_stack_status(stack):
        raise typer.Exit(1)


def _print_json_status(stack: LocalStack) -> bool:
    """Each store's status as one JSON line; True when every one is healthy."""
    found = stack.status()
    for s in found:
        print_json(dataclasses.asdict(s))
    return all(s.healthy for s in found)


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
