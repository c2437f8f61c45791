"""Shared fixtures and probes of the sync integration tests (no tests here).

Test modules import the fixtures by their function names (``*_fixture``);
tests ask for them by fixture name. Every engine gets its own namespace (its
own outbox, ledger and metrics in the session Redis) and every test its own
entity ids, so tests never see each other's data although they share the
session's four servers.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from argo_agents.config import Settings
from argo_agents.config.endpoints import Endpoints
from argo_agents.stores.embeddings import HashingEmbedder
from argo_agents.stores.factory import Stores, open_stores
from argo_agents.stores.records import StoredVersion
from argo_agents.sync import SyncConfig, SyncEngine, SyncEvent
from argo_agents.sync.matrix import STORES, targets_of

# Timings shortened so the integration tests take seconds: claims, circuit waits and
# retry pauses. None of them changes what counts toward a dead letter
# (`max_deliveries` keeps its default); the long-fault tests use the defaults
# throughout (tests/integration/test_sync_long_faults.py).
FAST = {
    "claim_idle_ms": 300,
    "breaker_initial_s": 0.2,
    "breaker_max_s": 1.0,
    "retry_attempts": 2,
    "retry_initial_s": 0.02,
    "retry_max_s": 0.1,
    "block_ms": 50,
}


def uid(prefix: str = "e") -> str:
    """A globally unique entity id for one test."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def basis(*dims: int) -> list[float]:
    """A 384-dimension embedding with 1.0 on ``dims``: items sharing a dimension are
    near, items with none in common are orthogonal."""
    return [1.0 if d in dims else 0.0 for d in range(384)]


@pytest.fixture(scope="module", name="sync_stores")
def sync_stores_fixture(endpoints: Endpoints, stack_settings: Settings) -> Iterator[Stores]:
    stores = open_stores(endpoints, stack_settings)
    yield stores
    stores.close()


@pytest.fixture(name="make_engine")
def make_engine_fixture(sync_stores: Stores) -> Iterator[Callable[..., SyncEngine]]:
    """Engines on their own namespaces, reset and closed after the test."""
    made: list[SyncEngine] = []

    def factory(stores: Any = None, **config: Any) -> SyncEngine:
        cfg = SyncConfig(namespace=f"test:{uuid.uuid4().hex[:10]}", **{**FAST, **config})
        engine = SyncEngine(stores or sync_stores, HashingEmbedder(384), cfg)
        engine.setup()
        made.append(engine)
        return engine

    yield factory
    for engine in made:
        engine.close()
        engine.reset()


def holdings(engine: SyncEngine, etype: str, ids: list[str]) -> dict[str, dict[str, StoredVersion]]:
    """What each store holds (version, hash) for these entities."""
    return {
        s: engine.ctx.reader.versions(s, etype, ids)
        for s in STORES
        if not (s == "neo4j" and etype == "relationship")
    }


def assert_holds(engine: SyncEngine, events: list[SyncEvent]) -> None:
    """Each event's newest version is in exactly the stores the matrix names."""
    by_type: dict[str, dict[str, SyncEvent]] = {}
    for e in events:
        cur = by_type.setdefault(e.entity_type, {}).get(e.entity_id)
        if cur is None or (e.version or 0) > (cur.version or 0):
            by_type[e.entity_type][e.entity_id] = e
    for etype, newest in by_type.items():
        held = holdings(engine, etype, list(newest))
        targets = targets_of(etype, "orchestrator")
        for store, found in held.items():
            for eid, e in newest.items():
                if store in targets:
                    assert eid in found, f"{etype} {eid} missing in {store}"
                    assert (found[eid].version, found[eid].hash) == (e.version, e.hash), (
                        f"{etype} {eid} in {store}: {found[eid]} != v{e.version}"
                    )
                else:
                    assert eid not in found, f"{etype} {eid} must not be in {store}"


def raw_row_counts(stores: Stores, table: str, ids: list[str]) -> dict[str, int]:
    """Rows per id in a warehouse table itself (not its latest view): duplicates show here."""
    rows = stores.warehouse.query(
        f"SELECT id, COUNT(*) AS n FROM {{dataset}}.{table} WHERE id IN UNNEST(@ids) GROUP BY id",
        {"ids": ids},
    )
    return {r["id"]: int(r["n"]) for r in rows}
