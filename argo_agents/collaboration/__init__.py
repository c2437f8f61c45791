"""How agents work together: messages (REQUEST / RESPONSE / CONSENSUS / ESCALATION)."""

from argo_agents.collaboration.messages import (
    AgentMessage,
    MessageBus,
    MessageError,
    MessageKind,
    MessagePriority,
)

__all__ = ["AgentMessage", "MessageBus", "MessageError", "MessageKind", "MessagePriority"]
