"""Who approved: the Director the LangGraph server authenticated, or a name merely asserted.

Under the LangGraph server with custom auth (``graphs/auth.py``), langgraph-api
puts the request's user into every run's config as
``config["configurable"]["langgraph_auth_user"]`` (a starlette ``BaseUser``,
usually its ``ProxyUser``; ``None`` for its own unauthenticated user), next to
``langgraph_auth_user_id`` and ``langgraph_auth_permissions``. Clients cannot
set those keys themselves: the server rejects them as reserved. The Python API
and the CLI run graphs with a plain config, where only an asserted name exists,
unless the caller authenticated the Director itself: the layer bridge verifies a
request's signature with the Director's token and runs it through
``Argo(verified_director=...)``, which puts `verified_user` in the same key.

The same ``ARGO_DIRECTOR_TOKENS`` map serves both: a bearer token for the server,
an HMAC key for the bridge (where the token itself never travels).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from langchain_core.runnables import RunnableConfig
from pydantic import BaseModel, ConfigDict, SecretStr

AUTH_USER_KEY = "langgraph_auth_user"
TOKENS_ENV = "ARGO_DIRECTOR_TOKENS"
TOKENS_SHAPE = '{"<bearer token>": "<director name>", ...}'


def parse_director_tokens(raw: SecretStr | str | None) -> dict[str, str]:
    """Bearer token -> Director name; empty when unset. Raises ValueError when malformed."""
    if raw is None:
        return {}
    text = raw.get_secret_value() if isinstance(raw, SecretStr) else raw
    if not text.strip():
        return {}
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as exc:
        # never echo the value: it holds secrets
        raise ValueError(
            f"{TOKENS_ENV} is not valid JSON ({exc.msg} at position {exc.pos}); "
            f"expected {TOKENS_SHAPE}"
        ) from None
    if not isinstance(parsed, dict) or not parsed:
        raise ValueError(
            f"{TOKENS_ENV} must be a non-empty JSON object {TOKENS_SHAPE}, "
            f"got {type(parsed).__name__}"
        )
    tokens: dict[str, str] = {}
    for token, name in parsed.items():
        if not token.strip() or not isinstance(name, str) or not name.strip():
            raise ValueError(
                f"{TOKENS_ENV}: every token and Director name must be a "
                f"non-empty string; expected {TOKENS_SHAPE}"
            )
        tokens[token] = name.strip()
    return tokens


class DirectorIdentity(BaseModel):
    """The Director to record on an approval, and whether the server vouched for the name."""

    model_config = ConfigDict(frozen=True)

    name: str | None
    verified: bool
    """True only when the LangGraph server or the layer bridge authenticated this user."""


def _field(user: Any, name: str) -> Any:
    # A ProxyUser is both an object and a mapping; a user serialized by the
    # server's encryption layer is a plain dict. Attributes first, then keys.
    try:
        value = getattr(user, name)
    except Exception:  # a bare starlette BaseUser raises NotImplementedError
        value = None
    if value is None and isinstance(user, Mapping):
        value = user.get(name)
    return value


def authenticated_user(config: RunnableConfig | Mapping[str, Any] | None) -> str | None:
    """The identity of the user the LangGraph server authenticated for this run, if any.

    Anonymous users (``is_authenticated`` not exactly True), a missing key,
    and a config that is not what the server builds all count as nobody.
    """
    if not config:
        return None
    configurable = config.get("configurable")
    if not isinstance(configurable, Mapping):
        return None
    user = configurable.get(AUTH_USER_KEY)
    if user is None:
        return None
    if _field(user, "is_authenticated") is not True:
        return None
    identity = _field(user, "identity")
    return identity if isinstance(identity, str) and identity.strip() else None


def verified_user(name: str) -> dict[str, Any]:
    """A user as the LangGraph server hands it to a run, for a Director a caller
    authenticated by other means (the bridge's signed requests)."""
    return {
        "identity": name,
        "display_name": name,
        "is_authenticated": True,
        "permissions": ["director"],
    }


def director_of(config: RunnableConfig | None, asserted: str | None) -> DirectorIdentity:
    """The authenticated user from the server's config when there is one.

    The asserted name is then ignored: a client cannot approve in someone
    else's name. Otherwise the asserted name is returned, marked unverified.
    """
    user = authenticated_user(config)
    if user is not None:
        return DirectorIdentity(name=user, verified=True)
    return DirectorIdentity(name=asserted, verified=False)
