"""Fan-out: 1,000 mixed events reach exactly the stores the sync matrix names."""

from __future__ import annotations

import random
import threading
import time

import pytest

from argo_agents.sync import Priority, SyncEvent
from tests.integration.test_sync_support import (  # noqa: F401  (fixtures)
    assert_holds,
    basis,
    make_engine_fixture,
    raw_row_counts,
    sync_stores_fixture,
    uid,
)

pytestmark = pytest.mark.integration


def mixed_events(n: int, run: str) -> list[SyncEvent]:
    rnd = random.Random(7)
    makers = [
        lambda i: (
            "knowledge",
            {
                "text": f"caching strategy {i} for {run}",
                "relations": [{"type": "ABOUT", "label": "Goal", "id": f"{run}-goal-0"}],
            },
        ),
        lambda i: (
            "knowledge",
            {"text": f"precomputed {i}", "embedding": [rnd.uniform(-1, 1) for _ in range(384)]},
        ),
        lambda i: (
            "pattern",
            {"text": f"pattern {i}", "task_type": "optimize", "success_rate": 0.8},
        ),
        lambda i: ("goal", {"text": f"optimise service {i} by 40%"}),
        lambda i: ("plan", {"text": f"plan {i}", "steps": [f"s{i}a", f"s{i}b"]}),
        lambda i: (
            "step",
            {
                "text": f"step {i}",
                "relations": [
                    {"type": "DEPENDS_ON", "label": "Step", "id": f"{run}-step-{max(0, i - 1)}"}
                ],
            },
        ),
        lambda i: ("step_result", {"text": f"result {i}", "success": True}),
        lambda i: ("agent", {"name": f"agent {i}", "capabilities": ["analysis"]}),
        lambda i: (
            "agent_activity",
            {
                "agent_id": f"a{i % 3}",
                "task_id": f"t{i}",
                "activity_type": "analysis",
                "success": True,
                "duration_s": 1.5,
            },
        ),
        lambda i: (
            "collaboration",
            {
                "agent_id": f"{run}-a1",
                "partner_id": f"{run}-a{i % 4}",
                "task_id": f"t{i}",
                "success": i % 2 == 0,
            },
        ),
        lambda i: ("event", {"event_type": "goal_completion", "goal": f"g{i}"}),
        lambda i: ("metric", {"name": "latency_ms", "value": i * 1.5}),
        lambda i: ("audit", {"actor": "director", "action": f"approve {i}"}),
        lambda i: ("session_data", {"user": "director", "page": i}),
        lambda i: (
            "relationship",
            {
                "type": "PURSUES",
                "src_label": "Agent",
                "src_id": f"{run}-a1",
                "dst_label": "Goal",
                "dst_id": f"{run}-goal-{i}",
            },
        ),
    ]
    events = []
    for i in range(n):
        etype, data = makers[i % len(makers)](i)
        events.append(
            SyncEvent(
                entity_type=etype,
                entity_id=f"{run}-{etype}-{i}",
                data=data,
                priority=rnd.choice(list(Priority)),
            )
        )
    return events


def test_thousand_mixed_events_reach_exactly_their_stores(make_engine, sync_stores):
    engine = make_engine(batch_max=500)
    run = uid("fan")
    events = mixed_events(1000, run)
    ids = engine.publish(events)
    assert len(set(ids)) == 1000
    report = engine.drain(timeout_s=120)
    print("drain", report)
    assert report.complete and report.dead_lettered == 0 and report.conflicts == 0

    published = [e.model_copy(update={"version": 1}) for e in events]
    assert_holds(engine, published)
    verify = engine.verify()
    assert verify.checked == 1000 and verify.divergence == 0, verify.problems[:5]

    receipt = engine.receipt(ids)
    assert receipt.fully_applied == 1000 and receipt.pending == 0
    assert receipt.applied["bigquery"] == sum(
        1 for e in events if e.entity_type not in ("step", "agent", "session_data", "relationship")
    )
    # No duplicate rows in the append-only tables, and SIMILAR_TO edges for knowledge.
    metric_ids = [e.entity_id for e in events if e.entity_type == "metric"]
    assert set(raw_row_counts(sync_stores, "metrics", metric_ids).values()) == {1}
    similar = sync_stores.graph.query(
        "MATCH (k:Knowledge)-[r:SIMILAR_TO]->(:Knowledge) WHERE k.id STARTS WITH $run "
        "RETURN count(r) AS n, min(r.similarity_score) AS lo",
        {"run": run},
    )
    assert similar[0]["n"] > 0
    collab = sync_stores.graph.query(
        "MATCH (:Agent {id: $a})-[r:COLLABORATED_WITH]->(:Agent) RETURN count(r) AS n",
        {"a": f"{run}-a1"},
    )
    assert collab[0]["n"] == 4  # one edge per pair of agents (a1 with a0..a3)
    pursues = sync_stores.graph.query(
        "MATCH (:Agent {id: $a})-[r:PURSUES]->(:Goal) RETURN count(r) AS n", {"a": f"{run}-a1"}
    )
    assert pursues[0]["n"] == sum(1 for e in events if e.entity_type == "relationship")
    status = engine.status()
    assert status.processed == 1000 and status.outbox == 0 and status.p95_ms is not None


def test_urgent_events_are_read_before_older_lower_priority_ones(make_engine):
    engine = make_engine(batch_size=10, batch_min=10, batch_max=10)
    run = uid("prio")
    low = [
        SyncEvent(
            entity_type="metric",
            entity_id=f"{run}-low-{i}",
            priority=Priority.LOW,
            data={"name": "n", "value": i},
        )
        for i in range(30)
    ]
    urgent = [
        SyncEvent(
            entity_type="metric",
            entity_id=f"{run}-urgent-{i}",
            priority=Priority.URGENT,
            data={"name": "n", "value": i},
        )
        for i in range(10)
    ]
    engine.publish(low)
    engine.publish(urgent)  # published last, applied first
    worker = engine.worker()
    try:
        stats = worker.step()
    finally:
        worker.close()
    assert stats.applied == 10
    held = engine.ctx.reader.versions("bigquery", "metric", [e.entity_id for e in urgent + low])
    assert set(held) == {e.entity_id for e in urgent}


def test_workers_sharing_the_group_split_the_work_without_overlap(make_engine, sync_stores):
    # Live workers only: no entry may be claimed from a slow (not dead) worker here, as
    # a claimed entry is a redelivery whose duplicate raw row the *_latest views hide.
    engine = make_engine(batch_size=20, batch_max=20, claim_idle_ms=300_000)
    run = uid("share")
    events = [
        SyncEvent(entity_type="metric", entity_id=f"{run}-{i}", data={"name": "n", "value": i})
        for i in range(400)
    ]
    engine.publish(events)
    stop = threading.Event()
    workers = [engine.worker(f"w{i}") for i in range(3)]
    threads = [threading.Thread(target=w.run, args=(stop,)) for w in workers]
    for t in threads:
        t.start()
    try:
        deadline = time.monotonic() + 60
        while engine.ctx.outbox.sizes()[0] and time.monotonic() < deadline:
            stop.wait(0.1)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
        for w in workers:
            w.close()
    assert engine.ctx.outbox.sizes() == (0, 0)
    counts = raw_row_counts(sync_stores, "metrics", [e.entity_id for e in events])
    assert len(counts) == 400 and set(counts.values()) == {1}
    assert engine.status().processed == 400


def test_a_knowledge_item_s_new_version_replaces_its_similar_to_edges(make_engine, sync_stores):
    engine = make_engine()
    run = uid("sim")

    def edges() -> list[dict]:
        return sync_stores.graph.query(
            "MATCH (:Knowledge {id: $k})-[r:SIMILAR_TO]->(b) "
            "RETURN b.id AS dst, r.src_version AS v",
            {"k": f"{run}-item"},
        )

    near_a = SyncEvent(
        entity_type="knowledge", entity_id=f"{run}-a", data={"text": "a", "embedding": basis(0, 1)}
    )
    near_b = SyncEvent(
        entity_type="knowledge", entity_id=f"{run}-b", data={"text": "b", "embedding": basis(2, 3)}
    )
    engine.publish([near_a, near_b])
    assert engine.drain(timeout_s=60).complete

    item = SyncEvent(
        entity_type="knowledge",
        entity_id=f"{run}-item",
        data={"text": "x", "embedding": basis(0, 1)},
    )
    engine.publish([item])
    assert engine.drain(timeout_s=60).complete
    assert {"dst": f"{run}-a", "v": 1} in edges()

    # the item changes subject: its neighbours are the new version's, not both versions'
    changed = {"text": "y", "embedding": basis(2, 3)}
    engine.publish([SyncEvent(entity_type="knowledge", entity_id=item.entity_id, data=changed)])
    assert engine.drain(timeout_s=60).complete
    after = edges()
    assert {"dst": f"{run}-b", "v": 2} in after
    assert {e["v"] for e in after} == {2} and len(after) <= engine.config.similar_k


def test_new_items_linked_while_their_nodes_are_written_are_never_dead_lettered(
    make_engine, sync_stores
):
    """SIMILAR_TO of an item that carries its embedding is written beside the graph's own
    write of the same new nodes: both MERGE the node, and the store refuses the second
    creator with a duplicate key. That is a collision (retried), not a poison record:
    every item ends linked, none dead-lettered (failed 3 rounds in 15 before)."""
    engine = make_engine()

    for i in range(15):
        run, dim = uid("racesim"), 100 + 2 * i  # each round's pair apart from the others
        near = SyncEvent(
            entity_type="knowledge",
            entity_id=f"{run}-a",
            data={"text": "a", "embedding": basis(dim)},
        )
        engine.publish([near])
        assert engine.drain(timeout_s=60).dead_lettered == 0
        item = SyncEvent(
            entity_type="knowledge",
            entity_id=f"{run}-item",
            data={"text": "i", "embedding": basis(dim, dim + 1)},
        )
        engine.publish([item])
        report = engine.drain(timeout_s=60)
        assert report.complete and report.dead_lettered == 0, report
        linked = sync_stores.graph.query(
            "MATCH (k:Knowledge {id: $k})-[:SIMILAR_TO]->(b {id: $a}) RETURN k.version AS v",
            {"k": item.entity_id, "a": near.entity_id},
        )
        assert linked == [{"v": 1}]
