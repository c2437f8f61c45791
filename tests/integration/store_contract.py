"""Harnesses for the store contract suite (`test_store_contract_suite.py`).

Shaped like langgraph's checkpoint conformance suite (libs/checkpoint-conformance):
the invariants are written once, against a small generic interface, and each
implementation is registered through a thin factory that says what it can do.
Here the implementation is one of ARGO's four store adapters and the factory is
a *harness*: it maps a generic `Rec` (id, version, hash, payload text) to that
store's own write / read / delete calls, and nothing more. A harness never fixes
up what its adapter returns: every answer the suite checks is the adapter's.

`Capability` plays the part of langgraph's capabilities: an invariant that needs
an invariant that needs one a store lacks is not run for that store, never faked.
`Refusal` lists the data each store refuses (the typed-error invariant); a

"""

from __future__ import annotations

import enum
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, Protocol

from argo_agents.config.endpoints import Endpoints
from argo_agents.stores.factory import open_cache, open_graph, open_vectors, open_warehouse
from argo_agents.stores.graph import Neo4jGraph
from argo_agents.stores.records import (
    CacheEntry,
    NodeRecord,
    StoredVersion,
    VectorRecord,
    WarehouseRow,
    WriteResult,
)
from argo_agents.stores.redis_cache import KEY_PREFIX, RedisCache
from argo_agents.stores.vector import ChromaVectors
from argo_agents.stores.warehouse import BigQueryWarehouse

STORES = ("redis", "neo4j", "bigquery", "chroma")
LONG_TEXT = "".join(f"line {i}: the quick brown fox — ünïcødé ✓\n" for i in range(400))[:10_000]
HOSTILE = [
    "x'}) DETACH DELETE n //",
    "'; DROP TABLE events; --",
    'emoji 🚀🧠👩‍💻 and 中文 and "quotes" \\ backslash',
    LONG_TEXT,
]
HOSTILE_IDS = ["cypher", "sql", "emoji", "10k"]


def uid(prefix: str = "t") -> str:
    """A fresh id: every test writes its own, so tests never see each other's data."""
    return f"{prefix}{uuid.uuid4().hex[:12]}"


@dataclass(frozen=True, slots=True)
class Rec:
    """The store-neutral record every invariant is written in."""

    id: str
    version: int
    hash: str
    payload: str


def rec(id_: str, version: int, payload: str = "payload") -> Rec:
    """A record whose hash names its version (``h<version>``), as the old per-store tests did."""
    return Rec(id_, version, f"h{version}", payload)


class Capability(enum.Enum):
    """What an adapter's port offers beyond the base contract (write, versions, read, delete)."""

    REPORTS_STALE = "write returns which records were applied and which were stale"
    FENCED_DELETE = "a delete carries a version and spares records stored at a newer one"
    DELETE_AT_SAME_VERSION = "a fenced delete removes a record stored at exactly its version"
    UNVERSIONED_DELETE = "a delete by id alone removes whatever version is stored"
    DELETE_COUNT = "delete returns how many records it removed"
    TOMBSTONE_DELETE = "a delete is itself a record: versions() reports it at the delete version"
    FIND_BY_TEXT = "records can be looked up by their payload text (a query parameter)"


@dataclass(frozen=True, slots=True)
class Refusal:
    """Data the store refuses: ``attempt(harness, fresh_id)`` must raise `StoreRejected`
    whose message matches ``match``."""

    name: str
    attempt: Callable[[Any, str], object]
    match: str | None
    id_stays_free: bool = True  # False: the refusal works by occupying the id with foreign data


class StoreHarness(Protocol):
    """One store adapter seen through the generic record."""

    name: ClassVar[str]
    capabilities: ClassVar[frozenset[Capability]]
    refusals: ClassVar[tuple[Refusal, ...]]

    @classmethod
    def open(cls, endpoints: Endpoints, *, setup: bool = True) -> StoreHarness:
        """Open the adapter (and create its schema when ``setup``)."""

    def write(self, records: Sequence[Rec]) -> WriteResult | None:
        """One batch write; the adapter's result (None when the port reports nothing)."""

    def versions(self, ids: Sequence[str]) -> dict[str, StoredVersion]:
        """The port's ``versions()`` for these ids."""

    def read(self, ids: Sequence[str]) -> dict[str, tuple[str, ...]]:
        """Each live record's payload, once per place the store keeps it, as readers see it."""

    def count(self, ids: Sequence[str]) -> dict[str, int]:
        """How many live records readers see per id (ids with none are left out)."""

    def delete(self, ids: Sequence[str], *, version: int | None) -> int | None:
        """Delete by id (fenced at ``version`` where the port takes one); the adapter's count."""

    def find(self, text: str) -> list[str]:
        """Ids of the records whose payload is ``text`` (`Capability.FIND_BY_TEXT`)."""

    def close(self) -> None:
        """Release the adapter."""


# ---- Redis -----------------------------------------------------------------------------
class RedisHarness:
    """`RedisCache`: the payload is the JSON value ``{"text": payload}`` under the key ``id``."""

    name: ClassVar[str] = "redis"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {
            Capability.REPORTS_STALE,
            Capability.FENCED_DELETE,
            Capability.DELETE_AT_SAME_VERSION,
            Capability.UNVERSIONED_DELETE,
            Capability.DELETE_COUNT,
        }
    )
    refusals: ClassVar[tuple[Refusal, ...]] = ()  # set below the class (they call its methods)
    TTL_S = 600

    def __init__(self, cache: RedisCache) -> None:
        self.cache = cache

    @classmethod
    def open(cls, endpoints: Endpoints, *, setup: bool = True) -> RedisHarness:
        return cls(open_cache(endpoints))

    def write(self, records: Sequence[Rec]) -> WriteResult | None:
        return self.cache.put_many(
            [CacheEntry(r.id, {"text": r.payload}, r.version, r.hash, self.TTL_S) for r in records]
        )

    def versions(self, ids: Sequence[str]) -> dict[str, StoredVersion]:
        return self.cache.versions(ids)

    def read(self, ids: Sequence[str]) -> dict[str, tuple[str, ...]]:
        return {k: (v["text"],) for k, v in self.cache.get_many(ids).items()}

    def count(self, ids: Sequence[str]) -> dict[str, int]:
        return {k: 1 for k in self.cache.get_many(ids)}  # a key holds one value by design

    def delete(self, ids: Sequence[str], *, version: int | None) -> int | None:
        return self.cache.delete_many(ids, version=version)

    def find(self, text: str) -> list[str]:
        raise NotImplementedError("Redis has no lookup by value")

    def close(self) -> None:
        self.cache.close()

    def occupy_with_a_string(self, id_: str) -> object:
        """Another writer left a plain string where the cache keeps its hash: WRONGTYPE."""
        self.cache.client.set(KEY_PREFIX + id_, "not a cache hash", ex=self.TTL_S)
        return self.write([rec(id_, 1)])


RedisHarness.refusals = (
    Refusal(
        "wrong-type-key", RedisHarness.occupy_with_a_string, match="WRONGTYPE", id_stays_free=False
    ),
)


# ---- Neo4j (ArcadeDB over Bolt locally) --------------------------------------------------
class GraphHarness:
    """`Neo4jGraph`: a node ``(:Contract {id})`` with the payload in its ``text`` property."""

    name: ClassVar[str] = "neo4j"
    LABEL = "Contract"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {
            Capability.REPORTS_STALE,
            Capability.FENCED_DELETE,
            Capability.DELETE_AT_SAME_VERSION,
            Capability.UNVERSIONED_DELETE,
            Capability.DELETE_COUNT,
            Capability.FIND_BY_TEXT,
        }
    )
    refusals: ClassVar[tuple[Refusal, ...]] = ()

    def __init__(self, graph: Neo4jGraph) -> None:
        self.graph = graph

    @classmethod
    def open(cls, endpoints: Endpoints, *, setup: bool = True) -> GraphHarness:
        harness = cls(open_graph(endpoints))
        if setup:
            harness.graph.setup([cls.LABEL])
        return harness

    def write(self, records: Sequence[Rec]) -> WriteResult | None:
        return self.graph.upsert_nodes(
            [NodeRecord(self.LABEL, r.id, r.version, r.hash, {"text": r.payload}) for r in records]
        )

    def versions(self, ids: Sequence[str]) -> dict[str, StoredVersion]:
        return self.graph.versions(self.LABEL, ids)

    def read(self, ids: Sequence[str]) -> dict[str, tuple[str, ...]]:
        return {i: (props["text"],) for i, props in self.graph.get_nodes(self.LABEL, ids).items()}

    def count(self, ids: Sequence[str]) -> dict[str, int]:
        rows = self.graph.query(
            f"MATCH (n:{self.LABEL}) WHERE n.id IN $ids RETURN n.id AS id, count(n) AS n",
            {"ids": list(ids)},
        )
        return {r["id"]: int(r["n"]) for r in rows}

    def delete(self, ids: Sequence[str], *, version: int | None) -> int | None:
        fence = None if version is None else dict.fromkeys(ids, version)
        return self.graph.delete_nodes(self.LABEL, ids, versions=fence)

    def find(self, text: str) -> list[str]:
        rows = self.graph.query(
            f"MATCH (n:{self.LABEL}) WHERE n.text = $text RETURN n.id AS id", {"text": text}
        )
        return [r["id"] for r in rows]

    def close(self) -> None:
        self.graph.close()

    def hostile_label(self, id_: str) -> object:
        """A label is query text, not a parameter: the adapter refuses anything but a name."""
        return self.graph.upsert_nodes([NodeRecord("Task) DETACH DELETE n //", id_, 1, "h")])

    def map_typed_hash(self, id_: str) -> object:
        """The server refuses a map as a property value (Neo.ClientError.Statement.TypeError)."""
        return self.graph.upsert_nodes([NodeRecord(self.LABEL, id_, 1, {"not": "a string"})])  # type: ignore[arg-type]

    def integer_beyond_64_bits(self, id_: str) -> object:
        """A graph integer is 64-bit; a larger Python int cannot be stored."""
        return self.graph.upsert_nodes([NodeRecord(self.LABEL, id_, 1, "h", {"n": 2**70})])


GraphHarness.refusals = (
    Refusal("hostile-label", GraphHarness.hostile_label, match="invalid label"),
    Refusal("map-property", GraphHarness.map_typed_hash, match="TypeError"),
    Refusal("int-beyond-64-bits", GraphHarness.integer_beyond_64_bits, match="OverflowError"),
)


# ---- BigQuery (bqemulator locally) -------------------------------------------------------
class WarehouseHarness:
    """`BigQueryWarehouse`: a ``knowledge_base`` row with the payload in ``title`` and in the
    JSON ``content`` (``{"body": payload}``), read through ``knowledge_base_latest``.

    The warehouse is append-only: a write appends, the latest view (and ``versions()``) keep
    the highest version per id, and a delete is an appended row with operation "delete" at
    the delete's version (as `argo_agents.sync.mappers.to_row` writes it). Readers skip such
    rows (`argo_agents.sync.reader`), so `read` and `count` do too.
    """

    name: ClassVar[str] = "bigquery"
    TABLE = "knowledge_base"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.FENCED_DELETE, Capability.TOMBSTONE_DELETE, Capability.FIND_BY_TEXT}
    )
    refusals: ClassVar[tuple[Refusal, ...]] = ()

    def __init__(self, warehouse: BigQueryWarehouse) -> None:
        self.warehouse = warehouse

    @classmethod
    def open(cls, endpoints: Endpoints, *, setup: bool = True) -> WarehouseHarness:
        harness = cls(open_warehouse(endpoints))
        if setup:
            harness.warehouse.setup()
        return harness

    def _row(
        self, id_: str, version: int, hash_: str, operation: str, payload: str | None
    ) -> WarehouseRow:
        values: dict[str, Any] = {
            "id": id_,
            "version": version,
            "hash": hash_,
            "entity_type": "knowledge",
            "operation": operation,
            "source": "contract",
            "timestamp": datetime.now(UTC),
        }
        if payload is not None:
            values |= {"title": payload, "content": {"body": payload}}
        return WarehouseRow(self.TABLE, f"{id_}:{version}", values)

    def write(self, records: Sequence[Rec]) -> WriteResult | None:
        self.warehouse.insert_rows(
            [self._row(r.id, r.version, r.hash, "upsert", r.payload) for r in records]
        )
        return None  # streaming inserts report nothing: the latest view decides

    def versions(self, ids: Sequence[str]) -> dict[str, StoredVersion]:
        return self.warehouse.versions(self.TABLE, ids)

    def _latest(self, ids: Sequence[str]) -> list[dict[str, Any]]:
        return self.warehouse.query(
            f"SELECT id, operation, title, content FROM {{dataset}}.{self.TABLE}_latest "
            "WHERE id IN UNNEST(@ids)",
            {"ids": list(ids)},
        )

    def read(self, ids: Sequence[str]) -> dict[str, tuple[str, ...]]:
        return {
            r["id"]: (r["title"], _body(r["content"]))
            for r in self._latest(ids)
            if r["operation"] != "delete"
        }

    def count(self, ids: Sequence[str]) -> dict[str, int]:
        return dict(Counter(r["id"] for r in self._latest(ids) if r["operation"] != "delete"))

    def delete(self, ids: Sequence[str], *, version: int | None) -> int | None:
        if version is None:
            raise NotImplementedError("a warehouse delete is a row and needs a version")
        self.warehouse.insert_rows([self._row(i, version, "", "delete", None) for i in ids])
        return None

    def find(self, text: str) -> list[str]:
        rows = self.warehouse.query(
            f"SELECT id FROM {{dataset}}.{self.TABLE}_latest WHERE title = @title", {"title": text}
        )
        return [r["id"] for r in rows]

    def close(self) -> None:
        self.warehouse.close()

    def _insert(self, table: str, id_: str, **values: object) -> None:
        self.warehouse.insert_rows([WarehouseRow(table, f"{id_}:1", {"id": id_, **values})])

    def unknown_table(self, id_: str) -> object:
        self._insert("events; DROP", id_)
        return None

    def unknown_column(self, id_: str) -> object:
        self._insert(self.TABLE, id_, version=1, nope=1)
        return None

    def mistyped_value(self, id_: str) -> object:
        self._insert(self.TABLE, id_, version="2")  # the emulator would answer 500
        return None

    def no_id(self, id_: str) -> object:
        self.warehouse.insert_rows([WarehouseRow(self.TABLE, f"{id_}:1", {"version": 1})])
        return None

    def int64_overflow(self, id_: str) -> object:
        self._insert(self.TABLE, id_, version=2**70)
        return None


def _body(content: Any) -> Any:
    """The payload kept in the JSON ``content`` column (None when the row has none)."""
    return content.get("body") if isinstance(content, dict) else content


WarehouseHarness.refusals = (
    Refusal("unknown-table", WarehouseHarness.unknown_table, match="unknown table"),
    Refusal("unknown-column", WarehouseHarness.unknown_column, match="unknown columns"),
    Refusal("mistyped-value", WarehouseHarness.mistyped_value, match="expects INT64"),
    Refusal("no-id", WarehouseHarness.no_id, match="has no id"),
    Refusal("int64-overflow", WarehouseHarness.int64_overflow, match="INT64"),
)


# ---- Chroma ----------------------------------------------------------------------------
class VectorHarness:
    """`ChromaVectors`: a vector in this harness's own collection with the payload as its
    document and in its ``note`` metadata; the id is also kept in ``rid`` metadata so reads
    go through the port's `search` (the port has no get-by-id)."""

    name: ClassVar[str] = "chroma"
    EMBEDDING: ClassVar[list[float]] = [1.0, 0.0]
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.REPORTS_STALE, Capability.UNVERSIONED_DELETE, Capability.FIND_BY_TEXT}
    )
    refusals: ClassVar[tuple[Refusal, ...]] = ()

    def __init__(self, vectors: ChromaVectors, collection: str) -> None:
        self.vectors = vectors
        self.collection = collection

    @classmethod
    def open(cls, endpoints: Endpoints, *, setup: bool = True) -> VectorHarness:
        return cls(open_vectors(endpoints), f"contract{uuid.uuid4().hex[:12]}")

    def write(self, records: Sequence[Rec]) -> WriteResult | None:
        return self.vectors.upsert(
            [
                VectorRecord(
                    self.collection,
                    r.id,
                    r.version,
                    r.hash,
                    r.payload,
                    list(self.EMBEDDING),
                    {"note": r.payload, "rid": r.id},
                )
                for r in records
            ]
        )

    def versions(self, ids: Sequence[str]) -> dict[str, StoredVersion]:
        return self.vectors.versions(self.collection, ids)

    def _hits(self, where: dict[str, Any], k: int) -> list[Any]:
        return self.vectors.search(self.collection, self.EMBEDDING, k=k, where=where)

    def read(self, ids: Sequence[str]) -> dict[str, tuple[str, ...]]:
        if not ids:
            return {}
        hits = self._hits({"rid": {"$in": list(ids)}}, k=2 * len(ids))
        return {h.id: (h.document, h.metadata["note"]) for h in hits}

    def count(self, ids: Sequence[str]) -> dict[str, int]:
        if not ids:
            return {}
        return dict(Counter(h.id for h in self._hits({"rid": {"$in": list(ids)}}, k=2 * len(ids))))

    def delete(self, ids: Sequence[str], *, version: int | None) -> int | None:
        self.vectors.delete(self.collection, ids)  # VectorPort.delete takes no version
        return None

    def find(self, text: str) -> list[str]:
        return [h.id for h in self._hits({"note": text}, k=10)]

    def close(self) -> None:
        self.vectors.close()

    def other_dimension(self, id_: str) -> object:
        self.write([rec(id_ + "-2d", 1)])  # the collection now holds 2-dimensional vectors
        return self.vectors.upsert(
            [VectorRecord(self.collection, id_, 1, "h", "d", [1.0, 0.0, 0.0])]
        )

    def non_finite(self, id_: str) -> object:
        return self.vectors.upsert(
            [VectorRecord(self.collection, id_, 1, "h", "d", [float("nan"), 0.0])]
        )

    def empty_id(self, id_: str) -> object:
        return self.vectors.upsert(
            [VectorRecord(self.collection, "", 1, "h", "d", list(self.EMBEDDING))]
        )

    def hostile_collection(self, id_: str) -> object:
        return self.vectors.upsert(
            [VectorRecord("bad name!", id_, 1, "h", "d", list(self.EMBEDDING))]
        )

    def empty_embedding(self, id_: str) -> object:
        return self.vectors.upsert([VectorRecord(self.collection, id_, 1, "h", "d", [])])


VectorHarness.refusals = (
    Refusal("other-dimension", VectorHarness.other_dimension, match="dimension"),
    Refusal("non-finite", VectorHarness.non_finite, match="Non-finite"),
    Refusal("empty-id", VectorHarness.empty_id, match="Empty ID"),
    Refusal("hostile-collection", VectorHarness.hostile_collection, match="invalid collection"),
    Refusal("empty-embedding", VectorHarness.empty_embedding, match="empty embedding"),
)


HARNESSES: dict[str, type[StoreHarness]] = {
    h.name: h for h in (RedisHarness, GraphHarness, WarehouseHarness, VectorHarness)
}
assert tuple(HARNESSES) == STORES
