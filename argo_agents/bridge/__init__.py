"""The layer bridge: a front layer in any language drives ARGO over Redis channels.

Protocol (the source design's message shape): every message is a JSON object
``{"id", "timestamp", "source", "target", "event_type", "data"}``.

- The front layer (``layer1``) publishes on ``layer1_to_layer2``:
  ``submit_goal`` ``{"goal", "budget_usd"?, "director"?, "model"?, "agents"?}`` (the
  run's own chat model and agent kinds, as `Context.model`/`Context.agents`),
  ``approve`` ``{"thread_id", "decisions": {step_id: "approve" | "reject" | {"edit": ...}},
  "director"?, "reason"?, "allow_over_budget"?}``, ``answer`` ``{"thread_id",
  "escalation_id", "option", "note"?, "director"?}`` (an agent's escalation),
  ``get_run`` ``{"thread_id"}``.
- ARGO (``layer2``) answers on ``layer2_to_layer1``, each answer's
  ``data.reply_to`` naming the request's id: ``run_update`` (the run's status,
  plan steps, results), ``approval_requested`` (the pending approvals, when the
  run paused), ``escalation_requested`` (an agent's question and its options, when
  the run waits for the Director), ``goal_completed`` (when it ended: completed, failed or rejected)
  and ``error`` (``{"error", "kind"}``: the request was refused; nothing ran).
- ``layer_sync`` carries ``bridge_ready`` when the bridge starts listening and
  ``heartbeat`` every few seconds, so a front layer knows ARGO is there.

With ``ARGO_DIRECTOR_TOKENS`` set, requests must be signed by a Director
(`argo_agents.bridge.signing`); the bridge then acts as that Director.

Pub/sub delivers only to whoever listens at that moment; the runs themselves are
checkpointed, so a front layer that missed an answer asks again with ``get_run``.
"""

from argo_agents.bridge.protocol import CHANNEL_IN, CHANNEL_OUT, CHANNEL_SYNC, message
from argo_agents.bridge.server import LayerBridge
from argo_agents.bridge.signing import RequestAuthenticator, Unauthenticated, sign

__all__ = [
    "CHANNEL_IN",
    "CHANNEL_OUT",
    "CHANNEL_SYNC",
    "LayerBridge",
    "RequestAuthenticator",
    "Unauthenticated",
    "message",
    "sign",
]
