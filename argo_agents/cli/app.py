"""The `argo` command line: the local stack, goals, approvals and the sync engine."""

from __future__ import annotations

import logging
import warnings

import typer

from argo_agents.cli.goal_commands import register as register_goal_commands
from argo_agents.cli.ingest_commands import register as register_ingest_commands
from argo_agents.cli.stack_commands import stack_app
from argo_agents.cli.sync_commands import sync_app

app = typer.Typer(
    help="ARGO: a Director's goals, planned and run by agents, persisted in four stores.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals may hold credentials
)
app.add_typer(stack_app, name="stack")
app.add_typer(sync_app, name="sync")
register_goal_commands(app)
register_ingest_commands(app)


def main() -> None:
    """Console-script entry point."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # Google's clients warn about Python/grpcio support dates on every import: not
    # actionable for a user of the CLI, and it buries the output.
    warnings.filterwarnings("ignore", category=FutureWarning, module=r"google\..*")
    app()
