"""Composition root: what is built from what, once per process.

Entry points (graphs for `langgraph dev`, the Python API, the CLI) are thin:
they ask this module for `Services` (or, for the sync CLI, the sync parts) and
compile the same graph builders. Connections are opened here on first use,
never at import time and never stored in graph state or checkpoints.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from pydantic import SecretStr

from argo_agents.agents.graph import compile_agents
from argo_agents.config import Settings
from argo_agents.config.endpoints import Endpoints
from argo_agents.local_stack.errors import MissingStoreConfigError
from argo_agents.services import AgentsBuilder, Services, ServicesProvider

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langgraph.graph.state import CompiledStateGraph

    from argo_agents.agents.models import AgentKind
    from argo_agents.approval.policy import ApprovalPolicy
    from argo_agents.assignment.registry import AgentRegistry
    from argo_agents.executors.registry import ExecutorRegistry
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


STORE_VARIABLES = {
    "redis": "ARGO_REDIS_URL",
    "neo4j": "ARGO_NEO4J_URI (with ARGO_NEO4J_USER and ARGO_NEO4J_PASSWORD)",
    "bigquery": "ARGO_BIGQUERY_ENDPOINT (https://bigquery.googleapis.com for Google's) "
    "and ARGO_BIGQUERY_PROJECT",
    "chroma": "ARGO_CHROMA_HOST (and ARGO_CHROMA_PORT)",
}


def may_start_local_stack(settings: Settings) -> bool:
    """Whether missing stores may be served by the embedded local stack here.

    Never when ``ARGO_LOCAL_STACK=never``; with ``auto``, not inside a deployed
    LangGraph server (its image sets ``LANGGRAPH_RUNTIME_EDITION=postgres``; an
    internal variable, so this is a best effort and ``never`` is the sure way).
    """
    if settings.local_stack == "never":
        return False
    return os.environ.get("LANGGRAPH_RUNTIME_EDITION", "inmem") != "postgres"


def resolve_endpoints(settings: Settings) -> Endpoints:
    """External stores from the environment, the rest from the local stack (started if needed).

    No health pass here: opening the stores right after is the check, and its
    errors name the store and what to do.
    """
    from argo_agents.local_stack import LocalStack

    stack = LocalStack(settings)
    if managed := stack.managed_names():
        if not may_start_local_stack(settings):
            raise MissingStoreConfigError(
                f"no external store is configured for {', '.join(managed)} and the local "
                "stack may not start here (ARGO_LOCAL_STACK=never, or a deployed LangGraph "
                "server); set " + "; ".join(STORE_VARIABLES[n] for n in managed)
            )
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
    executors: ExecutorRegistry | None = None,
) -> Services:
    """Complete services: stores and sync engine (schemas set up), model, policies, agents.

    ``endpoints`` defaults to the environment's stores, starting the local stack
    for those it does not name. The other arguments default to the settings.
    """
    from argo_agents.approval.policy import ApprovalPolicy
    from argo_agents.assignment.registry import AgentRegistry
    from argo_agents.executors.registry import ExecutorRegistry

    settings = settings or Settings()
    # checked before anything is opened: a bad executor config fails fast, naming what to fix
    executors = executors if executors is not None else ExecutorRegistry.from_settings(settings)
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
        executors=executors,
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
        return s.agent_deps()

    return build_agent_graph(kind, deps).compile(name=kind)
