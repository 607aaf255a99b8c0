"""Inference Endpoints hardware as Hugging Face publishes it: `data/hardware.csv`, one row per instance.

The emulator serves it as its catalogue; hfwarden falls back to its prices when neither the API nor the
schedule file gives one. Every price is a published figure with its source and date, never an
extrapolation: the real table is not linear in the accelerator count.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from importlib import resources

STATUSES = frozenset({"available", "low_availability", "not_available", "reserved", "deprecated"})
ACCELERATORS = frozenset({"cpu", "gpu", "neuron"})


@dataclass(frozen=True, slots=True)
class Compute:
    """One instance type and size of one vendor, as `GET /v2/provider/{ns}` describes it."""

    vendor: str
    accelerator: str  # cpu | gpu | neuron
    instance_type: str
    instance_size: str
    architecture: str
    num_accelerators: int
    num_cpus: int | None  # the API leaves `numCpus` out on CPU rows
    memory_gb: float
    gpu_memory_gb: int | None
    price_per_hour: float
    status: str
    price_source: str
    checked: date
    specs: str  # where num_cpus and memory_gb come from (see the file's header)


def _optional_int(text: str) -> int | None:
    return int(text) if text.strip() else None


def _row(raw: dict[str, str], line: int) -> Compute:
    compute = Compute(
        vendor=raw["vendor"],
        accelerator=raw["accelerator"],
        instance_type=raw["instance_type"],
        instance_size=raw["instance_size"],
        architecture=raw["architecture"],
        num_accelerators=int(raw["num_accelerators"]),
        num_cpus=_optional_int(raw["num_cpus"]),
        memory_gb=float(raw["memory_gb"]),
        gpu_memory_gb=_optional_int(raw["gpu_memory_gb"]),
        price_per_hour=float(raw["price_per_hour"]),
        status=raw["status"],
        price_source=raw["price_source"],
        checked=date.fromisoformat(raw["checked"]),
        specs=raw["specs"],
    )
    if compute.status not in STATUSES or compute.accelerator not in ACCELERATORS or compute.price_per_hour <= 0:
        raise ValueError(f"hardware.csv line {line}: bad status, accelerator or price: {raw}")
    return compute


def load_table(text: str) -> tuple[Compute, ...]:
    """Parse the table (lines starting with `#` are its documentation)."""
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return tuple(_row(raw, index) for index, raw in enumerate(csv.DictReader(lines), start=2))


TABLE: tuple[Compute, ...] = load_table(resources.files("hfwarden").joinpath("data/hardware.csv").read_text())

# Regions the emulator offers. Prices are published per vendor, the same in each of its regions.
# The azure region is an assumption: the pricing page names no azure region.
REGIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "aws": (("us-east-1", "N. Virginia"), ("eu-west-1", "Ireland")),
    "gcp": (("us-east4", "Virginia"), ("europe-west4", "Netherlands")),
    "azure": (("eastus", "Virginia"),),
}
COMPUTES: dict[str, tuple[Compute, ...]] = {vendor: tuple(c for c in TABLE if c.vendor == vendor) for vendor in REGIONS}

_BY_KEY: dict[tuple[str, str, str, str], Compute] = {
    (c.vendor, region, c.instance_type, c.instance_size): c
    for c in TABLE
    for region, _label in REGIONS.get(c.vendor, ())
}


def compute_id(vendor: str, region: str, compute: Compute) -> str:
    """The hardware id the API uses, e.g. `aws-us-east-1-nvidia-l4-x1`."""
    return f"{vendor}-{region}-{compute.instance_type}-{compute.instance_size}"


def find_compute(vendor: str, region: str, instance_type: str, instance_size: str) -> Compute | None:
    """The catalogue row for a deployment target, or None when the API would refuse it."""
    return _BY_KEY.get((vendor, region, instance_type, instance_size))


def builtin_price(instance: str) -> float | None:
    """Price per replica-hour of `vendor/region/type/size` from the built-in table, if listed."""
    parts = instance.split("/")
    if len(parts) != 4:
        return None
    compute = find_compute(*parts)
    return None if compute is None else compute.price_per_hour
