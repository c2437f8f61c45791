"""Who approved: the Director the LangGraph server authenticated, or a name merely asserted.

Under the LangGraph server with custom auth (``graphs/auth.py``), langgraph-api
puts the request's user into every run's config as
``config["configurable"]["langgraph_auth_user"]`` (a starlette ``BaseUser``,
usually its ``ProxyUser``; ``None`` for its own unauthenticated user), next to
``langgraph_auth_user_id`` and ``langgraph_auth_permissions``. Clients cannot
set those keys themselves: the server rejects them as reserved. The Python API
and the CLI run graphs with a plain config, where only an asserted name exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langchain_core.runnables import RunnableConfig
from pydantic import BaseModel, ConfigDict

AUTH_USER_KEY = "langgraph_auth_user"


class DirectorIdentity(BaseModel):
    """The Director to record on an approval, and whether the server vouched for the name."""

    model_config = ConfigDict(frozen=True)

    name: str | None
    verified: bool
    """True only when the LangGraph server authenticated this user."""


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


def director_of(config: RunnableConfig | None, asserted: str | None) -> DirectorIdentity:
    """The authenticated user from the server's config when there is one.

    The asserted name is then ignored: a client cannot approve in someone
    else's name. Otherwise the asserted name is returned, marked unverified.
    """
    user = authenticated_user(config)
    if user is not None:
        return DirectorIdentity(name=user, verified=True)
    return DirectorIdentity(name=asserted, verified=False)
