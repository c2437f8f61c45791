"""Idempotence and order: duplicates and shuffled versions end at the newest version, once."""

from __future__ import annotations

import random

import pytest

from argo_agents.sync import SyncEvent
from tests.integration.test_sync_support import (  # noqa: F401  (fixtures)
    assert_holds,
    basis,
    make_engine_fixture,
    raw_row_counts,
    sync_stores_fixture,
    uid,
)

pytestmark = pytest.mark.integration


def versions_of(run: str, n_entities: int, n_versions: int) -> list[SyncEvent]:
    out = []
    for i in range(n_entities):
        for v in range(1, n_versions + 1):
            etype = ("knowledge", "metric", "goal")[i % 3]
            data = {"text": f"{run} item {i} version {v}", "name": "m", "value": float(v)}
            out.append(SyncEvent(entity_type=etype, entity_id=f"{run}-{i}", data=data, version=v))
    return out


def test_duplicates_and_shuffled_versions_end_at_the_newest_without_duplicates(
    make_engine, sync_stores
):
    engine = make_engine(batch_size=20, batch_max=40)  # small batches: versions cross batches
    run = uid("redeliver")
    events = versions_of(run, 30, 4)
    shuffled = events * 2  # every event delivered twice
    random.Random(3).shuffle(shuffled)
    for start in range(0, len(shuffled), 25):  # several publishes, so batches interleave
        engine.publish(shuffled[start : start + 25])
    report = engine.drain(timeout_s=90)
    assert report.complete and report.conflicts == 0 and report.dead_lettered == 0

    assert_holds(engine, events)  # the newest version (4) of every entity, everywhere
    assert engine.verify().divergence == 0
    # Two copies of each version were delivered; the warehouse holds each version at most once.
    for table, etype in (("metrics", "metric"), ("knowledge_base", "knowledge")):
        ids = [e.entity_id for e in events if e.entity_type == etype and e.version == 1]
        counts = raw_row_counts(sync_stores, table, ids)
        assert counts and max(counts.values()) <= 4, counts
    rows = sync_stores.warehouse.query(
        "SELECT id, version, COUNT(*) AS n FROM {dataset}.metrics WHERE STARTS_WITH(id, @run) "
        "GROUP BY id, version HAVING COUNT(*) > 1",
        {"run": run},
    )
    assert rows == []


def test_an_older_version_published_later_changes_nothing(make_engine, sync_stores):
    engine = make_engine()
    eid = uid("late")
    new = SyncEvent(entity_type="knowledge", entity_id=eid, data={"text": "new"}, version=5)
    old = SyncEvent(entity_type="knowledge", entity_id=eid, data={"text": "old"}, version=2)
    engine.publish([new])
    engine.drain(timeout_s=30)
    engine.publish([old])
    assert engine.drain(timeout_s=30).complete
    assert_holds(engine, [new])
    assert sync_stores.cache.get_many([f"knowledge:{eid}"])[f"knowledge:{eid}"] == {"text": "new"}


def test_engine_assigns_increasing_versions_per_entity(make_engine):
    engine = make_engine()
    eid = uid("auto")
    for text in ("a", "b", "c"):
        engine.publish([SyncEvent(entity_type="goal", entity_id=eid, data={"text": text})])
    engine.drain(timeout_s=30)
    held = engine.ctx.reader.versions("redis", "goal", [eid])[eid]
    assert held.version == 3
    assert engine.ctx.stores.cache.get_many([f"goal:{eid}"])[f"goal:{eid}"] == {"text": "c"}


def test_a_delete_wins_over_older_versions_arriving_after_it(make_engine, sync_stores):
    engine = make_engine()
    eid = uid("del")
    engine.publish(
        [SyncEvent(entity_type="knowledge", entity_id=eid, data={"text": "v1"}, version=1)]
    )
    engine.drain(timeout_s=30)
    engine.publish(
        [SyncEvent(entity_type="knowledge", entity_id=eid, operation="delete", version=3)]
    )
    engine.drain(timeout_s=30)
    engine.publish(
        [SyncEvent(entity_type="knowledge", entity_id=eid, data={"text": "v2"}, version=2)]
    )
    assert engine.drain(timeout_s=30).complete
    held = engine.ctx.reader
    assert held.versions("redis", "knowledge", [eid]) == {}
    assert held.versions("neo4j", "knowledge", [eid]) == {}
    assert held.versions("chroma", "knowledge", [eid]) == {}
    assert held.versions("bigquery", "knowledge", [eid])[eid].version == 3  # the delete row
    assert engine.verify("knowledge").divergence == 0


def test_an_older_version_arriving_late_does_not_add_its_similar_to_edges(make_engine, sync_stores):
    """A late older version is "already applied" in every store; its neighbours (searched
    from its own embedding) must not be linked to the item beside the newer version's,
    nor may it lower the version on the newer version's edges."""
    engine = make_engine()
    run = uid("latesim")
    near_old = SyncEvent(
        entity_type="knowledge", entity_id=f"{run}-old", data={"text": "o", "embedding": basis(5)}
    )
    near_new = SyncEvent(
        entity_type="knowledge", entity_id=f"{run}-new", data={"text": "n", "embedding": basis(9)}
    )
    engine.publish([near_old])
    assert engine.drain(timeout_s=60).complete
    item = f"{run}-item"
    newer = {"text": "newer", "embedding": basis(9, 10)}
    # Published with the newer version, so the SIMILAR_TO stage links it exactly (items of
    # one batch are compared exactly): Chroma's approximate search over the shared test
    # collection, full of other tests' orthogonal and identical vectors, was seen to miss it.
    engine.publish(
        [near_new, SyncEvent(entity_type="knowledge", entity_id=item, data=newer, version=4)]
    )
    assert engine.drain(timeout_s=60).complete
    older = {"text": "older", "embedding": basis(5, 6)}
    engine.publish([SyncEvent(entity_type="knowledge", entity_id=item, data=older, version=2)])
    assert engine.drain(timeout_s=60).complete

    edges = sync_stores.graph.query(
        "MATCH (:Knowledge {id: $k})-[r:SIMILAR_TO]->(b) RETURN b.id AS dst, r.src_version AS v",
        {"k": item},
    )
    assert {"dst": near_new.entity_id, "v": 4} in edges
    assert {e["v"] for e in edges} == {4}, edges
