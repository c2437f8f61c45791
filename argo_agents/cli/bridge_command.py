"""`argo bridge`: serve the layer bridge (a front layer drives ARGO over Redis channels)."""

from __future__ import annotations

import signal
import threading

from rich.console import Console

console = Console()


def bridge() -> None:
    """Serve front-layer requests from Redis channels until SIGTERM or Ctrl-C
    (layer1_to_layer2 in, layer2_to_layer1 out, layer_sync presence)."""
    from argo_agents.api import Argo
    from argo_agents.bootstrap import resolve_endpoints
    from argo_agents.bridge import CHANNEL_IN, CHANNEL_OUT, LayerBridge
    from argo_agents.stores.redis_channels import RedisChannels

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    with Argo() as argo:
        channels = RedisChannels.from_endpoints(resolve_endpoints(argo.settings))
        argo.services()  # open the stores now: the first request should not wait for it
        console.print(f"layer bridge: listening on {CHANNEL_IN}, answering on {CHANNEL_OUT}")
        try:
            LayerBridge(argo, channels).serve(stop)
        finally:
            channels.close()
    console.print("layer bridge stopped")
