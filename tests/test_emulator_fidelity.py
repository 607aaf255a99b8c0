"""Where the emulator used to answer differently from the real API (issue 10), one test per answer.

Through the unmodified huggingface_hub client wherever it can send the request; raw HTTP only for
bodies the client refuses to build (it would never send `type: protected` or a null task).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import BadRequestError, HfHubHTTPError

from hfwarden.adapters.hub import Hub, RetryPolicy
from hfwarden.clock import ManualClock
from hfwarden.emulator.server import DEFAULT_TOKEN, Emulator, SeedEndpoint
from tests.conftest import START, TIMINGS
from tests.support.helpers import advance, create

L4_X1 = "aws-us-east-1-nvidia-l4-x1"
AUTH = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}


def create_body(**model: Any) -> dict[str, Any]:
    """A full create body as huggingface_hub builds it; `model` fields added or overridden."""
    return {
        "name": "raw",
        "type": "authenticated",
        "provider": {"vendor": "aws", "region": "us-east-1"},
        "compute": {
            "accelerator": "gpu",
            "instanceType": "nvidia-l4",
            "instanceSize": "x1",
            "scaling": {"minReplica": 1, "maxReplica": 1},
        },
        "model": {"repository": "gpt2", "framework": "pytorch", "image": {"huggingface": {}}, **model},
    }


def hardware_row(api: HfApi, row_id: str) -> Any:
    return next(hw for hw in api.list_inference_endpoints_hardware(namespace="acme") if hw.id == row_id)


@pytest.mark.usefixtures("api")  # points the client at the emulator
def test_a_namespace_the_token_cannot_use_is_401(emulator: Emulator) -> None:
    with pytest.raises(HfHubHTTPError) as refused:
        HfApi(endpoint=emulator.base_url, token="hf_acme_only").list_inference_endpoints(namespace="globex")
    assert refused.value.response.status_code == 401


def test_the_client_reads_a_plain_text_400(api: HfApi) -> None:
    create(api, "chat")
    with pytest.raises(BadRequestError) as refused:
        api.update_inference_endpoint("chat", namespace="acme", min_replica="two")  # type: ignore[arg-type]
    assert refused.value.response.headers["content-type"].startswith("text/plain")
    assert refused.value.server_message == (
        "Failed to parse the request body as JSON: compute.scaling.minReplica: expected int"
    )


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({**create_body(), "type": "protected"}, "type: unknown variant `protected`"),
        (create_body(task=None), "model.task: expected value"),
    ],
    ids=["type-protected", "task-null"],
)
def test_create_refuses_what_the_v2_api_cannot_parse(emulator: Emulator, body: dict[str, Any], detail: str) -> None:
    response = httpx.post(f"{emulator.api_url}/endpoint/acme", json=body, headers=AUTH)
    assert (response.status_code, response.headers["content-type"].split(";")[0]) == (400, "text/plain")
    assert detail in response.text
    omitted = create_body()  # a task left out (as huggingface_hub does) is fine: answers then carry null
    assert httpx.post(f"{emulator.api_url}/endpoint/acme", json=omitted, headers=AUTH).json()["model"]["task"] is None


def test_hardware_rows_carry_real_figures_status_and_quota(api: HfApi, control: httpx.Client) -> None:
    l4 = hardware_row(api, L4_X1)
    assert (l4.num_cpus, l4.memory_gb, l4.gpu_memory_gb, l4.price_per_hour) == (7, 30.0, 24, 0.8)
    spr = hardware_row(api, "aws-us-east-1-intel-spr-x1")
    assert (spr.num_cpus, spr.memory_gb, spr.gpu_memory_gb) == (None, 2.0, None)
    assert hardware_row(api, "aws-us-east-1-intel-icl-x2").status == "deprecated"
    assert hardware_row(api, "gcp-us-east4-nvidia-a100-x8").num_cpus == 96
    control.post("/_emulator/quota", json={"default": 64, "rows": {L4_X1: 16}})
    assert hardware_row(api, L4_X1).max_accelerators == 16
    assert hardware_row(api, "aws-us-east-1-nvidia-t4-x1").max_accelerators == 64


def test_creating_beyond_quota_is_refused(api: HfApi, control: httpx.Client) -> None:
    assert control.post("/_emulator/quota", json={"rows": {L4_X1: 3}}).json()["rows"] == {L4_X1: 3}
    create(api, "first", max_replica=2)  # holds 2 of 3
    with pytest.raises(BadRequestError) as refused:
        create(api, "second", max_replica=2)
    assert "quota exceeded" in str(refused.value.server_message)
    with pytest.raises(BadRequestError):
        api.update_inference_endpoint("first", namespace="acme", max_replica=4)  # growing past it too
    create(api, "third", max_replica=1)  # what is left still fits
    api.pause_inference_endpoint("first", namespace="acme")  # a paused endpoint holds nothing
    create(api, "fourth", max_replica=2)
    with pytest.raises(BadRequestError, match="quota exceeded"):
        api.resume_inference_endpoint("first", namespace="acme")  # and has to find room for its 1 replica
    api.delete_inference_endpoint("fourth", namespace="acme")
    assert api.resume_inference_endpoint("first", namespace="acme").status == "pending"


def test_used_accelerators_count_scaled_to_zero_endpoints(api: HfApi, control: httpx.Client) -> None:
    create(api, "idle", min_replica=0, max_replica=2)
    advance(control, 70)
    api.scale_to_zero_inference_endpoint("idle", namespace="acme")
    assert hardware_row(api, L4_X1).used_accelerators == 2  # nothing billed, capacity still held
    api.pause_inference_endpoint("idle", namespace="acme")
    assert hardware_row(api, L4_X1).used_accelerators == 0


def test_the_data_plane_of_a_paused_endpoint_answers_400(api: HfApi, control: httpx.Client) -> None:
    create(api, "chat")
    advance(control, 70)
    api.pause_inference_endpoint("chat", namespace="acme")
    response = control.get("/dp/acme/chat/generate")
    assert (response.status_code, response.text) == (400, "Bad Request: Invalid state")
    assert api.get_inference_endpoint("chat", namespace="acme").status == "paused"  # and it stays paused


@pytest.mark.usefixtures("client_at_emulator")
def test_timestamps_sometimes_carry_nanoseconds_and_both_parsers_read_them(
    api: HfApi, emulator: Emulator, control: httpx.Client
) -> None:
    advance(control, 1.234567)
    create(api, "chat")
    pending = api.get_inference_endpoint("chat", namespace="acme")
    created = pending.raw["status"]["createdAt"]
    assert len(created.split(".")[1]) == len("123456789Z")  # moving: 9 fraction digits, as recorded answers show
    assert pending.created_at == datetime(2026, 1, 5, 8, 0, 1, 234567, tzinfo=UTC)
    hub = Hub(DEFAULT_TOKEN, retry=RetryPolicy(max_attempts=1), hub_url=emulator.base_url)
    assert hub.get("acme", "chat").updated_at == datetime(2026, 1, 5, 8, 0, 1, 234567, tzinfo=UTC)
    advance(control, 70)
    running = api.get_inference_endpoint("chat", namespace="acme").raw["status"]
    assert len(running["createdAt"].split(".")[1]) == len("123Z")  # running: milliseconds


def test_every_answer_in_nanoseconds_when_asked(clock: ManualClock) -> None:
    seeds = [SeedEndpoint("acme", "chat", "aws/us-east-1/nvidia-l4/x1", state="running")]
    with Emulator(clock=clock, timings=TIMINGS, seeds=seeds, nanoseconds="always") as emu:
        raw = httpx.get(f"{emu.api_url}/endpoint/acme/chat", headers=AUTH).json()
        assert raw["status"]["updatedAt"].startswith(START.strftime("%Y-%m-%dT%H:%M:%S.000000"))
        assert len(raw["status"]["updatedAt"]) == len("2026-01-05T08:00:00.123456789Z")


def test_failed_endpoints_carry_an_error_message(clock: ManualClock) -> None:
    seeds = [
        SeedEndpoint("acme", "broken", "aws/us-east-1/nvidia-l4/x1", state="failed"),
        SeedEndpoint("acme", "fine", "aws/us-east-1/nvidia-l4/x1", state="running"),
    ]
    with Emulator(clock=clock, timings=TIMINGS, seeds=seeds) as emu:
        items = httpx.get(f"{emu.api_url}/endpoint/acme", headers=AUTH).json()["items"]
        status = {item["name"]: item["status"] for item in items}
        assert status["broken"]["errorMessage"].startswith("Endpoint failed to deploy")
        assert "errorMessage" not in status["fine"]
