"""Validation of the names that go into query text and value encodings shared by adapters.

Labels, relationship types, table and collection names cannot be query
parameters, so each is checked against a strict pattern (or an allow-list)
before it is placed in a query. Everything else is passed as a parameter.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Any

from argo_agents.stores.errors import StoreRejected

# Letters, digits and underscores, starting with a letter: valid unquoted in
# Cypher and BigQuery, so nothing a caller passes can end the identifier.
IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,62}")

SCALARS = (str, int, float, bool)


def check_identifier(
    kind: str, value: str, *, store: str, address: str, pattern: re.Pattern[str] = IDENTIFIER
) -> str:
    """Return ``value`` when it fully matches ``pattern``; raise `StoreRejected` otherwise."""
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise StoreRejected(
            store,
            address,
            f"invalid {kind} {value!r}",
            hint=f"use letters, digits and underscores only (pattern {pattern.pattern})",
        )
    return value


def to_json(value: Any) -> str:
    """Canonical JSON text (sorted keys, unicode kept) for values a store cannot hold natively."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=_default)


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    return str(value)


def is_scalar_list(value: Any) -> bool:
    """True for a list/tuple whose items are all scalars of one kind (or empty)."""
    if not isinstance(value, list | tuple):
        return False
    kinds = {type(v) for v in value}
    return all(isinstance(v, SCALARS) for v in value) and len(kinds) <= 1
