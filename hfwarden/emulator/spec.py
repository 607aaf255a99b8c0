"""Request bodies as the API reads them: parse errors, validation and PUT merging."""

from __future__ import annotations

import copy
import re
from typing import Any

from hfwarden.catalogue import Compute, find_compute
from hfwarden.core.platform.autoscaling import DEFAULT_SCALE_TO_ZERO_TIMEOUT

NAME_PATTERN = re.compile(r"^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$")
# v2 endpoint types; `protected` only survives in old answers and is refused like any unknown variant.
ENDPOINT_TYPES = ("public", "authenticated", "private")
PARSE_PREFIX = "Failed to parse the request body as JSON: "


class ApiError(Exception):
    """An answer the API gives instead of a result. `plain`: a text/plain body, as the real API's
    body-parsing errors are, instead of the JSON `{"error": ...}` used elsewhere."""

    def __init__(self, status: int, message: str, *, plain: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.plain = plain


def parse_error(detail: str) -> ApiError:
    """A body the server cannot deserialise: 400 with a plain-text message."""
    return ApiError(400, PARSE_PREFIX + detail, plain=True)


# Objects a PUT replaces whole instead of merging into: the image is a union, and `measure` is
# `{metric: threshold}` for the one `metric` in use (HF's autoscaling guide), not a map that grows.
REPLACED_WHOLE = frozenset({"model.image", "compute.scaling.measure"})
# HF's default idle time before scale-to-zero when an endpoint at minReplica 0 has none set.
DEFAULT_IDLE_MINUTES = DEFAULT_SCALE_TO_ZERO_TIMEOUT  # HF: idle after 1 hour by default


def with_sizes(spec: dict[str, Any], low: int, high: int) -> dict[str, Any]:
    """`spec` with `minReplica` / `maxReplica` set as the platform sets them itself (pause, resume)."""
    # Copied along the changed path only: specs are replaced, never changed in place (`merge` copies).
    compute = spec["compute"]
    return {**spec, "compute": {**compute, "scaling": {**compute["scaling"], "minReplica": low, "maxReplica": high}}}


def merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """PUT semantics: sparse bodies merge into the stored object; `model.image` and
    `compute.scaling.measure` are replaced whole, and a new `measure` names the `metric` in use."""
    merged = copy.deepcopy(base)

    def walk(target: dict[str, Any], changes: dict[str, Any], path: str) -> None:
        for key, value in changes.items():
            here = f"{path}.{key}" if path else key
            if isinstance(value, dict) and isinstance(target.get(key), dict) and here not in REPLACED_WHOLE:
                walk(target[key], value, here)
            else:
                target[key] = copy.deepcopy(value)

    walk(merged, patch, "")
    _metric_from_measure(merged)
    return merged


def _metric_from_measure(spec: dict[str, Any]) -> None:
    """huggingface_hub sends only `measure: {metric: threshold}`: the metric is its one key."""
    scaling = spec.get("compute", {}).get("scaling")
    if not isinstance(scaling, dict):
        return
    measure = scaling.get("measure")
    if isinstance(measure, dict) and len(measure) == 1:
        scaling["metric"] = next(iter(measure))


def _require(body: dict[str, Any], path: str, kind: type | tuple[type, ...]) -> Any:
    node: Any = body
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            raise parse_error(f"{path}: missing field `{part}`")
        node = node[part]
    if not isinstance(node, kind) or (isinstance(node, bool) and kind is int):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise parse_error(f"{path}: expected {names}")
    return node


def check_request(body: Any) -> dict[str, Any]:
    """What the server's deserialiser refuses in any create or update body."""
    if not isinstance(body, dict):
        raise parse_error("expected an object")
    model = body.get("model")
    if isinstance(model, dict) and "task" in model and model["task"] is None:
        # Not nullable server-side (huggingface_hub omits it rather than send null): a parse error.
        raise parse_error("model.task: expected value, found null")
    if "type" in body and body["type"] not in ENDPOINT_TYPES:
        expected = ", ".join(f"`{t}`" for t in ENDPOINT_TYPES)
        raise parse_error(f"type: unknown variant `{body['type']}`, expected one of {expected}")
    return body


def validate_spec(spec: dict[str, Any]) -> None:
    for path in ("name", "type", "compute.instanceType", "compute.instanceSize"):
        _require(spec, path, str)
    for path in ("provider.vendor", "provider.region", "model.repository", "model.framework"):
        _require(spec, path, str)
    _require(spec, "model.image", dict)
    low = _require(spec, "compute.scaling.minReplica", int)
    high = _require(spec, "compute.scaling.maxReplica", int)
    timeout = spec["compute"]["scaling"].get("scaleToZeroTimeout")
    if timeout is not None and (not isinstance(timeout, int) or isinstance(timeout, bool) or timeout < 0):
        raise ApiError(400, "VALIDATION_FAILED: compute.scaling.scaleToZeroTimeout must be minutes >= 0")
    if low < 0 or high < 1 or low > high:
        raise ApiError(
            400,
            f"VALIDATION_FAILED: need 0 <= minReplica <= maxReplica and maxReplica >= 1, got {low}..{high}",
        )
    if timeout is not None and low >= 1:
        # HF refuses this combination (huggingface_hub PR #3062: "users will get an error anyways that
        # the minReplica should not be 1"); its exact wording is not published, this is ours.
        raise ApiError(
            400,
            f"VALIDATION_FAILED: compute.scaling.scaleToZeroTimeout is set ({timeout}) but minReplica is {low}: "
            "scale-to-zero needs minReplica 0 (minReplica should not be 1 or more)",
        )


def validated_create_body(body: Any) -> dict[str, Any]:
    spec = copy.deepcopy(check_request(body))
    name = _require(spec, "name", str)
    if not NAME_PATTERN.match(name):
        raise ApiError(400, "VALIDATION_FAILED: name must be 1-32 lowercase letters, digits or hyphens, not at an end")
    _require(spec, "type", str)
    spec.setdefault("model", {}).setdefault("revision", None)
    spec["model"].setdefault("task", None)  # omitted on create: answers then carry a null task
    spec.setdefault("healthRoute", "/health")
    spec.setdefault("accountId", None)
    scaling = spec.setdefault("compute", {}).setdefault("scaling", {})
    if isinstance(scaling, dict):
        # No timeout injected: an endpoint at minReplica 0 without one idles after DEFAULT_IDLE_MINUTES.
        scaling.setdefault("scaleToZeroTimeout", None)
        scaling.setdefault("measure", {"hardwareUsage": None})
        scaling.setdefault("metric", "hardwareUsage")
        _metric_from_measure(spec)
    validate_spec(spec)
    return spec


def compute_for(spec: dict[str, Any]) -> Compute:
    vendor, region = spec["provider"]["vendor"], spec["provider"]["region"]
    compute = find_compute(vendor, region, spec["compute"]["instanceType"], spec["compute"]["instanceSize"])
    if compute is None:
        raise ApiError(
            400,
            f"VALIDATION_FAILED: no compute {spec['compute']['instanceType']} "
            f"{spec['compute']['instanceSize']} in {vendor}/{region}",
        )
    return compute
