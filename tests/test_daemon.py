"""`hfwarden run` as a process against the emulator: signals, reloads, crashes, secrets, exit codes."""

from __future__ import annotations

import json
import os
import signal
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from hfwarden.adapters.store import Store
from hfwarden.emulator.server import Emulator
from hfwarden.settings import Settings
from tests.support.process import (
    TOKEN,
    Running,
    env_for,
    hfwarden,
)

ALWAYS_PAUSE = "version: 1\nendpoints:\n" + "".join(
    f"  - {{namespace: acme, name: ep-{i:02d}, schedule: [{{cron: '0 0 1 1 *', action: pause}}]}}\n" for i in range(30)
)


def test_validate_exit_codes(tmp_path: Path) -> None:
    env = dict(os.environ)
    good = hfwarden("validate", "schedules", env=env)
    assert good.returncode == 0, good.stderr
    assert good.stdout.startswith("ok: ")
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "version: 1\nendpoints:\n  - {namespace: acme, name: x, schedule: [{cron: '0 25 * * *', action: pause}]}\n"
    )
    result = hfwarden("validate", str(bad), env=env)
    assert result.returncode == 2
    assert f"{bad}:3: endpoint acme/x, rule 1: bad cron '0 25 * * *': hour: 25 is outside 0-23" in result.stderr
    assert "Traceback" not in result.stderr


def test_plan_json_needs_no_token(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("HF_TOKEN", "HF_TOKEN_FILE")}
    result = hfwarden("plan", "--config", "schedules/office-hours.yaml", "--date", "2026-03-30", "--json", env=env)
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert plan["date"] == "2026-03-30"
    chat = [t for t in plan["transitions"] if t["endpoint"] == "acme/chat-llama"]
    assert [(t["at"], t["action"], t["min_replicas"], t["max_replicas"]) for t in chat] == [
        ("2026-03-30T08:55:00+02:00", "resume", 1, 4),
        ("2026-03-30T12:00:00+02:00", "scale", 1, 2),
        ("2026-03-30T14:00:00+02:00", "scale", 1, 4),
        ("2026-03-30T18:00:00+02:00", "pause", None, None),
    ]
    embedder = [t["at"] for t in plan["transitions"] if t["endpoint"] == "acme/embedder"]
    assert embedder == ["2026-03-30T08:55:00-04:00", "2026-03-30T18:00:00-04:00"]
    text = hfwarden("plan", "--config", "schedules/office-hours.yaml", "--date", "2026-03-30", env=env)
    assert "2026-03-30 08:55 CEST  (06:55 UTC)  resume(min=1, max=4)" in text.stdout


def test_run_once_applies_and_exits_zero(live_emulator: Emulator, tmp_path: Path) -> None:
    schedule = tmp_path / "s.yaml"
    schedule.write_text(ALWAYS_PAUSE)
    result = hfwarden("run", "--once", "--config", str(schedule), env=env_for(live_emulator, tmp_path))
    assert result.returncode == 0, result.stderr
    listing = httpx.get(f"{live_emulator.api_url}/endpoint/acme", headers={"Authorization": f"Bearer {TOKEN}"})
    assert {e["status"]["state"] for e in listing.json()["items"]} == {"paused"}
    assert TOKEN not in result.stderr + result.stdout


def test_run_once_exits_non_zero_when_an_endpoint_failed(live_emulator: Emulator, tmp_path: Path) -> None:
    schedule = tmp_path / "s.yaml"
    schedule.write_text(
        "version: 1\nendpoints:\n  - {namespace: acme, name: ghost, schedule: [{cron: '@daily', action: pause}]}\n"
    )
    result = hfwarden("run", "--once", "--config", str(schedule), env=env_for(live_emulator, tmp_path))
    assert result.returncode == 1
    assert "failed: acme/ghost: endpoint not found in its namespace" in result.stderr


def test_bad_schedule_refused_at_start_with_nothing_done(live_emulator: Emulator, tmp_path: Path) -> None:
    schedule = tmp_path / "s.yaml"
    schedule.write_text(
        "version: 1\nendpoints:\n  - {namespace: acme, name: ep-00, schedule: [{cron: 'soon', action: pause}]}\n"
    )
    httpx.delete(f"{live_emulator.base_url}/_emulator/requests")
    result = hfwarden("run", "--config", str(schedule), env=env_for(live_emulator, tmp_path))
    assert result.returncode == 2
    assert f"{schedule}:3: endpoint acme/ep-00, rule 1: bad cron 'soon'" in result.stderr
    assert httpx.get(f"{live_emulator.base_url}/_emulator/requests").json()["requests"] == []


def test_missing_token_is_a_clear_error(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HFWARDEN_"))}
    result = hfwarden("run", "--once", "--config", "schedules", env=env)
    assert result.returncode == 2
    assert "no token: set HF_TOKEN or HF_TOKEN_FILE" in result.stderr


def test_token_file_and_settings_never_show_the_token(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    settings = Settings(hf_token_file=token_file)
    assert settings.token() == TOKEN
    assert TOKEN not in repr(settings)
    assert TOKEN not in str(settings.model_dump())


def test_dry_run_process_mutates_nothing(live_emulator: Emulator, tmp_path: Path) -> None:
    schedule = tmp_path / "s.yaml"
    schedule.write_text(ALWAYS_PAUSE)
    httpx.delete(f"{live_emulator.base_url}/_emulator/requests")
    result = hfwarden("run", "--once", "--dry-run", "--config", str(schedule), env=env_for(live_emulator, tmp_path))
    assert result.returncode == 0, result.stderr
    calls = httpx.get(f"{live_emulator.base_url}/_emulator/requests").json()["requests"]
    assert {c["method"] for c in calls} == {"GET"}
    decisions = [json.loads(line) for line in result.stderr.splitlines() if '"decision_act"' in line]
    assert len(decisions) == 30
    assert all(d["dry_run"] is True and d["action"] == "pause" and d["endpoint"] for d in decisions)


def test_sigterm_during_a_pass_finishes_it_and_exits_zero(live_emulator: Emulator, tmp_path: Path) -> None:
    schedule = tmp_path / "s.yaml"
    schedule.write_text(ALWAYS_PAUSE)
    httpx.post(f"{live_emulator.base_url}/_emulator/faults", json={"latency_ms": 600})
    httpx.delete(f"{live_emulator.base_url}/_emulator/requests")
    daemon = Running(["--config", str(schedule)], env_for(live_emulator, tmp_path, HFWARDEN_MAX_CONCURRENCY="2"))
    try:
        daemon.wait_for("action_applied")  # in the middle of the pass: 30 pauses, 2 at a time, 300 ms each
        daemon.process.send_signal(signal.SIGTERM)
        assert daemon.process.wait(10) == 0  # the contract: exit 0 within 10 s
        daemon.wait_for("daemon_stopped")
    finally:
        daemon.stop()
    applied = {e["endpoint"] for e in daemon.events() if e.get("event") == "action_applied"}
    deferred = {e["endpoint"] for e in daemon.events() if e.get("event") == "action_deferred"}
    # The pass in flight was finished: every action either done or, past the grace, left for next time.
    assert applied | deferred == {f"acme/ep-{i:02d}" for i in range(30)}
    assert not applied & deferred
    httpx.post(f"{live_emulator.base_url}/_emulator/faults", json={})
    again = hfwarden("run", "--once", "--config", str(schedule), env=env_for(live_emulator, tmp_path))
    assert again.returncode == 0, again.stderr
    calls = httpx.get(f"{live_emulator.base_url}/_emulator/requests").json()["requests"]
    pauses = [c["path"] for c in calls if c["path"].endswith("/pause")]
    assert len(pauses) == len(set(pauses)) == 30  # the deferred ones caught up, nothing repeated


def test_reload_keeps_the_good_config_when_the_new_one_is_bad(live_emulator: Emulator, tmp_path: Path) -> None:
    schedule = tmp_path / "s.yaml"
    schedule.write_text(ALWAYS_PAUSE)
    env = env_for(live_emulator, tmp_path, HFWARDEN_TICK_SECONDS="0.5", HFWARDEN_RELOAD_POLL_SECONDS="0.3")
    daemon = Running(["--config", str(schedule)], env)
    try:
        daemon.wait_for("daemon_started")
        schedule.write_text(
            "version: 1\nendpoints:\n  - {namespace: acme, name: ep-00, schedule: [{cron: 'x', action: pause}]}\n"
        )
        daemon.process.send_signal(signal.SIGHUP)
        refused = daemon.wait_for("reload_refused")
        assert any("bad cron 'x'" in p and ":3:" in p for p in refused["problems"])
        assert refused["kept"] == "previous"
        assert daemon.process.poll() is None
        # The good file comes back, changed: picked up by polling alone, no signal needed.
        schedule.write_text(ALWAYS_PAUSE.replace("ep-29", "ep-29x"))
        reloaded = daemon.wait_for("config_reloaded")
        assert reloaded["endpoints"] == 30
        daemon.wait_for("decision_missing")  # ep-29x does not exist: the new config is in force
    finally:
        daemon.process.send_signal(signal.SIGTERM)
        daemon.process.wait(10)
        daemon.stop()


def test_kill_9_in_the_middle_of_a_pass_loses_and_repeats_nothing(live_emulator: Emulator, tmp_path: Path) -> None:
    schedule = tmp_path / "s.yaml"
    schedule.write_text(ALWAYS_PAUSE)
    env = env_for(live_emulator, tmp_path, HFWARDEN_MAX_CONCURRENCY="2")
    httpx.post(f"{live_emulator.base_url}/_emulator/faults", json={"latency_ms": 100})
    httpx.delete(f"{live_emulator.base_url}/_emulator/requests")
    daemon = Running(["--config", str(schedule)], env)
    try:
        daemon.wait_for("action_applied", count=5)
        daemon.process.kill()
        daemon.process.wait(10)
    finally:
        daemon.stop()
    store = Store(Settings(state_dir=tmp_path / "state").database_url)
    before = {e.endpoint for e in store.audit_entries() if e.result == "ok"}
    sent = httpx.get(f"{live_emulator.base_url}/_emulator/requests").json()["requests"]
    done_before = {c["path"].split("/")[-2] for c in sent if c["path"].endswith("/pause")}
    assert 5 <= len(done_before) < 30  # killed part-way through
    # A pass writes its records in one transaction after its calls: the ones done but not recorded
    # are found paused and recorded as "already" below.
    again = hfwarden("run", "--once", "--config", str(schedule), env=env)
    assert again.returncode == 0, again.stderr
    calls = httpx.get(f"{live_emulator.base_url}/_emulator/requests").json()["requests"]
    pauses = [c["path"] for c in calls if c["path"].endswith("/pause")]
    assert sorted(pauses) == sorted(set(pauses))  # no endpoint paused twice
    assert len(pauses) == 30
    entries = store.audit_entries()
    store.close()
    assert {e.endpoint for e in entries if e.result in ("ok", "already")} == {f"acme/ep-{i:02d}" for i in range(30)}
    assert before <= {e.endpoint for e in entries if e.result == "ok"}  # nothing recorded was lost
    already = {e.endpoint.split("/")[1] for e in entries if e.result == "already"}
    assert done_before - {e.split("/")[1] for e in before} <= already


def midday_zone(now: datetime) -> str:
    """A fixed-offset zone in which `now` is near midday: the daemon runs on the real clock, and a budget
    day that is about to end projects almost nothing, so a guard test run at 23:55 UTC would stop nothing."""
    hours_ahead = 12 - now.hour  # from -11 to 12; the Etc zones' signs are inverted (POSIX)
    return "Etc/GMT" if hours_ahead == 0 else f"Etc/GMT{-hours_ahead:+d}"


def test_a_midday_zone_is_near_midday() -> None:
    for hour in range(24):
        now = datetime(2026, 12, 5, hour, 50, tzinfo=UTC)
        assert 11 <= now.astimezone(ZoneInfo(midday_zone(now))).hour <= 13


def test_status_and_release(live_emulator: Emulator, tmp_path: Path) -> None:
    schedule = tmp_path / "s.yaml"
    zone = midday_zone(datetime.now(UTC))
    schedule.write_text(
        "version: 1\nendpoints:\n  - {namespace: acme, name: ep-00, priority: 5}\n"
        "budgets:\n  - {name: tiny, daily_usd: 0.5, timezone: " + zone + ", "
        "scope: {endpoints: [acme/ep-00, acme/ep-01]}}\n"
    )
    env = env_for(live_emulator, tmp_path)
    first = hfwarden("run", "--once", "--config", str(schedule), env=env)
    assert first.returncode == 0, first.stderr
    assert '"guard_stop"' in first.stderr
    status = hfwarden("status", "--json", "--config", str(schedule), env=env)
    assert status.returncode == 0, status.stderr
    document = json.loads(status.stdout)
    assert set(document) == {"as_of", "spend_tracked", "endpoints", "budgets", "holds", "caps", "failed"}
    rows = {e["endpoint"]: e for e in document["endpoints"]}
    assert set(rows["acme/ep-00"]) == {
        "endpoint",
        "state",
        "billed_replicas",
        "price_per_hour",
        "spent_usd",
        "projected_usd",
        "latched",
        "startup_p50_s",
        "startup_p90_s",
        "wakes_today",
        "cold_start_usd",
    }
    assert rows["acme/ep-00"]["price_per_hour"] == 0.5  # nvidia-t4, from the API's hardware list
    latched = {k for k, e in rows.items() if e["latched"]}
    assert latched == {"acme/ep-00", "acme/ep-01"}
    assert all(rows[k]["state"] == "paused" for k in latched)
    (budget,) = document["budgets"]
    assert budget["name"] == "tiny"
    assert budget["projected_usd"] <= 0.5

    released = hfwarden("release", "acme/ep-00", "--config", str(schedule), env=env)
    assert released.returncode == 0, released.stderr
    assert "released acme/ep-00" in released.stdout
    again = json.loads(hfwarden("status", "--json", "--config", str(schedule), env=env).stdout)
    assert {e["endpoint"] for e in again["endpoints"] if e["latched"]} == {"acme/ep-01"}
    assert hfwarden("release", "acme/ep-00", "--config", str(schedule), env=env).stdout.startswith("acme/ep-00 is not")
    text = hfwarden("status", "--config", str(schedule), env=env)
    assert "budget tiny: daily $0.50" in text.stdout
    assert TOKEN not in text.stdout + text.stderr


def test_plan_prices_the_schedule_and_warns_over_budget(tmp_path: Path) -> None:
    schedule = tmp_path / "s.yaml"
    schedule.write_text(
        "version: 1\ntimezone: UTC\nendpoints:\n"
        "  - namespace: acme\n    name: chat\n    instance: aws/us-east-1/nvidia-a100/x1\n"
        "    schedule: [{cron: '0 8 * * *', action: resume, min_replicas: 2, max_replicas: 4},"
        " {cron: '0 20 * * *', action: pause}]\n"
        "budgets:\n  - {name: prod, daily_usd: 50}\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HFWARDEN_"))}
    env["HFWARDEN_STATE_DIR"] = str(tmp_path / "no-state-here")
    result = hfwarden("plan", "--config", str(schedule), "--date", "2026-01-05", "--json", env=env)
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert plan["endpoints"] == [{"endpoint": "acme/chat", "projected_usd": 60.0}]  # 12 h x 2 x $2.5
    assert plan["budgets"][0]["over_budget"] is True
    assert "the schedules alone cost $60.00, over budget prod ($50.00)" in result.stderr
    assert not (tmp_path / "no-state-here").exists()  # plan reads state, never creates it


def test_validate_warns_about_an_instance_without_a_price(tmp_path: Path) -> None:
    schedule = tmp_path / "s.yaml"
    schedule.write_text(
        "version: 1\nendpoints:\n  - {namespace: acme, name: x, instance: aws/us-east-1/nvidia-b300/x1}\n"
    )
    result = hfwarden("validate", str(schedule), env=dict(os.environ))
    assert result.returncode == 0
    assert "warning: endpoint acme/x: no price known for aws/us-east-1/nvidia-b300/x1" in result.stderr


def test_a_second_daemon_on_the_same_state_stands_by(live_emulator: Emulator, tmp_path: Path) -> None:
    schedule = tmp_path / "s.yaml"
    schedule.write_text(ALWAYS_PAUSE)
    env = env_for(live_emulator, tmp_path, HFWARDEN_TICK_SECONDS="0.5")
    httpx.delete(f"{live_emulator.base_url}/_emulator/requests")
    first = Running(["--config", str(schedule)], env)
    try:
        first.wait_for("lease_acquired")
        first.wait_for("action_applied", count=30)
        second = Running(["--config", str(schedule)], env)
        try:
            second.wait_for("lease_standby")
            once = hfwarden("run", "--once", "--config", str(schedule), env=env)
            assert once.returncode == 1
            assert "is acting on this state; not acting" in once.stderr
            # The leader stops cleanly and releases the lease: the standby takes over without waiting it out.
            first.process.send_signal(signal.SIGTERM)
            assert first.process.wait(10) == 0
            second.wait_for("lease_acquired")
        finally:
            second.process.send_signal(signal.SIGTERM)
            second.process.wait(10)
            second.stop()
    finally:
        first.stop()
    pauses = [
        c
        for c in httpx.get(f"{live_emulator.base_url}/_emulator/requests").json()["requests"]
        if c["path"].endswith("/pause")
    ]
    assert len(pauses) == 30  # nobody acted twice
