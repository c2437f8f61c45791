"""Store-specific contracts of the four store ports, against the real local servers.

The invariants every store keeps (idempotent batch write, version fence,
delete, unknown ids, verbatim text, typed errors) are written once in
test_store_contract_suite.py; this file keeps what only one store has: graph
paths and edges, warehouse queries and views, vector search, cache TTLs, ...

Each test writes its own ids (and its own vector collection), so tests never
see each other's data and the suite can run in any order.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from argo_agents.config.endpoints import Endpoints
from argo_agents.stores.errors import StoreRejected
from argo_agents.stores.factory import Stores, open_stores
from argo_agents.stores.records import (
    CacheEntry,
    EdgeRecord,
    NodeRecord,
    VectorRecord,
    WarehouseRow,
)
from tests.integration.store_contract import HOSTILE, uid

pytestmark = pytest.mark.integration

LABELS = ("Task", "Agent")


@pytest.fixture(scope="module")
def stores(endpoints: Endpoints) -> Iterator[Stores]:
    opened = open_stores(endpoints)
    opened.graph.setup(LABELS)
    opened.warehouse.setup()
    yield opened
    opened.close()


def wrow(table: str, id_: str, version: int, **values: object) -> WarehouseRow:
    base = {
        "id": id_,
        "version": version,
        "hash": f"h{version}",
        "entity_type": "event",
        "operation": "upsert",
        "source": "test",
        "timestamp": datetime.now(UTC),
    }
    return WarehouseRow(table, f"{id_}:{version}", base | values)


def vrec(
    coll: str, id_: str, version: int, emb: list[float], doc: str = "d", **meta: object
) -> VectorRecord:
    return VectorRecord(coll, id_, version, f"h{version}", doc, emb, dict(meta))


# ---- cache (Redis) ---------------------------------------------------------------------
def test_cache_round_trip_and_versions(stores: Stores) -> None:
    key = uid("k")
    value = {"title": "plan", "steps": [1, 2], "nested": {"ok": True}}
    assert stores.cache.put_many([CacheEntry(key, value, 3, "h3", 60)]).applied == [key]
    assert stores.cache.get_many([key, uid("missing")]) == {key: value}
    got = stores.cache.versions([key])[key]
    assert (got.version, got.hash) == (3, "h3")


def test_cache_ttl_per_entity_type_and_renewed_on_update(stores: Stores) -> None:
    cache = stores.cache
    agent, knowledge, forever = uid("k"), uid("k"), uid("k")
    cache.put_many(
        [
            CacheEntry(agent, 1, 1, "h", cache.ttl_for("agent")),
            CacheEntry(knowledge, 1, 1, "h", cache.ttl_for("knowledge")),
            CacheEntry(forever, 1, 1, "h", None),
        ]
    )
    assert 290 <= (cache.ttl_of(agent) or 0) <= 300
    assert 3590 <= (cache.ttl_of(knowledge) or 0) <= 3600
    assert cache.ttl_of(forever) is None
    cache.client.expire("argo:cache:" + agent, 5)  # nearly expired ...
    cache.put_many([CacheEntry(agent, 2, 2, "h2", cache.ttl_for("agent"))])
    assert (cache.ttl_of(agent) or 0) >= 290  # ... and renewed by the update


def test_workload_never_below_zero(stores: Stores) -> None:
    agent = uid("agent")
    assert stores.cache.add_workload(agent, -2) == 0
    assert stores.cache.add_workload(agent, 3) == 3
    assert stores.cache.add_workload(agent, -5) == 0
    nobody = uid("nobody")
    assert stores.cache.workloads([agent, nobody]) == {agent: 0, nobody: 0}


def test_publish_delivers_json(stores: Stores) -> None:
    channel = uid("chan")
    sub = stores.cache.client.pubsub()
    sub.subscribe(channel)
    sub.get_message(timeout=1)  # the subscribe confirmation
    assert stores.cache.publish(channel, {"text": HOSTILE[2]}) == 1
    msg = sub.get_message(timeout=2)
    sub.close()
    assert msg is not None and json.loads(msg["data"]) == {"text": HOSTILE[2]}


# ---- graph (Neo4j protocol) --------------------------------------------------------------
def test_graph_round_trip_with_json_props(stores: Stores) -> None:
    nid = uid()
    props = {"title": "t", "tags": ["a", "b"], "meta": {"k": 1}, "id": "ignored"}
    assert stores.graph.upsert_nodes([NodeRecord("Task", nid, 1, "h1", props)]).applied == [nid]
    node = stores.graph.get_nodes("Task", [nid])[nid]
    assert (node["id"], node["version"], node["hash"]) == (nid, 1, "h1")
    assert node["tags"] == ["a", "b"] and json.loads(node["meta"]) == {"k": 1}


def test_graph_same_batch_twice_keeps_one_node_and_edge(stores: Stores) -> None:
    a, b = uid(), uid()
    nodes = [NodeRecord("Task", a, 1, "h"), NodeRecord("Task", b, 1, "h")]
    edge = [EdgeRecord("DEPENDS_ON", "Task", a, "Task", b, {"weight": 1})]
    for _ in range(2):
        stores.graph.upsert_nodes(nodes)
        stores.graph.upsert_edges(edge)
    rows = stores.graph.query(
        "MATCH (n:Task) WHERE n.id IN $ids RETURN count(n) AS nodes", {"ids": [a, b]}
    )
    assert rows[0]["nodes"] == 2
    rels = stores.graph.query(
        "MATCH (:Task {id: $a})-[r:DEPENDS_ON]->(:Task {id: $b}) RETURN count(r) AS n",
        {"a": a, "b": b},
    )
    assert rels[0]["n"] == 1


def test_graph_related_finds_nodes_at_distance_one_to_three(stores: Stores) -> None:
    chain = [uid() for _ in range(5)]
    stores.graph.upsert_nodes([NodeRecord("Task", n, 1, "h") for n in chain])
    stores.graph.upsert_edges(
        [
            EdgeRecord("DEPENDS_ON", "Task", x, "Task", y)
            for x, y in zip(chain, chain[1:], strict=False)
        ]
    )
    found = stores.graph.related("Task", chain[0], max_depth=3)
    assert found == [("Task", chain[1], 1), ("Task", chain[2], 2), ("Task", chain[3], 3)]
    assert [d for _, _, d in stores.graph.related("Task", chain[2], max_depth=1)] == [1, 1]


def test_graph_edge_before_nodes_is_kept_and_placeholder_replaced(stores: Stores) -> None:
    task, agent = uid(), uid()
    stores.graph.upsert_edges([EdgeRecord("ASSIGNED_TO", "Task", task, "Agent", agent)])
    assert stores.graph.versions("Agent", [agent]) == {}  # a placeholder is not "stored"
    assert stores.graph.upsert_nodes([NodeRecord("Agent", agent, 1, "h")]).applied == [agent]
    assert stores.graph.related("Task", task, max_depth=1) == [("Agent", agent, 1)]


def test_graph_rejects_bad_names_and_depths(stores: Stores) -> None:
    with pytest.raises(StoreRejected, match="invalid label"):
        stores.graph.upsert_nodes([NodeRecord("Task) DETACH DELETE n //", uid(), 1, "h")])
    with pytest.raises(StoreRejected, match="max_depth"):
        stores.graph.related("Task", uid(), max_depth=6)


def test_graph_setup_twice_is_harmless_and_delete_counts(stores: Stores) -> None:
    stores.graph.setup(LABELS)
    ids = [uid(), uid()]
    stores.graph.upsert_nodes([NodeRecord("Task", i, 1, "h") for i in ids])
    assert stores.graph.delete_nodes("Task", [*ids, uid()]) == 2
    assert stores.graph.get_nodes("Task", ids) == {}
    assert stores.graph.is_real_neo4j is False  # the local stack serves ArcadeDB


# ---- warehouse (BigQuery API) -------------------------------------------------------------
def test_warehouse_round_trip_through_latest_view(stores: Stores) -> None:
    rid = uid("e")
    stores.warehouse.insert_rows(
        [wrow("events", rid, 1, event_type="created", content={"a": [1, 2]}, metadata={"m": "x"})]
    )
    rows = stores.warehouse.query(
        "SELECT id, event_type, content, metadata FROM {dataset}.events_latest WHERE id = @id",
        {"id": rid},
    )
    assert rows == [
        {"id": rid, "event_type": "created", "content": {"a": [1, 2]}, "metadata": {"m": "x"}}
    ]


def test_warehouse_parameters_of_every_type(stores: Stores) -> None:
    rid = uid("m")
    stores.warehouse.insert_rows([wrow("metrics", rid, 1, name="latency", value=2.5)])
    now = datetime.now(UTC)
    rows = stores.warehouse.query(
        "SELECT id FROM {dataset}.metrics_latest WHERE id IN UNNEST(@ids) AND value > @low "
        "AND version = @v AND timestamp <= @now AND @flag",
        {"ids": [rid], "low": 1.0, "v": 1, "now": now, "flag": True},
    )
    assert rows == [{"id": rid}]


def test_warehouse_failing_query_raises_instead_of_returning_nothing(stores: Stores) -> None:
    with pytest.raises(StoreRejected, match="Syntax error"):
        stores.warehouse.query("SELEC 1")
    with pytest.raises(StoreRejected, match="not found"):
        stores.warehouse.query("SELECT * FROM {dataset}.no_such_table")


def test_warehouse_setup_twice_is_harmless(stores: Stores) -> None:
    stores.warehouse.setup()
    assert stores.warehouse.query("SELECT 1 AS one") == [{"one": 1}]


# ---- vectors (Chroma) ----------------------------------------------------------------------
def test_vectors_round_trip_and_same_batch_twice(stores: Stores) -> None:
    coll = uid("c")
    batch = [
        vrec(coll, "a", 1, [1.0, 0.0, 0.0], nested={"k": 1}),
        vrec(coll, "b", 1, [0.0, 1.0, 0.0]),
    ]
    assert sorted(stores.vectors.upsert(batch).applied) == ["a", "b"]
    assert sorted(stores.vectors.upsert(batch).stale) == ["a", "b"]
    hits = stores.vectors.search(coll, [1.0, 0.1, 0.0], k=10)
    assert [h.id for h in hits] == ["a", "b"]  # one vector per id
    assert hits[0].similarity > 0.99 and json.loads(hits[0].metadata["nested"]) == {"k": 1}


def test_vectors_search_with_where_filter_and_delete(stores: Stores) -> None:
    coll = uid("c")
    stores.vectors.upsert(
        [vrec(coll, "x", 1, [1.0, 0.0], kind="plan"), vrec(coll, "y", 1, [0.9, 0.1], kind="result")]
    )
    hits = stores.vectors.search(coll, [1.0, 0.0], k=5, where={"kind": "result"})
    assert [h.id for h in hits] == ["y"]
    stores.vectors.delete(coll, ["x", "y"])
    assert stores.vectors.versions(coll, ["x", "y"]) == {}


def test_vectors_search_many_answers_each_query_in_order(stores: Stores) -> None:
    coll = uid("c")
    stores.vectors.upsert(
        [vrec(coll, "x", 1, [1.0, 0.0], kind="plan"), vrec(coll, "y", 1, [0.0, 1.0], kind="result")]
    )
    many = stores.vectors.search_many(coll, [[0.0, 1.0], [1.0, 0.1]], k=1)
    assert [[h.id for h in hits] for hits in many] == [["y"], ["x"]]
    assert many[1][0] == stores.vectors.search(coll, [1.0, 0.1], k=1)[0]
    assert (
        stores.vectors.search_many(coll, [[1.0, 0.0]], k=5, where={"kind": "result"})[0][0].id
        == "y"
    )
    assert stores.vectors.search_many(coll, [], k=3) == []
    bare = stores.vectors.search_many(coll, [[1.0, 0.1]], k=1, content=False)[0][0]
    assert (bare.id, bare.similarity) == (many[1][0].id, many[1][0].similarity)
    assert (bare.document, bare.metadata) == ("", {})  # not fetched…
    assert many[1][0].document == "d" and many[1][0].metadata["kind"] == "plan"  # …unless asked


def test_vectors_find_documents_by_word_and_rank_only_given_ids(stores: Stores) -> None:
    coll = uid("c")
    stores.vectors.upsert(
        [
            vrec(coll, "near", 1, [1.0, 0.0], doc="nothing special here", kind="plan"),
            vrec(coll, "far", 1, [0.0, 1.0], doc="The Quillfeather key rotates", kind="plan"),
            vrec(coll, "mid", 1, [0.7, 0.7], doc="quillfeather_2 notes", kind="result"),
        ]
    )
    # any case, word characters only (a regex character is refused, not interpreted)
    assert sorted(stores.vectors.ids_containing(coll, "QUILLFEATHER", limit=10)) == ["far", "mid"]
    assert stores.vectors.ids_containing(coll, "quillfeather_2", limit=10) == ["mid"]
    assert len(stores.vectors.ids_containing(coll, "quillfeather", limit=1)) == 1
    with pytest.raises(ValueError, match="not a word"):
        stores.vectors.ids_containing(coll, "quill.*", limit=10)
    # with ids, only those compete, exactly ranked; the metadata filter still applies
    hits = stores.vectors.search(coll, [1.0, 0.0], k=5, ids=["far", "mid"])
    assert [h.id for h in hits] == ["mid", "far"] and hits[0].similarity > 0.7
    assert [
        h.id
        for h in stores.vectors.search(
            coll, [1.0, 0.0], k=5, ids=["far", "mid"], where={"kind": "plan"}
        )
    ] == ["far"]
    assert stores.vectors.search(coll, [1.0, 0.0], k=5, ids=[]) == []


def test_all_stores_healthy(stores: Stores) -> None:
    started = time.monotonic()
    assert stores.health() == {"redis": None, "neo4j": None, "bigquery": None, "chroma": None}
    assert time.monotonic() - started < 5


def test_graph_delete_edges_removes_only_the_edge(stores: Stores) -> None:
    task, agent = uid(), uid()
    stores.graph.upsert_nodes(
        [NodeRecord("Task", task, 1, "h"), NodeRecord("Agent", agent, 1, "h")]
    )
    edge = EdgeRecord("ASSIGNED_TO", "Task", task, "Agent", agent, {"role": "owner"})
    stores.graph.upsert_edges([edge])
    assert stores.graph.related("Task", task, max_depth=1) == [("Agent", agent, 1)]
    other = EdgeRecord("ASSIGNED_TO", "Task", task, "Agent", uid())  # never written
    assert stores.graph.delete_edges([edge, edge, other]) == 1
    rels = stores.graph.query(
        "MATCH (:Task {id: $t})-[r:ASSIGNED_TO]->(:Agent {id: $a}) RETURN count(r) AS n",
        {"t": task, "a": agent},
    )
    assert rels == [{"n": 0}]
    assert stores.graph.related("Task", task, max_depth=1) == []
    assert set(stores.graph.versions("Task", [task])) == {task}  # the nodes stay
    assert set(stores.graph.versions("Agent", [agent])) == {agent}
    assert stores.graph.delete_edges([edge]) == 0  # already gone
    with pytest.raises(StoreRejected, match="invalid relationship type"):
        stores.graph.delete_edges(
            [EdgeRecord("X]-() DETACH DELETE n //", "Task", task, "Agent", agent)]
        )


def test_graph_new_version_replaces_the_properties_of_the_old(stores: Stores) -> None:
    nid = uid()
    stores.graph.upsert_nodes(
        [NodeRecord("Task", nid, 1, "h1", {"state": "failed", "error": "boom"})]
    )
    stores.graph.upsert_nodes([NodeRecord("Task", nid, 2, "h2", {"state": "done"})])
    props = stores.graph.get_nodes("Task", [nid])[nid]
    assert props["state"] == "done" and "error" not in props
    assert (props["id"], props["version"], props["hash"]) == (nid, 2, "h2")


def test_graph_edges_of_a_version_older_than_their_node_are_not_written(
    stores: Stores,
) -> None:
    """An edge names the version of its source that wrote it: once the node holds a newer
    version (and its edges replaced the old ones), a late writer of the old version's
    edges (a redelivery, a slow worker) must not add them back."""
    task, old_dep, new_dep = uid(), uid(), uid()
    stores.graph.upsert_nodes([NodeRecord("Task", task, 3, "h3")])
    late = EdgeRecord("DEPENDS_ON", "Task", task, "Task", old_dep, {"src_version": 2})
    current = EdgeRecord("DEPENDS_ON", "Task", task, "Task", new_dep, {"src_version": 3})
    unversioned = EdgeRecord("DEPENDS_ON", "Task", task, "Task", uid())
    stores.graph.upsert_edges([late, current, unversioned])
    rows = stores.graph.query(
        "MATCH (:Task {id: $t})-[r:DEPENDS_ON]->(b) RETURN b.id AS dst", {"t": task}
    )
    assert {r["dst"] for r in rows} == {new_dep, unversioned.dst_id}
    # the late edge's end was not brought into the graph either
    assert stores.graph.query("MATCH (n:Task {id: $i}) RETURN count(n) AS n", {"i": old_dep}) == [
        {"n": 0}
    ]
    # an edge ahead of its node (written before the node, as SIMILAR_TO may be) is kept
    ahead = EdgeRecord("DEPENDS_ON", "Task", task, "Task", uid(), {"src_version": 4})
    stores.graph.upsert_edges([ahead])
    assert (
        len(stores.graph.query("MATCH (:Task {id: $t})-[r:DEPENDS_ON]->() RETURN r", {"t": task}))
        == 3
    )
