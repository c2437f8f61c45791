"""Composition root: builds ARGO's services from settings, once per process.

Entry points (graphs for `langgraph dev`, the Python API, the CLI) are thin:
they ask this module for `Services` and compile the same graph builders.
Connections are opened here on first use, never at import time and never
stored in graph state or checkpoints.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from argo_agents.config import Settings
from argo_agents.config.endpoints import Endpoints
from argo_agents.services import Services, ServicesProvider

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from argo_agents.approval.policy import ApprovalPolicy
    from argo_agents.assignment.registry import AgentRegistry

log = logging.getLogger(__name__)

__all__ = ["Services", "ServicesProvider", "build_services", "default_services"]


def make_chat_model(settings: Settings) -> BaseChatModel | None:
    """`ChatOpenAI` on any OpenAI-compatible endpoint when configured; else None (offline)."""
    if not settings.llm_configured:
        return None
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model=settings.llm_model,
        api_key=settings.openai_api_key,  # type: ignore[arg-type]
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


def build_services(
    settings: Settings | None = None,
    *,
    endpoints: Endpoints | None = None,
    model: BaseChatModel | None | str = "auto",
    registry: AgentRegistry | None = None,
    policy: ApprovalPolicy | None = None,
    sync_config: Any = None,
) -> Services:
    """Open the stores and the sync engine; set up schemas idempotently."""
    from argo_agents.approval.policy import ApprovalPolicy
    from argo_agents.assignment.registry import AgentRegistry
    from argo_agents.stores.embeddings import make_embedder
    from argo_agents.stores.factory import open_stores
    from argo_agents.sync.engine import SyncEngine

    settings = settings or Settings()
    endpoints = endpoints or resolve_endpoints(settings)
    stores = open_stores(endpoints, settings)
    embedder = make_embedder(settings)
    engine = SyncEngine(stores, embedder, sync_config)
    engine.setup()
    return Services(
        settings=settings,
        stores=stores,
        engine=engine,
        embedder=embedder,
        model=make_chat_model(settings) if model == "auto" else model,  # type: ignore[arg-type]
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
            _default = attach_agents(build_services())
        return _default


def attach_agents(services: Services) -> Services:
    """Compile the agent subgraphs against these services (once)."""
    if not services.agent_graphs:
        from argo_agents.agents.graph import AGENT_KINDS, build_agent_graph
        from argo_agents.agents.tools import AgentTools

        def tools() -> AgentTools:
            return AgentTools(
                stores=services.stores, embedder=services.embedder, model=services.model
            )

        services.agent_graphs = {
            kind: build_agent_graph(kind, tools).compile(name=kind) for kind in AGENT_KINDS
        }
    return services
