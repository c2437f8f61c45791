"""`argo analytics [NAME] [--json]` and `argo analytics-chart FILE.html`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from argo_agents.cli.json_output import print_json

console = Console()


def _warehouse_rows(names: list[str]) -> dict[str, list[dict]]:
    from argo_agents.analytics.seed_queries import run_seed_query
    from argo_agents.cli.sync_commands import open_engine
    from argo_agents.stores.errors import StoreError

    with open_engine() as engine:  # exits 2, saying why, when the stores cannot be reached
        try:
            return {n: run_seed_query(engine.ctx.stores.warehouse, n) for n in names}
        except StoreError as exc:
            console.print(f"[red]the warehouse refused the query:[/red] {exc}")
            raise typer.Exit(2) from exc


def register(app: typer.Typer) -> None:
    """Add `argo analytics` and `argo analytics-chart` to the `argo` app."""

    @app.command()
    def analytics(
        name: Annotated[
            str | None,
            typer.Argument(help="A query name; without one, the names are listed."),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="One JSON object per row.")] = False,
    ) -> None:
        """Run one of the source design's analytic queries, verbatim, on the warehouse."""
        from argo_agents.analytics.seed_queries import SEED_QUERIES

        if name is None:
            for known in SEED_QUERIES:
                print(known)
            return
        if name not in SEED_QUERIES:
            console.print(f"[red]no query {name!r}[/red]; choose one of {', '.join(SEED_QUERIES)}")
            raise typer.Exit(2)
        rows = _warehouse_rows([name])[name]
        if as_json:
            for row in rows:
                print_json(row)
            return
        table = Table(*(rows[0].keys() if rows else ["(no rows)"]), title=name)
        for row in rows:
            table.add_row(*(str(v) for v in row.values()))
        console.print(table)

    @app.command("analytics-chart")
    def analytics_chart(
        out: Annotated[Path, typer.Argument(help="The HTML file to write.")],
        as_json: Annotated[
            bool, typer.Option("--json", help="What was written, as one JSON object.")
        ] = False,
    ) -> None:
        """Write agent performance, workload and the collaboration network as one HTML file."""
        from argo_agents.analytics.charts import report_html

        rows = _warehouse_rows(["agent_performance", "agent_workload", "collaboration_pairs"])
        out.write_text(
            report_html(
                rows["agent_performance"], rows["agent_workload"], rows["collaboration_pairs"]
            ),
            encoding="utf-8",
        )
        if as_json:
            print_json({"path": str(out), "rows": {k: len(v) for k, v in rows.items()}})
        else:
            console.print(f"wrote {out}")
