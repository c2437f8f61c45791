"""Conflict resolution strategies: pure functions from the two sides to the winner.

A conflict has an *incoming* side (the event) and a *stored* side (what a
store holds: a different hash at the same version, or a newer version than
the event was based on). Each strategy returns the data every store should
converge to, or None for MANUAL (a human decides). The engine then publishes
that data as a new event, so the resolution flows through the same outbox
path as any other write.

A resolution is built from data read at one moment and published later, so
it is a compare-and-set against the entity's newest version: `resolution_base`
(pure, here) drops a resolution when a newer version than the one it is about
has been published, and otherwise gives the ``base_version`` it is published
on, at exactly the next version (`conflicts` explains how that is made atomic).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from argo_agents.sync.config import ConflictStrategy


@dataclass(frozen=True)
class Side:
    """One side of a conflict. ``data`` None means the entity does not exist there."""

    data: dict[str, Any] | None
    confidence: float | None = None
    timestamp: datetime | None = None
    version: int = 0


@dataclass(frozen=True)
class Resolution:
    """What every store should hold afterwards; ``data`` None means delete."""

    data: dict[str, Any] | None
    confidence: float
    winner: str  # "incoming" | "stored" | "merged" | "previous"


def merge(incoming: Side, stored: Side) -> dict[str, Any]:
    """Keys of both sides; on a clash, higher confidence wins, then the later timestamp,
    then the incoming value ("keep existing keys the new data lacks")."""
    base = dict(stored.data or {})
    new = incoming.data or {}
    stored_first = _stored_wins_clash(incoming, stored)
    for key, value in new.items():
        if key in base and base[key] != value and stored_first:
            continue
        base[key] = value
    return base


def _stored_wins_clash(incoming: Side, stored: Side) -> bool:
    if (
        incoming.confidence is not None
        and stored.confidence is not None
        and incoming.confidence != stored.confidence
    ):
        return stored.confidence > incoming.confidence
    if incoming.timestamp is not None and stored.timestamp is not None:
        return stored.timestamp > incoming.timestamp
    return False


def resolve(
    strategy: ConflictStrategy, incoming: Side, stored: Side, previous: Side | None = None
) -> Resolution | None:
    """The resolution ``strategy`` picks; None when a human must decide (MANUAL).

    ``previous`` is the state before the incoming event was applied anywhere
    (ROLLBACK's compensation target); without it ROLLBACK keeps the stored side.
    """
    inc_conf = 1.0 if incoming.confidence is None else incoming.confidence
    sto_conf = 0.0 if stored.confidence is None else stored.confidence
    if strategy is ConflictStrategy.MANUAL:
        return None
    if strategy is ConflictStrategy.LAST_WRITE_WINS:
        return Resolution(incoming.data, inc_conf, "incoming")
    if strategy is ConflictStrategy.HIGHEST_CONFIDENCE:
        if stored.data is not None and sto_conf > inc_conf:
            return Resolution(stored.data, sto_conf, "stored")
        return Resolution(incoming.data, inc_conf, "incoming")
    if strategy is ConflictStrategy.MERGE:
        if incoming.data is None or stored.data is None:  # a delete does not merge
            return Resolution(incoming.data, inc_conf, "incoming")
        return Resolution(merge(incoming, stored), max(inc_conf, sto_conf), "merged")
    if strategy is ConflictStrategy.ROLLBACK:
        target = previous if previous is not None else stored
        conf = 1.0 if target.confidence is None else target.confidence
        return Resolution(target.data, conf, "previous" if previous is not None else "stored")
    raise ValueError(f"unknown conflict strategy {strategy!r}")


def take(choice: str, incoming: Side, stored: Side) -> Resolution:
    """A human's choice for a parked conflict: incoming, stored or merged."""
    if choice == "incoming":
        return Resolution(incoming.data, incoming.confidence or 1.0, "incoming")
    if choice == "stored":
        return Resolution(stored.data, stored.confidence or 1.0, "stored")
    if choice == "merged":
        return Resolution(
            merge(incoming, stored),
            max(incoming.confidence or 1.0, stored.confidence or 0.0),
            "merged",
        )
    raise ValueError(f"take must be incoming, stored or merged, not {choice!r}")


def resolution_base(about: int, newest: int, stored: Iterable[int] = ()) -> int | None:
    """The ``base_version`` of a resolution, or None when a newer version supersedes it.

    ``about`` is the version the conflict (or repair) is about, ``newest`` the
    newest version the engine has assigned to the entity, read just before
    publishing, and ``stored`` the versions the stores in conflict hold (a
    write that bypassed the engine can hold one it never assigned). A newest
    version above ``about`` was published after it: its data is newer than
    anything the resolution was built from, so the resolution is dropped.
    Otherwise it is published at exactly base + 1, or not at all (see
    `conflicts.ConflictManager.publish_if_newest`).
    """
    if newest > about:
        return None
    return max([about, newest, *stored])
