"""`SyncWiring`: the engine's parts wired once from the stores, an embedder and a config.

The sync package's wiring: the engine facade, every worker and the CLI share
one context per process. The outbox is the stores' `streams` port, which the
store factory builds on the cache's connection (one Redis pool per process).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

from argo_agents.stores.embeddings import Embedder
from argo_agents.stores.factory import Stores
from argo_agents.sync import writers
from argo_agents.sync.applier import Writer
from argo_agents.sync.config import SyncConfig
from argo_agents.sync.conflicts import ConflictManager
from argo_agents.sync.deadletters import DeadLetters
from argo_agents.sync.keys import Keys
from argo_agents.sync.matrix import BIGQUERY, NEO4J, REDIS, SIMILAR, VECTOR
from argo_agents.sync.metrics import Metrics
from argo_agents.sync.outbox import Outbox
from argo_agents.sync.progress import ProgressStore
from argo_agents.sync.reader import StateReader

RECEIPT_TTL_S = 2 * 24 * 3600


class SyncWiring:
    """Everything a worker or the facade needs, built once per process."""

    def __init__(self, stores: Stores, embedder: Embedder, config: SyncConfig) -> None:
        self.stores = stores
        self.embedder = embedder
        self.config = config
        self.keys = Keys(config.namespace)
        self.redis = stores.streams
        self.outbox = Outbox(
            self.redis,
            self.keys,
            config.group,
            chunk=config.publish_chunk,
            chunk_bytes=config.publish_chunk_bytes,
        )
        self.progress = ProgressStore(
            self.redis, self.keys, config.progress_ttl_s, config.tombstone_ttl_s
        )
        self.reader = StateReader(stores)
        self.deadletters = DeadLetters(self.redis, self.keys, self.outbox)
        self.conflicts = ConflictManager(
            self.reader, self.outbox, self.progress, self.redis, self.keys, config
        )
        self.metrics = Metrics(self.redis, self.keys, config)

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Embed texts in one batch call."""
        return self.embedder.embed_documents(list(texts))

    def published_versions(self, entity_keys: list[str]) -> dict[str, int]:
        """The newest version ever published of each entity (the outbox's counters)."""
        values = self.redis.hget_fields(self.keys.versions, entity_keys)
        return {k: int(v) for k, v in zip(entity_keys, values, strict=True) if v is not None}

    def make_writers(self) -> dict[str, Writer]:
        """Fresh writers for one worker (the vector writer keeps per-batch state)."""
        s = self.stores
        vectors = writers.VectorWriter(s.vectors, self.embed, s.locks)
        return {
            REDIS: writers.CacheWriter(s.cache, s.cache.ttl_for, self.published_versions),
            NEO4J: writers.GraphWriter(s.graph),
            BIGQUERY: writers.WarehouseWriter(s.warehouse),
            VECTOR: vectors,
            SIMILAR: writers.SimilarWriter(s.vectors, s.graph, vectors, self.config.similar_k),
        }

    # ---- receipts: which events finished, and how -----------------------------------------
    def record_outcomes(self, outcomes: Mapping[str, str]) -> None:
        """Remember each finished event's outcome for `SyncEngine.receipt`."""
        if outcomes:
            hour = int(time.time() // 3600)
            self.redis.hset_many({self.keys.receipts(hour): dict(outcomes)}, RECEIPT_TTL_S)

    def outcomes(self, event_ids: Sequence[str]) -> dict[str, str]:
        """Recorded outcomes of the given events (those not finished are absent)."""
        hour = int(time.time() // 3600)
        found: dict[str, str] = {}
        for h in range(hour, hour - RECEIPT_TTL_S // 3600 - 1, -1):
            missing = [e for e in event_ids if e not in found]
            if not missing:
                break
            values = self.redis.hget_fields(self.keys.receipts(h), missing)
            found.update({e: v for e, v in zip(missing, values, strict=True) if v})
        return found
