"""Graph adapter on the official neo4j driver: Neo4j 5 in production, ArcadeDB (Bolt) locally.

All user data travels as Cypher parameters. Labels and relationship types
cannot be parameters, so they are validated (`naming.IDENTIFIER`) before they
are placed in the query text. Writes are UNWIND batches, one per label (or
per edge type and end labels).

Edge ends are MERGEd, not MATCHed: the sync engine may apply an edge before
its nodes arrive, and a MATCH would silently drop it. A node created this way
is a placeholder with ``version = -1``; the first real write replaces it and
`versions` does not report it (so the verifier still sees the node missing).

Errors are classed by what a retry would do (`_errors`): colliding writers
(including two that create the same new node at once: a duplicate id) are
`StoreBusy`; transient and database (server-side) failures, an unreachable
server, an expired session, a full connection pool, a database that does not
exist yet and transaction timeouts are `StoreUnavailable`; other client
errors (syntax, type, ...) are `StoreRejected`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

import neo4j
from neo4j import GraphDatabase, RoutingControl
from neo4j import exceptions as nx

from argo_agents.config.endpoints import Endpoints
from argo_agents.stores.errors import (
    StoreBusy,
    StoreRejected,
    StoreUnavailable,
    unavailable_hint,
)
from argo_agents.stores.naming import SCALARS, check_identifier, is_scalar_list, to_json
from argo_agents.stores.records import EdgeRecord, NodeRecord, StoredVersion, WriteResult

MAX_DEPTH = 5  # variable-length paths explode combinatorially; 5 hops is plenty for plans
RESERVED = frozenset({"id", "version", "hash"})  # set by the adapter, never by props

_UPSERT_NODES = """
UNWIND $rows AS row
MERGE (n:{label} {{id: row.id}})
ON CREATE SET n.version = -1
WITH n, row WHERE coalesce(n.version, -1) < row.version
SET n = row.props, n.id = row.id, n.version = row.version, n.hash = row.hash
RETURN n.id AS id
"""
# `SET n = ...` replaces every property: a field a newer version removed (or set to
# None) must not linger on the node for Cypher readers.

# One row per source node with its outgoing edges: the source is merged once, not
# once per edge (measured 1.6x faster for SIMILAR_TO's five edges per node).
# An edge that names its source's version (``src_version``) is written only while the
# source node is not newer (the node statement's fence): a late writer of an old version's
# edges (a redelivery, a slow worker) must not add them back after the new version
# replaced them (`prune_edges`). A row is skipped only when its node exists already.
_UPSERT_EDGES = """
UNWIND $rows AS row
MERGE (a:{src} {{id: row.src}}) ON CREATE SET a.version = -1
WITH a, row WHERE row.version IS NULL OR coalesce(a.version, -1) <= row.version
WITH a, row UNWIND row.out AS out
MERGE (b:{dst} {{id: out.dst}}) ON CREATE SET b.version = -1
MERGE (a)-[r:{type}]->(b)
SET r += out.props
"""

# Matched, not merged: deleting an edge whose ends do not exist is a no-op. The id is taken
# before the DELETE because a deleted relationship cannot be read afterwards.
_DELETE_EDGES = """
UNWIND $rows AS row
MATCH (a:{src} {{id: row.src}})-[r:{type}]->(b:{dst} {{id: row.dst}})
WITH r, row.src AS src
DELETE r
RETURN count(src) AS deleted
"""

# Client error codes that say "not now" all the same, with what to do about them.
_TIMED_OUT = "the server was too slow (load or lock waits); the write will be retried"
_UNAVAILABLE_CODES = {
    "Neo.ClientError.Database.DatabaseNotFound": (
        "create it, or wait for the local stack to finish starting"
    ),
    "Neo.ClientError.Transaction.TransactionTimedOut": _TIMED_OUT,  # ArcadeDB: TIMEOUT category
    "Neo.ClientError.Transaction.TransactionTimedOutClientConfiguration": _TIMED_OUT,
}
_DUPLICATE_KEY = "Neo.ClientError.Schema.ConstraintValidationFailed"
# Every failure to reach or keep a server: not connected, session expired, pool exhausted
# (`ConnectionAcquisitionTimeoutError`); all are `DriverError`s except socket errors.
_UNREACHABLE = (
    nx.ServiceUnavailable,
    nx.SessionExpired,
    nx.ConnectionAcquisitionTimeoutError,
    nx.DriverError,
    OSError,
)

_RELATED = """
MATCH p = (s:{label} {{id: $id}})-[*1..{depth}]-(m)
WHERE m <> s
WITH m, min(length(p)) AS distance
RETURN labels(m)[0] AS label, m.id AS id, distance
ORDER BY distance, id
LIMIT $limit
"""


class Neo4jGraph:
    """`GraphPort` over Bolt; `is_real_neo4j` tells Neo4j from a compatible server."""

    name = "neo4j"

    def __init__(self, driver: neo4j.Driver, database: str, address: str) -> None:
        self._driver = driver
        self.database = database
        self.address = address
        self._agent: str | None = None

    @classmethod
    def from_endpoints(cls, endpoints: Endpoints) -> Neo4jGraph:
        """Create the driver (it connects lazily) with the endpoints' timeouts."""
        t = endpoints.timeout_s
        driver = GraphDatabase.driver(
            endpoints.neo4j_uri,
            auth=(endpoints.neo4j_user, endpoints.neo4j_password),
            connection_timeout=t,
            connection_acquisition_timeout=t,
            # No driver-side retries: they would stretch a dead server's error far past
            # `timeout_s`. The sync engine retries `StoreUnavailable` with backoff.
            max_transaction_retry_time=0,
        )
        return cls(driver, endpoints.neo4j_database, endpoints.neo4j_uri)

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except nx.TransientError as exc:
            # incl. DatabaseUnavailable, NotALeader, ForbiddenOnReadOnlyDatabase
            if (exc.code or "").startswith("Neo.TransientError.Transaction."):
                # Deadlocks and ArcadeDB's optimistic-concurrency conflicts between writers
                raise StoreBusy(
                    self.name,
                    self.address,
                    _message(exc),
                    hint="concurrent writers collided; retry the write",
                ) from exc
            raise self._unavailable(exc) from exc
        except nx.DatabaseError as exc:
            # The server failed, not the query (ArcadeDB: any error it does not classify)
            raise self._unavailable(
                exc, hint="the server failed to run the query; the write will be retried"
            ) from exc
        except nx.AuthError as exc:
            raise StoreUnavailable(
                self.name,
                self.address,
                "authentication failed",
                hint="check ARGO_NEO4J_USER / ARGO_NEO4J_PASSWORD",
            ) from exc
        except nx.Neo4jError as exc:
            raise self._client_error(exc) from exc
        except _UNREACHABLE as exc:
            raise self._unavailable(exc) from exc
        except (OverflowError, TypeError, ValueError) as exc:
            # the driver cannot encode a value (an int beyond 64 bits, an odd type)
            raise StoreRejected(
                self.name,
                self.address,
                f"{type(exc).__name__}: {exc}",
                hint="the data cannot be stored in the graph; fix the value",
            ) from exc

    def _client_error(self, exc: nx.Neo4jError) -> StoreBusy | StoreUnavailable | StoreRejected:
        """What a client error (the query's, not the server's) means for a retry."""
        if exc.code == _DUPLICATE_KEY:
            # Every write here MERGEs by id, so a duplicate id means two writers created
            # the same new node at once (a node and an edge to it): a retry's MERGE
            # finds the node the other one created.
            return StoreBusy(
                self.name,
                self.address,
                _message(exc),
                hint="two writers created the same node at once; retry the write",
            )
        if exc.code in _UNAVAILABLE_CODES:
            return StoreUnavailable(
                self.name,
                self.address,
                f"database {self.database!r}: {_message(exc)}",
                hint=_UNAVAILABLE_CODES[exc.code],
            )
        # syntax, type, semantic, ...
        return StoreRejected(
            self.name,
            self.address,
            _message(exc),
            hint="the query or data was refused; see the message",
        )

    def _unavailable(self, exc: BaseException, hint: str = "") -> StoreUnavailable:
        return StoreUnavailable(
            self.name,
            self.address,
            f"{type(exc).__name__}: {exc}",
            hint=hint or unavailable_hint(self.name),
        )

    def _run(
        self, cypher: str, params: Mapping[str, Any] | None = None, *, write: bool = True
    ) -> list[dict[str, Any]]:
        with self._errors():
            result = self._driver.execute_query(
                cypher,
                dict(params or {}),
                database_=self.database,
                routing_=RoutingControl.WRITE if write else RoutingControl.READ,
            )
        return [record.data() for record in result.records]

    def _label(self, label: str) -> str:
        return check_identifier("label", label, store=self.name, address=self.address)

    # ---- Store ---------------------------------------------------------------------
    def health(self) -> None:
        """Run a trivial query in the configured database (fails until it exists)."""
        self._run("RETURN 1 AS ok", write=False)

    def close(self) -> None:
        """Close the driver's pool."""
        self._driver.close()

    @property
    def is_real_neo4j(self) -> bool:
        """True for Neo4j itself; False for ArcadeDB ("Neo4j/5.26.0 compatible (ArcadeDB …)")."""
        if self._agent is None:
            with self._errors():
                self._agent = self._driver.get_server_info().agent or ""
        return self._agent.startswith("Neo4j/") and "compatible" not in self._agent

    # ---- schema --------------------------------------------------------------------
    def setup(self, labels: Sequence[str]) -> None:
        """A uniqueness constraint on ``id`` per label (same syntax on Neo4j 5 and ArcadeDB)."""
        for label in labels:
            self._label(label)
            self._run(
                f"CREATE CONSTRAINT {label}_id IF NOT EXISTS FOR (n:{label}) REQUIRE n.id IS UNIQUE"
            )

    # ---- writes --------------------------------------------------------------------
    def upsert_nodes(self, nodes: Sequence[NodeRecord]) -> WriteResult:
        """MERGE by id, applying only rows newer than what is stored."""
        by_label: dict[str, dict[str, NodeRecord]] = defaultdict(dict)
        for n in nodes:
            kept = by_label[self._label(n.label)].get(n.id)
            if kept is None or n.version > kept.version:  # newest of the batch wins
                by_label[n.label][n.id] = n
        result = WriteResult()
        for label, group in by_label.items():
            rows = [
                {
                    "id": n.id,
                    "version": int(n.version),
                    "hash": n.hash,
                    "props": graph_props(n.props),
                }
                for n in group.values()
            ]
            applied = {
                r["id"] for r in self._run(_UPSERT_NODES.format(label=label), {"rows": rows})
            }
            result.applied.extend(i for i in group if i in applied)
        applied_all = set(result.applied)
        result.stale.extend(n.id for n in nodes if n.id not in applied_all)
        return result

    def upsert_edges(self, edges: Sequence[EdgeRecord]) -> None:
        """MERGE each relationship once between its (merged) end nodes."""
        groups: dict[tuple[str, str, str], dict[tuple[str, Any], list[dict[str, Any]]]] = (
            defaultdict(lambda: defaultdict(list))
        )
        for e in edges:
            key = (
                check_identifier(
                    "relationship type", e.type, store=self.name, address=self.address
                ),
                self._label(e.src_label),
                self._label(e.dst_label),
            )
            source = (e.src_id, e.props.get("src_version"))
            groups[key][source].append({"dst": e.dst_id, "props": graph_props(e.props)})
        for (rel, src, dst), by_src in groups.items():
            self._run(
                _UPSERT_EDGES.format(type=rel, src=src, dst=dst),
                {"rows": [{"src": i, "version": v, "out": out} for (i, v), out in by_src.items()]},
            )

    def delete_edges(self, edges: Sequence[EdgeRecord]) -> int:
        """Delete each relationship ``(src)-[type]->(dst)`` (``props`` are ignored); return how
        many were deleted. Labels and types are checked as in `upsert_edges`."""
        groups: dict[tuple[str, str, str], set[tuple[str, str]]] = defaultdict(set)
        for e in edges:
            key = (
                check_identifier(
                    "relationship type", e.type, store=self.name, address=self.address
                ),
                self._label(e.src_label),
                self._label(e.dst_label),
            )
            groups[key].add((e.src_id, e.dst_id))  # a pair given twice is deleted once
        deleted = 0
        for (rel, src, dst), pairs in groups.items():
            rows = self._run(
                _DELETE_EDGES.format(type=rel, src=src, dst=dst),
                {"rows": [{"src": s, "dst": d} for s, d in sorted(pairs)]},
            )
            deleted += int(rows[0]["deleted"]) if rows else 0
        return deleted

    def prune_edges(self, label: str, versions: Mapping[str, int]) -> int:
        """Delete the outgoing edges each node's earlier versions wrote (``src_version``
        below the node's version given); edges without a ``src_version`` stay."""
        if not versions:
            return 0
        rows = self._run(
            f"UNWIND $rows AS row MATCH (a:{self._label(label)} {{id: row.id}})-[r]->() "
            "WHERE r.src_version IS NOT NULL AND r.src_version < row.version "
            "WITH r, row.id AS id DELETE r RETURN count(id) AS deleted",
            {"rows": [{"id": i, "version": v} for i, v in versions.items()]},
        )
        return int(rows[0]["deleted"]) if rows else 0

    def delete_nodes(
        self, label: str, ids: Sequence[str], *, versions: Mapping[str, int] | None = None
    ) -> int:
        """DETACH DELETE by id; return the number deleted.

        With ``versions`` (id -> the delete's version) a node is deleted only if its
        stored version is not newer, checked in the same statement (compare-and-set),
        so a newer version written meanwhile by another worker survives.
        """
        fence = versions or {}
        rows = self._run(
            f"UNWIND $rows AS row MATCH (n:{self._label(label)} {{id: row.id}}) "
            "WHERE row.version IS NULL OR coalesce(n.version, -1) <= row.version "
            "WITH n, n.id AS id DETACH DELETE n RETURN count(id) AS deleted",
            {"rows": [{"id": i, "version": fence.get(i)} for i in ids]},
        )
        return int(rows[0]["deleted"]) if rows else 0

    # ---- reads ---------------------------------------------------------------------
    def get_nodes(self, label: str, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """All properties of the nodes that exist (including id, version, hash)."""
        rows = self._run(
            f"MATCH (n:{self._label(label)}) WHERE n.id IN $ids "
            "RETURN n.id AS id, properties(n) AS props",
            {"ids": list(ids)},
            write=False,
        )
        return {r["id"]: r["props"] for r in rows}

    def versions(self, label: str, ids: Sequence[str]) -> dict[str, StoredVersion]:
        """Version and hash of written nodes (edge-end placeholders are left out)."""
        rows = self._run(
            f"MATCH (n:{self._label(label)}) WHERE n.id IN $ids AND n.version >= 0 "
            "RETURN n.id AS id, n.version AS version, n.hash AS hash",
            {"ids": list(ids)},
            write=False,
        )
        return {r["id"]: StoredVersion(r["id"], int(r["version"]), r["hash"] or "") for r in rows}

    def query(self, cypher: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run a parameterized query in a read transaction (Neo4j refuses writes there)."""
        return self._run(cypher, params, write=False)

    def related(
        self, label: str, node_id: str, *, max_depth: int = 3, limit: int = 50
    ) -> list[tuple[str, str, int]]:
        """Nodes within ``max_depth`` hops in either direction, with their shortest distance."""
        if (
            isinstance(max_depth, bool)
            or not isinstance(max_depth, int)
            or not 1 <= max_depth <= MAX_DEPTH
        ):
            raise StoreRejected(
                self.name,
                self.address,
                f"max_depth {max_depth!r} out of range",
                hint=f"use an integer from 1 to {MAX_DEPTH}",
            )
        rows = self._run(
            _RELATED.format(label=self._label(label), depth=max_depth),
            {"id": node_id, "limit": int(limit)},
            write=False,
        )
        return [(r["label"], r["id"], int(r["distance"])) for r in rows]


def graph_props(props: Mapping[str, Any]) -> dict[str, Any]:
    """Properties a graph can hold: scalars and lists of scalars; anything else as JSON text."""
    out: dict[str, Any] = {}
    for key, value in props.items():
        if key in RESERVED:
            continue
        if value is None or isinstance(value, SCALARS):
            out[key] = value
        elif isinstance(value, datetime | date):
            out[key] = value.isoformat()  # portable: ArcadeDB and Neo4j temporals differ
        elif is_scalar_list(value):
            out[key] = list(value)
        else:
            out[key] = to_json(value)
    return out


def _message(exc: nx.Neo4jError) -> str:
    return f"{exc.code or type(exc).__name__}: {exc.message or exc}"
