"""Inference Endpoints hardware: published prices where known, sensible extensions elsewhere.

The emulator serves it as its catalogue; hfwarden falls back to it when neither the API nor the
schedule file gives a price.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Compute:
    """One instance type and size, as `GET /v2/provider/{ns}` describes it."""

    accelerator: str  # cpu | gpu | neuron
    instance_type: str
    instance_size: str
    architecture: str
    num_accelerators: int
    num_cpus: int | None
    memory_gb: float
    gpu_memory_gb: int | None
    price_per_hour: float
    status: str = "available"


def _cpu(instance_type: str, size: str, vcpus: int, price: float, arch: str) -> Compute:
    return Compute("cpu", instance_type, size, arch, vcpus, None, vcpus * 2.0, None, price)


def _gpu(instance_type: str, size: str, count: int, price: float, arch: str, gpu_gb: int) -> Compute:
    accelerator = "neuron" if instance_type.startswith("inf") else "gpu"
    return Compute(accelerator, instance_type, size, arch, count, 4 + 4 * count, 16.0 * count, gpu_gb * count, price)


# Published prices (reference: aws intel-spr x1/x2, t4, l4, a10g, l40s, a100, h200, inf2 x1; gcp l4 x1,
# a100 x8). Larger sizes scale linearly with the accelerator count, as the published ones do.
_AWS: tuple[Compute, ...] = (
    _cpu("intel-spr", "x1", 1, 0.033, "Intel Sapphire Rapids"),
    _cpu("intel-spr", "x2", 2, 0.067, "Intel Sapphire Rapids"),
    _cpu("intel-spr", "x4", 4, 0.134, "Intel Sapphire Rapids"),
    _cpu("intel-spr", "x8", 8, 0.268, "Intel Sapphire Rapids"),
    _cpu("intel-icl", "x1", 1, 0.032, "Intel Ice Lake"),
    _cpu("intel-icl", "x2", 2, 0.064, "Intel Ice Lake"),
    _cpu("intel-icl", "x4", 4, 0.128, "Intel Ice Lake"),
    _gpu("nvidia-t4", "x1", 1, 0.5, "Nvidia T4", 16),
    _gpu("nvidia-t4", "x4", 4, 2.0, "Nvidia T4", 16),
    _gpu("nvidia-l4", "x1", 1, 0.8, "Nvidia L4", 24),
    _gpu("nvidia-l4", "x4", 4, 3.2, "Nvidia L4", 24),
    _gpu("nvidia-a10g", "x1", 1, 1.0, "Nvidia A10G", 24),
    _gpu("nvidia-a10g", "x4", 4, 4.0, "Nvidia A10G", 24),
    _gpu("nvidia-l40s", "x1", 1, 1.8, "Nvidia L40S", 48),
    _gpu("nvidia-l40s", "x4", 4, 7.2, "Nvidia L40S", 48),
    _gpu("nvidia-l40s", "x8", 8, 14.4, "Nvidia L40S", 48),
    _gpu("nvidia-a100", "x1", 1, 2.5, "Nvidia A100", 80),
    _gpu("nvidia-a100", "x2", 2, 5.0, "Nvidia A100", 80),
    _gpu("nvidia-a100", "x4", 4, 10.0, "Nvidia A100", 80),
    _gpu("nvidia-a100", "x8", 8, 20.0, "Nvidia A100", 80),
    _gpu("nvidia-h200", "x1", 1, 5.0, "Nvidia H200", 141),
    _gpu("nvidia-h200", "x2", 2, 10.0, "Nvidia H200", 141),
    _gpu("nvidia-h200", "x4", 4, 20.0, "Nvidia H200", 141),
    _gpu("nvidia-h200", "x8", 8, 40.0, "Nvidia H200", 141),
    _gpu("inf2", "x1", 1, 0.75, "AWS Inferentia2", 32),
    _gpu("inf2", "x12", 12, 9.0, "AWS Inferentia2", 32),
)
_GCP: tuple[Compute, ...] = (
    _cpu("intel-spr", "x4", 4, 0.134, "Intel Sapphire Rapids"),
    _gpu("nvidia-t4", "x1", 1, 0.5, "Nvidia T4", 16),
    _gpu("nvidia-l4", "x1", 1, 0.7, "Nvidia L4", 24),
    _gpu("nvidia-l4", "x4", 4, 2.8, "Nvidia L4", 24),
    _gpu("nvidia-a100", "x1", 1, 3.6, "Nvidia A100", 80),
    _gpu("nvidia-a100", "x8", 8, 28.8, "Nvidia A100", 80),
    _gpu("nvidia-h100", "x1", 1, 10.0, "Nvidia H100", 80),
    _gpu("nvidia-h100", "x8", 8, 80.0, "Nvidia H100", 80),
)

REGIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "aws": (("us-east-1", "N. Virginia"), ("eu-west-1", "Ireland")),
    "gcp": (("us-east4", "Virginia"), ("europe-west4", "Netherlands")),
}
COMPUTES: dict[str, tuple[Compute, ...]] = {"aws": _AWS, "gcp": _GCP}

_BY_KEY: dict[tuple[str, str, str, str], Compute] = {
    (vendor, region, c.instance_type, c.instance_size): c
    for vendor, regions in REGIONS.items()
    for region, _label in regions
    for c in COMPUTES[vendor]
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
