"""The built-in hardware table against the published pricing page, row by row.

PUBLISHED is copied by hand from https://huggingface.co/docs/inference-endpoints/support/pricing
(hf-endpoints-documentation docs/source/support/pricing.md @ 28e5584): (vendor, type, size, $/h, accelerators).
"""

from __future__ import annotations

import pytest
from huggingface_hub import HfApi

from hfwarden.catalogue import REGIONS, TABLE, builtin_price, find_compute, load_table

PUBLISHED: list[tuple[str, str, str, float, int]] = [
    ("aws", "intel-spr", "x1", 0.033, 1),
    ("aws", "intel-spr", "x2", 0.067, 2),
    ("aws", "intel-spr", "x4", 0.134, 4),
    ("aws", "intel-spr", "x8", 0.268, 8),
    ("aws", "intel-spr", "x16", 0.536, 16),
    ("azure", "intel-xeon", "x1", 0.060, 1),
    ("azure", "intel-xeon", "x2", 0.120, 2),
    ("azure", "intel-xeon", "x4", 0.240, 4),
    ("azure", "intel-xeon", "x8", 0.480, 8),
    ("gcp", "intel-spr", "x1", 0.050, 1),
    ("gcp", "intel-spr", "x2", 0.100, 2),
    ("gcp", "intel-spr", "x4", 0.200, 4),
    ("gcp", "intel-spr", "x8", 0.400, 8),
    ("aws", "intel-icl", "x1", 0.032, 1),
    ("aws", "intel-icl", "x2", 0.064, 2),
    ("aws", "intel-icl", "x4", 0.128, 4),
    ("aws", "intel-icl", "x8", 0.256, 8),
    ("aws", "nvidia-t4", "x1", 0.5, 1),
    ("aws", "nvidia-t4", "x4", 3, 4),
    ("aws", "nvidia-l4", "x1", 0.8, 1),
    ("aws", "nvidia-l4", "x4", 3.8, 4),
    ("aws", "nvidia-a10g", "x1", 1, 1),
    ("aws", "nvidia-a10g", "x4", 5, 4),
    ("aws", "nvidia-l40s", "x1", 1.8, 1),
    ("aws", "nvidia-l40s", "x4", 8.3, 4),
    ("aws", "nvidia-l40s", "x8", 23.5, 8),
    ("aws", "nvidia-a100", "x1", 2.5, 1),
    ("aws", "nvidia-a100", "x2", 5, 2),
    ("aws", "nvidia-a100", "x4", 10, 4),
    ("aws", "nvidia-a100", "x8", 20, 8),
    ("aws", "nvidia-h100", "x1", 4.5, 1),
    ("aws", "nvidia-h100", "x2", 9, 2),
    ("aws", "nvidia-h100", "x4", 18, 4),
    ("aws", "nvidia-h100", "x8", 36, 8),
    ("aws", "nvidia-h200", "x1", 5, 1),
    ("aws", "nvidia-h200", "x2", 10, 2),
    ("aws", "nvidia-h200", "x4", 20, 4),
    ("aws", "nvidia-h200", "x8", 40, 8),
    ("aws", "nvidia-b200", "x1", 9.25, 1),
    ("aws", "nvidia-b200", "x2", 18.5, 2),
    ("aws", "nvidia-b200", "x4", 37, 4),
    ("aws", "nvidia-b200", "x8", 74, 8),
    ("gcp", "nvidia-t4", "x1", 0.5, 1),
    ("gcp", "nvidia-l4", "x1", 0.7, 1),
    ("gcp", "nvidia-l4", "x4", 3.8, 4),
    ("gcp", "nvidia-a100", "x1", 3.6, 1),
    ("gcp", "nvidia-a100", "x2", 7.2, 2),
    ("gcp", "nvidia-a100", "x4", 14.4, 4),
    ("gcp", "nvidia-a100", "x8", 28.8, 8),
    ("gcp", "nvidia-h100", "x1", 10, 1),
    ("gcp", "nvidia-h100", "x2", 20, 2),
    ("gcp", "nvidia-h100", "x4", 40, 4),
    ("gcp", "nvidia-h100", "x8", 80, 8),
    ("aws", "inf2", "x1", 0.75, 1),
    ("aws", "inf2", "x12", 12, 12),
]
# Rows the page marks as deprecated (intel-icl from July 2025, aws h100 and b200 from December 2025).
DEPRECATED = {("aws", "intel-icl"), ("aws", "nvidia-h100"), ("aws", "nvidia-b200")}


def test_the_table_holds_exactly_the_published_rows() -> None:
    assert sorted((c.vendor, c.instance_type, c.instance_size) for c in TABLE) == sorted(r[:3] for r in PUBLISHED)


@pytest.mark.parametrize(("vendor", "instance_type", "size", "price", "accelerators"), PUBLISHED)
def test_every_row_as_published(vendor: str, instance_type: str, size: str, price: float, accelerators: int) -> None:
    for region, _label in REGIONS[vendor]:
        compute = find_compute(vendor, region, instance_type, size)
        assert compute is not None
        assert compute.price_per_hour == price
        assert compute.num_accelerators == accelerators
        assert builtin_price(f"{vendor}/{region}/{instance_type}/{size}") == price
        assert compute.status == ("deprecated" if (vendor, instance_type) in DEPRECATED else "available")
        assert compute.price_source == "pricing"
        assert compute.checked.isoformat() == "2026-12-02"
        # The API's shape: CPU rows have no numCpus and no GPU memory; the others have both.
        cpu = compute.accelerator == "cpu"
        assert (compute.num_cpus is None, compute.gpu_memory_gb is None) == (cpu, cpu)
        assert compute.memory_gb > 0


@pytest.mark.parametrize(
    ("instance", "published", "linear"),
    [
        ("aws/us-east-1/nvidia-t4/x4", 3.0, 2.0),
        ("aws/us-east-1/nvidia-l4/x4", 3.8, 3.2),
        ("aws/us-east-1/nvidia-a10g/x4", 5.0, 4.0),
        ("aws/us-east-1/nvidia-l40s/x4", 8.3, 7.2),
        ("aws/us-east-1/nvidia-l40s/x8", 23.5, 14.4),
        ("aws/us-east-1/inf2/x12", 12.0, 9.0),
        ("gcp/us-east4/intel-spr/x4", 0.2, 0.134),
        ("gcp/us-east4/nvidia-l4/x4", 3.8, 2.8),
    ],
)
def test_prices_are_not_extended_linearly(instance: str, published: float, linear: float) -> None:
    """The rows issue 10 found wrong: each is the published figure, not the old linear extension."""
    assert builtin_price(instance) == published != linear


def test_real_figures_from_the_api_where_it_was_seen() -> None:
    l4 = find_compute("aws", "us-east-1", "nvidia-l4", "x1")
    a100 = find_compute("gcp", "us-east4", "nvidia-a100", "x8")
    assert l4 is not None
    assert (l4.num_cpus, l4.memory_gb, l4.gpu_memory_gb) == (7, 30.0, 24)
    assert a100 is not None
    assert (a100.num_cpus, a100.memory_gb, a100.gpu_memory_gb) == (96, 680.0, 640)


def test_unknown_targets_have_no_price() -> None:
    assert builtin_price("aws/us-east-1/nvidia-b300/x1") is None
    assert builtin_price("aws/ap-south-1/nvidia-l4/x1") is None
    assert builtin_price("nvidia-l4") is None


def test_a_bad_row_is_refused() -> None:
    header = "vendor,instance_type,instance_size,accelerator,num_accelerators,price_per_hour,num_cpus,memory_gb,"
    header += "gpu_memory_gb,architecture,status,price_source,checked,specs"
    row = "aws,nvidia-l4,x1,gpu,1,0.8,7,30,24,Nvidia L4,sold_out,pricing,2026-12-02,api"
    with pytest.raises(ValueError, match="line 2"):
        load_table(f"# comment\n{header}\n{row}\n")


def test_the_emulator_serves_every_row_to_the_real_client(api: HfApi) -> None:
    hardware = api.list_inference_endpoints_hardware(namespace="acme")
    served = {(hw.vendor, hw.region, hw.instance_type, hw.instance_size): hw for hw in hardware}
    assert len(served) == sum(len(REGIONS[c.vendor]) for c in TABLE)
    for compute in TABLE:
        for region, _label in REGIONS[compute.vendor]:
            hw = served[(compute.vendor, region, compute.instance_type, compute.instance_size)]
            assert (hw.price_per_hour, hw.num_cpus, hw.memory_gb) == (
                compute.price_per_hour,
                compute.num_cpus,
                compute.memory_gb,
            )
            assert (hw.gpu_memory_gb, hw.status, hw.num_accelerators) == (
                compute.gpu_memory_gb if compute.accelerator == "gpu" else None,  # null off-GPU, as HF has it
                compute.status,
                compute.num_accelerators,
            )
