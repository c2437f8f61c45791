"""Who approved: `director_of` on the configs langgraph-api builds, and the bearer-token handler."""

from __future__ import annotations

import asyncio
import importlib
from types import ModuleType
from typing import Any

import pytest
from langgraph_sdk import Auth

import graphs.auth as server_auth
from argo_agents.approval.identity import DirectorIdentity, authenticated_user, director_of
from tests.conftest import make_settings


@pytest.fixture(scope="module")
def lg_api() -> ModuleType:
    """langgraph-api's custom-auth module, which wraps a handler's answer into the run's user.

    Its config module reads server settings at import; placeholders let it load
    outside a server (nothing here connects anywhere).
    """
    with pytest.MonkeyPatch.context() as mp:
        for key, value in {
            "REDIS_URI": "redis://unused",
            "DATABASE_URI": ":memory:",
            "MIGRATIONS_PATH": "/dev/null",
        }.items():
            mp.setenv(key, value)
        return importlib.import_module("langgraph_api.auth.custom")


def server_config(lg_api: ModuleType, handler_result: Any) -> dict[str, Any]:
    """The run config as langgraph-api builds it (models/run.py) from a handler's answer."""
    credentials, user = lg_api._normalize_auth_response(handler_result)
    return {
        "configurable": {
            "thread_id": "t-1",
            "langgraph_auth_user": user,
            "langgraph_auth_user_id": user.identity,
            "langgraph_auth_permissions": list(credentials.scopes),
        }
    }


@pytest.fixture
def tokens(monkeypatch, tmp_path):
    """Point the handler at settings with the given ARGO_DIRECTOR_TOKENS value (or none)."""

    def configure(raw: str | None) -> None:
        settings = make_settings(tmp_path, director_tokens=raw)
        monkeypatch.setattr(server_auth, "Settings", lambda: settings)
        server_auth.director_tokens.cache_clear()

    yield configure
    server_auth.director_tokens.cache_clear()


def authenticate(authorization: str | None) -> Any:
    return asyncio.run(server_auth.authenticate(authorization))


# --- director_of -------------------------------------------------------------------


@pytest.mark.parametrize(
    "config",
    [
        None,
        {},
        {"configurable": {}},
        {"configurable": {"thread_id": "t-1"}},
        {"configurable": None},
        {"tags": ["x"]},
    ],
)
def test_without_a_server_user_the_asserted_name_is_recorded_unverified(config):
    assert director_of(config, "ana") == DirectorIdentity(name="ana", verified=False)
    assert director_of(config, None) == DirectorIdentity(name=None, verified=False)


def test_the_authenticated_user_wins_over_the_asserted_name(lg_api, tokens):
    tokens('{"tok-ana": "ana"}')
    config = server_config(lg_api, authenticate("Bearer tok-ana"))
    assert type(config["configurable"]["langgraph_auth_user"]).__name__ == "ProxyUser"
    assert director_of(config, "mallory") == DirectorIdentity(name="ana", verified=True)
    assert director_of(config, None) == DirectorIdentity(name="ana", verified=True)


def test_an_anonymous_user_counts_as_nobody(lg_api, tokens):
    tokens(None)
    config = server_config(lg_api, authenticate(None))
    assert config["configurable"]["langgraph_auth_user"].is_authenticated is False
    assert director_of(config, "mallory") == DirectorIdentity(name="mallory", verified=False)


def test_users_the_server_makes_without_our_handler_count_as_nobody(lg_api):
    from langgraph_api.auth.studio_user import StudioUser

    # no auth configured: langgraph-api stores its UnauthenticatedUser as None
    assert (
        director_of(
            {"configurable": {"langgraph_auth_user": None, "langgraph_auth_user_id": None}}, "bob"
        ).verified
        is False
    )
    # `langgraph dev` Studio requests (when studio auth is on) are not a Director
    studio = {"configurable": {"langgraph_auth_user": StudioUser("langgraph-studio-user")}}
    assert director_of(studio, "bob") == DirectorIdentity(name="bob", verified=False)


def test_serialized_and_odd_users_never_raise():
    as_dict = {"identity": "ana", "is_authenticated": True, "display_name": "ana"}
    assert authenticated_user({"configurable": {"langgraph_auth_user": as_dict}}) == "ana"
    for odd in [
        {"identity": "ana"},
        {"is_authenticated": True},
        "ana",
        42,
        object(),
        {"identity": "", "is_authenticated": True},
        {"identity": 7, "is_authenticated": True},
    ]:
        assert director_of({"configurable": {"langgraph_auth_user": odd}}, "x") == DirectorIdentity(
            name="x", verified=False
        )


def test_director_identity_is_frozen():
    identity = DirectorIdentity(name="ana", verified=True)
    with pytest.raises(ValueError):
        identity.name = "mallory"  # type: ignore[misc]


# --- the bearer-token handler ------------------------------------------------------


def test_a_known_token_authenticates_its_director(tokens):
    tokens('{"tok-ana": "ana", "tok-bo": "bo"}')
    user = authenticate("Bearer tok-ana")
    assert user["identity"] == "ana" and user["is_authenticated"] is True
    assert authenticate("bearer   tok-bo")["identity"] == "bo"


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Bearer tok-anax",
        "Bearer tok-an",
        "Basic tok-ana",
        "tok-ana",
        "Bearer TOK-ANA",
    ],
)
def test_a_missing_or_unknown_token_is_refused_with_401(tokens, header):
    tokens('{"tok-ana": "ana"}')
    with pytest.raises(Auth.exceptions.HTTPException) as refused:
        authenticate(header)
    assert refused.value.status_code == 401
    assert "tok-ana" not in str(refused.value)


@pytest.mark.parametrize("raw", [None, "", "  "])
def test_without_tokens_everyone_passes_as_anonymous(tokens, raw):
    tokens(raw)
    for header in [None, "Bearer anything"]:
        user = authenticate(header)
        assert user["identity"] == "anonymous" and user["is_authenticated"] is False


@pytest.mark.parametrize(
    "raw",
    [
        "not json",
        '["tok-ana"]',
        "{}",
        '{"tok-ana": 1}',
        '{"tok-ana": ""}',
        '{"": "ana"}',
        '"tok-ana"',
    ],
)
def test_malformed_tokens_fail_naming_the_variable_and_shape(tokens, raw):
    tokens(raw)
    with pytest.raises(ValueError, match="ARGO_DIRECTOR_TOKENS") as failed:
        authenticate("Bearer tok-ana")
    assert '{"<bearer token>": "<director name>"' in str(failed.value)


def test_tokens_are_parsed_once(tokens, monkeypatch):
    tokens('{"tok-ana": "ana"}')
    authenticate("Bearer tok-ana")
    monkeypatch.setattr(server_auth, "Settings", lambda: pytest.fail("parsed again"))
    assert authenticate("Bearer tok-ana")["identity"] == "ana"


def test_tokens_are_compared_in_constant_time(tokens, monkeypatch):
    compared: list[tuple[bytes, bytes]] = []
    real = server_auth.hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(server_auth.hmac, "compare_digest", spy)
    tokens('{"tok-ana": "ana", "tok-bo": "bo"}')
    assert authenticate("Bearer tok-ana")["identity"] == "ana"
    assert len(compared) == 2  # every token is checked, not just up to the match
