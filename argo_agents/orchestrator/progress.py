"""Progress a long node reports while it runs, on LangGraph's custom stream."""

from __future__ import annotations

from typing import Any

from langgraph.config import get_stream_writer

ProgressData = dict[str, Any]
"""What a node reports while it runs: free-form JSON for Studio and SDK clients."""


def report_progress(data: ProgressData) -> None:
    """Send ``data`` on LangGraph's custom stream (Studio, langgraph-sdk, `Argo.stream_goal`);
    a no-op outside a streaming run."""
    try:
        get_stream_writer()(data)
    except RuntimeError:  # not inside a runnable context (a direct call in a test)
        pass
