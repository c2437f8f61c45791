"""`langgraph dev` with ARGO_DIRECTOR_TOKENS: bearer tokens required, the approver is the caller."""

from __future__ import annotations

import httpx
import pytest
from langgraph_sdk import get_sync_client

from tests.e2e.dev_server_support import interrupts, run_dev_server

pytestmark = pytest.mark.e2e

TOKEN = "tok-ana"


@pytest.fixture(scope="module")
def auth_server(stack, tmp_path_factory):
    """A dev server on the session's stack where only the token of Director "ana" is valid."""
    with run_dev_server(
        stack.settings.data_dir,
        tmp_path_factory.mktemp("devserver-auth"),
        extra_env={"ARGO_DIRECTOR_TOKENS": f'{{"{TOKEN}": "ana"}}'},
    ) as server:
        yield server


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer tok-mallory"},
        {"Authorization": TOKEN},
        # Studio's header must not bypass the handler (langgraph.json: disable_studio_auth)
        {"x-auth-scheme": "langsmith"},
    ],
    ids=["no-token", "wrong-token", "no-scheme", "studio-header"],
)
def test_requests_without_a_valid_token_are_refused(auth_server, headers):
    url, _ = auth_server
    for path in ("/assistants/search", "/threads"):
        refused = httpx.post(f"{url}{path}", json={}, headers=headers)
        assert refused.status_code in (401, 403), (path, refused.text)
    assert httpx.get(f"{url}/ok").status_code == 200  # the health check stays public


def test_a_director_with_a_token_runs_a_goal_to_completion(auth_server):
    url, log = auth_server
    client = get_sync_client(url=url, headers={"Authorization": f"Bearer {TOKEN}"})
    assistants = {a["graph_id"] for a in client.assistants.search(limit=20)}
    assert {"orchestrator", "technical", "research", "creative"} <= assistants

    thread = client.threads.create()
    final = client.runs.wait(
        thread["thread_id"],
        "orchestrator",
        input={"goal": "Research how competitors price their premium support plans"},
    )
    state = client.threads.get_state(thread["thread_id"])
    assert not interrupts(state), log.read_text()[-3000:]
    assert final["status"] == "completed", log.read_text()[-3000:]
    # the bearer token never reaches the run's config or state
    assert TOKEN not in str(state)


def test_the_recorded_approver_is_the_authenticated_director(auth_server):
    url, log = auth_server
    client = get_sync_client(url=url, headers={"Authorization": f"Bearer {TOKEN}"})
    thread = client.threads.create()
    client.runs.wait(
        thread["thread_id"],
        "orchestrator",
        input={
            "goal": "Deploy the payments API to production",
            "budget_usd": 1000,
            "director": "mallory",
        },
    )
    paused = interrupts(client.threads.get_state(thread["thread_id"]))
    assert paused, log.read_text()[-3000:]
    step_id = paused[0]["value"]["approvals"][0]["step_id"]

    final = client.runs.wait(
        thread["thread_id"],
        "orchestrator",
        command={"resume": {"decisions": {step_id: "approve"}, "director": "mallory"}},
    )
    assert final["status"] == "completed", log.read_text()[-3000:]
    ledger = final["approval_ledger"]
    assert ledger, final
    assert [(e.get("by"), e.get("by_verified")) for e in ledger] == [("ana", True)] * len(ledger)


@pytest.fixture(scope="module")
def open_server(stack, tmp_path_factory):
    """The same server without tokens: anyone may call it, as an anonymous user."""
    with run_dev_server(
        stack.settings.data_dir,
        tmp_path_factory.mktemp("devserver-open"),
        extra_env={"ARGO_DIRECTOR_TOKENS": ""},
    ) as server:
        yield server


def test_without_tokens_the_asserted_approver_is_recorded_unverified(open_server):
    url, log = open_server
    client = get_sync_client(url=url)
    thread = client.threads.create()
    client.runs.wait(
        thread["thread_id"],
        "orchestrator",
        input={
            "goal": "Deploy the payments API to production",
            "budget_usd": 1000,
            "director": "mallory",
        },
    )
    paused = interrupts(client.threads.get_state(thread["thread_id"]))
    assert paused, log.read_text()[-3000:]
    step_id = paused[0]["value"]["approvals"][0]["step_id"]

    final = client.runs.wait(
        thread["thread_id"],
        "orchestrator",
        command={"resume": {"decisions": {step_id: "approve"}, "director": "mallory"}},
    )
    assert final["status"] == "completed", log.read_text()[-3000:]
    ledger = final["approval_ledger"]
    assert ledger, final
    recorded = [(e.get("by"), e.get("by_verified")) for e in ledger]
    assert recorded == [("mallory", False)] * len(ledger)
