"""Typed store errors that name the store, the address and what to do next.

The sync engine retries `StoreUnavailable` (transient) and dead-letters
`StoreRejected` (the store will never accept that write as it is). `StoreBusy`
is the transient kind that says nothing about the store's health (writers
collided), so it is retried more and never opens the store's circuit.
"""

from __future__ import annotations


class StoreError(Exception):
    """A store operation failed; `store` and `address` say where."""

    def __init__(self, store: str, address: str, message: str, *, hint: str = "") -> None:
        self.store = store
        self.address = address
        self.hint = hint
        text = f"{store} at {address}: {message}"
        if hint:
            text += f" — {hint}"
        super().__init__(text)


class StoreUnavailable(StoreError):
    """The store could not be reached in time; retrying later may succeed."""


class StoreBusy(StoreUnavailable):
    """The store is up but refused the write for now: concurrent writers collided (a
    deadlock or an optimistic-concurrency conflict). Retrying soon will succeed."""


class StoreRejected(StoreError):
    """The store refused the data itself; retrying the same write will not help."""


def unavailable_hint(store: str) -> str:
    """What a user should try when a store is down."""
    return (
        f"is the {store} server running? Start the local stack with `argo stack up`, "
        f"or check the ARGO_* variables for {store} in your environment/.env"
    )
