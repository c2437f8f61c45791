"""`auth` in langgraph.json: who is calling the LangGraph server.

With ``ARGO_DIRECTOR_TOKENS`` set (JSON ``{"<bearer token>": "<director name>"}``)
every request must carry ``Authorization: Bearer <token>`` and its user is that
Director; the server then hands the user to each run as
``config["configurable"]["langgraph_auth_user"]``, which the approval gate
records as a verified approver (:func:`argo_agents.approval.identity.director_of`).

Unset, every request passes as an anonymous, unauthenticated user, so
``langgraph dev`` and Studio work without setup and Directors' names stay
self-asserted.
"""

from __future__ import annotations

import functools
import hmac

from langgraph_sdk import Auth

from argo_agents.approval.identity import parse_director_tokens, verified_user
from argo_agents.config import Settings

ANONYMOUS = "anonymous"

auth = Auth()


@functools.lru_cache(maxsize=1)
def director_tokens() -> dict[str, str]:
    """The configured tokens, parsed once per process (tests call ``cache_clear``)."""
    return parse_director_tokens(Settings().director_tokens)


def _bearer(authorization: str | None) -> str | None:
    scheme, _, token = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def _match(token: str, tokens: dict[str, str]) -> str | None:
    # Check every token, in constant time each, so timing reveals neither a
    # token's prefix nor which entry matched.
    found: str | None = None
    for known, name in tokens.items():
        if hmac.compare_digest(token.encode(), known.encode()):
            found = name
    return found


@auth.authenticate
async def authenticate(authorization: str | None = None) -> Auth.types.MinimalUserDict:
    """The Director behind the bearer token; anonymous when no tokens are configured."""
    tokens = director_tokens()
    if not tokens:
        return {
            "identity": ANONYMOUS,
            "display_name": ANONYMOUS,
            "is_authenticated": False,
            "permissions": [],
        }
    token = _bearer(authorization)
    name = _match(token, tokens) if token else None
    if name is None:
        raise Auth.exceptions.HTTPException(
            status_code=401,
            detail="a valid Director bearer token is required",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return verified_user(name)  # type: ignore[return-value]  # a MinimalUserDict


# Fail at server start, not on the first request, when the tokens are malformed.
director_tokens()
