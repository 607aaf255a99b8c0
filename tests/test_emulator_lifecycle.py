"""The emulator's state machine, autoscaling and ground-truth bill, lived through on a manual clock."""

from __future__ import annotations

import threading

import httpx
import pytest
from huggingface_hub import HfApi

from tests.support.helpers import advance, billed_usd, create, replica_seconds

L4_PER_SECOND = 0.8 / 3600
L4_PER_MINUTE = 0.8 / 60


def exact_usd(control: httpx.Client, name: str) -> float:
    """The exact integral the emulator keeps beside its per-minute bill."""
    rows = control.get("/_emulator/billing").json()["endpoints"]
    return next(float(r["exact_usd"]) for r in rows if r["name"] == name and r["namespace"] == "acme")


def state(api: HfApi, name: str = "chat") -> tuple[str, int, int]:
    raw = api.get_inference_endpoint(name, namespace="acme").raw["status"]
    return raw["state"], raw["readyReplica"], raw["targetReplica"]


def test_full_cycle_state_by_state_with_billing_only_in_billed_states(api: HfApi, control: httpx.Client) -> None:
    create(api, "chat", min_replica=0, max_replica=2, scale_to_zero_timeout=15)
    assert state(api) == ("pending", 0, 0)
    advance(control, 10)
    assert state(api) == ("initializing", 0, 1)
    assert billed_usd(control, "chat") == 0.0  # pending is not billed

    advance(control, 30)
    assert replica_seconds(control, "chat") == pytest.approx(30)
    advance(control, 30)
    assert state(api) == ("running", 1, 1)
    assert replica_seconds(control, "chat") == pytest.approx(60)

    advance(control, 600)
    assert replica_seconds(control, "chat") == pytest.approx(660)

    api.pause_inference_endpoint("chat", namespace="acme")
    assert state(api) == ("paused", 0, 0)
    advance(control, 3600)
    assert replica_seconds(control, "chat") == pytest.approx(660)  # paused costs nothing
    response = control.get("/dp/acme/chat")
    assert response.status_code == 400  # a paused endpoint is not woken by traffic: the real data plane's 400
    assert response.text == "Bad Request: Invalid state"
    advance(control, 3600)
    assert state(api)[0] == "paused"

    api.resume_inference_endpoint("chat", namespace="acme")
    assert state(api) == ("pending", 0, 0)
    advance(control, 70)
    assert state(api) == ("running", 1, 1)
    assert replica_seconds(control, "chat") == pytest.approx(720)

    api.scale_to_zero_inference_endpoint("chat", namespace="acme")
    assert state(api) == ("scaledToZero", 0, 0)
    advance(control, 3600)
    assert replica_seconds(control, "chat") == pytest.approx(720)

    woke = control.get("/dp/acme/chat/generate")
    assert woke.status_code == 503  # the cold start has begun
    assert state(api) == ("initializing", 0, 1)
    advance(control, 59)
    assert control.get("/dp/acme/chat").status_code == 503
    advance(control, 1)
    assert control.get("/dp/acme/chat").status_code == 200
    assert state(api) == ("running", 1, 1)
    assert replica_seconds(control, "chat") == pytest.approx(780)
    assert exact_usd(control, "chat") == pytest.approx(780 * L4_PER_SECOND)
    # Billed per minute, a started minute counting whole: 08:00:10-08:11:10 touches 12 minutes,
    # 10:11:20-10:12:20 two, and the cold start from 11:12:20 two (the minute under way counts).
    assert billed_usd(control, "chat") == pytest.approx((12 + 2 + 2) * L4_PER_MINUTE)


def test_idle_timeout_scales_to_zero_only_with_min_replica_zero(api: HfApi, control: httpx.Client) -> None:
    create(api, "idle", min_replica=0, max_replica=1, scale_to_zero_timeout=15)
    create(api, "kept", min_replica=1, max_replica=1)  # a timeout with minReplica 1 is refused
    advance(control, 70)
    advance(control, 14 * 60)
    assert control.get("/dp/acme/idle").status_code == 200  # traffic resets the idle timer
    advance(control, 14 * 60)
    assert state(api, "idle")[0] == "running"
    advance(control, 61)
    assert state(api, "idle") == ("scaledToZero", 0, 0)
    assert state(api, "kept")[0] == "running"
    # Billed up to the idle timeout: 60 s initializing, 14 min, then 15 min after the last request.
    assert replica_seconds(control, "idle") == pytest.approx(60 + 14 * 60 + 15 * 60)


def test_cold_start_request_is_held_up_to_the_scale_up_timeout(api: HfApi, control: httpx.Client) -> None:
    create(api, "chat", min_replica=0, max_replica=1)
    advance(control, 70)
    api.scale_to_zero_inference_endpoint("chat", namespace="acme")
    results: list[int] = []
    request = threading.Thread(
        target=lambda: results.append(control.get("/dp/acme/chat", headers={"X-Scale-Up-Timeout": "5"}).status_code)
    )
    request.start()
    # Wait (in wall time, bounded) until the held request has started the cold start.
    for _ in range(200):
        if state(api)[0] == "initializing":
            break
        threading.Event().wait(0.01)
    advance(control, 60)
    request.join(10)
    assert results == [200]


def test_autoscaling_adds_one_replica_a_minute_and_lets_go_after_the_stabilisation(
    api: HfApi, control: httpx.Client
) -> None:
    # HF evaluates scaling up every minute and adds one replica per evaluation; scaling down every
    # 2 minutes once 300 s have passed without the replicas being wanted (the shared platform model).
    create(api, "chat", min_replica=1, max_replica=4)
    advance(control, 70)  # running from 08:01:10
    start = replica_seconds(control, "chat")
    targets = []
    for _ in range(4):  # 200 requests a minute want 4 replicas (60 rpm each, at 80 %)
        for _ in range(200):
            control.get("/dp/acme/chat")
        targets.append(state(api)[2])
        advance(control, 60)
    assert targets == [1, 2, 3, 4]  # not all at once: one at 08:02, 08:03, 08:04
    assert state(api) == ("running", 4, 4)  # each ready 60 s after it was added
    # 08:01:10-08:05:10: the first replica 240 s, the ones added at 08:02, 08:03, 08:04 since then.
    assert replica_seconds(control, "chat") - start == pytest.approx(240 + 190 + 130 + 70)

    # No traffic since 08:04:10: the check at 08:09 still sees that minute wanting 4, the one at 08:11 not.
    advance(control, 290)  # 08:10:00
    assert state(api)[2] == 4
    advance(control, 70)  # 08:11:10
    assert state(api) == ("running", 1, 1)


def test_billing_per_namespace_and_totals(api: HfApi, control: httpx.Client) -> None:
    create(api, "a", namespace="acme")
    create(api, "b", namespace="globex", instance_type="nvidia-t4")
    advance(control, 3610)
    everything = control.get("/_emulator/billing").json()
    acme = control.get("/_emulator/billing", params={"namespace": "acme"}).json()
    assert [r["name"] for r in acme["endpoints"]] == ["a"]
    # Running from 08:00:10 to 09:00:10: an hour of replica-time, but 61 minutes touched.
    assert acme["total_exact_usd"] == pytest.approx(0.8)
    assert acme["total_usd"] == pytest.approx(0.8 * 61 / 60)
    assert everything["total_usd"] == pytest.approx((0.8 + 0.5) * 61 / 60)


def test_billing_survives_a_delete(api: HfApi, control: httpx.Client) -> None:
    create(api, "chat")
    advance(control, 3610)
    api.delete_inference_endpoint("chat", namespace="acme")
    advance(control, 3600)
    assert billed_usd(control, "chat") == pytest.approx(0.8 * 61 / 60)  # 08:00:10-09:00:10, per minute
    assert exact_usd(control, "chat") == pytest.approx(0.8)


def test_a_long_emulated_day_is_fast_and_exact(api: HfApi, control: httpx.Client) -> None:
    create(api, "chat", min_replica=2, max_replica=2)
    advance(control, 70)
    for _ in range(24):
        advance(control, 3600)
    assert replica_seconds(control, "chat") == pytest.approx(2 * (60 + 24 * 3600))


def test_the_bill_counts_each_started_minute_whole(api: HfApi, control: httpx.Client) -> None:
    create(api, "chat")
    advance(control, 10 + 20)  # initializing from 08:00:10, paused at 08:00:30: 20 s of replica-time
    api.pause_inference_endpoint("chat", namespace="acme")
    advance(control, 3600)
    assert exact_usd(control, "chat") == pytest.approx(20 * L4_PER_SECOND)
    assert billed_usd(control, "chat") == pytest.approx(L4_PER_MINUTE)  # the 20 s are one whole minute

    api.resume_inference_endpoint("chat", namespace="acme")  # 09:00:30, pending until 09:00:40
    advance(control, 10 + 60 + 50)  # running from 09:01:40; now 09:02:30, in the third minute billed
    assert billed_usd(control, "chat") == pytest.approx(L4_PER_MINUTE * (1 + 3))
