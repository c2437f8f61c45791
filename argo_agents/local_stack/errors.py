"""Typed errors of the local stack; each says what failed and what to do."""

from __future__ import annotations


class StackError(RuntimeError):
    """The embedded local stack could not do what was asked."""


class PortBusyError(StackError):
    """A fixed port from the configuration is already taken by another process."""


class MissingBinaryError(StackError):
    """A server program the stack needs is not installed."""


class MissingStoreConfigError(StackError):
    """Stores are not configured and the local stack may not start (ARGO_LOCAL_STACK=never)."""


class ServerStartError(StackError):
    """A server process exited or never became healthy; its log says why."""


class StackEnvMissingError(StackError):
    """The local stack's own environment (bqemulator, DuckDB) is missing or outdated."""


class StackEnvInstallError(StackError):
    """Making the local stack's own environment failed; the message carries pip's reason."""
