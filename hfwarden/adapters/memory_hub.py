"""An in-memory twin of the Hub adapter: endpoints in a dict, each call answered at once with the
state it asks for. For pass-level table tests that need no HTTP; the emulator (a real server that
the real client talks to) keeps covering the wire, the lifecycles and the billing."""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace

from hfwarden.adapters.hub import EndpointNotFound, HubError
from hfwarden.clock import Clock
from hfwarden.core.decide import Step, StepKind
from hfwarden.core.endpoints import EndpointState, Observation


@dataclass(frozen=True, slots=True)
class Hardware:
    """One row of the hardware catalogue, shaped as huggingface_hub parses it."""

    vendor: str
    region: str
    instance_type: str
    instance_size: str
    price_per_hour: float


class MemoryHub:
    """Endpoints in memory; `calls` lists what was sent as (kind, namespace/name)."""

    def __init__(self, clock: Clock, *, prices: dict[str, float] | None = None) -> None:
        self.clock = clock
        self.prices = dict(prices or {})  # instance (vendor/region/type/size) -> $/h
        self.endpoints: dict[str, Observation] = {}
        self.unlistable: dict[str, str] = {}  # namespace -> why its listing fails
        self.failing: dict[str, str] = {}  # namespace/name -> why its calls fail
        self.calls: list[tuple[str, str]] = []
        self._lock = threading.Lock()  # the pass calls from a pool of threads

    def put(self, *observations: Observation) -> None:
        """Endpoints as they are now (created, or changed by someone else)."""
        with self._lock:
            self.endpoints.update((o.key, o) for o in observations)

    def list_endpoints(self, namespace: str) -> list[Observation]:
        with self._lock:
            if namespace in self.unlistable:
                raise HubError(f"list {namespace}: {self.unlistable[namespace]}", status=503)
            return [o for o in self.endpoints.values() if o.namespace == namespace]

    def get(self, namespace: str, name: str) -> Observation:
        with self._lock:
            return self._found(f"{namespace}/{name}")

    def hardware(self, namespace: str) -> list[Hardware]:
        rows = []
        for instance, price in sorted(self.prices.items()):
            vendor, region, instance_type, instance_size = instance.split("/")
            rows.append(Hardware(vendor, region, instance_type, instance_size, price))
        return rows

    def apply(self, namespace: str, name: str, step: Step) -> Observation:
        key = f"{namespace}/{name}"
        with self._lock:
            self.calls.append((step.kind.value, key))
            if key in self.failing:
                raise HubError(f"{step.kind.value} {key}: {self.failing[key]}", status=500)
            answer = after(self._found(key), step)
            self.endpoints[key] = answer = replace(answer, updated_at=self.clock.now())
            return answer

    def _found(self, key: str) -> Observation:
        if key not in self.endpoints:
            raise EndpointNotFound(f"{key}: not found", status=404)
        return self.endpoints[key]


def after(endpoint: Observation, step: Step) -> Observation:
    """The endpoint once a call took effect, at once (the emulator models the time it takes)."""
    match step.kind:
        case StepKind.PAUSE:
            return replace(endpoint, state=EndpointState.PAUSED, ready_replicas=0, target_replicas=0)
        case StepKind.SCALE_TO_ZERO:
            return replace(endpoint, state=EndpointState.SCALED_TO_ZERO, ready_replicas=0, target_replicas=0)
        case StepKind.RESUME:
            replicas = max(endpoint.min_replica, 1)
            return replace(endpoint, state=EndpointState.RUNNING, ready_replicas=replicas, target_replicas=replicas)
        case StepKind.UPDATE:
            low = endpoint.min_replica if step.min_replicas is None else step.min_replicas
            high = endpoint.max_replica if step.max_replicas is None else step.max_replicas
            timeout = (
                endpoint.scale_to_zero_timeout if step.scale_to_zero_timeout is None else step.scale_to_zero_timeout
            )
            sized = replace(endpoint, min_replica=low, max_replica=high, scale_to_zero_timeout=timeout)
            if endpoint.state != EndpointState.RUNNING:
                return sized
            replicas = min(max(endpoint.target_replicas, low, 1), high)
            return replace(sized, ready_replicas=replicas, target_replicas=replicas)
