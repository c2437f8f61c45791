"""`argo sync ...`: run workers, and inspect, verify, replay, resolve and recover the sync engine.

Every command builds its engine the same way (`_engine`): settings from the
environment, endpoints from the local stack (or external ARGO_* services),
the four stores, the configured embedder and `SyncConfig` from ARGO_SYNC_*.
"""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from argo_agents.cli.json_output import diagnostics, print_json
from argo_agents.stores.errors import StoreError
from argo_agents.sync.engine import SyncEngine
from argo_agents.sync.outbox import CountersLost

sync_app = typer.Typer(
    help="The sync engine: workers, status, verification, dead letters, conflicts.",
    no_args_is_help=True,
)
console = Console()
HELP_JSON = "The result as one JSON object on stdout."


@contextmanager
def open_engine() -> Iterator[SyncEngine]:
    """An engine on this environment's stores (never set up here); closes everything on exit."""
    from argo_agents.bootstrap import open_sync
    from argo_agents.config import Settings
    from argo_agents.local_stack import LocalStack
    from argo_agents.local_stack.errors import StackError
    from argo_agents.stores.errors import StoreError

    settings = Settings()
    try:
        parts = open_sync(settings, LocalStack(settings).endpoints())
    except (StackError, StoreError) as exc:
        console.print(f"[red]cannot reach the stores:[/red] {exc}")
        raise typer.Exit(2) from exc
    try:
        yield parts.engine
    finally:
        parts.close()


@sync_app.command()
def worker(
    consumer: Annotated[str | None, typer.Option(help="Consumer name in the group.")] = None,
    metrics_port: Annotated[
        int | None, typer.Option(help="Serve Prometheus metrics on 127.0.0.1:PORT/metrics.")
    ] = None,
) -> None:
    """Run a sync worker until SIGTERM or Ctrl-C (start several: they share the group)."""
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    with open_engine() as engine:
        try:
            engine.setup()
        except CountersLost as exc:
            console.print(f"[red]cannot start:[/red] {exc}")
            raise typer.Exit(2) from exc
        w = engine.worker(consumer)
        console.print(f"sync worker {w.consumer} on namespace {engine.config.namespace!r}")
        if metrics_port is not None:
            from argo_agents.sync.prometheus import serve_metrics

            serve_metrics(engine, metrics_port)
            console.print(f"Prometheus metrics on http://127.0.0.1:{metrics_port}/metrics")
        try:
            w.run(stop)
        finally:
            w.close()
    console.print("sync worker stopped")


@sync_app.command()
def status(
    as_json: Annotated[
        bool, typer.Option("--json", help="The figures as one JSON object.")
    ] = False,
) -> None:
    """Outbox, throughput, latency, per-store state and warnings."""
    with open_engine() as engine:
        s = engine.status()
    if as_json:
        print(s.model_dump_json())
        return
    table = Table(
        title=f"sync status: {s.outbox} in outbox ({s.in_flight} in flight), "
        f"{s.dead_letters} dead letters, {s.parked_conflicts} parked conflicts"
    )
    for col in ("store", "applied", "p95 ms", "write ms", "lag s", "last error"):
        table.add_column(col)
    for name, st in s.stores.items():
        table.add_row(
            name,
            str(st.applied),
            _ms(st.p95_ms),
            _ms(st.avg_write_ms),
            f"{st.lag_s:.1f}",
            st.last_error[:60] or "-",
        )
    console.print(table)
    console.print(
        f"processed {s.processed}, retries {s.retries}, conflicts {s.conflicts}, "
        f"dead-lettered {s.dead_lettered}; {s.throughput:.0f} events/s, error rate "
        f"{s.error_rate:.1%}, latency p50 {_ms(s.p50_ms)} ms, p95 {_ms(s.p95_ms)} ms"
    )
    if s.redis_memory is not None:
        console.print(f"Redis memory: {s.redis_memory:.0%} of maxmemory")
    for w in s.warnings:
        console.print(f"[yellow]warning:[/yellow] {w}")


@sync_app.command()
def verify(
    entity_type: Annotated[
        str | None, typer.Option("--entity-type", "-t", help="Only this entity type.")
    ] = None,
    repair: Annotated[bool, typer.Option(help="Re-publish divergent entities.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help=HELP_JSON)] = False,
) -> None:
    """Compare version and hash of every entity across its stores; exit 1 on divergence."""
    with open_engine() as engine:
        try:
            r = engine.verify(entity_type, repair=repair)
        except KeyError as exc:
            diagnostics.print(f"[red]unknown entity type {entity_type!r}[/red]")
            raise typer.Exit(2) from exc
        pending = engine.status().outbox
    if as_json:
        print_json({**r.model_dump(mode="json"), "outbox": pending})
        if r.divergence and not repair:
            raise typer.Exit(1)
        return
    console.print(
        f"checked {r.checked} entities ({r.comparisons} store comparisons): "
        f"{r.missing} missing, {r.stale} stale, {r.divergent} divergent, "
        f"{r.expired} expired from the cache, {r.parked} parked conflicts"
    )
    for p in r.problems[:20]:
        console.print(
            f"  {p.kind:10} {p.store:9} {p.entity_type}:{p.entity_id} "
            f"(expected v{p.expected_version}, stored {p.stored_version})"
        )
    if pending:
        console.print(
            f"[yellow]{pending} events are still in the outbox: run a worker and "
            f"verify again[/yellow]"
        )
    if repair:
        console.print(f"repaired {r.repaired}; unrepairable: {', '.join(r.unrepairable) or '-'}")
    if r.divergence and not repair:
        raise typer.Exit(1)


@sync_app.command()
def recover(
    as_json: Annotated[bool, typer.Option("--json", help=HELP_JSON)] = False,
) -> None:
    """Rebuild lost version counters and the ledger from the stores, then resume publishing.

    Run it when publishing or `argo sync worker` reports that the version counters are
    gone (Redis flushed, replaced or restarted without AOF). It reads every store, so it
    takes a while on large ones; it never lowers a counter, so running it again is safe.
    """
    with (
        open_engine() as engine,
        Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=diagnostics if as_json else console,
            transient=True,
        ) as bar,
    ):
        task = bar.add_task("reading the stores", total=None)
        try:
            report = engine.recover(
                lambda what, n: bar.update(
                    task, description=f"reading {what}: {n:,} entity versions read"
                )
            )
        except StoreError as exc:
            diagnostics.print(
                f"[red]recovery stopped; run it again once the store answers:[/red] {exc}"
            )
            raise typer.Exit(1) from exc
    if as_json:
        print_json({**report.model_dump(mode="json"), "namespace": engine.config.namespace})
        return
    read = ", ".join(f"{store} {n:,}" for store, n in report.read.items() if n)
    state = "were lost" if report.lost else "were intact"
    console.print(
        f"recovered namespace {engine.config.namespace!r} in {report.seconds:.1f}s: "
        f"the counters {state}; {report.entities:,} entities found "
        f"({read or 'none'}), {report.raised:,} counters raised; new epoch "
        f"{report.epoch[:8]}. Publishing is open again."
    )
    console.print(
        "Check the stores with `argo sync verify` (`--repair` refills a store that "
        "lost entities, such as a flushed Redis cache)."
    )


@sync_app.command()
def dlq(
    limit: Annotated[int, typer.Option(help="How many to list.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help=HELP_JSON)] = False,
) -> None:
    """List dead-lettered events with their store, error and attempts."""
    with open_engine() as engine:
        letters = engine.dead_letters(limit)
    if as_json:
        print_json({"dead_letters": letters})
        return
    table = Table(title=f"{len(letters)} dead letter(s)")
    for col in ("id", "entity", "store", "attempts", "failed at", "error"):
        table.add_column(col)
    for d in letters:
        ev = d.event
        entity = f"{ev.entity_type}:{ev.entity_id} v{ev.version}" if ev else "(unreadable)"
        table.add_row(
            d.id,
            entity,
            d.store,
            str(d.attempts),
            datetime.fromtimestamp(d.failed_at, UTC).strftime("%Y-%m-%d %H:%M:%S"),
            d.error[:80],
        )
    console.print(table)


@sync_app.command()
def replay(
    ids: Annotated[list[str] | None, typer.Argument(help="Dead-letter ids.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Replay every dead letter.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help=HELP_JSON)] = False,
) -> None:
    """Re-publish dead letters (fix their cause first); workers then apply them."""
    if not ids and not all_:
        diagnostics.print("[red]name dead-letter ids or pass --all[/red] (see `argo sync dlq`)")
        raise typer.Exit(2)
    with open_engine() as engine:
        done = engine.replay(ids or [], all_=all_)
    if as_json:
        print_json({"replayed": done})
        return
    console.print(f"replayed {len(done)} event(s)")


@sync_app.command()
def conflicts(
    show: Annotated[str | None, typer.Option(help="Show one conflict's diff.")] = None,
    resolve: Annotated[str | None, typer.Option(help="Resolve this conflict.")] = None,
    take: Annotated[str | None, typer.Option(help="incoming | stored | merged")] = None,
    as_json: Annotated[bool, typer.Option("--json", help=HELP_JSON)] = False,
) -> None:
    """List parked conflicts; --show ID for a diff; --resolve ID --take CHOICE to settle one."""
    with open_engine() as engine:
        if resolve:
            _resolve(engine, resolve, take, as_json)
            return
        if show:
            try:
                c = engine.conflict(_full_id(engine, show))
            except KeyError as exc:
                diagnostics.print(f"[red]{exc.args[0]}[/red]")
                raise typer.Exit(1) from exc
            if as_json:
                print_json({"conflict": c})
            else:
                _diff(c.stored_data or {}, c.event.data)
            return
        parked = engine.conflicts()
    if as_json:
        print_json({"conflicts": parked})
        return
    table = Table(title=f"{len(parked)} parked conflict(s)")
    for col in ("id", "entity", "incoming", "stored"):
        table.add_column(col)
    for c in parked:
        stored = ", ".join(f"{s} v{v['version']}" for s, v in c.stored.items())
        table.add_row(
            c.id[:16], f"{c.event.entity_type}:{c.event.entity_id}", f"v{c.event.version}", stored
        )
    console.print(table)


def _resolve(engine: SyncEngine, conflict: str, take: str | None, as_json: bool) -> None:
    if take not in ("incoming", "stored", "merged"):
        diagnostics.print("[red]--take must be incoming, stored or merged[/red]")
        raise typer.Exit(2)
    try:
        event_id = engine.resolve_conflict(_full_id(engine, conflict), take)
    except KeyError as exc:
        diagnostics.print(f"[red]{exc.args[0]}[/red]")
        raise typer.Exit(1) from exc
    if as_json:
        print_json({"resolved": conflict, "take": take, "event_id": event_id})
    else:
        console.print(f"resolved with {take}: published event {event_id[:16]}")


def _full_id(engine: SyncEngine, prefix: str) -> str:
    matches = [c.id for c in engine.conflicts() if c.id.startswith(prefix)]
    return matches[0] if len(matches) == 1 else prefix


def _diff(stored: dict, incoming: dict) -> None:
    table = Table(title="stored → incoming")
    for col in ("key", "stored", "incoming"):
        table.add_column(col)
    for key in sorted(set(stored) | set(incoming)):
        a, b = stored.get(key, "∅"), incoming.get(key, "∅")
        style = "" if a == b else "yellow"
        table.add_row(key, json.dumps(a)[:60], json.dumps(b)[:60], style=style)
    console.print(table)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def doctor(
    as_json: Annotated[bool, typer.Option("--json", help=HELP_JSON)] = False,
) -> None:
    """Check everything a run needs: each store, Redis durability, the sync engine's health
    rules and the model endpoint; exit 1 if anything needs attention."""
    from argo_agents.cli.stack_commands import print_stack_status
    from argo_agents.config import Settings
    from argo_agents.local_stack import LocalStack
    from argo_agents.sync.epoch import warn_if_volatile

    settings = Settings()
    stack = LocalStack(settings)
    stores = stack.status() if as_json else []
    healthy = all(s.healthy for s in stores) if as_json else print_stack_status(stack)
    problems: list[str] = []
    if healthy:
        with open_engine() as engine:
            problems += warn_if_volatile(engine.ctx.redis)
            problems += engine.status().warnings
    model = (
        f"{settings.llm_model} at {settings.openai_base_url or 'OpenAI'}"
        if settings.llm_configured
        else None
    )
    if as_json:
        ok = healthy and not problems
        print_json({"ok": ok, "stores": stores, "warnings": problems, "model": model})
        if not ok:
            raise typer.Exit(1)
        return
    console.print(f"model: {model or 'none configured (planning and agents run offline)'}")
    for p in problems:
        console.print(f"[yellow]warning:[/yellow] {p}")
    if not healthy or problems:
        raise typer.Exit(1)
    console.print("[green]all checks passed[/green]")
