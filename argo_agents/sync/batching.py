"""Adaptive batch size: the digest's rule, plus growth while batches come back full.

The source design halves the batch when one takes longer than 1 s (min 10)
and doubles it when throughput falls under 50 events/s (max 200). That rule
alone never grows a batch under heavy, healthy load, so a full batch that
finished in under half the latency budget also doubles it: big batches are
what the stores' batch writes are fast at. Limits are `SyncConfig` fields.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class AdaptiveBatchSize:
    """The next batch size, adjusted after every batch."""

    size: int = 100
    minimum: int = 10
    maximum: int = 200
    slow_s: float = 1.0
    low_throughput: float = 50.0

    def __post_init__(self) -> None:
        self.size = max(self.minimum, min(self.maximum, self.size))

    def observe(self, events: int, seconds: float) -> int:
        """Record one batch of ``events`` that took ``seconds``; return the next size."""
        if events <= 0:
            return self.size  # an empty poll says nothing about the stores
        throughput = events / seconds if seconds > 0 else float("inf")
        if seconds > self.slow_s:
            self.size = max(self.minimum, self.size // 2)
        elif throughput < self.low_throughput or (
                events >= self.size and seconds < self.slow_s / 2):
            self.size = min(self.maximum, self.size * 2)
        return self.size
