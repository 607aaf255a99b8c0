"""Answers from the Inference Endpoints API checked before use: one malformed answer is that call's
failure (a `MalformedAnswer`), never an exception that ends the pass for every namespace.

What is refused: a body that is not JSON (truncated, or a proxy's HTML page sent with 200), an item
that is `null` or has no `status`, a time that does not parse, and counts no endpoint can have
(`targetReplica: 10**30` would overflow the store's integer column much later, inside the pass's
transaction).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from hfwarden.adapters.hub_errors import MalformedAnswer
from hfwarden.core.endpoints import BILLED_STATES, Observation

T = TypeVar("T")

# Far above what the API allows (an endpoint has at most a few hundred replicas); low enough for any
# integer column and any sum the ledger makes of them.
MAX_ANSWERED_REPLICAS = 10_000
MAX_SCALE_TO_ZERO_MINUTES = 60 * 24 * 366
# What parsing a wrong answer raises, in the library or here. HTTP and transport errors are none of these.
PARSE_ERRORS = (ValueError, KeyError, TypeError, AttributeError, IndexError, OverflowError, RecursionError)
_MAX_DETAIL = 200


# Every key `check_endpoint` and `observation_from` read, and the listing's `items`: a listing is decoded
# into these alone. The rest of each endpoint (model, image, env, ...) was built and dropped by the
# thousand, and what a pass keeps from those moments pinned the allocator's pages (~3 MB at 5,000).
OBSERVED_KEYS = frozenset(
    {
        "items",
        "name",
        "status",
        "state",
        "readyReplica",
        "targetReplica",
        "updatedAt",
        "createdAt",
        "compute",
        "instanceType",
        "instanceSize",
        "scaling",
        "minReplica",
        "maxReplica",
        "scaleToZeroTimeout",
        "provider",
        "vendor",
        "region",
    }
)


def observed_fields(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """`json.loads`' `object_pairs_hook` for a listing: each object with only the keys observed."""
    return {key: value for key, value in pairs if key in OBSERVED_KEYS}


def answered(what: str, call: Callable[[], T]) -> Callable[[], T]:
    """`call`, with a parse failure inside the library (it reads the JSON) as a MalformedAnswer."""

    def wrapped() -> T:
        return checked(what, call)

    return wrapped


def checked(what: str, parse: Callable[[], T]) -> T:
    """`parse()`, or a MalformedAnswer naming `what` and why."""
    try:
        return parse()
    except MalformedAnswer:
        raise
    except PARSE_ERRORS as exc:
        detail = str(exc)[:_MAX_DETAIL]
        raise MalformedAnswer(f"{what}: malformed answer: {type(exc).__name__}: {detail}") from None


def check_endpoint(raw: Any) -> dict[str, Any]:
    """The JSON of one endpoint if it has the shape and bounds an observation needs; raises ValueError."""
    if not isinstance(raw, dict):
        raise ValueError(f"an endpoint is {type(raw).__name__}, not an object")
    if not isinstance(raw.get("name"), str):
        raise ValueError("an endpoint without a name")
    status = raw.get("status")
    if not isinstance(status, dict) or not isinstance(status.get("state"), str):
        raise ValueError(f"{raw['name']}: no status.state")
    _time(status.get("updatedAt"), "status.updatedAt")
    if status.get("createdAt") is not None:
        _time(status["createdAt"], "status.createdAt")
    compute = _object(raw.get("compute", {}), "compute")
    scaling = _object(compute.get("scaling", {}), "compute.scaling")
    _object(raw.get("provider", {}), "provider")
    for field in ("readyReplica", "targetReplica"):
        _count(status.get(field), f"status.{field}", MAX_ANSWERED_REPLICAS)
    for field in ("minReplica", "maxReplica"):
        _count(scaling.get(field), f"compute.scaling.{field}", MAX_ANSWERED_REPLICAS)
    _count(scaling.get("scaleToZeroTimeout"), "compute.scaling.scaleToZeroTimeout", MAX_SCALE_TO_ZERO_MINUTES)
    return raw


def _object(value: Any, field: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"{field} is {type(value).__name__}, not an object")
    return value


def _time(value: Any, field: str) -> datetime:
    if not isinstance(value, str) or len(value) > 40:
        raise ValueError(f"{field} is not a time")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{field} {value!r} is not a time") from None


def _count(value: Any, field: str, upper: int) -> None:
    """None, or a whole number (an int, or a float or string of one) in [0, upper]."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{field} is not a number")
    if isinstance(value, str) and (len(value) > 12 or not value.strip().isdigit()):
        raise ValueError(f"{field} {value[:20]!r} is not a whole number")
    number = float(value)
    if not 0 <= number <= upper or number != int(number):
        raise ValueError(f"{field} {str(value)[:20]} is out of range (0 to {upper:,})")


def observation_from(raw: dict[str, Any], namespace: str) -> Observation:
    """The record the core works with, from the API's JSON for one endpoint; raises MalformedAnswer
    for an answer that is not one (see `hub_answers`)."""
    return checked(f"{namespace}/?", lambda: _observation(check_endpoint(raw), namespace))


def _observation(raw: dict[str, Any], namespace: str) -> Observation:
    status = raw["status"]
    compute = raw.get("compute", {})
    scaling = compute.get("scaling", {})
    provider = raw.get("provider", {})
    instance = "/".join(
        str(part)
        for part in (
            provider.get("vendor", "?"),
            provider.get("region", "?"),
            compute.get("instanceType", "?"),
            compute.get("instanceSize", "?"),
        )
    )
    timeout = scaling.get("scaleToZeroTimeout")
    min_replica = int(scaling.get("minReplica") or 0)
    target = int(status.get("targetReplica") or 0)
    if "readyReplica" not in status and "targetReplica" not in status and status["state"] in BILLED_STATES:
        # Older answers carry no replica counts: a billed endpoint runs at least its minimum, at least one.
        target = max(min_replica, 1)
    return Observation(
        namespace=namespace,
        name=raw["name"],
        state=status["state"],
        ready_replicas=int(status.get("readyReplica") or 0),
        target_replicas=target,
        min_replica=min_replica,
        max_replica=int(scaling.get("maxReplica") or 1),
        scale_to_zero_timeout=int(timeout) if timeout is not None else None,
        instance=instance,
        updated_at=_parse_time(status["updatedAt"]),
        created_at=_parse_time(status["createdAt"]) if status.get("createdAt") else None,
    )


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
