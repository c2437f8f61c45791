"""Prometheus metrics of ARGO's runs, served by the bridge beside the sync figures.

Read at scrape time from the checkpointer, where every run lives (the Python
API's, the CLI's, the bridge's and, with langgraph.json's checkpointer, the
server's): how many runs are in each state and how many steps wait for the
Director. One scrape reads each thread once, so scrape this every 15 s or
slower on a deployment with many threads.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING, get_args

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from argo_agents.api import Argo
    from argo_agents.bridge.server import LayerBridge

log = logging.getLogger(__name__)


def _statuses() -> tuple[str, ...]:
    from argo_agents.api import RunStatus  # the API's statuses (`stalled` included)

    return get_args(RunStatus)


class RunsCollector(Collector):
    """``argo_runs{status}``, ``argo_pending_approvals``, ``argo_pending_escalations``;
    ``argo_runs_up`` 0 when the checkpointer cannot be read (the other figures are then
    left out, not reported as 0)."""

    def __init__(self, argo: Argo) -> None:
        self.argo = argo

    def collect(self) -> Iterator[Metric]:
        """One read of every run."""
        up = GaugeMetricFamily("argo_runs_up", "1 when the runs could be read")
        try:
            runs = self.argo.list_runs()
        except Exception as exc:  # a scrape must answer; the reason goes to the log
            log.warning("metrics: the runs could not be read: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        counted: Counter[str] = Counter(str(run.status) for run in runs)
        by_status = GaugeMetricFamily("argo_runs", "Runs by status", labels=["status"])
        for status in sorted(set(_statuses()) | set(counted)):
            by_status.add_metric([status], counted.get(status, 0))
        yield by_status
        waiting = sum(len(run.pending_approvals) for run in runs)
        yield GaugeMetricFamily(
            "argo_pending_approvals", "Steps waiting for the Director's decision", value=waiting
        )
        asked = sum(len(run.pending_escalations) for run in runs)
        yield GaugeMetricFamily(
            "argo_pending_escalations", "Agents' questions waiting for the Director", value=asked
        )


class BridgeCollector(Collector):
    """``argo_bridge_requests``: front-layer requests the bridge has handled."""

    def __init__(self, bridge: LayerBridge) -> None:
        self.bridge = bridge

    def collect(self) -> Iterator[Metric]:
        """The bridge's own count (this process)."""
        yield CounterMetricFamily(
            "argo_bridge_requests", "Front-layer requests handled", value=self.bridge.handled
        )
