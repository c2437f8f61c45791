"""`LayerBridge`: serve the front layer's requests with the Python API, one at a time."""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from argo_agents.bridge.protocol import (
    CHANNEL_IN,
    CHANNEL_OUT,
    CHANNEL_SYNC,
    BadMessage,
    message,
    parse_request,
)

if TYPE_CHECKING:
    from argo_agents.api import Argo, GoalRun
    from argo_agents.bridge.signing import RequestAuthenticator, Signer
    from argo_agents.stores.redis_channels import RedisChannels

log = logging.getLogger(__name__)

HEARTBEAT_S = 5.0
ENDED = ("completed", "failed", "rejected")
SEEN_PREFIX = "argo:bridge:seen:"  # request ids already acted on (replay check)


class LayerBridge:
    """Listens on `CHANNEL_IN`, acts through ``argo``, answers on `CHANNEL_OUT`.

    With an ``authenticator`` (``ARGO_DIRECTOR_TOKENS`` set) only signed requests
    are served, each as the Director who signed it (recorded as verified; a
    ``director`` named in ``data`` is ignored). Without one, every request is served
    and names are recorded as asserted, as the LangGraph server does without tokens.
    """

    def __init__(
        self,
        argo: Argo,
        channels: RedisChannels,
        *,
        authenticator: RequestAuthenticator | None = None,
    ) -> None:
        self.argo = argo
        self.channels = channels
        self.authenticator = authenticator
        self.handled = 0

    @classmethod
    def for_settings(cls, argo: Argo, channels: RedisChannels) -> LayerBridge:
        """The bridge ``argo``'s settings ask for: signed requests only when
        ``ARGO_DIRECTOR_TOKENS`` is set (malformed tokens raise `ValueError`)."""
        from argo_agents.approval.identity import parse_director_tokens
        from argo_agents.bridge.signing import RequestAuthenticator

        tokens = parse_director_tokens(argo.settings.director_tokens)
        if not tokens:
            return cls(argo, channels)
        seen = lambda msg_id, ttl: channels.first_sight(SEEN_PREFIX + msg_id, ttl)  # noqa: E731
        return cls(argo, channels, authenticator=RequestAuthenticator(tokens, seen))

    def serve(self, stop: threading.Event) -> None:
        """Serve until ``stop`` is set."""
        ready = {"channels": [CHANNEL_IN, CHANNEL_OUT], "signed": self.authenticator is not None}
        self._say(CHANNEL_SYNC, "bridge_ready", ready)
        beat = time.monotonic()
        for raw in self.channels.listen([CHANNEL_IN]):
            if stop.is_set():
                return
            if raw is not None:
                self.handle(raw)
            if time.monotonic() - beat >= HEARTBEAT_S:
                beat = time.monotonic()
                self._say(CHANNEL_SYNC, "heartbeat", {"handled": self.handled})

    def handle(self, raw: dict[str, Any]) -> None:
        """Act on one request and answer it; a refused request gets an ``error`` answer."""
        reply_to, signer = str(raw.get("id", "")), None
        try:
            reply_to, event_type, data = parse_request(raw)
            signer = self.authenticator.verify(raw) if self.authenticator else None
            run = self._act(event_type, data, signer.director if signer else None)
        except (BadMessage, ValidationError, TypeError) as exc:
            self._answer("error", reply_to, {"error": str(exc), "kind": type(exc).__name__}, signer)
            return
        except Exception as exc:  # the API's typed errors (busy thread, bad resume, ...)
            log.info("bridge: request %s refused: %s", reply_to, exc)
            self._answer("error", reply_to, {"error": str(exc), "kind": type(exc).__name__}, signer)
            return
        finally:
            self.handled += 1
        for kind, body in _answers(run):
            self._answer(kind, reply_to, body, signer)

    def _act(self, event_type: str, data: dict[str, Any], signer: str | None) -> GoalRun:
        """Do what the request asks; ``signer``: the verified Director, if the request
        was signed (then the only name recorded)."""
        director = signer or data.get("director")
        argo = self._argo_for(data if event_type == "submit_goal" else {}, signer)
        if event_type == "submit_goal":
            return argo.submit_goal(
                data.get("goal"),  # type: ignore[arg-type]  # validated by the API
                budget_usd=data.get("budget_usd"),
                director=director,
            )
        thread_id = data.get("thread_id")
        if not isinstance(thread_id, str) or not thread_id:
            raise BadMessage(f"{event_type} needs data.thread_id (the run's thread)")
        if event_type == "get_run":
            return argo.get_run(thread_id)
        if event_type == "answer":
            return self._answer_escalation(argo, thread_id, data, director)
        decisions = data.get("decisions")
        if not isinstance(decisions, dict) or not decisions:
            raise BadMessage('approve needs data.decisions: {"<step_id>": "approve" | "reject"}')
        return argo.resume(
            thread_id,
            decisions,
            director=director,
            reason=str(data.get("reason", "")),
            allow_over_budget=bool(data.get("allow_over_budget", False)),
        )

    def _argo_for(self, data: dict[str, Any], signer: str | None) -> Argo:
        """The bridge's ARGO, or one on the same services acting as the verified
        ``signer`` and/or with the run's own choices (``model``, ``agents``); an
        unusable choice is refused (`InvalidContextError`)."""
        choices = {k: data[k] for k in ("model", "agents") if data.get(k) is not None}
        if not choices and signer is None:
            return self.argo
        from argo_agents.api import Argo  # at call time: the API imports the bridge's users

        context = dataclasses.replace(self.argo.context, **choices)  # validated on creation
        return Argo(
            self.argo.settings,
            services=self.argo.services(),
            context=context,
            verified_director=signer,
        )

    def _answer_escalation(
        self, argo: Argo, thread_id: str, data: dict[str, Any], director: str | None
    ) -> GoalRun:
        escalation, option = data.get("escalation_id"), data.get("option")
        if not isinstance(escalation, str) or not isinstance(option, str):
            raise BadMessage('answer needs data.escalation_id and data.option (an option "id")')
        note = data.get("note")
        return argo.answer(
            thread_id,
            escalation,
            option,
            note=str(note) if note is not None else None,
            director=director,
        )

    def _answer(
        self, event_type: str, reply_to: str, data: dict[str, Any], signer: Signer | None
    ) -> None:
        """An answer on `CHANNEL_OUT`; signed with the requester's token when the request
        was signed."""
        self._say(CHANNEL_OUT, event_type, {"reply_to": reply_to, **data}, signer)

    def _say(
        self, channel: str, event_type: str, data: dict[str, Any], signer: Signer | None = None
    ) -> None:
        msg = message(event_type, data, source="layer2", target="layer1")
        self.channels.publish(channel, signer.sign(msg) if signer else msg)


def _answers(run: GoalRun) -> list[tuple[str, dict[str, Any]]]:
    """What the front layer is told about ``run``: its update, then what it waits for or
    that it ended."""
    out = [("run_update", _summary(run))]
    if run.status == "awaiting_approval":
        approvals = [p.model_dump(mode="json") for p in run.pending_approvals]
        out.append(("approval_requested", {"thread_id": run.thread_id, "approvals": approvals}))
    elif run.status == "awaiting_director":
        asked = [e.model_dump(mode="json") for e in run.pending_escalations]
        out.append(("escalation_requested", {"thread_id": run.thread_id, "escalations": asked}))
    elif run.status in ENDED:
        out.append(("goal_completed", _summary(run)))
    return out


def _summary(run: GoalRun) -> dict[str, Any]:
    """What a front layer shows of a run (JSON)."""
    return {
        "thread_id": run.thread_id,
        "run_id": run.run_id,
        "status": run.status,
        "goal": run.goal,
        "steps": {sid: status for sid, status in run.step_status.items()},
        "errors": run.errors,
    }
