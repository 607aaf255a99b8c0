"""What hfwarden needs of the Inference Endpoints API, as a protocol: the Hub adapter (`hub.py`, the
real API through huggingface_hub) and its in-memory twin (`memory_hub.py`, for fast pass-level
tests) both provide it, as APScheduler's memory job store sits beside its real ones."""

from __future__ import annotations

from typing import Any, Protocol

from hfwarden.core.decide import Step
from hfwarden.core.endpoints import Observation


class EndpointsApi(Protocol):
    def list_endpoints(self, namespace: str) -> list[Observation]:
        """Every endpoint of a namespace, in one call; `HubError` when it cannot be listed."""
        ...

    def get(self, namespace: str, name: str) -> Observation: ...

    def hardware(self, namespace: str) -> list[Any]:
        """The hardware catalogue: items with vendor, region, instance_type, instance_size, price_per_hour."""
        ...

    def apply(self, namespace: str, name: str, step: Step) -> Observation:
        """One mutating call, and the endpoint as the API answered it; `HubError` when it failed."""
        ...
