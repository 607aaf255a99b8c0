"""An emulated endpoint rendered as the API answers it: `status` block, messages, `Z` timestamps."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime
from typing import Any, Protocol

from hfwarden.catalogue import Compute, compute_id
from hfwarden.clock import to_z


class Endpoint(Protocol):
    """What an answer reads of an emulated endpoint (`world.Endpoint`); a protocol, so that the world
    imports its answers and not the other way round."""

    namespace: str
    spec: dict[str, Any]
    compute: Compute
    state: str
    ready: int
    target: int
    created_at: float
    updated_at: float

    @property
    def name(self) -> str: ...


URL_STATES = frozenset({"initializing", "running", "updating", "scaledToZero", "updateFailed"})
MESSAGES = {
    "pending": "Endpoint waiting to be scheduled",
    "initializing": "Endpoint is initializing",
    "updating": "Endpoint waiting for the update",
    "updateFailed": "Endpoint failed to update",
    "running": "Endpoint is ready",
    "paused": "Endpoint is paused",
    "failed": "Endpoint failed to deploy",
    "scaledToZero": "Endpoint is scaled to zero",
}
# `status.errorMessage`, present on broken endpoints only: what a human reads to fix it.
ERROR_MESSAGES = {
    "failed": "Endpoint failed to deploy: the container exited with code 1 (emulated)",
    "updateFailed": "Endpoint failed to update: the new revision did not pass its health check (emulated)",
}
MOVING_STATES = frozenset({"pending", "initializing", "updating"})
# When answers carry 9 fraction digits: huggingface_hub's recorded payloads show them on pending and
# updating endpoints and milliseconds on running ones, so "moving" (the default) does the same.
NANOSECOND_MODES = ("moving", "always", "never")
_USER_ID = "65f0c0ffee0000000000e1e1"


def endpoint_json(ep: Endpoint, base_url: str, nanoseconds: str) -> dict[str, Any]:
    """The endpoint as the API answers it."""
    # Shallow copies only: the answer is serialised at once and never mutated, and deep
    # copies of 1,000 endpoints would cost more than the rest of a list call.
    body = dict(ep.spec)
    provider = ep.spec["provider"]
    body["compute"] = {
        "accelerator": ep.compute.accelerator,
        **ep.spec["compute"],
        "id": compute_id(provider["vendor"], provider["region"], ep.compute),
    }
    nanos = _nanoseconds(ep, nanoseconds)
    status: dict[str, Any] = {
        "createdAt": _timestamp(ep.created_at, nanos),
        "createdBy": {"id": _USER_ID, "name": ep.namespace},
        "updatedAt": _timestamp(ep.updated_at, nanos),
        "updatedBy": {"id": _USER_ID, "name": ep.namespace},
        "private": None,
        "state": ep.state,
        "message": MESSAGES[ep.state],
        "readyReplica": ep.ready,
        "targetReplica": ep.target,
    }
    if ep.state in URL_STATES:
        status["url"] = f"{base_url}/dp/{ep.namespace}/{ep.name}"
    if ep.state in ERROR_MESSAGES:
        status["errorMessage"] = ERROR_MESSAGES[ep.state]
    body["status"] = status
    return body


def _nanoseconds(ep: Endpoint, mode: str) -> int | None:
    """The 3 digits past the microsecond this answer carries, or None for milliseconds."""
    if mode == "never" or (mode == "moving" and ep.state not in MOVING_STATES):
        return None
    # Stable per endpoint, so the same instant is always written the same way.
    return zlib.crc32(f"{ep.namespace}/{ep.name}".encode()) % 1000


def _timestamp(ts: float, nanos: int | None) -> str:
    """`Z` timestamps as the API writes them: milliseconds, or 9 fraction digits."""
    at = datetime.fromtimestamp(ts, UTC)
    if nanos is None:
        return to_z(at)
    return f"{at:%Y-%m-%dT%H:%M:%S}.{at.microsecond:06d}{nanos:03d}Z"
