"""`GET /v2/provider/{ns}`: the catalogue with each row's quota, and the quota check on create.

Quota is per namespace and hardware row, in accelerators, as the API reports it. How the real
service counts use is not documented; the emulator's choice (an assumption, kept in one place): an
endpoint holds `numAccelerators × maxReplica` of its row from creation until it is deleted, except
while paused. So a scaled-to-zero endpoint still holds its quota (it may wake at any request), and
creating an endpoint that would pass the row's `maxAccelerators` is refused with a 400.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hfwarden.catalogue import COMPUTES, REGIONS, Compute, compute_id
from hfwarden.emulator.spec import ApiError

# Generous enough for every test, benchmark (1,000 endpoints in one namespace) and demo; tests and
# operators lower it per row to see creation refused.
DEFAULT_MAX_ACCELERATORS = 10_000


@dataclass
class Quota:
    """`maxAccelerators` per hardware row id (`aws-us-east-1-nvidia-l4-x1`), with a default."""

    default: int = DEFAULT_MAX_ACCELERATORS
    rows: dict[str, int] = field(default_factory=dict)

    def limit(self, row_id: str) -> int:
        return self.rows.get(row_id, self.default)

    def describe(self) -> dict[str, Any]:
        return {"default": self.default, "rows": dict(self.rows)}


def parse_quota(body: Any) -> Quota:
    """`{"default": n, "rows": {"aws-us-east-1-nvidia-l4-x1": n}}`, both optional: it replaces the whole quota."""
    if not isinstance(body, dict) or set(body) - {"default", "rows"} or not isinstance(body.get("rows", {}), dict):
        raise ApiError(400, "quota: expected {'default': n, 'rows': {row id: n}}")
    try:
        default = int(body.get("default", DEFAULT_MAX_ACCELERATORS))
        rows = {str(row_id): int(limit) for row_id, limit in body.get("rows", {}).items()}
    except (TypeError, ValueError):
        raise ApiError(400, "quota: limits must be whole numbers >= 0") from None
    if default < 0 or any(limit < 0 for limit in rows.values()):
        raise ApiError(400, "quota: limits must be whole numbers >= 0")
    return Quota(default, rows)


@dataclass(frozen=True, slots=True)
class Holding:
    """What one endpoint holds of its row's quota."""

    row_id: str
    accelerators: int


def check_quota(quota: Quota, holdings: Iterable[Holding], wanted: Holding) -> None:
    """Refuse `wanted` when, with what the namespace already holds, it would pass the row's limit."""
    used = sum(h.accelerators for h in holdings if h.row_id == wanted.row_id)
    limit = quota.limit(wanted.row_id)
    if used + wanted.accelerators > limit:
        raise ApiError(
            400,
            f"VALIDATION_FAILED: quota exceeded for {wanted.row_id}: {wanted.accelerators} accelerators requested, "
            f"{used} of {limit} in use; request more quota to deploy on this hardware",
        )


def _row(vendor: str, region: str, c: Compute, quota: Quota, used: Mapping[str, int]) -> dict[str, Any]:
    cid = compute_id(vendor, region, c)
    row: dict[str, Any] = {
        "id": cid,
        "accelerator": c.accelerator,
        "numAccelerators": c.num_accelerators,
        "memoryGb": c.memory_gb,
        "gpuMemoryGb": c.gpu_memory_gb if c.accelerator == "gpu" else None,  # null off-GPU, as the API has it
        "instanceType": c.instance_type,
        "instanceSize": c.instance_size,
        "architecture": c.architecture,
        "status": c.status,
        "pricePerHour": c.price_per_hour,
        "quota": {"maxAccelerators": quota.limit(cid), "usedAccelerators": used.get(cid, 0)},
    }
    if c.num_cpus is not None:  # the API leaves numCpus out on CPU rows
        row["numCpus"] = c.num_cpus
    return row


def render(quota: Quota, holdings: Iterable[Holding]) -> dict[str, Any]:
    """The provider answer for a namespace holding `holdings`."""
    used: dict[str, int] = {}
    for holding in holdings:
        used[holding.row_id] = used.get(holding.row_id, 0) + holding.accelerators
    vendors = []
    for vendor, regions in REGIONS.items():
        region_rows = [
            {
                "name": region,
                "label": label,
                "status": "available",
                "computes": [_row(vendor, region, c, quota, used) for c in COMPUTES[vendor]],
            }
            for region, label in regions
        ]
        vendors.append({"name": vendor, "status": "available", "regions": region_rows})
    return {"vendors": vendors}
