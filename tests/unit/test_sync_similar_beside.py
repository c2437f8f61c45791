"""SIMILAR_TO beside the vector write: items that carry their embedding are searched while
the vector write runs, and the batch's own items are found without the store holding them."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from argo_agents.stores.ports import VectorHit
from argo_agents.sync import SyncConfig, SyncEvent
from argo_agents.sync.applier import BESIDE_MAX, Applier
from argo_agents.sync.job import Job, StoreOutcome
from argo_agents.sync.matrix import SIMILAR, VECTOR, spec_for, stages_of
from argo_agents.sync.outbox import Delivery
from argo_agents.sync.writers import SimilarWriter


def job(entity_id: str, embedding: list[float] | None, version: int = 1) -> Job:
    data = {"text": entity_id, **({"embedding": embedding} if embedding else {})}
    event = SyncEvent(entity_type="knowledge", entity_id=entity_id, data=data, version=version)
    return Job(
        Delivery(None, event, 0),
        event,
        event.event_id,
        spec_for("knowledge"),  # type: ignore[arg-type]
        stages_of("knowledge", event.source),
    )


class GatedVectorWriter:
    """A vector stage that finishes only once the SIMILAR_TO stage has started."""

    name = VECTOR

    def __init__(self, similar_started: threading.Event) -> None:
        self.similar_started = similar_started
        self.saw_similar_first = False

    def write(self, jobs: Sequence[Job]) -> StoreOutcome:
        self.saw_similar_first = self.similar_started.wait(timeout=5)
        return StoreOutcome(applied={j.event_id for j in jobs})


class RecordingSimilarWriter:
    name = SIMILAR

    def __init__(self, started: threading.Event) -> None:
        self.started = started
        self.groups: list[list[str]] = []

    def write(self, jobs: Sequence[Job]) -> StoreOutcome:
        self.started.set()
        self.groups.append(sorted(j.event.entity_id for j in jobs))
        return StoreOutcome(applied={j.event_id for j in jobs})


def test_items_with_embeddings_are_linked_while_the_vector_write_runs():
    started = threading.Event()
    vector, similar = GatedVectorWriter(started), RecordingSimilarWriter(started)
    applier = Applier({VECTOR: vector, SIMILAR: similar}, SyncConfig())
    carried, embedded = job("a", [1.0, 0.0]), job("b", None)
    try:
        results = applier.apply({VECTOR: [carried, embedded]}, [carried, embedded])
    finally:
        applier.close()
    assert vector.saw_similar_first  # "a" did not wait for the vector write
    # "b" is embedded by the vector stage, so its search follows that write
    assert similar.groups == [["a"], ["b"]]
    assert results[SIMILAR].outcome.applied == {carried.event_id, embedded.event_id}


class EmptyIndex:
    """A vector store that holds none of the batch yet (its write is still running)."""

    def search_many(self, collection, embeddings, *, k=5, where=None, content=True):
        return [[VectorHit("old", 0.5, "", {})] for _ in embeddings]


class Graph:
    def __init__(self) -> None:
        self.edges: list = []

    def upsert_edges(self, edges) -> None:
        self.edges += edges


class NoEmbeddings:
    embeddings: dict = {}

    def embeddings_for(self, jobs):
        return {j.event_id: j.event.data["embedding"] for j in jobs}


def test_a_batch_s_items_find_each_other_and_only_the_newest_version_gets_edges():
    graph = Graph()
    writer = SimilarWriter(EmptyIndex(), graph, NoEmbeddings(), k=2)  # type: ignore[arg-type]
    batch = [
        job("x", [1.0, 0.0]),
        job("y", [0.9, 0.1]),
        job("z", [0.0, 1.0], version=1),
        job("z", [0.1, 1.0], version=2),
    ]
    try:
        out = writer.write(batch)
    finally:
        writer.close()
    assert out.applied == {j.event_id for j in batch}
    edges = {(e.src_id, e.dst_id): e.props["similarity_score"] for e in graph.edges}
    # each item's two nearest among the batch and the store, by cosine, itself excluded
    assert set(edges) == {
        ("x", "y"),
        ("x", "old"),
        ("y", "x"),
        ("y", "old"),
        ("z", "old"),
        ("z", "y"),
    }
    assert edges[("x", "y")] > 0.99 and edges[("x", "old")] == 0.5
    # z's version 1 was superseded in the batch: only version 2's neighbours were written
    assert abs(edges[("z", "y")] - 0.19 / (1.005 * 0.9055)) < 1e-3  # v1 would give 0.110
    assert len([e for e in graph.edges if e.src_id == "z"]) == 2


class OrderedWriter:
    def __init__(self, name: str, order: list[str]) -> None:
        self.name, self.order = name, order

    def write(self, jobs: Sequence[Job]) -> StoreOutcome:
        self.order.append(self.name)
        return StoreOutcome(applied={j.event_id for j in jobs})


def test_a_batch_that_deletes_vectors_links_only_after_the_vector_write():
    # a search beside the delete could still return the deleted item, and an edge to it
    # would bring its graph node back
    order: list[str] = []
    applier = Applier(
        {VECTOR: OrderedWriter(VECTOR, order), SIMILAR: OrderedWriter(SIMILAR, order)},
        SyncConfig(),
    )
    added = job("new", [1.0, 0.0])
    gone_event = SyncEvent(
        entity_type="knowledge", entity_id="old", data={}, version=2, operation="delete"
    )
    gone = Job(
        Delivery(None, gone_event, 0),
        gone_event,
        gone_event.event_id,
        spec_for("knowledge"),  # type: ignore[arg-type]
        stages_of("knowledge", gone_event.source),
    )
    try:
        applier.apply({VECTOR: [added, gone]}, [added, gone])
    finally:
        applier.close()
    assert order == [VECTOR, SIMILAR]


def test_a_large_batch_links_after_the_vector_write():
    # a backlog's batches: the search would compete with the write inside the store
    order: list[str] = []
    applier = Applier(
        {VECTOR: OrderedWriter(VECTOR, order), SIMILAR: OrderedWriter(SIMILAR, order)},
        SyncConfig(),
    )
    batch = [job(f"k{i}", [1.0, float(i)]) for i in range(BESIDE_MAX + 1)]
    try:
        applier.apply({VECTOR: batch}, batch)
    finally:
        applier.close()
    assert order == [VECTOR, SIMILAR]
