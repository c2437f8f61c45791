"""What a node may use: `Services`, built by the composition root (`bootstrap`).

Kept apart from `bootstrap` so the orchestrator and the agents can name what
they receive without importing the root that builds it (and everything it
imports): the root depends on them, never the other way round.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

from argo_agents.config import Settings
from argo_agents.executors.registry import ExecutorRegistry

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langgraph.graph.state import CompiledStateGraph

    from argo_agents.agents.deps import AgentDeps, DepsProvider
    from argo_agents.agents.models import AgentKind
    from argo_agents.approval.policy import ApprovalPolicy
    from argo_agents.assignment.registry import AgentRegistry
    from argo_agents.stores.embeddings import Embedder
    from argo_agents.stores.factory import Stores
    from argo_agents.sync.engine import SyncEngine

    AgentGraphs = Mapping[AgentKind, CompiledStateGraph]

_VARIANTS_LOCK = threading.Lock()  # nodes run in threads: one variant per model, not two

AgentsBuilder = Callable[["DepsProvider"], "AgentGraphs"]
"""Compiles the agent subgraphs; the deps provider gives them these services' parts."""


@dataclass(frozen=True)
class Services:
    """Everything a node may use: stores, the sync engine, the model, the policies, the agents,
    the executors.

    Complete and immutable once built: the agent subgraphs are compiled on
    construction from ``build_agents``, against this value's stores, embedder
    and model, so ``dataclasses.replace(services, model=m)`` gives agents that
    use ``m``.
    """

    settings: Settings
    stores: Stores
    engine: SyncEngine
    embedder: Embedder
    model: BaseChatModel | None
    registry: AgentRegistry
    policy: ApprovalPolicy
    build_agents: AgentsBuilder
    executors: ExecutorRegistry = field(default_factory=ExecutorRegistry.empty)
    """What acts for steps that change the world (none: such steps are only prepared)."""
    agent_graphs: AgentGraphs = field(init=False, repr=False, compare=False)
    """Compiled agent subgraphs by kind."""
    model_variants: dict[str, Services] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )
    """These services with another chat model, by a run's `Context.model` (built once each)."""

    def __post_init__(self) -> None:

        deps = self.agent_deps()
        graphs = MappingProxyType(dict(self.build_agents(lambda: deps)))
        object.__setattr__(self, "agent_graphs", graphs)  # frozen: set once, here

    def with_model(self, key: str, make: Callable[[], BaseChatModel | None]) -> Services:
        """These services with the model ``make`` builds, cached under ``key``; the agent
        subgraphs are compiled against it once, not per run."""
        with _VARIANTS_LOCK:
            if key not in self.model_variants:
                self.model_variants[key] = dataclasses.replace(self, model=make())
            return self.model_variants[key]

    def agent_deps(self) -> AgentDeps:
        """What an agent subgraph works with: these stores, embedder and model, and the
        sync engine's publish to record its messages."""
        from argo_agents.agents.deps import AgentDeps

        return AgentDeps(
            stores=self.stores,
            embedder=self.embedder,
            model=self.model,
            publish=self.engine.publish,
            messages_namespace=f"{self.engine.config.namespace}:agents",
            llm_fallback=self.settings.llm_fallback,
            consensus_rule=self.settings.consensus_rule,
        )

    def close(self) -> None:
        """Close every store connection."""
        self.stores.close()


ServicesProvider = Callable[[], Services]
