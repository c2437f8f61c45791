"""Typed errors of the local stack; each says what failed and what to do."""

from __future__ import annotations


class StackError(RuntimeError):
    """The embedded local stack could not do what was asked."""


class PortBusyError(StackError):
    """A fixed port from the configuration is already taken by another process."""


class MissingBinaryError(StackError):
    """A server program the stack needs is not installed."""


class ServerStartError(StackError):
    """A server process exited or never became healthy; its log says why."""
