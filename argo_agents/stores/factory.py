"""Build store adapters from endpoints: the only place that picks an adapter class.

Heavy clients are imported lazily, so importing ARGO does not import four
database drivers.
"""

from __future__ import annotations

from argo_agents.config.endpoints import Endpoints


def check_health(name: str, endpoints: Endpoints) -> None:
    """Raise `StoreUnavailable` unless store ``name`` answers."""
    raise NotImplementedError("filled in by the store adapters")
