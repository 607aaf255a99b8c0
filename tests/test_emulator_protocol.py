"""The emulator speaks the Inference Endpoints wire protocol: driven by the real huggingface_hub client."""

from __future__ import annotations

import httpx
import pytest
from huggingface_hub import HfApi, InferenceEndpoint, InferenceEndpointHardware
from huggingface_hub.errors import BadRequestError, HfHubHTTPError

from hfwarden.emulator.server import Emulator
from tests.support.helpers import advance, create


def test_every_route_answers_what_the_client_parses(api: HfApi, control: httpx.Client) -> None:
    created = create(api, "chat")
    assert isinstance(created, InferenceEndpoint)
    assert created.status == "pending"
    assert created.url is None

    listed = api.list_inference_endpoints(namespace="acme")
    assert [e.name for e in listed] == ["chat"]
    assert all(isinstance(e, InferenceEndpoint) for e in listed)

    advance(control, 70)
    got = api.get_inference_endpoint("chat", namespace="acme")
    assert got.status == "running"
    assert got.url is not None
    assert got.url.startswith(control.base_url.__str__().rstrip("/") + "/dp/acme/chat")
    assert got.raw["status"]["readyReplica"] == got.raw["status"]["targetReplica"] == 1

    updated = api.update_inference_endpoint("chat", namespace="acme", max_replica=3)
    assert updated.status == "updating"
    assert updated.raw["compute"]["scaling"]["maxReplica"] == 3

    paused = api.pause_inference_endpoint("chat", namespace="acme")
    assert paused.status == "paused"
    resumed = api.resume_inference_endpoint("chat", namespace="acme")
    assert resumed.status == "pending"
    advance(control, 70)
    zeroed = api.scale_to_zero_inference_endpoint("chat", namespace="acme")
    assert zeroed.status == "scaledToZero"
    assert zeroed.url is not None  # kept while scaled to zero

    hardware = api.list_inference_endpoints_hardware(namespace="acme")
    assert all(isinstance(h, InferenceEndpointHardware) for h in hardware)
    l4 = next(h for h in hardware if h.id == "aws-us-east-1-nvidia-l4-x1")
    assert l4.price_per_hour == 0.8
    assert {h.accelerator for h in hardware} >= {"cpu", "gpu", "neuron"}

    assert api.whoami()["type"] == "user"

    api.delete_inference_endpoint("chat", namespace="acme")
    assert api.list_inference_endpoints(namespace="acme") == []


def test_timestamps_end_in_z_and_fields_the_client_requires_are_present(api: HfApi) -> None:
    raw = create(api, "chat").raw
    for key in ("name", "type", "healthRoute"):
        assert key in raw
    for key in ("repository", "framework", "revision", "task"):
        assert key in raw["model"]
    assert raw["status"]["createdAt"].endswith("Z")
    assert raw["status"]["updatedAt"].endswith("Z")
    scaling = raw["compute"]["scaling"]
    assert scaling["scaleToZeroTimeout"] is None  # none injected: HF idles a min-0 endpoint after 1 h
    assert raw["compute"]["id"] == "aws-us-east-1-nvidia-l4-x1"


def test_resume_of_a_running_endpoint(api: HfApi, control: httpx.Client) -> None:
    create(api, "chat")
    advance(control, 70)
    with pytest.raises(BadRequestError, match="already running"):
        api.resume_inference_endpoint("chat", namespace="acme", running_ok=False)
    assert api.resume_inference_endpoint("chat", namespace="acme", running_ok=True).status == "running"


def test_put_merges_a_sparse_body(api: HfApi, control: httpx.Client) -> None:
    create(api, "chat", min_replica=1, max_replica=4)
    advance(control, 70)
    updated = api.update_inference_endpoint("chat", namespace="acme", min_replica=0, scale_to_zero_timeout=30)
    scaling = updated.raw["compute"]["scaling"]
    assert (scaling["minReplica"], scaling["maxReplica"], scaling["scaleToZeroTimeout"]) == (0, 4, 30)
    assert updated.raw["model"]["repository"] == "openai-community/gpt2"
    assert updated.status == "updating"
    assert updated.url is not None  # an update keeps the URL
    assert (updated.raw["status"]["readyReplica"], updated.raw["status"]["targetReplica"]) == (0, 1)
    advance(control, 31)
    assert api.get_inference_endpoint("chat", namespace="acme").status == "running"


def test_tags_only_update_does_not_restart(api: HfApi, control: httpx.Client) -> None:
    create(api, "chat")
    advance(control, 70)
    assert api.update_inference_endpoint("chat", namespace="acme", tags=["team-a"]).status == "running"


@pytest.mark.parametrize(
    ("min_replica", "max_replica"),
    [(3, 2), (-1, 1), (0, 0)],
    ids=["min-above-max", "negative-min", "zero-max"],
)
def test_invalid_scaling_is_a_400(api: HfApi, min_replica: int, max_replica: int) -> None:
    with pytest.raises(BadRequestError, match="VALIDATION_FAILED"):
        create(api, "chat", min_replica=min_replica, max_replica=max_replica)


def test_unknown_hardware_is_a_400(api: HfApi) -> None:
    with pytest.raises(BadRequestError, match="no compute"):
        create(api, "chat", instance_type="nvidia-b9000")


def test_error_answers(api: HfApi, emulator: Emulator) -> None:
    create(api, "chat")
    with pytest.raises(HfHubHTTPError) as not_found:
        api.get_inference_endpoint("nope", namespace="acme")
    assert not_found.value.response.status_code == 404
    assert not_found.value.server_message is not None
    assert "not found" in not_found.value.server_message

    with pytest.raises(HfHubHTTPError) as duplicate:
        create(api, "chat")
    assert duplicate.value.response.status_code == 409

    with pytest.raises(HfHubHTTPError) as unknown_token:
        HfApi(endpoint=emulator.base_url, token="hf_unknown").list_inference_endpoints(namespace="acme")
    assert unknown_token.value.response.status_code == 401

    with pytest.raises(HfHubHTTPError) as forbidden:
        HfApi(endpoint=emulator.base_url, token="hf_acme_only").list_inference_endpoints(namespace="other")
    assert forbidden.value.response.status_code == 401  # the real API's answer, not 403
    assert HfApi(endpoint=emulator.base_url, token="hf_acme_only").list_inference_endpoints(namespace="acme")

    with pytest.raises(HfHubHTTPError) as missing:
        HfApi(endpoint=emulator.base_url, token=False).list_inference_endpoints(namespace="acme")
    assert missing.value.response.status_code == 401
    assert missing.value.request_id


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("GET", "/v2/endpoint/acme/ghost", b"", 404),
        ("POST", "/v2/endpoint/acme/ghost/pause", b"", 404),
        ("GET", "/v2/nonsense", b"", 404),
    ],
    ids=["unknown", "pause-unknown", "unknown-route"],
)
def test_errors_carry_json_error_header_and_request_id(
    api: HfApi, emulator: Emulator, method: str, path: str, body: bytes, status: int
) -> None:
    create(api, "chat")
    response = httpx.request(
        method,
        emulator.base_url + path,
        content=body,
        headers={"Authorization": "Bearer hf_emulator_token", "Content-Type": "application/json"},
    )
    assert response.status_code == status
    assert response.json()["error"]
    assert response.headers["X-Error-Message"] == response.json()["error"]
    assert response.headers["X-Request-Id"]


@pytest.mark.parametrize(
    ("method", "path", "body", "detail"),
    [
        ("POST", "/v2/endpoint/acme", b"{not json", "Expecting property name"),
        ("POST", "/v2/endpoint/acme", b'{"name": "x"}', "missing field"),
        ("PUT", "/v2/endpoint/acme/chat", b"[1, 2]", "expected an object"),
        ("PUT", "/v2/endpoint/acme/chat", b'{"model": {"task": null}}', "model.task"),
        ("PUT", "/v2/endpoint/acme/chat", b'{"type": "protected"}', "unknown variant `protected`"),
    ],
    ids=["malformed-json", "missing-fields", "put-not-object", "task-null", "type-protected"],
)
def test_a_body_that_fails_to_parse_gets_a_plain_text_400(
    api: HfApi, emulator: Emulator, method: str, path: str, body: bytes, detail: str
) -> None:
    """As the real API: `Failed to parse the request body as JSON: ...` in a text body, no JSON, no header."""
    create(api, "chat")
    response = httpx.request(
        method,
        emulator.base_url + path,
        content=body,
        headers={"Authorization": "Bearer hf_emulator_token", "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text.startswith("Failed to parse the request body as JSON: ")
    assert detail in response.text
    assert "X-Error-Message" not in response.headers
    assert response.headers["X-Request-Id"]


def test_every_answer_has_a_request_id(api: HfApi, emulator: Emulator, control: httpx.Client) -> None:
    create(api, "chat")
    for path in ("/v2/endpoint/acme", "/_emulator/billing", "/_emulator/requests", "/dp/acme/chat"):
        response = control.get(path, headers={"Authorization": "Bearer hf_emulator_token"})
        assert len(response.headers["X-Request-Id"]) == 6


def test_requests_log_counts_api_calls(api: HfApi, control: httpx.Client) -> None:
    control.delete("/_emulator/requests")
    create(api, "chat")
    api.get_inference_endpoint("chat", namespace="acme")
    api.pause_inference_endpoint("chat", namespace="acme")
    calls = control.get("/_emulator/requests").json()["requests"]
    assert [(c["method"], c["path"], c["status"]) for c in calls] == [
        ("POST", "/v2/endpoint/acme", 200),
        ("GET", "/v2/endpoint/acme/chat", 200),
        ("POST", "/v2/endpoint/acme/chat/pause", 200),
    ]
    assert all(c["time"].endswith("Z") for c in calls)


def test_list_of_another_namespace_is_separate(api: HfApi) -> None:
    create(api, "chat", namespace="acme")
    create(api, "chat", namespace="globex")
    assert len(api.list_inference_endpoints(namespace="acme")) == 1
    assert len(api.list_inference_endpoints(namespace="globex")) == 1
