"""The sync engine: every ARGO write goes through a durable outbox to the four stores.

Start at `engine.SyncEngine`; its docstring follows one event through the modules.
"""

from argo_agents.sync.config import ConflictStrategy, SyncConfig
from argo_agents.sync.engine import Backpressure, SyncEngine
from argo_agents.sync.events import (
    EventTooLargeError,
    InvalidEventError,
    InvalidRelationError,
    MissingEntityIdError,
    NotSerializableError,
    Operation,
    Priority,
    SyncEvent,
    UnknownEntityTypeError,
)
from argo_agents.sync.outbox import CountersLost, PublishInterrupted
from argo_agents.sync.reports import DrainReport, SyncReceipt, SyncStatus, VerifyReport

__all__ = [
    "Backpressure",
    "ConflictStrategy",
    "CountersLost",
    "DrainReport",
    "EventTooLargeError",
    "InvalidEventError",
    "InvalidRelationError",
    "MissingEntityIdError",
    "NotSerializableError",
    "Operation",
    "Priority",
    "PublishInterrupted",
    "SyncConfig",
    "SyncEngine",
    "SyncEvent",
    "SyncReceipt",
    "SyncStatus",
    "UnknownEntityTypeError",
    "VerifyReport",
]
