"""The embedded local stack: real Redis, ArcadeDB (Bolt), bqemulator and Chroma servers."""

from argo_agents.local_stack.stack import LocalStack, ServerStatus

__all__ = ["LocalStack", "ServerStatus"]
