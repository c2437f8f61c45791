"""The `argo` command line: the local stack, goals, approvals and the sync engine."""

from __future__ import annotations

import logging
import warnings
from typing import Annotated

import typer

from argo_agents.cli.analytics_commands import register as register_analytics_commands
from argo_agents.cli.bridge_command import bridge
from argo_agents.cli.goal_commands import register as register_goal_commands
from argo_agents.cli.ingest_commands import register as register_ingest_commands
from argo_agents.cli.run_commands import register as register_run_commands
from argo_agents.cli.stack_commands import stack_app
from argo_agents.cli.sync_commands import doctor, sync_app

app = typer.Typer(
    help="ARGO: a Director's goals, planned and run by agents, persisted in four stores.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals may hold credentials
)
app.add_typer(stack_app, name="stack")
app.add_typer(sync_app, name="sync")
register_goal_commands(app)
register_ingest_commands(app)
register_run_commands(app)
register_analytics_commands(app)
app.command()(doctor)
app.command()(bridge)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"argo {version('argo-agents')}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """ARGO: a Director's goals, planned and run by agents, persisted in four stores."""


def main() -> None:
    """Console-script entry point."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # Google's clients warn about Python/grpcio support dates on every import: not
    # actionable for a user of the CLI, and it buries the output.
    warnings.filterwarnings("ignore", category=FutureWarning, module=r"google\..*")
    app()
