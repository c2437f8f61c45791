"""`argo bridge`: serve the layer bridge (a front layer drives ARGO over Redis channels)."""

from __future__ import annotations

import signal
import threading
from typing import Annotated

import typer
from rich.console import Console

console = Console(stderr=True)  # diagnostics: stdout stays free for scripts


def bridge(
    metrics_port: Annotated[
        int | None,
        typer.Option(
            help="Serve Prometheus metrics on 127.0.0.1:PORT/metrics: runs by status, "
            "pending approvals, bridge requests and the sync figures."
        ),
    ] = None,
) -> None:
    """Serve front-layer requests from Redis channels until SIGTERM or Ctrl-C
    (layer1_to_layer2 in, layer2_to_layer1 out, layer_sync presence)."""
    from argo_agents.api import Argo
    from argo_agents.approval.identity import parse_director_tokens
    from argo_agents.bootstrap import resolve_endpoints
    from argo_agents.bridge import CHANNEL_IN, CHANNEL_OUT, LayerBridge
    from argo_agents.config import Settings
    from argo_agents.stores.redis_channels import RedisChannels

    settings = Settings()
    try:  # before any store opens: malformed tokens must stop the bridge, not weaken it
        parse_director_tokens(settings.director_tokens)
    except ValueError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    with Argo(settings) as argo:
        channels = RedisChannels.from_endpoints(resolve_endpoints(argo.settings))
        services = argo.services()  # open the stores now: the first request should not wait
        layer = LayerBridge.for_settings(argo, channels)
        if metrics_port is not None:
            from argo_agents.bridge.metrics import BridgeCollector, RunsCollector
            from argo_agents.sync.prometheus import serve_metrics

            collectors = (RunsCollector(argo), BridgeCollector(layer))
            serve_metrics(services.engine, metrics_port, extra=collectors)
            console.print(f"Prometheus metrics on http://127.0.0.1:{metrics_port}/metrics")
        console.print(f"layer bridge: listening on {CHANNEL_IN}, answering on {CHANNEL_OUT}")
        if layer.authenticator is None:
            console.print(
                "[yellow]unsigned requests accepted:[/] anyone who can publish on "
                f"{CHANNEL_IN} can approve in any name. Set ARGO_DIRECTOR_TOKENS to serve "
                "only requests signed by a Director (README, the layer bridge)"
            )
        else:
            console.print("signed requests only (ARGO_DIRECTOR_TOKENS)")
        try:
            layer.serve(stop)
        finally:
            channels.close()
    console.print("layer bridge stopped")
