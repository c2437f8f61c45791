"""Leases: a live worker keeps its entries; a dead one's are claimed and it is forgotten.

Another worker claims an entry once it has been pending ``claim_idle_ms``
without news (XAUTOCLAIM): that is how a dead worker's entries move on. A
worker still busy with a long batch must not lose them that way, or two
workers apply the same events at once (the warehouse, append-only, would
get the rows twice). So while a batch is in flight a heartbeat renews the
batch's entries every third of ``claim_idle_ms`` (`Outbox.renew`: their idle
time restarts, the delivery count does not grow). A process that dies stops
renewing, and its entries are claimed as before.

A hung batch must not hold its entries forever either: the heartbeat gives
up after `MAX_HOLD_FACTOR` × ``claim_idle_ms`` (10 minutes by default),
far beyond the slowest healthy batch.

Consumers that hold nothing and have been idle `DEAD_AFTER_FACTOR` ×
``claim_idle_ms`` are deleted from the group (`sweep`); a worker deletes
its own consumer when it closes with nothing pending.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from argo_agents.stores.errors import StoreError
from argo_agents.sync.outbox import Delivery, Outbox

log = logging.getLogger(__name__)

MAX_HOLD_FACTOR = 40
DEAD_AFTER_FACTOR = 10


class Lease:
    """Renews one worker's hold on the entries of the batch it is processing."""

    def __init__(self, outbox: Outbox, consumer: str, claim_idle_ms: int) -> None:
        self.outbox = outbox
        self.consumer = consumer
        self.interval_s = max(0.05, claim_idle_ms / 3000)
        self.max_hold_s = MAX_HOLD_FACTOR * claim_idle_ms / 1000
        self.renewals = 0  # renew calls made (tests and logs)

    @contextmanager
    def hold(self, deliveries: Sequence[Delivery]) -> Iterator[None]:
        """Renew ``deliveries`` in a background thread until the block ends."""
        done = threading.Event()
        beat = threading.Thread(
            target=self._beat,
            args=(list(deliveries), done),
            name=f"sync-lease-{self.consumer}",
            daemon=True,
        )
        beat.start()
        try:
            yield
        finally:
            done.set()

    def _beat(self, deliveries: list[Delivery], done: threading.Event) -> None:
        until = time.monotonic() + self.max_hold_s
        while not done.wait(self.interval_s):
            if time.monotonic() > until:
                log.warning(
                    "sync worker %s: a batch of %d events has run for over %.0fs; no "
                    "longer holding its entries, so other workers may claim them",
                    self.consumer,
                    len(deliveries),
                    self.max_hold_s,
                )
                return
            try:
                lost = self.outbox.renew(self.consumer, deliveries)
                self.renewals += 1
            except StoreError as exc:  # Redis is away: the batch itself will notice
                log.debug("sync worker %s: lease renewal failed: %s", self.consumer, exc)
                continue
            if lost:
                log.warning(
                    "sync worker %s: %d entries of its batch were claimed by another "
                    "worker meanwhile (renewed too late?)",
                    self.consumer,
                    len(lost),
                )


class ConsumerSweeper:
    """Deletes consumers that are gone: idle long and holding nothing."""

    def __init__(self, outbox: Outbox, consumer: str, claim_idle_ms: int) -> None:
        self.outbox = outbox
        self.consumer = consumer
        self.claim_idle_ms = claim_idle_ms
        self._next = 0.0  # the next periodic sweep
        self._next_after_claim = 0.0  # sweeps after claims: at most one per claim_idle_ms

    @property
    def dead_after_ms(self) -> int:
        """Idle time after which a consumer holding nothing counts as gone."""
        return DEAD_AFTER_FACTOR * self.claim_idle_ms

    def sweep(self, *, claimed: bool) -> list[str]:
        """After a claim took entries (``claimed``), or every `dead_after_ms`, delete the gone."""
        now = time.monotonic()
        if now < self._next and not (claimed and now >= self._next_after_claim):
            return []
        self._next = now + self.dead_after_ms / 1000
        self._next_after_claim = now + self.claim_idle_ms / 1000
        gone = self.outbox.drop_idle_consumers(self.dead_after_ms, keep=self.consumer)
        if gone:
            log.info("sync worker %s: removed gone consumers %s", self.consumer, ", ".join(gone))
        return gone

    def leave(self) -> None:
        """Delete this worker's own consumer if it holds nothing (a clean shutdown)."""
        try:
            self.outbox.drop_consumer(self.consumer)
        except StoreError as exc:  # shutting down while Redis is away: nothing to tidy
            log.debug("sync worker %s: could not leave the group: %s", self.consumer, exc)
