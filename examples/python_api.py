"""Submit a goal from Python, watch it stream, approve what it asks, read the outcome.

    .venv/bin/python examples/python_api.py ["your goal"]

Uses the stores of your environment (ARGO_* variables), starting the embedded local
stack for those not set (`make stack-up` first makes the start instant).
"""

from __future__ import annotations

import sys

from argo_agents import Argo
from argo_agents.run_events import ApprovalRequested, RunEnded, StepFinished

GOAL = sys.argv[1] if len(sys.argv) > 1 else "Deploy the payments API to production"

with Argo() as argo:
    run = None
    for event in argo.stream_goal(GOAL, budget_usd=900, director="ana"):
        if isinstance(event, StepFinished):
            print(f"  step {event.step_id}: {event.status}")
        elif isinstance(event, ApprovalRequested):
            print("  waiting for:", ", ".join(a.step_id for a in event.approvals))
        elif isinstance(event, RunEnded):
            run = event.run
        else:
            print(f"  {event.kind}")
    assert run is not None
    if run.status == "awaiting_approval":
        decisions = {p.step_id: "approve" for p in run.pending_approvals}
        for event in argo.stream_resume(run.thread_id, decisions, director="ana"):
            if isinstance(event, StepFinished):
                print(f"  step {event.step_id}: {event.status}")
            elif isinstance(event, RunEnded):
                run = event.run
    print(f"goal {run.status}: thread {run.thread_id}")
    for step_id, status in run.step_status.items():
        print(f"  {step_id}: {status}")
    if run.sync_receipt is not None:
        print(f"  outcome written to the stores: {run.sync_receipt.published} records")
