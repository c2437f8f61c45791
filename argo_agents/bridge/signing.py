"""Signed bridge requests: who sent a message, and that nobody changed or replayed it.

Pub/sub has no caller identity: anyone who can publish on ``layer1_to_layer2``
could approve a production deployment in any Director's name. With
``ARGO_DIRECTOR_TOKENS`` set, every request must therefore carry

- ``director``: the Director's name, as in ``ARGO_DIRECTOR_TOKENS``;
- ``signature``: ``hex(HMAC-SHA256(token, canonical))``, where ``token`` is that
  Director's token and ``canonical`` is the message without ``signature`` in
  RFC 8785 canonical JSON (sorted keys, no spaces, UTF-8; npm ``canonicalize``,
  PyPI ``rfc8785``), so every language signs the same bytes.

The token itself never travels (a bearer token on a channel every subscriber
reads would be stolen by the first one). The bridge signs its answers to a
signed request with the same token (`Signer`), so the front layer can check them
too. A request is refused unless its
timestamp is within `WINDOW_S` of the bridge's clock and its id was not seen
before (ids are kept in Redis for twice the window, so a replay is refused
across bridge restarts and by every bridge on the same Redis).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple

import rfc8785

from argo_agents.bridge.protocol import BadMessage

WINDOW_S = 300.0  # clock skew and queueing a request may have; beyond it, a replay
SIGNATURE = "signature"
SIGNED_BY = "director"


class Unauthenticated(BadMessage):
    """A request that is unsigned, signed wrongly, stale or replayed; nothing ran."""


def canonical(message: Mapping[str, Any]) -> bytes:
    """The bytes a signature covers: the message without ``signature``, RFC 8785 JSON."""
    try:
        return rfc8785.dumps({k: v for k, v in message.items() if k != SIGNATURE})
    except (rfc8785.CanonicalizationError, TypeError) as exc:
        raise Unauthenticated(f"the message has no canonical JSON form ({exc})") from None


def signature(message: Mapping[str, Any], token: str) -> str:
    """The hex HMAC-SHA256 of `canonical` ``message`` under ``token``."""
    return _hmac(canonical(message), token)


def _hmac(body: bytes, token: str) -> str:
    return hmac.new(token.encode(), body, hashlib.sha256).hexdigest()


def sign(message: Mapping[str, Any], director: str, token: str) -> dict[str, Any]:
    """``message`` signed by ``director`` with its ``token`` (what a front layer sends)."""
    signed = {**message, SIGNED_BY: director}
    signed.pop(SIGNATURE, None)
    return {**signed, SIGNATURE: signature(signed, token)}


class Signer(NamedTuple):
    """The Director who signed a request, and the token that verified it: the bridge
    signs its answers to that request with the same token, so the front layer can
    tell them from anyone else's messages on the channel."""

    director: str
    token: str

    def sign(self, message: Mapping[str, Any]) -> dict[str, Any]:
        """``message`` signed for this Director."""
        return sign(message, self.director, self.token)


class RequestAuthenticator:
    """Checks a request's signature, age and novelty; returns the Director who sent it.

    ``tokens``: token -> Director name (``ARGO_DIRECTOR_TOKENS``). ``first_sight(id,
    ttl_s)`` records an id and says whether it is new (Redis ``SET NX EX``).
    """

    def __init__(
        self,
        tokens: Mapping[str, str],
        first_sight: Callable[[str, int], bool],
        *,
        window_s: float = WINDOW_S,
    ) -> None:
        if not tokens:
            raise ValueError("a RequestAuthenticator needs at least one Director token")
        self._tokens: dict[str, list[str]] = {}
        for token, name in tokens.items():
            self._tokens.setdefault(name, []).append(token)
        self._first_sight = first_sight
        self.window_s = window_s

    def verify(self, raw: Mapping[str, Any]) -> Signer:
        """Who signed ``raw``, or `Unauthenticated` saying what is wrong."""
        director, sent = raw.get(SIGNED_BY), raw.get(SIGNATURE)
        if not isinstance(director, str) or not isinstance(sent, str):
            raise Unauthenticated(
                "this bridge requires signed requests: add 'director' (your name in "
                "ARGO_DIRECTOR_TOKENS) and 'signature' (hex HMAC-SHA256 with your token over "
                "the RFC 8785 canonical JSON of the message without 'signature')"
            )
        tokens = self._tokens.get(director)
        # an unknown name costs the same work; every token of a name in constant time
        # (as bytes: compare_digest refuses str with non-ASCII characters)
        given, body = sent.encode(), canonical(raw)  # the message's bytes, once for all tokens
        matched = [hmac.compare_digest(given, _hmac(body, t).encode()) for t in tokens or [""]]
        if not tokens or True not in matched:
            raise Unauthenticated(
                f"the signature does not match a token of Director {director!r}: sign with "
                "your token from ARGO_DIRECTOR_TOKENS, over the message as sent"
            )
        self._check_age(raw.get("timestamp"))
        if not self._first_sight(str(raw.get("id", "")), int(2 * self.window_s) + 1):
            raise Unauthenticated(
                f"message {raw.get('id')!r} was already received: send each request with "
                "a new id (a replayed request is refused)"
            )
        return Signer(director, tokens[matched.index(True)])

    def _check_age(self, stamp: Any) -> None:
        try:
            sent = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
        except ValueError:
            sent = None
        if sent is None or sent.tzinfo is None:
            raise Unauthenticated(
                "the timestamp must be ISO 8601 with a time zone, e.g. 2026-12-01T10:00:00Z"
            )
        skew = abs((datetime.now(UTC) - sent).total_seconds())
        if skew > self.window_s:
            raise Unauthenticated(
                f"the timestamp is {skew:.0f} s from the bridge's clock (at most "
                f"{self.window_s:.0f} s): send requests when they are made, with a synced clock"
            )
