"""The endpoint vocabulary: keys, states and their sets, and what hfwarden saw of one endpoint."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple


class EndpointKey(NamedTuple):
    """`namespace/name`, parsed once. Its string form is the key used everywhere else."""

    namespace: str
    name: str

    @classmethod
    def parse(cls, text: str) -> EndpointKey:
        """`ns/name` into its parts; ValueError for anything else."""
        namespace, slash, name = text.partition("/")
        if not slash or not namespace or not name or "/" in name:
            raise ValueError(f"{text!r} is not namespace/name")
        return cls(namespace, name)

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}"


def namespace_of(key: str) -> str:
    """The namespace part of an endpoint key."""
    return key.partition("/")[0]


class EndpointState(StrEnum):
    PENDING = "pending"
    INITIALIZING = "initializing"
    UPDATING = "updating"
    UPDATE_FAILED = "updateFailed"
    RUNNING = "running"
    PAUSED = "paused"
    FAILED = "failed"
    SCALED_TO_ZERO = "scaledToZero"


# Billed per replica while starting or serving (the pricing page); pending, paused and the rest cost nothing.
BILLED_STATES = frozenset({EndpointState.INITIALIZING, EndpointState.RUNNING, EndpointState.UPDATING})
# hfwarden acts only from these; the moving ones are waited out.
STABLE_STATES = frozenset({EndpointState.RUNNING, EndpointState.PAUSED, EndpointState.SCALED_TO_ZERO})
MOVING_STATES = frozenset({EndpointState.PENDING, EndpointState.INITIALIZING, EndpointState.UPDATING})
# Need a human: alerted once, never acted on.
BROKEN_STATES = frozenset({EndpointState.FAILED, EndpointState.UPDATE_FAILED})
# Billing nothing and not about to: a budget stop is satisfied by these (paused is the harder stop).
STOPPED_STATES = frozenset({EndpointState.PAUSED, EndpointState.SCALED_TO_ZERO})
# Starting or billing: a latched endpoint seen in one of these was started by someone.
UP_STATES = BILLED_STATES | {EndpointState.PENDING}


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
    # `status.createdAt`: nothing was billed before it (None from a record that did not carry it).
    created_at: datetime | None = None

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def billed_replicas(self) -> int:
        """max(readyReplica, targetReplica) while initializing, running or updating; 0 otherwise."""
        if self.state in BILLED_STATES:
            return max(self.ready_replicas, self.target_replicas)
        return 0
