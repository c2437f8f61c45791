"""Signed bridge requests: what a forger, a tamperer and a replayer get (`Unauthenticated`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from argo_agents.bridge import message
from argo_agents.bridge.signing import RequestAuthenticator, Unauthenticated, canonical, sign

TOKENS = {"tok-ana-0123456789": "ana", "tok-bo-0123456789": "bo", "tok-ana-rotated": "ana"}


def approve(thread: str = "t-1", decision: str = "approve") -> dict:
    return message(
        "approve", {"thread_id": thread, "decisions": {"deploy": decision}},
        source="layer1", target="layer2",
    )  # fmt: skip


@pytest.fixture
def bridge_auth():
    seen: set[str] = set()

    def first_sight(msg_id: str, ttl_s: int) -> bool:
        assert ttl_s > 300  # kept longer than a message may be old
        new = msg_id not in seen
        seen.add(msg_id)
        return new

    return RequestAuthenticator(TOKENS, first_sight)


def test_a_signed_request_is_the_signer_s(bridge_auth):
    for director, token in [("ana", "tok-ana-0123456789"), ("ana", "tok-ana-rotated"),
                            ("bo", "tok-bo-0123456789")]:  # fmt: skip
        # the token is kept to sign the answers, which the sender can check with it
        assert bridge_auth.verify(sign(approve(), director, token)) == (director, token)


def test_an_unsigned_request_is_refused_saying_how_to_sign(bridge_auth):
    with pytest.raises(Unauthenticated, match="HMAC-SHA256.*RFC 8785"):
        bridge_auth.verify(approve())


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda m: sign(m, "ana", "tok-bo-0123456789"), id="another's token"),
        pytest.param(lambda m: sign(m, "mallory", "tok-mallory"), id="unknown director"),
        pytest.param(
            lambda m: {**sign(m, "bo", "tok-bo-0123456789"), "director": "ana"},
            id="signer's name swapped",
        ),  # fmt: skip
        pytest.param(
            lambda m: {**sign(m, "ana", "tok-ana-0123456789"), "signature": "00" * 32},
            id="made-up signature",
        ),  # fmt: skip
        pytest.param(
            lambda m: {**sign(m, "ana", "tok-ana-0123456789"), "signature": "é" * 64},
            id="non-ASCII signature",  # hmac.compare_digest raises TypeError on such str
        ),
    ],
)
def test_a_forged_signature_is_refused(bridge_auth, forge):
    with pytest.raises(Unauthenticated, match="does not match"):
        bridge_auth.verify(forge(approve()))


def test_a_request_changed_after_signing_is_refused(bridge_auth):
    signed = sign(approve(decision="reject"), "ana", "tok-ana-0123456789")
    signed["data"]["decisions"]["deploy"] = "approve"
    with pytest.raises(Unauthenticated, match="does not match"):
        bridge_auth.verify(signed)
    moved = sign(approve(thread="t-1"), "ana", "tok-ana-0123456789")
    with pytest.raises(Unauthenticated, match="does not match"):
        bridge_auth.verify({**moved, "data": {**moved["data"], "thread_id": "t-2"}})


def test_a_replayed_request_is_refused_even_when_valid(bridge_auth):
    signed = sign(approve(), "ana", "tok-ana-0123456789")
    assert bridge_auth.verify(signed).director == "ana"
    with pytest.raises(Unauthenticated, match="already received"):
        bridge_auth.verify(dict(signed))


def test_a_forged_request_does_not_use_up_its_id(bridge_auth):
    # otherwise anyone reading the channel could block a Director's real request
    real = sign(approve(), "ana", "tok-ana-0123456789")
    with pytest.raises(Unauthenticated):
        bridge_auth.verify(sign(real, "ana", "tok-guess"))
    assert bridge_auth.verify(real).director == "ana"


@pytest.mark.parametrize(
    ("stamp", "problem"),
    [
        (lambda now: (now - timedelta(minutes=10)).isoformat(), "from the bridge's clock"),
        (lambda now: (now + timedelta(minutes=10)).isoformat(), "from the bridge's clock"),
        (lambda now: "yesterday", "ISO 8601"),
        (lambda now: now.replace(tzinfo=None).isoformat(), "time zone"),
    ],
)
def test_a_stale_or_undated_request_is_refused(bridge_auth, stamp, problem):
    old = {**approve(), "timestamp": stamp(datetime.now(UTC))}  # made when the test runs
    with pytest.raises(Unauthenticated, match=problem):
        bridge_auth.verify(sign(old, "ana", "tok-ana-0123456789"))


def test_a_javascript_timestamp_is_accepted(bridge_auth):
    stamp = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    signed = sign({**approve(), "timestamp": stamp}, "bo", "tok-bo-0123456789")
    assert bridge_auth.verify(signed).director == "bo"


def test_the_signed_bytes_are_rfc_8785_as_other_languages_make_them():
    # the bytes npm `canonicalize` makes of the same message (checked with node)
    msg = {"data": {"b": 1.0, "a": "é", "c": [1e21, 0.1]}, "id": "m", "signature": "x"}
    assert canonical(msg) == '{"data":{"a":"é","b":1,"c":[1e+21,0.1]},"id":"m"}'.encode()


def test_a_message_without_a_canonical_form_is_refused():
    with pytest.raises(Unauthenticated, match="canonical"):
        canonical({"data": {"n": 2**60}})  # beyond JSON's exact integers in JavaScript


def test_argo_bridge_with_malformed_tokens_refuses_to_start_naming_the_variable(tmp_path):
    from typer.testing import CliRunner

    from argo_agents.cli.app import app

    env = {"ARGO_DIRECTOR_TOKENS": '["tok-ana"]', "ARGO_DATA_DIR": str(tmp_path)}
    got = CliRunner().invoke(app, ["bridge"], env=env)
    assert got.exit_code == 2
    assert "ARGO_DIRECTOR_TOKENS must be a non-empty JSON object" in got.output
    assert not list(tmp_path.iterdir())  # no store, checkpoint or stack was opened
