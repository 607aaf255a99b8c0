"""The daemon's HTTP surface against the emulator: metrics that move, health that turns red when stuck."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest
from huggingface_hub import HfApi, constants
from prometheus_client.parser import text_string_to_metric_families

from hfwarden.app.reconcile.report import PassReport
from hfwarden.config import load_config
from hfwarden.daemon import Daemon
from hfwarden.emulator.server import Emulator
from hfwarden.settings import Settings
from tests.support.web import SCHEDULE, TOKEN, eventually


def scrape(daemon: Daemon) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    assert daemon.http is not None
    text = httpx.get(f"{daemon.http.base_url}/metrics").text
    values = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            values[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return values


def test_metrics_move_as_endpoints_change_state(daemon: Daemon, live: Emulator) -> None:
    eventually(lambda: daemon.passes >= 1)
    first = scrape(daemon)
    assert first[("hfwarden_endpoints", (("state", "running"),))] == 1
    assert first[("hfwarden_endpoints", (("state", "paused"),))] == 1
    assert first[("hfwarden_endpoint_billed_replicas", (("endpoint", "acme/chat"),))] == 1
    assert first[("hfwarden_endpoint_price_per_hour_usd", (("endpoint", "acme/chat"),))] == 0.8
    assert first[("hfwarden_budget_daily_usd", (("budget", "prod"),))] == 1000
    assert ("hfwarden_budget_projected_today_usd", (("budget", "prod"),)) in first
    assert first[("hfwarden_last_successful_pass_timestamp_seconds", ())] > 0
    assert first[("hfwarden_alert_outbox_depth", ())] == 0
    calls = first[("hfwarden_hub_api_calls_total", (("operation", "list"), ("status", "200")))]

    api = HfApi(endpoint=live.base_url, token=TOKEN)
    api.pause_inference_endpoint("chat", namespace="acme")  # a human
    api.resume_inference_endpoint("other", namespace="acme")

    def moved() -> bool:
        now = scrape(daemon)
        return (
            now.get(("hfwarden_endpoint_billed_replicas", (("endpoint", "acme/chat"),))) == 0
            and now.get(("hfwarden_endpoints", (("state", "running"),))) == 1
            and now.get(("hfwarden_endpoint_billed_replicas", (("endpoint", "acme/other"),))) == 1
        )

    eventually(moved)
    later = scrape(daemon)
    assert later[("hfwarden_hub_api_calls_total", (("operation", "list"), ("status", "200")))] > calls
    assert later[("hfwarden_endpoint_spend_today_usd", (("endpoint", "acme/chat"),))] > 0
    assert later[("hfwarden_pass_duration_seconds_count", ())] >= 2
    assert later[("hfwarden_saved_today_usd", ())] >= 0
    assert later[("hfwarden_latched_endpoints", ())] == 0


def test_metrics_show_no_secret_and_no_route_changes_anything(daemon: Daemon) -> None:
    assert daemon.http is not None
    eventually(lambda: daemon.passes >= 1)
    base = daemon.http.base_url
    for path in ("/metrics", "/healthz", "/readyz"):
        body = httpx.get(base + path).text
        assert TOKEN not in body
        assert httpx.post(base + path).status_code == 405
        assert httpx.delete(base + path).status_code == 405
    assert httpx.get(base + "/release").status_code == 404


def test_ready_after_the_first_pass(daemon: Daemon) -> None:
    assert daemon.http is not None
    eventually(lambda: httpx.get(f"{daemon.http.base_url}/readyz").status_code == 200)  # type: ignore[union-attr]
    body = httpx.get(f"{daemon.http.base_url}/readyz").json()
    assert body == {"status": "ready", "config_loaded": True, "store_reachable": True, "first_pass_done": True}


def test_healthz_turns_red_when_the_loop_is_stuck_and_green_again(daemon: Daemon) -> None:
    assert daemon.http is not None
    url = f"{daemon.http.base_url}/healthz"
    eventually(lambda: daemon.passes >= 1)
    assert httpx.get(url).status_code == 200
    assert healthcheck(url).returncode == 0

    release = threading.Event()
    real_pass = daemon.reconciler.run_pass

    def stuck() -> PassReport:
        release.wait(30)  # a hung API call, a deadlock: the pass never completes
        return real_pass()

    daemon.reconciler.run_pass = stuck  # type: ignore[method-assign]
    eventually(lambda: httpx.get(url).status_code == 503, timeout=10)
    body = httpx.get(url).json()
    assert body["status"] == "unhealthy"
    assert "stuck" in body["reason"]
    result = healthcheck(url)
    assert result.returncode == 1
    assert "unhealthy" in result.stderr

    daemon.reconciler.run_pass = real_pass  # type: ignore[method-assign]
    release.set()
    eventually(lambda: httpx.get(url).status_code == 200, timeout=10)


def healthcheck(url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hfwarden", "healthcheck", "--url", url],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_healthcheck_with_nothing_listening() -> None:
    result = healthcheck("http://127.0.0.1:9/healthz")
    assert result.returncode == 1
    assert "cannot reach" in result.stderr


def test_a_dead_alert_sink_never_delays_passes(live: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(constants, "INFERENCE_ENDPOINTS_ENDPOINT", constants.INFERENCE_ENDPOINTS_ENDPOINT)
    monkeypatch.setattr(constants, "ENDPOINT", constants.ENDPOINT)
    # A sink that accepts connections and never answers: every delivery hangs until its timeout.
    blackhole = socket.socket()
    blackhole.bind(("127.0.0.1", 0))
    blackhole.listen(16)
    monkeypatch.setenv("HOOK_URL", f"http://127.0.0.1:{blackhole.getsockname()[1]}/hook")
    schedule = tmp_path / "s.yaml"
    schedule.write_text(
        SCHEDULE.replace("daily_usd: 1000", "daily_usd: 0.0001")
        + "alerts:\n  webhooks: [{name: ops, url: '${HOOK_URL}', secret: 0123456789abcdef}]\n"
    )
    settings = Settings(
        hf_token=TOKEN,
        endpoints_api_url=live.api_url,
        hub_url=live.base_url,
        state_dir=tmp_path,
        tick_seconds=0.2,
        http_host="127.0.0.1",
        http_port=0,
    )
    running = Daemon(settings, [schedule], load_config([schedule]))
    try:
        running.start()
        eventually(lambda: running.store.outbox_depth() > 0)
        passes = running.passes
        eventually(lambda: running.passes >= passes + 5)
        # Five passes completed while the first delivery is still hanging (it has not even failed yet),
        # and the alert waits in the outbox: nothing was dropped.
        assert running.deliverer.failures == 0
        assert running.store.outbox_depth() > 0
    finally:
        running.stop()
        blackhole.close()
