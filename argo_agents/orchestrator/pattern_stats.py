"""How often each learned pattern ran and succeeded, counted once per run.

Two runs that finish together must not both read n and write n + 1, and a
node re-executed after a crash must not count its run twice. So the counts
live in a compare-and-set record per pattern that also remembers the runs it
counted (the most recent `KEEP_RUNS`); the first time, it starts from what the
graph store holds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from argo_agents.approval.record import RecordConflict
from argo_agents.stores.ports import RecordPort

KEEP_RUNS = 500
_TRIES = 20


def count_run(
    records: RecordPort,
    pattern_id: str,
    run_id: str,
    success: bool,
    stored: Callable[[], dict[str, Any] | None],
) -> tuple[int, int]:
    """Count ``run_id`` once for the pattern; return (occurrences, successes) after it."""
    key = f"pattern-stats:{pattern_id}"
    doc: dict[str, Any]
    for _ in range(_TRIES):
        found = records.get(key)
        if found is None:
            seed = stored() or {}
            n = int(seed.get("occurrences") or 0)
            rev, doc = (
                0,
                {
                    "occurrences": n,
                    "runs": [],
                    "successes": round(float(seed.get("success_rate") or 0.0) * n),
                },
            )
        else:
            rev, doc = found
        if run_id in doc["runs"]:
            return int(doc["occurrences"]), int(doc["successes"])
        occurrences = int(doc["occurrences"]) + 1
        successes = int(doc["successes"]) + int(success)
        doc = {
            "occurrences": occurrences,
            "successes": successes,
            "runs": [*doc["runs"], run_id][-KEEP_RUNS:],
        }
        if records.compare_and_set(key, rev, doc):
            return occurrences, successes
    raise RecordConflict(f"pattern {pattern_id}: too many concurrent updates of its counts")
