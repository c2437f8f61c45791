"""integrate_results and sync_to_stores: the run's outcome, and the wait for all its records.

Every record goes through the sync engine (durable outbox → workers → four
stores); earlier nodes published theirs when they finished. This node
publishes the outcome and waits, off the event loop, until the engine has
applied every record of the run or the context's timeout passes; the receipt
says which. If it fails (Redis down), the run can be continued: its records
carry deterministic versions, so publishing them again changes nothing.
"""

from __future__ import annotations

import asyncio

from langgraph.runtime import Runtime

from argo_agents.approval.record import RecordConflict, load_record, save_record
from argo_agents.orchestrator.context import Context
from argo_agents.orchestrator.outcome import integrate, outcome_events, with_stats
from argo_agents.orchestrator.pattern_stats import count_run
from argo_agents.orchestrator.progress import report_progress
from argo_agents.orchestrator.state import State, integration_of
from argo_agents.services import Services, ServicesProvider
from argo_agents.stores.errors import StoreError
from argo_agents.sync.reports import SyncReceipt


def _stored_counts(services: Services, pattern_id: str) -> tuple[int, int]:
    """(occurrences, successes) of the pattern as the graph store holds it."""
    try:
        node = services.stores.graph.get_nodes("Pattern", [pattern_id]).get(pattern_id)
    except StoreError:
        node = None  # unknown history: the pattern starts again from this run
    if node is None:
        return 0, 0
    n = int(node.get("occurrences") or 0)
    return n, round(float(node.get("success_rate") or 0.0) * n)


def _close_record(services: Services, run_id: str) -> None:
    """The run is over: the gate's clearance ends, so no replay of its checkpoints runs a step."""
    for _ in range(5):  # compare-and-set: retry if the record moved meanwhile
        record = load_record(services.stores.records, run_id)
        if record is None or record.status == "closed":
            return
        try:
            save_record(services.stores.records, record.model_copy(update={"status": "closed"}))
            return
        except RecordConflict:
            continue
    raise RecordConflict(f"could not close the approval record of run {run_id}")


class OutcomeNodes:
    """integrate_results → sync_to_stores."""

    def __init__(self, services: ServicesProvider) -> None:
        self._services = services

    def integrate_results(self, state: State) -> State:
        """Combine the results by step and by agent; learn the run's pattern."""
        integration = integrate(state)
        return {"integration": integration, "status": integration["status"]}

    async def sync_to_stores(self, state: State, runtime: Runtime[Context]) -> State:
        """Publish the run's records and wait for the four stores to apply them."""
        services = await asyncio.to_thread(self._services)
        timeout = runtime.context.sync_timeout_s if runtime.context else 120.0
        learned = integration_of(state)["learned_pattern"]
        counts = await asyncio.to_thread(
            count_run,
            services.stores.records,
            learned["id"],
            state["run_id"],
            learned["success"],
            lambda: _stored_counts(services, learned["id"]),
        )
        events = outcome_events(state, with_stats(learned, *counts))
        report_progress({"event": "sync_started", "records": len(events), "timeout_s": timeout})

        def publish_and_apply() -> SyncReceipt:
            ids = services.engine.publish(events)
            services.engine.drain(timeout_s=timeout)
            mine = list(dict.fromkeys([*(state.get("published") or []), *ids]))
            return services.engine.receipt(mine)

        receipt = await asyncio.to_thread(publish_and_apply)
        report_progress({"event": "sync_finished", **receipt.model_dump(mode="json")})
        await asyncio.to_thread(_close_record, services, state["run_id"])
        return {"sync_receipt": receipt.model_dump(mode="json")}
