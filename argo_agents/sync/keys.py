"""Names of every Redis key the sync engine owns, in one place.

All keys carry the namespace as a hash tag (``{argo:sync}:...``): the publish
script touches the version counters, the ledger and the streams at once, and
on Redis Cluster a script's keys must live on one slot.
"""

from __future__ import annotations

from dataclasses import dataclass

from argo_agents.sync.events import Priority


@dataclass(frozen=True)
class Keys:
    """Key names under one namespace."""

    namespace: str

    @property
    def prefix(self) -> str:
        """``{namespace}``: the hash tag every key starts with."""
        return "{" + self.namespace + "}"

    def stream(self, priority: Priority | int) -> str:
        """The outbox stream of one priority."""
        return f"{self.prefix}:outbox:{int(priority)}"

    @property
    def streams(self) -> list[str]:
        """Outbox streams, most urgent first (the order workers read them in)."""
        return [self.stream(p) for p in sorted(Priority, reverse=True)]

    @property
    def versions(self) -> str:
        """Hash ``type|id`` → the newest version assigned."""
        return f"{self.prefix}:versions"

    @property
    def epoch(self) -> str:
        """Hash guarding `versions`: ``id`` (the counters' epoch) and ``used`` (see `epoch`)."""
        return f"{self.prefix}:epoch"

    def ledger(self, entity_type: str) -> str:
        """Hash ``id`` → ``version|hash|operation|source|publish_ms`` of the newest version."""
        return f"{self.prefix}:ledger:{entity_type}"

    def progress(self, event_id: str) -> str:
        """Hash of per-target progress of one event (targets done, attempts, retry time)."""
        return f"{self.prefix}:progress:{event_id}"

    def tombstone(self, entity_key: str) -> str:
        """Version at which ``type|id`` was deleted (older writes must not revive it)."""
        return f"{self.prefix}:tomb:{entity_key}"

    @property
    def dead_letters(self) -> str:
        """Stream of events that failed for good."""
        return f"{self.prefix}:dlq"

    @property
    def conflicts(self) -> str:
        """Hash conflict id → parked conflict (MANUAL strategy)."""
        return f"{self.prefix}:conflicts"

    @property
    def metrics(self) -> str:
        """Hash of counters."""
        return f"{self.prefix}:metrics"

    def latencies(self, store: str | None = None) -> str:
        """List of recent publish→applied latencies (ms), overall or for one store."""
        return f"{self.prefix}:latency" + (f":{store}" if store else "")

    @property
    def batches(self) -> str:
        """List of recent batches: ``end_ms,events,errors,seconds``."""
        return f"{self.prefix}:batches"

    def receipts(self, hour: int) -> str:
        """Hash event id → outcome, for events finished in one hour (epoch hours)."""
        return f"{self.prefix}:receipts:{hour}"

    @property
    def store_state(self) -> str:
        """Hash ``store`` → last success / last error, for lag and status."""
        return f"{self.prefix}:stores"
