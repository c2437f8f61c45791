"""Composition root: what is built from what, once per process.

Entry points (graphs for `langgraph dev`, the Python API, the CLI) are thin:
they ask this module for `Services` (or, for the sync CLI, the sync parts) and
compile the same graph builders. Connections are opened here on first use,
never at import time and never stored in graph state or checkpoints.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from pydantic import SecretStr

from argo_agents.agents.graph import compile_agents
from argo_agents.config import Settings
from argo_agents.config.endpoints import Endpoints
from argo_agents.services import AgentsBuilder, Services, ServicesProvider

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langgraph.graph.state import CompiledStateGraph

    from argo_agents.agents.models import AgentKind
    from argo_agents.approval.policy import ApprovalPolicy
    from argo_agents.assignment.registry import AgentRegistry
    from argo_agents.stores.embeddings import Embedder
    from argo_agents.stores.factory import Stores
    from argo_agents.sync.config import SyncConfig
    from argo_agents.sync.engine import SyncEngine

log = logging.getLogger(__name__)

__all__ = [
    "ModelChoice",
    "Services",
    "ServicesProvider",
    "SyncParts",
    "build_services",
    "default_services",
    "open_sync",
]


class ModelChoice(Enum):
    """Which chat model `build_services` uses when not given one."""

    FROM_SETTINGS = "from settings"
    """An OpenAI-compatible endpoint when the settings configure one, else offline."""
    OFFLINE = "offline"
    """No model, whatever the settings say (the offline planner and agents)."""


def make_chat_model(settings: Settings) -> BaseChatModel | None:
    """`ChatOpenAI` on any OpenAI-compatible endpoint when configured; else None (offline)."""
    if not settings.llm_configured:
        return None
    from langchain_openai import ChatOpenAI

    # A local server usually needs no key, but the client refuses to start without one.
    key = settings.openai_api_key or SecretStr("not-needed")
    return ChatOpenAI(
        model=settings.llm_model,
        api_key=key,
        base_url=settings.openai_base_url,
        temperature=0,
        timeout=60,
        max_retries=2,
    )


def resolve_endpoints(settings: Settings) -> Endpoints:
    """External stores from the environment, the rest from the local stack (started if needed).

    No health pass here: opening the stores right after is the check, and its
    errors name the store and what to do.
    """
    from argo_agents.local_stack import LocalStack

    stack = LocalStack(settings)
    if missing := stack.not_running():
        log.warning(
            "ARGO: starting the embedded local stack under %s (first use): %s",
            stack.root,
            ", ".join(missing),
        )
        return stack.up(progress=log.warning)
    return stack.endpoints()


@dataclass(frozen=True)
class SyncParts:
    """The stores, the embedder and a sync engine on them (not yet set up)."""

    stores: Stores
    embedder: Embedder
    engine: SyncEngine

    def close(self) -> None:
        """Stop the engine's workers and close the stores."""
        self.engine.close()
        self.stores.close()


def open_sync(
    settings: Settings, endpoints: Endpoints, sync_config: SyncConfig | None = None
) -> SyncParts:
    """Open the stores and build the sync engine on them, without `SyncEngine.setup`.

    The sync CLI uses this as it is (``recover`` must run where setup refuses);
    `build_services` sets the engine up.
    """
    from argo_agents.stores.embeddings import make_embedder
    from argo_agents.stores.factory import open_stores
    from argo_agents.sync.engine import SyncEngine

    stores = open_stores(endpoints, settings)
    embedder = make_embedder(settings)
    return SyncParts(stores, embedder, SyncEngine(stores, embedder, sync_config))


def build_services(
    settings: Settings | None = None,
    *,
    endpoints: Endpoints | None = None,
    model: BaseChatModel | ModelChoice = ModelChoice.FROM_SETTINGS,
    registry: AgentRegistry | None = None,
    policy: ApprovalPolicy | None = None,
    sync_config: SyncConfig | None = None,
    build_agents: AgentsBuilder = compile_agents,
) -> Services:
    """Complete services: stores and sync engine (schemas set up), model, policies, agents.

    ``endpoints`` defaults to the environment's stores, starting the local stack
    for those it does not name. The other arguments default to the settings.
    """
    from argo_agents.approval.policy import ApprovalPolicy
    from argo_agents.assignment.registry import AgentRegistry

    settings = settings or Settings()
    parts = open_sync(settings, endpoints or resolve_endpoints(settings), sync_config)
    try:
        parts.engine.setup()
    except BaseException:
        parts.close()
        raise
    if isinstance(model, ModelChoice):
        chosen = make_chat_model(settings) if model is ModelChoice.FROM_SETTINGS else None
    else:
        chosen = model
    return Services(
        settings=settings,
        stores=parts.stores,
        engine=parts.engine,
        embedder=parts.embedder,
        model=chosen,
        registry=registry
        or (
            AgentRegistry.from_spec(settings.agents) if settings.agents else AgentRegistry.default()
        ),
        policy=policy
        or ApprovalPolicy(
            budget_threshold_usd=settings.approval_budget_threshold_usd,
            plan_threshold_usd=settings.approval_plan_threshold_usd,
            gated_categories=frozenset(settings.approval_gated_categories),
        ),
        build_agents=build_agents,
    )


_default: Services | None = None
_lock = threading.Lock()


def default_services() -> Services:
    """Process-wide services from the environment, built on first use.

    This is what the graphs in `langgraph.json` use: the dev server imports
    them without any store running, and the first run starts the local stack.
    """
    global _default
    with _lock:
        if _default is None:
            _default = build_services()
        return _default


def studio_agent(kind: AgentKind) -> CompiledStateGraph:
    """One agent kind as a graph of its own (Studio), on the process-wide services.

    Compiled at import without opening anything: the dependencies are resolved on the
    first run, from `default_services`.
    """
    from argo_agents.agents.deps import AgentDeps
    from argo_agents.agents.graph import build_agent_graph

    def deps() -> AgentDeps:
        s = default_services()
        return AgentDeps(stores=s.stores, embedder=s.embedder, model=s.model)

    return build_agent_graph(kind, deps).compile(name=kind)
