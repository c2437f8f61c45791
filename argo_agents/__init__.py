"""ARGO: a LangGraph multi-agent orchestrator with consistent persistence in four stores."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from argo_agents.api import Argo, GoalRun

__all__ = ["Argo", "GoalRun"]


def __getattr__(name: str) -> Any:
    # Lazy, so `import argo_agents.config` does not import LangGraph and four clients.
    if name in __all__:
        from argo_agents import api

        return getattr(api, name)
    raise AttributeError(name)
