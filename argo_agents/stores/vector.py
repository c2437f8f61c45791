"""Chroma adapter (chromadb `HttpClient`): one cosine collection per entity type.

Collections are named ``argo_<entity_type>`` and created with no embedding
function: Chroma's default one downloads a model at first use (which fails
offline), so ARGO always passes embeddings itself. Chroma has no conditional
write, so the version fence is read-then-upsert: safe for one writer per
entity at a time (the sync engine's consumer group gives each event to one
worker), not a lock.

Errors are classed by what a retry would do: timeouts, rate limits and
server failures (HTTP 408, 429, 5xx) are `StoreUnavailable`; answers about
the request itself (400, 409, 422, ...) are `StoreRejected`. The Chroma
server names only four of its error codes and calls all the others
"ChromaError", so chromadb cannot tell a 503 from a 409; the HTTP status is
therefore read before chromadb maps the answer (`_raise_transient_status`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import chromadb
import httpx
from chromadb.api import ClientAPI
from chromadb.api.collection_configuration import CreateHNSWConfiguration
from chromadb.api.models.Collection import Collection
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import ChromaError, InternalError, RateLimitError, VersionMismatchError

from argo_agents.config.endpoints import Endpoints
from argo_agents.stores.errors import StoreRejected, StoreUnavailable, unavailable_hint
from argo_agents.stores.naming import SCALARS, check_identifier, to_json
from argo_agents.stores.ports import VectorHit
from argo_agents.stores.records import StoredVersion, VectorRecord, WriteResult

PREFIX = "argo_"
# Every collection's index settings: cosine, Chroma's HNSW defaults otherwise (measured in
# `bench/vector_costs.py`: cheaper build or search settings cost recall). Passed as a copy:
# chromadb fills a missing setting into the dict it is given.
HNSW_CONFIG: CreateHNSWConfiguration = {"space": "cosine"}
CHUNK = 1000  # Chroma's max batch is larger, but 1,000 keeps requests small and fast
VERSION_KEY, HASH_KEY = "_version", "_hash"
_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_-]{0,56}[A-Za-z0-9])?")
_WORD = re.compile(r"\w+")

# What a failure means for a retry. "Not now": the server could not be reached, or answered a
# timeout, a rate limit or any 5xx (an unknown server failure is retried, not dead-lettered).
# Everything else the server refuses (400, 404, 409, 413, 422, ...) is about the request.
_TRANSPORT = (httpx.TransportError, ConnectionError, TimeoutError)
_TRANSIENT_STATUS = frozenset({408, 429, *range(500, 600)})
_TRANSIENT_ERRORS = (InternalError, RateLimitError, VersionMismatchError)  # 500, 429, 500
_SERVER_BUSY_HINT = "the server is overloaded, restarting or failing; the write will be retried"


class ChromaVectors:
    """`VectorPort` on a Chroma server; ``collection`` arguments are entity types."""

    name = "chroma"

    def __init__(self, client: ClientAPI, address: str) -> None:
        self._client = client
        self.address = address
        self._collections: dict[str, Collection] = {}
        self._errors = _ErrorMapper(self.name, address)

    @classmethod
    def from_endpoints(cls, endpoints: Endpoints) -> ChromaVectors:
        """Connect with timeouts on every request (chromadb itself sets none)."""
        scheme = "https" if endpoints.chroma_ssl else "http"
        address = f"{scheme}://{endpoints.chroma_host}:{endpoints.chroma_port}"
        timeout = httpx.Timeout(endpoints.timeout_s)
        with _ErrorMapper(cls.name, address)():
            # The client's constructor already calls the server with no timeout; a
            # bounded heartbeat first turns a hung server into a prompt error.
            httpx.get(f"{address}/api/v2/heartbeat", timeout=timeout).raise_for_status()
            client = chromadb.HttpClient(
                host=endpoints.chroma_host,
                port=endpoints.chroma_port,
                ssl=endpoints.chroma_ssl,
                settings=ChromaSettings(anonymized_telemetry=False),
            )
        session = getattr(getattr(client, "_server", None), "_session", None)
        if isinstance(session, httpx.Client):
            # chromadb 1.5 builds its httpx session with timeout=None and offers no
            # setting for it; without this a hung server blocks a worker forever.
            session.timeout = timeout
            # A 429/5xx must reach `_ErrorMapper` with its status (see the hook).
            hooks = session.event_hooks
            session.event_hooks = {
                **hooks,
                "response": [*hooks["response"], _raise_transient_status],
            }
        return cls(client, address)

    def _collection(self, logical: str) -> Collection:
        name = PREFIX + check_identifier(
            "collection", logical, store=self.name, address=self.address, pattern=_NAME
        )
        if name not in self._collections:
            with self._errors():
                self._collections[name] = self._client.get_or_create_collection(
                    name, embedding_function=None, configuration={"hnsw": HNSW_CONFIG.copy()}
                )
        return self._collections[name]

    # ---- Store ---------------------------------------------------------------------
    def health(self) -> None:
        """Heartbeat."""
        with self._errors():
            self._client.heartbeat()

    def close(self) -> None:
        """Release the HTTP session."""
        close = getattr(self._client, "close", None)
        if close is not None:
            close()

    # ---- writes --------------------------------------------------------------------
    def upsert(self, records: Sequence[VectorRecord]) -> WriteResult:
        """Upsert records whose stored ``_version`` is older or absent, per collection."""
        if empty := [r.id for r in records if not r.embedding]:
            # chromadb itself fails on these with an IndexError, not a clear refusal
            raise StoreRejected(
                self.name,
                self.address,
                f"records {empty[:5]} have an empty embedding",
                hint="give every record a non-empty embedding",
            )
        groups: dict[str, dict[str, VectorRecord]] = defaultdict(dict)
        for r in records:
            kept = groups[r.collection].get(r.id)
            if kept is None or r.version > kept.version:  # newest of the batch wins
                groups[r.collection][r.id] = r
        result = WriteResult()
        for logical, by_id in groups.items():
            col = self._collection(logical)
            batch = list(by_id.values())
            for start in range(0, len(batch), CHUNK):
                chunk = batch[start : start + CHUNK]
                stored = self._stored_versions(col, [r.id for r in chunk])
                fresh = [r for r in chunk if stored.get(r.id, (-1, ""))[0] < r.version]
                if fresh:
                    with self._errors():
                        # Chroma's stubs ask for numpy arrays; lists are accepted at run time
                        col.upsert(
                            ids=[r.id for r in fresh],
                            embeddings=[
                                list(map(float, r.embedding))  # type: ignore[arg-type]
                                for r in fresh
                            ],
                            documents=[r.document for r in fresh],
                            metadatas=[vector_metadata(r) for r in fresh],
                        )
                result.applied.extend(r.id for r in fresh)
        applied = set(result.applied)
        result.stale.extend(r.id for r in records if r.id not in applied)
        return result

    def delete(self, collection: str, ids: Sequence[str]) -> None:
        """Delete vectors by id (missing ids are ignored)."""
        if ids:
            with self._errors():
                self._collection(collection).delete(ids=list(ids))

    # ---- reads ---------------------------------------------------------------------
    def search(
        self,
        collection: str,
        embedding: Sequence[float],
        *,
        k: int = 5,
        where: Mapping[str, Any] | None = None,
        ids: Sequence[str] | None = None,
    ) -> list[VectorHit]:
        """Nearest ``k`` by cosine similarity; ``where`` is a Chroma metadata filter dict.

        With ``ids``, Chroma compares the query with those vectors only (exactly, not
        through the HNSW graph); an empty ``ids`` finds nothing.
        """
        if ids is not None and not ids:
            return []
        return self.search_many(collection, [embedding], k=k, where=where, ids=ids)[0]

    def ids_containing(self, collection: str, word: str, *, limit: int) -> list[str]:
        """Ids of up to ``limit`` vectors whose document contains ``word``, ignoring case.

        ``word`` must be letters, digits and underscores (the pattern is built from it).
        """
        if not _WORD.fullmatch(word):
            raise ValueError(f"not a word: {word!r} (letters, digits and underscores only)")
        col = self._collection(collection)
        with self._errors():
            # Chroma's regex is Rust's; a \w+ word has no character it would read as syntax
            got = col.get(where_document={"$regex": f"(?i){word}"}, include=[], limit=int(limit))
        return list(got["ids"])

    def search_many(
        self,
        collection: str,
        embeddings: Sequence[Sequence[float]],
        *,
        k: int = 5,
        where: Mapping[str, Any] | None = None,
        content: bool = True,
        ids: Sequence[str] | None = None,
    ) -> list[list[VectorHit]]:
        """`search` for many vectors in one request per `CHUNK` (one round trip, not N).

        ``content=False``: ids and similarities only (measured ~20 % less Chroma CPU).
        ``ids``: rank among those vectors only (see `search`).
        """
        col = self._collection(collection)
        include: Any = ["documents", "metadatas", "distances"] if content else ["distances"]
        found: list[list[VectorHit]] = []
        for start in range(0, len(embeddings), CHUNK):
            with self._errors():
                res = col.query(
                    query_embeddings=[
                        list(map(float, e))  # type: ignore[arg-type]
                        for e in embeddings[start : start + CHUNK]
                    ],
                    n_results=int(k),
                    where=dict(where) if where else None,
                    ids=list(ids) if ids is not None else None,
                    include=include,
                )
            found += [_hits(res, row) for row in range(len(res["ids"]))]
        return found

    def versions(self, collection: str, ids: Sequence[str]) -> dict[str, StoredVersion]:
        """Version and hash of the vectors that exist."""
        col = self._collection(collection)
        found: dict[str, StoredVersion] = {}
        for start in range(0, len(ids), CHUNK):
            for i, (v, h) in self._stored_versions(col, list(ids[start : start + CHUNK])).items():
                found[i] = StoredVersion(i, v, h)
        return found

    def metadata_page(
        self, collection: str, *, limit: int, offset: int
    ) -> list[tuple[str, dict[str, Any]]]:
        """(id, metadata) of up to ``limit`` vectors from ``offset``, in the store's order."""
        col = self._collection(collection)
        with self._errors():
            got = col.get(include=["metadatas"], limit=limit, offset=offset)
        metas = got["metadatas"] or [{}] * len(got["ids"])
        return [(i, dict(m or {})) for i, m in zip(got["ids"], metas, strict=False)]

    def ids_where(
        self, collection: str, where: Mapping[str, Any], *, limit: int = 10_000
    ) -> list[str]:
        """Ids of the vectors whose metadata match ``where`` (a Chroma filter), up to ``limit``."""
        col = self._collection(collection)
        with self._errors():
            got = col.get(where=dict(where), include=[], limit=int(limit))
        return list(got["ids"])

    def _stored_versions(self, col: Collection, ids: list[str]) -> dict[str, tuple[int, str]]:
        if not ids:
            return {}
        with self._errors():
            got = col.get(ids=ids, include=["metadatas"])
        return {
            i: (
                int((m or {}).get(VERSION_KEY, -1)),  # type: ignore[arg-type]
                str((m or {}).get(HASH_KEY, "")),
            )
            for i, m in zip(got["ids"], got["metadatas"] or [], strict=False)
        }


def _hits(res: Any, row: int) -> list[VectorHit]:
    """The hits of query ``row`` in a Chroma query result."""
    ids, dists = res["ids"][row], (res["distances"] or [])[row]
    docs = res["documents"][row] if res["documents"] else [None] * len(ids)
    metas = res["metadatas"][row] if res["metadatas"] else [None] * len(ids)
    return [
        VectorHit(i, 1.0 - float(d), doc or "", dict(m or {}))
        for i, d, doc, m in zip(ids, dists, docs, metas, strict=True)
    ]


def vector_metadata(record: VectorRecord) -> dict[str, Any]:
    """Metadata Chroma can hold (str/int/float/bool; others as JSON text) plus the fence."""
    out: dict[str, Any] = {}
    for key, value in record.metadata.items():
        if value is None:
            continue  # Chroma drops None anyway; leaving it out keeps reads identical
        out[key] = value if isinstance(value, SCALARS) else to_json(value)
    out[VERSION_KEY] = int(record.version)
    out[HASH_KEY] = record.hash
    return out


def _raise_transient_status(response: httpx.Response) -> None:
    """httpx response hook: raise a transient status as `httpx.HTTPStatusError` before
    chromadb turns it into a plain `ChromaError` that no longer carries the status."""
    if response.status_code in _TRANSIENT_STATUS:
        response.read()  # keep the body for the error message
        response.raise_for_status()


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and what it was raised from or while handling: chromadb re-raises failures as
    a bare ``Exception(resp.text)`` or a ValueError inside its ``except`` blocks."""
    chain: list[BaseException] = []
    cause: BaseException | None = exc
    while cause is not None and len(chain) < 5:
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__
    return chain


class _ErrorMapper:
    """Turns httpx/chromadb failures into typed store errors."""

    def __init__(self, store: str, address: str) -> None:
        self.store, self.address = store, address

    @contextmanager
    def __call__(self) -> Iterator[None]:
        try:
            yield
        except _TRANSPORT as exc:
            raise StoreUnavailable(
                self.store,
                self.address,
                f"{type(exc).__name__}: {exc}",
                hint=unavailable_hint(self.store),
            ) from exc
        except (httpx.HTTPStatusError, ChromaError, ValueError, TypeError) as exc:
            raise self.classify(exc) from exc
        except Exception as exc:
            if type(exc) is not Exception:
                raise  # a bug, not an answer from the server
            raise self.classify(exc) from exc  # chromadb's bare Exception(resp.text)

    def classify(self, exc: Exception) -> StoreUnavailable | StoreRejected:
        """The typed error for a failed request. A transport failure or a known HTTP status
        anywhere in the chain decides; then chromadb's error class; ValueError/TypeError are
        chromadb's own checks of the request; a bare Exception without a status is a server
        answer chromadb could not read, retried like any unknown server failure."""
        chain = _chain(exc)
        status = next(
            (c.response.status_code for c in chain if isinstance(c, httpx.HTTPStatusError)), None
        )
        if any(isinstance(c, _TRANSPORT) for c in chain):
            transient, hint = True, unavailable_hint(self.store)
        elif status is not None:
            transient, hint = status in _TRANSIENT_STATUS, _SERVER_BUSY_HINT
        elif isinstance(exc, ChromaError):
            transient, hint = isinstance(exc, _TRANSIENT_ERRORS), _SERVER_BUSY_HINT
        else:
            transient, hint = type(exc) is Exception, _SERVER_BUSY_HINT
        if isinstance(exc, httpx.HTTPStatusError):
            message = f"HTTP {status}: {_body(exc)}"
        else:
            message = f"{type(exc).__name__}: {exc}" + (f" (HTTP {status})" if status else "")
        if transient:
            return StoreUnavailable(self.store, self.address, message, hint=hint)
        return StoreRejected(
            self.store, self.address, message, hint="the request was refused; see the message"
        )


def _body(exc: httpx.HTTPStatusError) -> str:
    try:
        return exc.response.text[:300]
    except httpx.ResponseNotRead:
        return "(no body read)"
