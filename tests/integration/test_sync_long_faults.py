"""Long faults with the default limits: an outage is never poison, and poison hurts only itself.

Each engine here keeps `SyncConfig`'s defaults for everything that decides what
is dead-lettered (`max_deliveries` = 12, the retry counts); a knob that is
changed says why beside it.
"""

from __future__ import annotations

import dataclasses
import random
import threading
import time

import pytest

from argo_agents.stores.factory import open_vectors
from argo_agents.sync import Backpressure, SyncConfig, SyncEngine, SyncEvent
from argo_agents.sync.events import Priority
from argo_agents.sync.housekeeping import prune_deleted
from argo_agents.sync.writers import WarehouseWriter
from tests.integration.test_sync_store_outage import own_chroma  # noqa: F401  (fixture)
from tests.integration.test_sync_support import (  # noqa: F401  (fixtures)
    assert_holds,
    make_engine_fixture,
    raw_row_counts,
    sync_stores_fixture,
    uid,
)

pytestmark = pytest.mark.integration

DEFAULTS = SyncConfig()
# The circuit's waits are shortened only so that many more than 12 outage rounds
# fit into seconds; how many rounds count toward a dead letter is not changed.
QUICK_CIRCUIT = {"breaker_initial_s": 0.05, "breaker_max_s": 0.2}


def defaults(**changed: object) -> dict[str, object]:
    """SyncConfig's own values for every knob the test support would otherwise speed up."""
    keys = (
        "claim_idle_ms",
        "breaker_initial_s",
        "breaker_max_s",
        "retry_attempts",
        "retry_initial_s",
        "retry_max_s",
        "block_ms",
        "max_deliveries",
    )
    return {**{k: getattr(DEFAULTS, k) for k in keys}, **changed}


def test_an_outage_longer_than_the_delivery_limit_dead_letters_nothing(
    make_engine,
    sync_stores,
    endpoints,
    own_chroma,  # noqa: F811  (the fixture, imported)
):
    port = int(own_chroma._read_state()["chroma"]["ports"]["main"])
    vectors = open_vectors(endpoints.with_(chroma_port=port, timeout_s=2.0))
    engine: SyncEngine = make_engine(
        dataclasses.replace(sync_stores, vectors=vectors), **defaults(**QUICK_CIRCUIT)
    )
    run = uid("long-outage")
    events = [
        SyncEvent(
            entity_type="knowledge", entity_id=f"{run}-{i}", data={"text": f"long outage item {i}"}
        )
        for i in range(30)
    ]
    own_chroma.down()
    engine.publish(events)
    deadline = time.monotonic() + 120
    rounds = 0
    while rounds <= 3 * DEFAULTS.max_deliveries and time.monotonic() < deadline:
        engine.drain(timeout_s=1)
        rounds = engine.status().failures // len(events)  # rounds that tried the store
    assert rounds > 3 * DEFAULTS.max_deliveries, "the outage lasted many delivery limits"
    assert engine.dead_letters() == []
    status = engine.status()
    assert status.outbox == len(events) and status.stores["chroma"].last_error
    assert status.stores["chroma"].lag_s > 0, "argo sync status shows the lag"

    own_chroma.up(only=["chroma"])  # same port, same data
    assert engine.drain(timeout_s=90).complete
    assert engine.dead_letters() == []
    assert_holds(engine, [e.model_copy(update={"version": 1}) for e in events])
    vectors.close()


def test_a_record_that_breaks_the_writer_is_isolated_and_only_it_is_dead_lettered(make_engine):
    # a poison no store refuses: an 'embedding' that is not numbers raises in the writer
    engine = make_engine(**defaults(**QUICK_CIRCUIT))
    run = uid("broken")
    good = [
        SyncEvent(
            entity_type="knowledge",
            entity_id=f"{run}-{i}",
            data={"text": f"fine {i}", "embedding": [0.1] * 384},
        )
        for i in range(40)
    ]
    poison = SyncEvent(
        entity_type="knowledge",
        entity_id=f"{run}-bad",
        data={"text": "not numbers", "embedding": ["x"] * 384},
    )
    engine.publish(good[:20] + [poison] + good[20:])
    deadline = time.monotonic() + 120
    while engine.dead_letters() == [] and time.monotonic() < deadline:
        engine.drain(timeout_s=2)
    assert_holds(engine, [e.model_copy(update={"version": 1}) for e in good])
    [letter] = engine.dead_letters()
    assert (letter.store, letter.kind) == ("chroma", "broken")
    assert "ValueError" in letter.error and letter.attempts == DEFAULTS.max_deliveries
    held = engine.ctx.reader  # the stores the poison did not break took it
    assert poison.entity_id in held.versions("neo4j", "knowledge", [poison.entity_id])
    assert held.versions("chroma", "knowledge", [poison.entity_id]) == {}


def test_a_relationship_is_deleted_like_any_entity(make_engine, sync_stores):
    engine = make_engine()
    run = uid("rel")
    ends = [
        SyncEvent(entity_type="agent", entity_id=f"{run}-{x}", data={"text": x}) for x in ("a", "b")
    ]
    edge = {
        "type": "MENTORS",
        "src_label": "Agent",
        "src_id": f"{run}-a",
        "dst_label": "Agent",
        "dst_id": f"{run}-b",
    }
    engine.publish([*ends, SyncEvent(entity_type="relationship", entity_id=f"{run}-r", data=edge)])
    assert engine.drain(timeout_s=60).complete
    count = "MATCH (:Agent {id: $a})-[r:MENTORS]->(:Agent {id: $b}) RETURN count(r) AS n"
    params = {"a": f"{run}-a", "b": f"{run}-b"}
    assert sync_stores.graph.query(count, params)[0]["n"] == 1
    engine.publish(
        [SyncEvent(entity_type="relationship", entity_id=f"{run}-r", operation="delete", data=edge)]
    )
    report = engine.drain(timeout_s=60)
    assert report.complete and report.dead_lettered == 0
    assert sync_stores.graph.query(count, params)[0]["n"] == 0
    assert sync_stores.graph.get_nodes("Agent", [f"{run}-a", f"{run}-b"]).keys() == {
        f"{run}-a",
        f"{run}-b",
    }


class TimeoutAfterInsert(WarehouseWriter):
    """The warehouse applies the first insert, then the answer is lost (a timeout)."""

    def __init__(self, real: WarehouseWriter) -> None:
        super().__init__(real.warehouse)
        self.timed_out = False

    def write(self, jobs):  # type: ignore[no-untyped-def]
        out = super().write(jobs)
        if not self.timed_out:
            self.timed_out = True
            from argo_agents.stores.errors import StoreUnavailable

            raise StoreUnavailable("bigquery", "test", "read timed out after the insert")
        return out


def test_a_timeout_after_an_applied_insert_leaves_no_duplicate_row(make_engine, sync_stores):
    engine = make_engine(**defaults())
    worker = engine.worker()
    worker.applier.writers = {
        **worker.applier.writers,
        "bigquery": TimeoutAfterInsert(worker.applier.writers["bigquery"]),
    }  # type: ignore[arg-type]
    run = uid("timeout")
    events = [
        SyncEvent(entity_type="metric", entity_id=f"{run}-{i}", data={"name": "n", "value": i})
        for i in range(16)
    ]  # engine versions
    engine.publish(events)
    deadline = time.monotonic() + 60
    while engine.status().outbox and time.monotonic() < deadline:
        worker.step(block_ms=50)
    worker.close()
    assert raw_row_counts(sync_stores, "metrics", [e.entity_id for e in events]) == {
        e.entity_id: 1 for e in events
    }


def test_an_older_update_cannot_revive_an_entity_whose_delete_is_still_in_flight(
    make_engine,
    sync_stores,
    endpoints,
    own_chroma,  # noqa: F811  (the fixture, imported)
):
    port = int(own_chroma._read_state()["chroma"]["ports"]["main"])
    vectors = open_vectors(endpoints.with_(chroma_port=port, timeout_s=2.0))
    engine = make_engine(dataclasses.replace(sync_stores, vectors=vectors))
    key = uid("revive")
    item = {"text": "an item that will be deleted"}
    engine.publish([SyncEvent(entity_type="knowledge", entity_id=key, data=item, version=1)])
    assert engine.drain(timeout_s=60).complete
    own_chroma.down()  # the delete is applied everywhere but the vector store, for now
    engine.publish(
        [SyncEvent(entity_type="knowledge", entity_id=key, operation="delete", data={}, version=3)]
    )
    engine.drain(timeout_s=3)
    held = engine.ctx.reader
    assert held.versions("neo4j", "knowledge", [key]) == {}
    # an older update arrives late (a redelivery, a replay, a slow producer)
    engine.publish(
        [SyncEvent(entity_type="knowledge", entity_id=key, data={"text": "stale"}, version=2)]
    )
    engine.drain(timeout_s=3)
    assert held.versions("neo4j", "knowledge", [key]) == {}, "no revival while in flight"
    assert held.versions("redis", "knowledge", [key]) == {}
    own_chroma.up(only=["chroma"])
    assert engine.drain(timeout_s=90).complete
    for store in ("redis", "neo4j", "chroma"):
        assert held.versions(store, "knowledge", [key]) == {}, store
    vectors.close()


def test_concurrent_workers_on_versions_of_one_entity_end_monotonic_without_revival(
    make_engine, sync_stores
):
    # small batches and four priority streams spread the versions of each entity
    # over the three workers, so they race on the same entities
    engine = make_engine(**defaults(batch_size=5, batch_min=5, batch_max=5))
    run = uid("race")
    entities = [f"{run}-{i}" for i in range(12)]
    events = []
    for n, eid in enumerate(entities):
        top = 8
        for v in range(1, top + 1):
            deleted = n % 3 == 0 and v == top  # every third entity ends deleted
            events.append(
                SyncEvent(
                    entity_type="knowledge",
                    entity_id=eid,
                    version=v,
                    operation="delete" if deleted else "update",
                    data={} if deleted else {"text": f"{eid} version {v}"},
                    priority=[Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT][v % 4],
                )
            )
    random.Random(7).shuffle(events)
    engine.publish(events)
    stop = threading.Event()
    workers = [engine.worker(f"race-{i}") for i in range(3)]
    threads = [threading.Thread(target=w.run, args=(stop,)) for w in workers]
    for t in threads:
        t.start()
    try:
        deadline = time.monotonic() + 120
        while engine.ctx.outbox.sizes() != (0, 0) and time.monotonic() < deadline:
            stop.wait(0.1)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
        for w in workers:
            w.close()
    assert engine.ctx.outbox.sizes() == (0, 0) and engine.dead_letters() == []
    held = engine.ctx.reader
    for store in ("redis", "neo4j", "chroma", "bigquery"):
        found = held.versions(store, "knowledge", entities)
        for n, eid in enumerate(entities):
            if n % 3 == 0 and store != "bigquery":  # the warehouse keeps a delete row
                assert eid not in found, f"{eid} revived in {store}"
            else:
                assert found[eid].version == 8, (store, eid, found.get(eid))


def test_publish_past_the_outbox_limit_is_refused_with_nothing_written(make_engine):
    # a limit of 10 stands for the default 2,000,000, which a test cannot fill
    engine = make_engine(max_outbox=10)
    run = uid("full")
    first = [
        SyncEvent(entity_type="metric", entity_id=f"{run}-{i}", data={"value": i}) for i in range(8)
    ]
    engine.publish(first)
    with pytest.raises(Backpressure, match="limit is 10") as refused:
        engine.publish(
            [
                SyncEvent(entity_type="metric", entity_id=f"{run}-x{i}", data={"value": i})
                for i in range(3)
            ]
        )
    assert "argo sync worker" in str(refused.value)
    assert engine.status().outbox == 8
    assert engine.drain(timeout_s=60).complete
    engine.publish([SyncEvent(entity_type="metric", entity_id=f"{run}-y", data={"value": 1})])


def test_dead_letters_a_broken_store_left_are_redriven_once_it_answers(make_engine):
    # the redrive runs every redrive_interval_s (60 s by default); 0 makes it due now
    engine = make_engine(redrive_interval_s=0.0)
    run = uid("redrive")
    event = SyncEvent(entity_type="metric", entity_id=f"{run}-m", data={"value": 1}, version=1)
    engine.ctx.deadletters.add(event, "bigquery", "ValueError: a transient bug", 12, kind="broken")
    engine.ctx.deadletters.add(
        event.model_copy(update={"entity_id": f"{run}-r"}),
        "bigquery",
        "refused",
        1,
        kind="rejected",
    )
    worker = engine.worker()
    try:
        worker.step(block_ms=10)  # its turn: redrive, then apply
        worker.step(block_ms=10)
    finally:
        worker.close()
    letters = engine.dead_letters()
    assert [d.kind for d in letters] == ["rejected"], "a refusal is never redriven"
    assert engine.drain(timeout_s=60).complete
    assert_holds(engine, [event])


def test_a_new_version_replaces_its_relations_and_an_old_one_adds_none(make_engine, sync_stores):
    engine = make_engine()
    run = uid("edges")
    step = f"{run}-step"

    def assigned(version: int, agent: str) -> SyncEvent:
        return SyncEvent(
            entity_type="step",
            entity_id=step,
            version=version,
            data={
                "text": f"assigned to {agent}",
                "relations": [{"type": "ASSIGNED_TO", "label": "Agent", "id": agent}],
            },
        )

    engine.publish([assigned(1, f"{run}-old")])
    assert engine.drain(timeout_s=60).complete
    engine.publish([assigned(2, f"{run}-new")])
    assert engine.drain(timeout_s=60).complete
    engine.publish([assigned(1, f"{run}-stale")])  # a late redelivery of an old version
    assert engine.drain(timeout_s=60).complete
    rows = sync_stores.graph.query(
        "MATCH (:Step {id: $id})-[:ASSIGNED_TO]->(a:Agent) RETURN a.id AS agent", {"id": step}
    )
    assert [r["agent"] for r in rows] == [f"{run}-new"]


def test_an_old_version_cannot_refill_a_cache_entry_whose_ttl_ran_out(make_engine, sync_stores):
    engine = make_engine()
    key = uid("ttl")
    engine.publish(
        [SyncEvent(entity_type="knowledge", entity_id=key, version=2, data={"text": "new"})]
    )
    assert engine.drain(timeout_s=60).complete
    sync_stores.cache.delete_many([f"knowledge:{key}"])  # what the TTL does
    engine.publish(
        [SyncEvent(entity_type="knowledge", entity_id=key, version=1, data={"text": "old"})]
    )
    assert engine.drain(timeout_s=60).complete
    assert sync_stores.cache.get_many([f"knowledge:{key}"]) == {}


def test_ledger_entries_of_long_deleted_entities_are_pruned(make_engine):
    engine = make_engine()
    run = uid("prune")
    t0 = time.time()
    engine.publish(
        [
            SyncEvent(entity_type="metric", entity_id=f"{run}-gone", operation="delete"),
            SyncEvent(entity_type="metric", entity_id=f"{run}-live", data={"value": 1}),
        ]
    )
    time.sleep(1.1)  # publish times a second apart (the ledger keeps milliseconds)
    engine.publish([SyncEvent(entity_type="metric", entity_id=f"{run}-recent", operation="delete")])
    # the clock as it will read when the first delete's tombstone has expired
    assert prune_deleted(engine.ctx, now=t0 + DEFAULTS.tombstone_ttl_s + 0.5) == 1
    left = engine.ctx.redis.hget_fields(
        engine.ctx.keys.ledger("metric"), [f"{run}-gone", f"{run}-recent", f"{run}-live"]
    )
    assert [v is not None for v in left] == [False, True, True]
    # the counter stays: re-creating the entity continues above the delete
    engine.publish([SyncEvent(entity_type="metric", entity_id=f"{run}-gone", data={"v": 2})])
    assert engine.ctx.published_versions([f"metric|{run}-gone"]) == {f"metric|{run}-gone": 2}
