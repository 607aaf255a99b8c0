"""What hfwarden saw of an endpoint: immutable records the adapters produce and policy consumes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class EndpointState(StrEnum):
    PENDING = "pending"
    INITIALIZING = "initializing"
    UPDATING = "updating"
    UPDATE_FAILED = "updateFailed"
    RUNNING = "running"
    PAUSED = "paused"
    FAILED = "failed"
    SCALED_TO_ZERO = "scaledToZero"


BILLED_STATES = frozenset({EndpointState.INITIALIZING, EndpointState.RUNNING, EndpointState.UPDATING})


@dataclass(frozen=True, slots=True)
class Observation:
    """One endpoint as one list call returned it."""

    namespace: str
    name: str
    state: str  # an EndpointState value, or whatever new state the API invents
    ready_replicas: int
    target_replicas: int
    min_replica: int
    max_replica: int
    scale_to_zero_timeout: int | None
    instance: str  # vendor/region/instanceType/instanceSize
    updated_at: datetime

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def billed_replicas(self) -> int:
        """max(readyReplica, targetReplica) while initializing, running or updating; 0 otherwise."""
        if self.state in BILLED_STATES:
            return max(self.ready_replicas, self.target_replicas)
        return 0
