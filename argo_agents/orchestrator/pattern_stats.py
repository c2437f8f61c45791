"""How often each learned pattern ran and succeeded, counted once per run.

Two runs that finish together must not both read n and write n + 1, and a
node re-executed after a crash must not count its run twice. So the counts
live in a compare-and-set record per pattern that also remembers the runs it
counted (the most recent `KEEP_RUNS`); the first time, it starts from what the
graph store holds.
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel, Field

from argo_agents.approval.record import RecordConflict
from argo_agents.stores.ports import RecordPort

KEEP_RUNS = 500
_TRIES = 20


class PatternCounts(BaseModel):
    """A pattern's counts as its record keeps them, with the runs already counted."""

    occurrences: int = 0
    successes: int = 0
    runs: list[str] = Field(default_factory=list)


def count_run(
    records: RecordPort,
    pattern_id: str,
    run_id: str,
    success: bool,
    stored: Callable[[], tuple[int, int]],
) -> tuple[int, int]:
    """Count ``run_id`` once for the pattern; return (occurrences, successes) after it.

    ``stored`` gives the (occurrences, successes) to start from the first time.
    """
    key = f"pattern-stats:{pattern_id}"
    for _ in range(_TRIES):
        found = records.get(key)
        if found is None:
            occurrences, successes = stored()
            rev, counts = 0, PatternCounts(occurrences=occurrences, successes=successes)
        else:
            rev, counts = found[0], PatternCounts.model_validate(found[1])
        if run_id in counts.runs:
            return counts.occurrences, counts.successes
        counts = PatternCounts(
            occurrences=counts.occurrences + 1,
            successes=counts.successes + int(success),
            runs=[*counts.runs, run_id][-KEEP_RUNS:],
        )
        if records.compare_and_set(key, rev, counts.model_dump()):
            return counts.occurrences, counts.successes
    raise RecordConflict(f"pattern {pattern_id}: too many concurrent updates of its counts")
