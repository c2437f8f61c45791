"""BigQuery adapter (google-cloud-bigquery): append-only tables read through ``*_latest`` views.

Rows are streamed with deterministic ``row_ids``; neither the emulator nor
(beyond a best-effort minute) BigQuery de-duplicates them, so every table has
a view keeping the highest version per id, and reads go through it. Every
call carries a socket timeout and a retry deadline of ``timeout_s`` so a dead
server raises `StoreUnavailable` in about that time instead of retrying for
the library's default ten minutes. Load jobs are not used: the emulator
cannot run them.

Errors are classed by what a retry would do: 429, 5xx, connection failures
and refusals whose reason is a limit or a backend failure (BigQuery sends
rate and quota limits as HTTP 403) are `StoreUnavailable`; everything else
the server refuses is `StoreRejected`. `TRANSIENT_REASONS` is the one list
of such reasons, for whole requests and for insertAll's per-row errors.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import requests
from google.api_core import exceptions as gx
from google.api_core.retry import Retry
from google.auth import exceptions as auth_exceptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery

from argo_agents.config.endpoints import Endpoints
from argo_agents.stores.errors import StoreRejected, StoreUnavailable, unavailable_hint
from argo_agents.stores.naming import check_identifier, to_json
from argo_agents.stores.records import StoredVersion, WarehouseRow
from argo_agents.stores.warehouse_schema import BACKFILLS, LATEST_SUFFIX, SCHEMAS, TABLES
from argo_agents.stores.warehouse_schema import TableSchema as _TableSchema

log = logging.getLogger(__name__)

_PROJECT = re.compile(r"[a-z][a-z0-9\-]{4,28}[a-z0-9]")  # GCP project-id rules
# Rows per insertAll request (BigQuery takes up to 50,000 and 10 MB; the emulator runs
# requests one at a time and is ~10 % faster with 2,000-row requests than 500-row ones).
INSERT_CHUNK = 2000
QUERY_WAIT_S = 120.0  # a query may run long; each HTTP call still has `timeout_s`
_BUSY_HINT = "BigQuery is rate- or quota-limited, overloaded or failing; the write will be retried"
# Failures that mean "not now" rather than "not this request"; the sync engine retries them.
_TRANSIENT = (
    gx.TooManyRequests,  # 429
    gx.ServerError,  # every 5xx: InternalServerError, BadGateway, ServiceUnavailable,
    # GatewayTimeout, ...
    gx.RetryError,  # our retry deadline ran out on one of these
    auth_exceptions.TransportError,  # no network while fetching a token
    requests.ConnectionError,
    requests.Timeout,
    ConnectionError,
    TimeoutError,
)
# Error reasons meaning the same whatever the HTTP status (the reasons BigQuery's own retry
# predicate retries, plus timeouts and quota limits), for requests and insertAll rows alike.
TRANSIENT_REASONS = frozenset(
    {"backendError", "internalError", "badGateway", "timeout", "rateLimitExceeded", "quotaExceeded"}
)
# insertAll's reason for a good row left out because another row of the request failed.
STOPPED = "stopped"


class BigQueryWarehouse:
    """`WarehousePort` on BigQuery or on an emulator reached through ``api_endpoint``."""

    name = "bigquery"
    tables: tuple[str, ...] = TABLES

    def __init__(
        self,
        client: bigquery.Client,
        project: str,
        dataset: str,
        location: str,
        address: str,
        timeout_s: float,
    ) -> None:
        self._client = client
        self.project = check_identifier(
            "project", project, store=self.name, address=address, pattern=_PROJECT
        )
        self.dataset = check_identifier("dataset", dataset, store=self.name, address=address)
        self.location = location
        self.address = address
        self.timeout_s = timeout_s
        # `timeout` is api-core's name for the retry deadline; short back-off steps keep
        # the total close to `timeout_s` when the server is gone.
        self._retry = Retry(initial=0.25, maximum=2.0, timeout=timeout_s)

    @classmethod
    def from_endpoints(cls, endpoints: Endpoints) -> BigQueryWarehouse:
        """Anonymous credentials for an emulator endpoint; Google's endpoint
        (``https://bigquery.googleapis.com``, how a deployment names it, since an unset
        endpoint means the local stack's emulator) uses the default credentials."""
        endpoint = endpoints.bigquery_endpoint
        if endpoint and not _is_google(endpoint):
            client = bigquery.Client(
                project=endpoints.bigquery_project,
                credentials=AnonymousCredentials(),
                location=endpoints.bigquery_location,
                client_options={"api_endpoint": endpoints.bigquery_endpoint},
            )
            address = endpoint
        else:
            client = bigquery.Client(
                project=endpoints.bigquery_project, location=endpoints.bigquery_location
            )
            address = "bigquery.googleapis.com"
        return cls(
            client,
            endpoints.bigquery_project,
            endpoints.bigquery_dataset,
            endpoints.bigquery_location,
            address,
            endpoints.timeout_s,
        )

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except _TRANSIENT as exc:
            hint = (
                _BUSY_HINT
                if isinstance(exc, gx.GoogleAPICallError)
                else unavailable_hint(self.name)
            )
            raise StoreUnavailable(self.name, self.address, _short(exc), hint=hint) from exc
        except gx.GoogleAPICallError as exc:
            if (exc.code or 0) >= 500 or transient_reasons(_call_reasons(exc)):
                # a 5xx api-core has no class for, or a 403 rate/quota limit
                raise StoreUnavailable(
                    self.name, self.address, _short(exc), hint=_BUSY_HINT
                ) from exc
            raise StoreRejected(
                self.name,
                self.address,
                _short(exc),
                hint="the request was refused; see the message",
            ) from exc

    @property
    def dataset_ref(self) -> str:
        """Backticked ``project.dataset`` (validated names, safe to place in SQL)."""
        return f"`{self.project}.{self.dataset}`"

    def _schema(self, table: str) -> _TableSchema:
        if table not in SCHEMAS:
            raise StoreRejected(
                self.name,
                self.address,
                f"unknown table {table!r}",
                hint=f"choose one of {', '.join(TABLES)}",
            )
        return SCHEMAS[table]

    # ---- Store ---------------------------------------------------------------------
    def health(self) -> None:
        """List at most one dataset: proves the API answers without needing `setup`."""
        with self._errors():
            list(
                self._client.list_datasets(max_results=1, retry=self._retry, timeout=self.timeout_s)
            )

    def close(self) -> None:
        """Close the HTTP session."""
        self._client.close()

    # ---- schema --------------------------------------------------------------------
    def setup(self) -> None:
        """Create the dataset, the tables and their ``*_latest`` views (idempotent)."""
        kw: dict[str, Any] = {"exists_ok": True, "retry": self._retry, "timeout": self.timeout_s}
        with self._errors():
            ds = bigquery.Dataset(f"{self.project}.{self.dataset}")
            ds.location = self.location
            self._client.create_dataset(ds, **kw)
            for name, spec in SCHEMAS.items():
                table = bigquery.Table(
                    f"{self.project}.{self.dataset}.{name}",
                    schema=[
                        bigquery.SchemaField(c.name, c.type, mode=c.mode) for c in spec.columns
                    ],
                )
                if spec.partition_field:
                    table.time_partitioning = bigquery.TimePartitioning(
                        type_=bigquery.TimePartitioningType.DAY, field=spec.partition_field
                    )
                self._client.create_table(table, **kw)
                self._add_new_columns(name, spec)
                view = bigquery.Table(f"{self.project}.{self.dataset}.{name}{LATEST_SUFFIX}")
                view.view_query = (
                    f"SELECT * FROM `{self.project}.{self.dataset}.{name}` WHERE TRUE "
                    "QUALIFY ROW_NUMBER() OVER (PARTITION BY id ORDER BY version DESC) = 1"
                )
                self._client.create_table(view, **kw)

    def _add_new_columns(self, name: str, spec: _TableSchema) -> None:
        """A table made by an earlier ARGO gets the columns added since, backfilled from
        the columns they replace (`BACKFILLS`); nothing happens to an up-to-date table."""
        ref = f"{self.project}.{self.dataset}.{name}"
        table = self._client.get_table(ref, retry=self._retry, timeout=self.timeout_s)
        have = {f.name for f in table.schema}
        new = [c for c in spec.columns if c.name not in have]
        if not new:
            return
        for c in new:  # DDL changes the data (the emulator's tables follow DDL only) ...
            self.query(f"ALTER TABLE {{dataset}}.{name} ADD COLUMN IF NOT EXISTS {c.name} {c.type}")
        table.schema = [  # ... and the table's metadata says so too (the emulator's lags)
            *table.schema,
            *(bigquery.SchemaField(c.name, c.type, mode="NULLABLE") for c in new),
        ]
        self._client.update_table(table, ["schema"], retry=self._retry, timeout=self.timeout_s)
        log.warning("warehouse: added %s to %s", ", ".join(c.name for c in new), ref)
        for fill in BACKFILLS:
            added = {c.name for c in new}
            if fill.table == name and fill.column in added and fill.from_column in have:
                self.query(
                    f"UPDATE {{dataset}}.{name} SET {fill.column} = {fill.expression} "
                    f"WHERE {fill.column} IS NULL AND {fill.from_column} IS NOT NULL"
                )

    # ---- writes --------------------------------------------------------------------
    def insert_rows(self, rows: Sequence[WarehouseRow]) -> None:
        """Stream rows per table in chunks of `INSERT_CHUNK`; refused rows raise `StoreRejected`."""
        by_table: dict[str, list[WarehouseRow]] = defaultdict(list)
        for row in rows:
            self._schema(row.table)
            by_table[row.table].append(row)
        for table, group in by_table.items():
            spec = self._schema(table)
            encoded = [self._encode(table, spec, r) for r in group]
            ref = f"{self.project}.{self.dataset}.{table}"
            for start in range(0, len(group), INSERT_CHUNK):
                chunk = slice(start, start + INSERT_CHUNK)
                with self._errors():
                    errors = self._client.insert_rows_json(
                        ref,
                        encoded[chunk],
                        row_ids=[r.row_id for r in group[chunk]],
                        retry=self._retry,
                        timeout=self.timeout_s,
                    )
                if errors:
                    raise self._refused_rows(table, errors)

    def _refused_rows(
        self, table: str, errors: Sequence[Mapping[str, Any]]
    ) -> StoreUnavailable | StoreRejected:
        """insertAll's per-row errors as one typed error for the whole request. Transient
        (retry everything) only when no row has a content reason: a request with `invalid`
        rows and `stopped` rows is rejected, so the engine bisects down to the bad rows."""
        reasons = [str(e.get("reason", "")) for row in errors for e in row.get("errors", ())]
        message = f"{len(errors)} row(s) refused by {table}: {list(errors[:5])}"
        if transient_reasons(reasons):
            return StoreUnavailable(self.name, self.address, message, hint=_BUSY_HINT)
        return StoreRejected(
            self.name, self.address, message, hint="fix the rows' values to match the table schema"
        )

    def _encode(self, table: str, spec: _TableSchema, row: WarehouseRow) -> dict[str, Any]:
        unknown = set(row.values) - spec.names
        if unknown or not row.values.get("id"):
            raise StoreRejected(
                self.name,
                self.address,
                f"row {row.row_id!r} for {table}: unknown columns {sorted(unknown)}"
                if unknown
                else f"row {row.row_id!r} for {table} has no id",
                hint=f"columns of {table}: {', '.join(sorted(spec.names))}",
            )
        out: dict[str, Any] = {}
        for key, value in row.values.items():
            if value is not None and not _fits(spec.types[key], value):
                # Checked here because the emulator answers a mistyped value with HTTP 500
                # (which reads as "retry"), where BigQuery reports a per-row error.
                raise StoreRejected(
                    self.name,
                    self.address,
                    f"row {row.row_id!r} for {table}: column {key} expects "
                    f"{spec.types[key]}, got {type(value).__name__} {str(value)[:40]!r}",
                    hint="convert the value or leave the column out",
                )
            if key in spec.json_columns:
                # JSON columns travel as JSON text: the emulator refuses objects here.
                out[key] = None if value is None else to_json(value)
            elif isinstance(value, datetime | date):
                out[key] = value.isoformat()
            else:
                out[key] = value
        return out

    # ---- reads ---------------------------------------------------------------------
    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run SQL with ``@name`` parameters; ``{dataset}`` becomes the backticked dataset."""
        config = bigquery.QueryJobConfig(
            query_parameters=[query_parameter(k, v, self) for k, v in (params or {}).items()]
        )
        text = sql.replace("{dataset}", self.dataset_ref)  # our config, never user data
        with self._errors():
            # jobs.insert + getQueryResults, not `query_and_wait` (jobs.query): the
            # emulator answers a failing jobs.query with HTTP 200, empty rows and an
            # `errors` field the client ignores, so a broken query would look empty.
            job = self._client.query(
                text,
                job_config=config,
                location=self.location,
                retry=self._retry,
                timeout=self.timeout_s,
                job_retry=None,
            )
            rows = job.result(
                retry=self._retry, timeout=max(QUERY_WAIT_S, self.timeout_s), job_retry=None
            )
            # The client parses JSON columns into Python values (json.loads) itself.
            return [dict(row.items()) for row in rows]

    def versions(self, table: str, ids: Sequence[str]) -> dict[str, StoredVersion]:
        """Latest version and hash per id (the latest view's rule, on these ids only: through
        the view the window function would rank the whole table before the filter)."""
        self._schema(table)
        if not ids:
            return {}
        rows = self.query(
            f"SELECT id, version, hash FROM {{dataset}}.{table} "
            "WHERE id IN UNNEST(@ids) QUALIFY ROW_NUMBER() OVER "
            "(PARTITION BY id ORDER BY version DESC) = 1",
            {"ids": list(ids)},
        )
        return {r["id"]: StoredVersion(r["id"], int(r["version"]), r["hash"] or "") for r in rows}


def _fits(kind: str, value: Any) -> bool:
    """Whether a Python value can go into a column of BigQuery type ``kind``."""
    if kind == "INT64":
        return isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**63
    if kind == "FLOAT64":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "BOOL":
        return isinstance(value, bool)
    if kind == "STRING":
        return isinstance(value, str)
    if kind == "TIMESTAMP":
        if isinstance(value, datetime):
            return True
        try:
            datetime.fromisoformat(value)
        except (TypeError, ValueError):
            return False
        return True
    return True  # JSON takes anything JSON can encode


def _bq_type(value: Any) -> str | None:
    # bool before int: bool is a subclass of int.
    for kind, name in (
        (bool, "BOOL"),
        (int, "INT64"),
        (float, "FLOAT64"),
        (str, "STRING"),
        (datetime, "TIMESTAMP"),
        (date, "DATE"),
        (Decimal, "NUMERIC"),
        (bytes, "BYTES"),
    ):
        if isinstance(value, kind):
            return name
    return None


def query_parameter(name: str, value: Any, store: BigQueryWarehouse) -> Any:
    """A typed BigQuery query parameter for a Python value (lists become arrays)."""
    if isinstance(value, list | tuple):
        kinds = {_bq_type(v) for v in value} or {"STRING"}
        if len(kinds) != 1 or None in kinds:
            raise StoreRejected(
                store.name,
                store.address,
                f"parameter @{name}: array items must share one scalar type",
            )
        return bigquery.ArrayQueryParameter(name, kinds.pop(), list(value))
    kind = "STRING" if value is None else _bq_type(value)
    if kind is None:
        raise StoreRejected(
            store.name,
            store.address,
            f"parameter @{name}: unsupported type {type(value).__name__}",
            hint="pass str, int, float, bool, datetime, date or a list of them",
        )
    return bigquery.ScalarQueryParameter(name, kind, value)


def transient_reasons(reasons: Iterable[str]) -> bool:
    """True when BigQuery's error reasons say "retry": there are some, and each is transient
    or `STOPPED` (any other reason, e.g. `invalid`, means something was refused)."""
    found = set(reasons)
    return bool(found) and found <= TRANSIENT_REASONS | {STOPPED}


def _call_reasons(exc: gx.GoogleAPICallError) -> list[str]:
    """The reasons of a refused request: ``error.errors[].reason`` of the JSON answer, where
    BigQuery puts them (and where its own retry predicate reads them). Not ``exc.reason``:
    that is a google.rpc.ErrorInfo's, and for a REST answer the property raises."""
    return [str(e.get("reason", "")) for e in exc.errors if isinstance(e, Mapping)]


def _short(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) < 500 else text[:500] + "…"


def _is_google(endpoint: str) -> bool:
    """Google's own BigQuery API (default credentials), not an emulator."""
    host = endpoint.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    return host == "googleapis.com" or host.endswith(".googleapis.com")
