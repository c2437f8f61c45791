"""OpenTelemetry spans around sync publishes and store writes (the ``otel`` extra).

Without ``opentelemetry-api`` installed every span here is a no-op; with it,
spans go to whatever tracer provider the process configured (none: the API's
own no-op). Attribute values are counts, names and outcomes, never event data.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

try:
    from opentelemetry import trace
except ImportError:  # the extra is not installed: spans cost nothing
    trace = None  # type: ignore[assignment]

TRACER_NAME = "argo_agents"
AttributeValue = str | int | float | bool


class Span:
    """One span's attributes, set as the work learns them (no-op without OpenTelemetry)."""

    def __init__(self, span: Any = None) -> None:
        self._span = span

    def set(self, key: str, value: AttributeValue) -> None:
        """Set the attribute ``argo.<key>``."""
        if self._span is not None:
            self._span.set_attribute(f"argo.{key}", value)


@contextmanager
def span(name: str, **attributes: AttributeValue) -> Iterator[Span]:
    """A span named ``name`` with ``attributes`` (``argo.`` is prefixed to each key).

    An exception leaving the block is recorded on the span (OpenTelemetry's
    default) and re-raised; ``argo.outcome`` then names its type.
    """
    if trace is None:
        yield Span()
        return
    prefixed = {f"argo.{key}": value for key, value in attributes.items()}
    with trace.get_tracer(TRACER_NAME).start_as_current_span(name, attributes=prefixed) as s:
        handle = Span(s)
        try:
            yield handle
        except BaseException as exc:
            handle.set("outcome", f"error: {type(exc).__name__}")
            raise
