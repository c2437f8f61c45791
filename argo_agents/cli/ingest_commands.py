"""`argo ingest PATH...`, `argo ingest status [JOB]` and `argo knowledge search "..."`.

Ingestion writes only through the sync engine: this process publishes the
records and runs sync workers that apply them (other `argo sync worker`s help
if they run). Running the same `argo ingest` again resumes an interrupted job.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from argo_agents.cli.json_output import print_json
from argo_agents.ingest import (
    IngestError,
    IngestJob,
    IngestOptions,
    IngestProgress,
    IngestReport,
    list_jobs,
    read_progress,
    search_knowledge,
)

if TYPE_CHECKING:
    from argo_agents.config import Settings
    from argo_agents.stores.embeddings import Embedder
    from argo_agents.stores.factory import Stores
    from argo_agents.sync.engine import SyncEngine

console = Console()
knowledge_app = typer.Typer(help="Search the ingested knowledge.", no_args_is_help=True)


@dataclass(frozen=True)
class _Parts:
    settings: Settings
    stores: Stores
    embedder: Embedder
    engine: SyncEngine


@contextmanager
def _open() -> Iterator[_Parts]:
    """Stores, embedder and a set-up sync engine from the composition root (the local
    stack is started if it does not run); everything is closed on exit."""
    from argo_agents.bootstrap import open_sync, resolve_endpoints
    from argo_agents.config import Settings
    from argo_agents.local_stack.errors import StackError
    from argo_agents.stores.errors import StoreError

    settings = Settings()
    try:
        sync = open_sync(settings, resolve_endpoints(settings))
    except (StackError, StoreError) as exc:
        console.print(f"[red]cannot reach the stores:[/red] {exc}")
        raise typer.Exit(2) from exc
    try:
        sync.engine.setup()
        yield _Parts(settings, sync.stores, sync.embedder, sync.engine)
    except StoreError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    finally:
        sync.close()


def ingest(
    paths: Annotated[
        list[str],
        typer.Argument(
            help="Files, directories or globs (Markdown, text, reStructuredText, HTML, "
            "JSON Lines with a text field, PDF with the pdf extra). "
            "`argo ingest status [JOB]` shows a job's progress instead."
        ),
    ],
    batch_size: Annotated[
        int | None, typer.Option(help="Documents per batch (ARGO_INGEST_BATCH_SIZE).")
    ] = None,
    concurrency: Annotated[
        int | None, typer.Option(help="Batches prepared or in flight (ARGO_INGEST_CONCURRENCY).")
    ] = None,
    embed_workers: Annotated[
        int | None, typer.Option(help="Processes that parse and embed (0: one per CPU).")
    ] = None,
    sync_workers: Annotated[
        int | None, typer.Option(help="Sync worker threads applying the events.")
    ] = None,
    chunk_chars: Annotated[int | None, typer.Option(help="Largest chunk, in characters.")] = None,
    chunk_overlap: Annotated[
        int | None, typer.Option(help="Characters repeated from the chunk before.")
    ] = None,
    max_file_mb: Annotated[
        float | None, typer.Option(help="Skip larger files (ARGO_INGEST_MAX_FILE_MB).")
    ] = None,
    prune: Annotated[
        bool, typer.Option(help="Delete stored documents under PATHS that no longer exist.")
    ] = False,
    job: Annotated[
        str | None, typer.Option(help="Job name (default: derived from the paths).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Ingest documents into all four stores, with progress; rerun to resume or update."""
    if paths and paths[0] == "status" and not os.path.exists("status"):
        _status(paths[1] if len(paths) > 1 else None, as_json)
        return
    with _open() as parts:
        options = IngestOptions.from_settings(
            parts.settings,
            batch_size=batch_size,
            concurrency=concurrency,
            embed_workers=embed_workers,
            sync_workers=sync_workers,
            chunk_chars=chunk_chars,
            chunk_overlap=chunk_overlap,
            max_file_bytes=int(max_file_mb * (1 << 20)) if max_file_mb else None,
            prune=prune,
            job_id=job,
        )
        report = _run_with_progress(parts, options, paths, quiet=as_json)
    if as_json:
        print(report.model_dump_json(indent=2))
    else:
        _print_report(report)


def _run_with_progress(
    parts: _Parts, options: IngestOptions, paths: list[str], *, quiet: bool
) -> IngestReport:
    """Run the job under a rich progress bar (rate and ETA); exit 1 if it stops."""
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rate]:.0f} docs/s"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        disable=quiet,
    ) as bar:
        task = bar.add_task("counting", total=None, rate=0.0)

        def show(p: IngestProgress) -> None:
            bar.update(
                task,
                description=p.status,
                total=p.total or None,
                completed=p.completed,
                rate=p.rate,
            )

        try:
            return IngestJob(parts.engine, parts.embedder, parts.settings, options, show).run(paths)
        except IngestError as exc:
            console.print(f"[red]ingest stopped:[/red] {exc}")
            raise typer.Exit(1) from exc


def _print_report(r: IngestReport) -> None:
    console.print(
        f"job [bold]{r.job_id}[/bold] {r.status} in {r.seconds:.1f}s: {r.completed:,} of "
        f"{r.total:,} documents ({r.docs_per_s:.0f}/s); {r.new:,} new, {r.changed:,} changed, "
        f"{r.unchanged:,} unchanged, {r.pruned:,} pruned, {r.skipped:,} skipped; "
        f"{r.chunks_written:,} chunks written ({r.chunks_per_s:.0f}/s), "
        f"{r.chunks_deleted:,} removed"
    )
    if r.dead_lettered:
        console.print(
            f"[yellow]{r.dead_lettered} events were dead-lettered: see `argo sync dlq`[/yellow]"
        )
    if r.skipped_files:
        table = Table(
            title="skipped: " + ", ".join(f"{k} {v}" for k, v in r.skipped_by_reason.items())
        )
        for col in ("file", "reason", "detail"):
            table.add_column(col)
        for f in r.skipped_files[:20]:
            table.add_row(f.path, f.reason, f.detail[:60])
        console.print(table)
        if r.skipped > 20:
            console.print(f"… and {r.skipped - 20} more (`--json` lists up to 1,000)")


def _status(job_id: str | None, as_json: bool) -> None:
    with _open() as parts:
        if job_id:
            one = read_progress(parts.engine, job_id)
            if one is None:
                console.print(f"[red]no ingest job {job_id!r}[/red] (see `argo ingest status`)")
                raise typer.Exit(1)
            jobs = [one]
        else:
            jobs = list_jobs(parts.engine)
    if as_json:
        print_json(jobs)
        return
    table = Table(title=f"{len(jobs)} ingest job(s)")
    for col in ("job", "status", "completed", "total", "progress", "written", "skipped", "rate"):
        table.add_column(col)
    for j in jobs:
        table.add_row(
            j.job_id,
            j.status + (f" ({j.error[:40]})" if j.error else ""),
            f"{j.completed:,}",
            f"{j.total:,}",
            f"{j.progress:.1%}",
            f"{j.written:,}",
            f"{j.skipped:,}",
            f"{j.rate:.0f}/s",
        )
    console.print(table)


@knowledge_app.command()
def search(
    query: Annotated[str, typer.Argument(help="A question or keywords.")],
    k: Annotated[int, typer.Option("-k", help="How many chunks.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print the hits as JSON.")] = False,
) -> None:
    """The chunks of ingested documents nearest to QUERY, with document, heading and score."""
    with _open() as parts:
        hits = search_knowledge(parts.stores, parts.embedder, query, k)
    if as_json:
        print_json([h.model_dump(mode="json", exclude={"text"}) for h in hits])
        return
    if not hits:
        console.print("no knowledge found (ingest documents with `argo ingest PATH`)")
        return
    table = Table(title=f"knowledge for {query!r}")
    for col in ("score", "document › heading", "snippet"):
        table.add_column(col)
    for h in hits:
        table.add_row(f"{h.score:.3f}", f"{h.citation}\n[dim]{h.uri}[/dim]", h.snippet)
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add `ingest` and `knowledge` to the `argo` command line."""
    app.command("ingest")(ingest)
    app.add_typer(knowledge_app, name="knowledge")
