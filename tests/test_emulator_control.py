"""The emulator's control routes, its seed file and its command line."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError

from hfwarden.emulator.server import Emulator, EmulatorError, load_seed
from tests.support.helpers import create


def test_injected_errors_raise_client_errors(api: HfApi, control: httpx.Client) -> None:
    create(api, "chat")
    assert control.post("/_emulator/faults", json={"fail_next": 2, "error_status": 502}).status_code == 200
    for _ in range(2):
        with pytest.raises(HfHubHTTPError) as failure:
            api.get_inference_endpoint("chat", namespace="acme")
        assert failure.value.response.status_code == 502
    assert api.get_inference_endpoint("chat", namespace="acme").name == "chat"


def test_error_rate_is_seedable(api: HfApi, control: httpx.Client) -> None:
    create(api, "chat")
    control.post("/_emulator/faults", json={"error_rate": 0.5, "seed": 7})
    outcomes = []
    for _ in range(20):
        try:
            api.get_inference_endpoint("chat", namespace="acme")
            outcomes.append(True)
        except HfHubHTTPError:
            outcomes.append(False)
    assert 0 < outcomes.count(False) < 20


def test_rate_limit_answers_429_with_the_reference_headers(api: HfApi, control: httpx.Client) -> None:
    create(api, "chat")
    control.post("/_emulator/faults", json={"rate_limit": {"limit": 3, "window_s": 60}})
    for _ in range(3):
        api.get_inference_endpoint("chat", namespace="acme")
    with pytest.raises(HfHubHTTPError) as limited:
        api.get_inference_endpoint("chat", namespace="acme")
    response = limited.value.response
    assert response.status_code == 429
    assert response.headers["RateLimit"].startswith('"api";r=0;t=')
    assert response.headers["RateLimit-Policy"] == '"fixed window";"api";q=3;w=60'
    assert int(response.headers["Retry-After"]) >= 1
    control.post("/_emulator/faults", json={})
    assert api.get_inference_endpoint("chat", namespace="acme").name == "chat"


def test_latency_is_injected(api: HfApi, control: httpx.Client) -> None:
    control.post("/_emulator/faults", json={"latency_ms": 150})
    started = time.perf_counter()
    api.list_inference_endpoints(namespace="acme")
    assert control.get("/_emulator/faults").json()["latency_ms"] == 150
    # Only a lower bound: the call cannot be faster than the injected delay.
    assert time.perf_counter() - started >= 0.15


@pytest.mark.parametrize(
    "body",
    [{"error_rate": 2}, {"latency": 5}, {"rate_limit": {"limit": 1}}, [1]],
    ids=["rate-out-of-range", "unknown-key", "incomplete-rate-limit", "not-an-object"],
)
def test_bad_fault_settings_are_refused(control: httpx.Client, body: object) -> None:
    response = control.post("/_emulator/faults", json=body)
    assert response.status_code == 400
    assert response.json()["error"]


def test_faults_leave_control_and_data_plane_alone(api: HfApi, control: httpx.Client) -> None:
    create(api, "chat")
    control.post("/_emulator/faults", json={"error_rate": 1.0})
    assert control.get("/_emulator/billing").status_code == 200


def test_clock_cannot_move_on_a_real_clock() -> None:
    with Emulator() as emu:
        response = httpx.post(emu.base_url + "/_emulator/clock", json={"advance_seconds": 5})
        assert response.status_code == 409
        assert httpx.get(emu.base_url + "/_emulator/clock").json()["manual"] is False


def test_clock_refuses_going_back(control: httpx.Client) -> None:
    assert control.post("/_emulator/clock", json={"advance_seconds": -1}).status_code == 400
    assert control.post("/_emulator/clock", json={"wrong": 1}).status_code == 400


def test_seed_file_creates_endpoints(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text(
        "- {namespace: acme, name: chat, instance: aws/us-east-1/nvidia-l4/x1, state: running}\n"
        "- {namespace: acme, name: night, instance: aws/us-east-1/intel-spr/x2, state: paused}\n"
        "- {namespace: globex, name: embed, instance: gcp/us-east4/nvidia-l4/x1, state: scaledToZero,"
        " min_replica: 0, max_replica: 2}\n"
    )
    with Emulator(seeds=load_seed(seed)) as emu:
        headers = {"Authorization": "Bearer hf_emulator_token"}
        acme = httpx.get(emu.base_url + "/v2/endpoint/acme", headers=headers).json()["items"]
        assert {(e["name"], e["status"]["state"]) for e in acme} == {("chat", "running"), ("night", "paused")}
        globex = httpx.get(emu.base_url + "/v2/endpoint/globex/embed", headers=headers).json()
        assert globex["status"]["state"] == "scaledToZero"
        assert globex["compute"]["id"] == "gcp-us-east4-nvidia-l4-x1"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- {namespace: acme, name: chat}\n", "missing keys ['instance']"),
        ("- {namespace: acme, name: chat, instance: aws/x, state: running}\n", "vendor/region/type/size"),
        ("- {namespace: acme, name: chat, instance: aws/us-east-1/nvidia-l4/x1, state: asleep}\n", "asleep"),
        ("{not: [valid", "not valid YAML"),
        ("just a string\n", "expected a list"),
    ],
    ids=["missing-instance", "bad-instance", "bad-state", "bad-yaml", "not-a-list"],
)
def test_bad_seed_files_are_refused(tmp_path: Path, text: str, message: str) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text(text)
    with pytest.raises(EmulatorError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_seed(seed)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hfwarden", *args], capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["emulator", "--port", "notaport"], "invalid int value"),
        (["emulator", "--no-such-flag"], "unrecognized arguments"),
        (["emulator", "--seed", "/nonexistent/seed.yaml", "--port", "0"], "seed file"),
        (["emulator", "--token", "justatoken", "--port", "0"], "TOKEN:NS1,NS2"),
        (["emulator", "--start-time", "2026-01-01T00:00:00+00:00", "--port", "0"], "needs --manual-clock"),
        (["emulator", "--manual-clock", "--start-time", "2026-01-01T00:00", "--port", "0"], "naive"),
    ],
    ids=["bad-port", "bad-flag", "missing-seed", "bad-token", "start-without-manual", "naive-start"],
)
def test_bad_emulator_input_is_one_clear_line(args: list[str], expected: str) -> None:
    result = run_cli(*args)
    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_port_taken_is_one_clear_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("emulator", "--port", str(port))
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_emulator_command_serves_until_stopped(tmp_path: Path) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text('[{"namespace": "acme", "name": "chat", "instance": "aws/us-east-1/nvidia-t4/x1"}]')
    process = subprocess.Popen(
        [sys.executable, "-m", "hfwarden", "emulator", "--port", "0", "--seed", str(seed), "--manual-clock"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("hfwarden emulator serving http://127.0.0.1:")
        base = first.split()[-1]
        response = httpx.get(base + "/v2/endpoint/acme", headers={"Authorization": "Bearer hf_emulator_token"})
        assert response.json()["items"][0]["name"] == "chat"
        assert httpx.post(base + "/_emulator/clock", json={"advance_seconds": 60}).status_code == 200
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0


def test_dropped_connections_reach_the_client_as_transport_errors(api: HfApi, control: httpx.Client) -> None:
    import httpx2

    create(api, "chat")
    control.post("/_emulator/faults", json={"drop_next": 1})
    with pytest.raises(httpx2.TransportError):
        api.get_inference_endpoint("chat", namespace="acme")
    assert api.get_inference_endpoint("chat", namespace="acme").name == "chat"


@pytest.mark.parametrize(
    "body",
    [{"default": -1}, {"rows": {"aws-us-east-1-nvidia-l4-x1": "many"}}, {"rows": []}, {"limit": 3}, [1]],
    ids=["negative", "not-a-number", "rows-not-a-mapping", "unknown-key", "not-an-object"],
)
def test_quota_control_refuses_bad_limits(control: httpx.Client, body: object) -> None:
    assert control.post("/_emulator/quota", json=body).status_code == 400
    assert control.get("/_emulator/quota").json() == {"default": 10_000, "rows": {}}


def test_quota_control_replaces_the_whole_quota(control: httpx.Client) -> None:
    assert control.post("/_emulator/quota", json={"default": 8}).json() == {"default": 8, "rows": {}}
    assert control.post("/_emulator/quota", json={}).json() == {"default": 10_000, "rows": {}}
