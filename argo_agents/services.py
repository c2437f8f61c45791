"""What a node may use: `Services`, built by the composition root (`bootstrap`).

Kept apart from `bootstrap` so the orchestrator and the agents can name what
they receive without importing the root that builds it (and everything it
imports): the root depends on them, never the other way round.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from argo_agents.config import Settings

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from argo_agents.approval.policy import ApprovalPolicy
    from argo_agents.assignment.registry import AgentRegistry
    from argo_agents.stores.embeddings import Embedder
    from argo_agents.stores.factory import Stores
    from argo_agents.sync.engine import SyncEngine


@dataclass
class Services:
    """Everything a node may use: stores, the sync engine, the model, the policies."""

    settings: Settings
    stores: Stores
    engine: SyncEngine
    embedder: Embedder
    model: BaseChatModel | None
    registry: AgentRegistry
    policy: ApprovalPolicy
    agent_graphs: dict[str, Any] = field(default_factory=dict)
    """Compiled agent subgraphs by kind; built from the services when empty."""

    def close(self) -> None:
        """Close every store connection."""
        self.stores.close()


ServicesProvider = Callable[[], Services]
