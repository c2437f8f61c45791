"""What an agent needs from the outside world, supplied by the composition root.

Connections must never live in graph state or checkpoints (a checkpoint must be
resumable by any process), so
a graph is built with a `DepsProvider`: a zero-argument callable that the
nodes call at run time to get the open stores, the embedder and the optional
chat model. The entry point decides whether that opens connections lazily,
shares one bundle, or starts the local stack on first use.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from langchain_core.language_models import BaseChatModel

if TYPE_CHECKING:  # the store bundle imports no client at import time, but keep it lazy
    from argo_agents.stores.embeddings import Embedder
    from argo_agents.stores.factory import Stores
    from argo_agents.sync.events import SyncEvent


@dataclass(frozen=True)
class AgentDeps:
    """Open stores (``.cache``, ``.graph``, ``.warehouse``, ``.vectors``), an embedder, a model.

    ``model`` is None when no LLM is configured: the agent then works offline.
    """

    stores: Stores
    embedder: Embedder
    model: BaseChatModel | None = None
    publish: Callable[[Sequence[SyncEvent]], object] | None = None
    """The sync engine's publish: how agent messages are recorded (None: not recorded)."""
    messages_namespace: str = "argo:agents"
    """Prefix of the agent-message streams in Redis."""
    consensus_rule: Literal["majority", "confidence", "past_success"] = "confidence"
    """How votes on competing options are counted (ARGO_CONSENSUS_RULE)."""
    llm_fallback: Literal["offline", "never"] = "offline"
    """When the model fails: the offline policy (recorded in the result), or an error."""


DepsProvider = Callable[[], AgentDeps]
