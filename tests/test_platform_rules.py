"""HF's rules the emulator used to be kinder about, through the real huggingface_hub client (issue 19)."""

from __future__ import annotations

import math
import threading
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import BadRequestError

from hfwarden.adapters.backoff import retry_after_seconds
from hfwarden.adapters.hub import Cancelled, Hub, HubError, RetryPolicy
from hfwarden.clock import ManualClock
from hfwarden.core.decide import Step, StepKind
from hfwarden.emulator import faults
from hfwarden.emulator.server import DEFAULT_TOKEN, Emulator
from tests.conftest import Factory
from tests.support.helpers import advance, create
from tests.support.passes import daemon_life
from tests.support.settings import config_from, settings_for


def scaling_of(api: HfApi, name: str) -> dict[str, object]:
    return dict(api.get_inference_endpoint(name, namespace="acme").raw["compute"]["scaling"])


# -- 1. a timeout with a minimum is refused ---------------------------------------------------------


def test_a_timeout_with_a_minimum_is_refused_on_create_and_on_update(api: HfApi, control: httpx.Client) -> None:
    with pytest.raises(BadRequestError, match="minReplica should not be 1"):
        create(api, "both", min_replica=1, scale_to_zero_timeout=15)
    create(api, "idle", min_replica=0, max_replica=1, scale_to_zero_timeout=15)
    advance(control, 70)
    with pytest.raises(BadRequestError, match="minReplica should not be 1"):
        api.update_inference_endpoint("idle", namespace="acme", min_replica=1)  # the stored timeout stays


def test_no_timeout_is_injected_and_a_min_zero_endpoint_idles_after_an_hour(api: HfApi, control: httpx.Client) -> None:
    create(api, "kept", min_replica=1, max_replica=1)
    create(api, "idle", min_replica=0, max_replica=1)
    assert scaling_of(api, "kept")["scaleToZeroTimeout"] is None
    advance(control, 70 + 59 * 60)
    assert api.get_inference_endpoint("idle", namespace="acme").status == "running"
    advance(control, 2 * 60)
    assert api.get_inference_endpoint("idle", namespace="acme").status == "scaledToZero"
    assert api.get_inference_endpoint("kept", namespace="acme").status == "running"


@pytest.mark.usefixtures("client_at_emulator")
def test_raising_the_minimum_clears_the_stored_timeout_in_the_same_update(
    api: HfApi, control: httpx.Client, clock: ManualClock, warden: Factory
) -> None:
    """Schedule path: a `scale_to_zero` rule with a timeout, then a `resume` to minimum 1."""
    create(api, "chat", min_replica=1, max_replica=2)
    advance(control, 70)
    reconciler = warden(
        """
        version: 1
        timezone: UTC
        endpoints:
          - namespace: acme
            name: chat
            schedule:
              - {cron: "1 8 * * *", action: scale_to_zero, scale_to_zero_timeout: 15}
              - {cron: "30 8 * * *", action: resume, min_replicas: 1, max_replicas: 2}
        """
    )
    clock.set(datetime(2026, 1, 5, 8, 2, tzinfo=UTC))
    reconciler.run_pass()
    assert scaling_of(api, "chat")["scaleToZeroTimeout"] == 15
    clock.set(datetime(2026, 1, 5, 8, 30, 30, tzinfo=UTC))
    report = reconciler.run_pass()
    assert report.failed == {}
    scaling = scaling_of(api, "chat")
    assert (scaling["minReplica"], scaling["scaleToZeroTimeout"]) == (1, None)


@pytest.mark.usefixtures("client_at_emulator")
def test_any_update_raising_the_minimum_clears_the_timeout_at_the_executor(
    api: HfApi, control: httpx.Client, clock: ManualClock
) -> None:
    """Release and every other path: each UPDATE goes through one place that clears a conflicting timeout."""
    from hfwarden.app.reconcile.execute import Executor
    from hfwarden.core.decide import Decision, Verdict

    create(api, "chat", min_replica=0, max_replica=2, scale_to_zero_timeout=15)
    advance(control, 70)
    hub = Hub(DEFAULT_TOKEN, retry=RetryPolicy(max_attempts=1))
    executor = Executor(hub, clock=clock, max_concurrency=2)
    observed = hub.get("acme", "chat")
    decision = Decision("acme/chat", Verdict.ACT, "held", None, (Step(StepKind.UPDATE, min_replicas=2),))
    (outcome,) = executor.carry_out([decision], {"acme/chat": observed})
    executor.close()
    assert outcome.error is None
    scaling = scaling_of(api, "chat")
    assert (scaling["minReplica"], scaling["scaleToZeroTimeout"]) == (2, None)


# -- 3. rate limits -------------------------------------------------------------------------------


def test_a_huge_or_infinite_retry_after_is_bounded() -> None:
    now = datetime(2026, 1, 5, tzinfo=UTC)
    assert retry_after_seconds("1e12", now=now) == 86_400.0
    assert retry_after_seconds("inf", now=now) == 86_400.0
    assert retry_after_seconds("nan", now=now) is None


@pytest.mark.usefixtures("client_at_emulator")
def test_a_retry_after_of_1e12_fails_the_call_without_crashing(
    emulator: Emulator, control: httpx.Client, clock: ManualClock
) -> None:
    control.post("/_emulator/faults", json={"rate_limit": {"limit": 0, "window_s": 1e12}})
    hub = Hub(DEFAULT_TOKEN, hub_url=emulator.base_url, clock=clock, retry=RetryPolicy(base_seconds=0.01))
    for _ in range(2):  # a pass, then the next one: a clear failure each time, never OverflowError
        with pytest.raises(HubError) as failed:
            hub.list_endpoints("acme")
        assert failed.value.status == 429


@pytest.mark.usefixtures("client_at_emulator")
def test_successful_answers_report_the_quota_and_calls_are_paced_within_it(
    emulator: Emulator, control: httpx.Client, clock: ManualClock
) -> None:
    emulator.state.faults.rate_limit = faults.RateLimit(limit=3, window_s=300, now=lambda: clock.now().timestamp())
    answer = control.get("/v2/endpoint/acme", headers={"authorization": "Bearer other"})
    assert answer.headers["RateLimit-Policy"] == '"fixed window";"api";q=3;w=300'
    stopping = threading.Event()
    hub = Hub(DEFAULT_TOKEN, hub_url=emulator.base_url, clock=clock, cancel=stopping)
    hub.list_endpoints("acme")
    assert hub.quota_remaining() == 2
    hub.list_endpoints("acme")
    hub.list_endpoints("acme")
    assert hub.quota_remaining() == 0
    stopping.set()  # the fourth call waits for the next window instead of earning a 429
    with pytest.raises(Cancelled, match="waiting for API quota"):
        hub.list_endpoints("acme")
    statuses = [r["status"] for r in control.get("/_emulator/requests").json()["requests"]]
    assert 429 not in statuses


SHORT_OF_QUOTA = """
version: 1
timezone: UTC
pricing:
  aws/us-east-1/nvidia-l4/x1: 1.0
endpoints:
  - {namespace: acme, name: dear, priority: 0}
  - namespace: beta
    name: other
    schedule:
      - {cron: "1 8 * * *", action: scale, min_replicas: 1, max_replicas: 3}
budgets:
  - name: acme-prod
    daily_usd: 10
    scope: {namespace: acme}
    steps:
      - {at: 1.0, action: pause}
"""


@pytest.mark.usefixtures("client_at_emulator")
def test_a_budget_stop_goes_out_before_an_ordinary_transition_when_the_quota_is_short(
    emulator: Emulator, api: HfApi, control: httpx.Client, clock: ManualClock, tmp_path: Path, state_url: str
) -> None:
    """One ordered list per pass: the guard's new stop is not sent after the schedule's calls."""
    from hfwarden.adapters.store import Store
    from hfwarden.app.reconcile.reconciler import Reconciler
    from hfwarden.config import load_config

    create(api, "dear", min_replica=1, max_replica=1)
    create(api, "other", namespace="beta", min_replica=1, max_replica=1)
    advance(control, 70)
    clock.set(datetime(2026, 1, 5, 8, 2, tzinfo=UTC))
    (tmp_path / "s.yaml").write_text(SHORT_OF_QUOTA)
    store = Store(state_url)
    hub = Hub(DEFAULT_TOKEN, retry=RetryPolicy(max_attempts=1), hub_url=emulator.base_url)
    warden = Reconciler(config=load_config([tmp_path / "s.yaml"]), hub=hub, store=store, clock=clock, max_concurrency=1)
    try:
        control.delete("/_emulator/requests")
        warden.assess()  # the reads a pass makes before its calls
        reads = len(control.get("/_emulator/requests").json()["requests"])
        control.delete("/_emulator/requests")
        # Room for the pass's reads and one call: the second call waits for the next (3 s) window.
        emulator.state.faults.rate_limit = faults.RateLimit(limit=reads + 1, window_s=3.0)
        report = warden.run_pass()
    finally:
        warden.close()
        store.close()
    assert sorted(report.acted) == ["acme/dear", "beta/other"]
    calls = [r for r in control.get("/_emulator/requests").json()["requests"] if r["method"] != "GET"]
    assert [(r["method"], r["path"].rsplit("/", 2)[-2:]) for r in calls] == [
        ("POST", ["dear", "pause"]),  # the budget stop first: it stops money
        ("PUT", ["beta", "other"]),  # the ordinary transition in the next window
    ]
    assert all(r["status"] == 200 for r in calls)


@pytest.mark.usefixtures("client_at_emulator")
def test_an_api_quota_used_up_survives_a_restart(
    emulator: Emulator, control: httpx.Client, clock: ManualClock, state_url: str
) -> None:
    """A restarted daemon waits for the window's reset instead of spending calls to learn it again."""
    from hfwarden.adapters.store import Store
    from hfwarden.app.ops.wiring import keep_api_quota

    emulator.state.faults.rate_limit = faults.RateLimit(limit=2, window_s=300, now=lambda: clock.now().timestamp())
    store, host = Store(state_url), urlsplit(emulator.api_url).netloc
    first = Hub(DEFAULT_TOKEN, hub_url=emulator.base_url, clock=clock)
    keep_api_quota(first, store, host, clock=clock)
    first.list_endpoints("acme")
    first.list_endpoints("acme")
    assert first.quota_remaining() == 0
    stopping = threading.Event()
    restarted = Hub(DEFAULT_TOKEN, hub_url=emulator.base_url, clock=clock, cancel=stopping)  # a new process
    keep_api_quota(restarted, store, host, clock=clock)
    control.delete("/_emulator/requests")
    stopping.set()  # its first call waits for the window's reset instead of earning a 429
    with pytest.raises(Cancelled, match="waiting for API quota"):
        restarted.list_endpoints("acme")
    assert control.get("/_emulator/requests").json()["requests"] == []
    store.close()


@pytest.mark.usefixtures("client_at_emulator")
def test_a_429_within_the_quota_window_waits_for_its_reset_instead_of_failing(
    emulator: Emulator, control: httpx.Client, clock: ManualClock
) -> None:
    """The 5,000-transitions bench lost its last call this way: a 429 saying the window resets in 277 s."""
    emulator.state.faults.rate_limit = faults.RateLimit(limit=3, window_s=300, now=lambda: clock.now().timestamp())
    elsewhere = Hub(DEFAULT_TOKEN, hub_url=emulator.base_url, clock=clock)
    stopping = threading.Event()
    hub = Hub(DEFAULT_TOKEN, hub_url=emulator.base_url, clock=clock, cancel=stopping)
    elsewhere.list_endpoints("acme")
    hub.list_endpoints("acme")
    assert hub.quota_remaining() == 1
    elsewhere.list_endpoints("acme")  # the last call of the window, unknown to `hub`
    stopping.set()  # instead of waiting the 300 s out: the call is waiting, not failed
    with pytest.raises(Cancelled):
        hub.list_endpoints("acme")
    assert hub.quota_remaining() == 0
    assert [r["status"] for r in control.get("/_emulator/requests").json()["requests"]] == [200, 200, 200, 429]


@pytest.mark.parametrize(
    ("text", "limit", "window"), [("2500/300s", 2500, 300.0), ("500/5m", 500, 300.0), ("10/60", 10, 60.0)]
)
def test_the_rate_limit_flag(text: str, limit: int, window: float) -> None:
    parsed = faults.parse_rate_limit(text)
    assert (parsed.limit, parsed.window_s) == (limit, window)


@pytest.mark.parametrize("text", ["2500", "x/300s", "0/300s", "10/0s", "10/infs"])
def test_a_bad_rate_limit_flag_is_one_line(text: str) -> None:
    with pytest.raises(ValueError, match="--rate-limit"):
        faults.parse_rate_limit(text)


@pytest.mark.usefixtures("client_at_emulator")
def test_a_refusal_for_money_survives_a_restart(
    api: HfApi, control: httpx.Client, clock: ManualClock, warden: Factory
) -> None:
    """A restart between two passes neither retries before the back-off nor raises a second alert."""
    create(api, "chat", min_replica=1, max_replica=1)
    advance(control, 70)
    api.pause_inference_endpoint("chat", namespace="acme")
    control.post("/_emulator/billing-block", json={"namespace": "acme", "refuse": "credits"})
    first = warden(RESUMING).run_pass()
    assert [a.endpoint for a in first.alerts if a.kind.value == "billing_blocked"] == ["acme/chat"]
    control.delete("/_emulator/requests")
    clock.advance(300)
    restarted = warden(RESUMING)  # a new life of the daemon on the same state
    second = restarted.run_pass()
    assert not [a for a in second.alerts if a.kind.value == "billing_blocked"]
    assert not [r for r in control.get("/_emulator/requests").json()["requests"] if r["path"].endswith("/resume")]
    clock.advance(15 * 60)  # past the back-off: tried again (still refused), the day's alert not sent twice
    third = restarted.run_pass()
    assert [r for r in control.get("/_emulator/requests").json()["requests"] if r["path"].endswith("/resume")]
    assert "acme/chat" in third.failed
    assert third.enqueued == []  # the day's `billing_blocked` is in the outbox once, across the restart


# -- 5. the smaller differences -------------------------------------------------------------------


RESIZED_AFTER_A_PAUSE = """
version: 1
timezone: UTC
endpoints:
  - namespace: acme
    name: chat
    schedule:
      - {cron: "1 8 * * *", action: pause}
      - {cron: "30 8 * * *", action: resume, min_replicas: 2, max_replicas: 3}
"""


@pytest.mark.usefixtures("client_at_emulator")
def test_a_resume_after_a_pause_re_applies_the_scheduled_sizes(
    api: HfApi, control: httpx.Client, clock: ManualClock, warden: Factory
) -> None:
    """HF's docs: a pause sets min & max replicas to 0, a resume to 1; the rule's sizes are sent after it."""
    create(api, "chat", min_replica=2, max_replica=3)
    advance(control, 70)
    reconciler = warden(RESIZED_AFTER_A_PAUSE)
    clock.set(datetime(2026, 1, 5, 8, 2, tzinfo=UTC))
    reconciler.run_pass()
    scaling = scaling_of(api, "chat")
    assert (scaling["minReplica"], scaling["maxReplica"]) == (0, 0)
    clock.set(datetime(2026, 1, 5, 8, 30, 30, tzinfo=UTC))
    report = reconciler.run_pass()
    assert report.failed == {}
    calls = [r["path"].rsplit("/", 1)[-1] for r in control.get("/_emulator/requests").json()["requests"]]
    assert calls[-2:] == ["resume", "chat"]  # the resume, then the PUT of the sizes
    scaling = scaling_of(api, "chat")
    assert (scaling["minReplica"], scaling["maxReplica"]) == (2, 3)
    advance(control, 70)
    endpoint = api.get_inference_endpoint("chat", namespace="acme")
    assert (endpoint.status, endpoint.raw["status"]["targetReplica"]) == ("running", 2)


def test_measure_and_metric_are_replaced_not_merged(api: HfApi, control: httpx.Client) -> None:
    create(api, "chat", min_replica=1, max_replica=2)
    advance(control, 70)
    api.update_inference_endpoint("chat", namespace="acme", scaling_metric="pendingRequests", scaling_threshold=1.5)
    scaling = scaling_of(api, "chat")
    assert scaling["measure"] == {"pendingRequests": 1.5}
    assert scaling["metric"] == "pendingRequests"


def test_gpu_memory_is_null_off_gpu(api: HfApi) -> None:
    rows = api.list_inference_endpoints_hardware(namespace="acme")
    off_gpu = [r for r in rows if r.accelerator != "gpu"]
    assert off_gpu
    assert all(r.gpu_memory_gb is None for r in off_gpu)
    assert all(r.gpu_memory_gb is not None and not math.isnan(r.gpu_memory_gb) for r in rows if r.accelerator == "gpu")


# -- 2. a guard stop that lets traffic through ----------------------------------------------------

WAKEABLE = """
version: 1
timezone: UTC
pricing:
  aws/us-east-1/nvidia-l4/x1: 1.0
endpoints:
  - {namespace: acme, name: worker, priority: 0}
budgets:
  - name: acme-prod
    daily_usd: 10
    scope: {namespace: acme}
    steps:
      - {at: 1.0, action: scale_to_zero}
"""


@pytest.mark.usefixtures("client_at_emulator")
def test_a_wake_by_traffic_after_a_guard_scale_to_zero_is_not_an_override(
    api: HfApi, control: httpx.Client, clock: ManualClock, warden: Factory
) -> None:
    create(api, "worker", min_replica=1, max_replica=1)
    advance(control, 70)
    reconciler = warden(WAKEABLE)
    first = reconciler.run_pass()  # 16 h left at $1/h: past $10, step 1 scales it to zero
    assert "acme/worker" in first.latched
    scaling = scaling_of(api, "worker")
    assert scaling["minReplica"] == 0  # as the scheduled scale-to-zero does
    assert api.get_inference_endpoint("worker", namespace="acme").status == "scaledToZero"
    assert control.get("/dp/acme/worker").status_code == 503  # the request wakes it (cold start)
    advance(control, 70)
    assert api.get_inference_endpoint("worker", namespace="acme").status == "running"
    second = reconciler.run_pass()
    assert not any(a.kind.value == "latch_overridden" for a in second.alerts)
    assert "acme/worker" not in second.acted
    assert api.get_inference_endpoint("worker", namespace="acme").status == "running"
    (status,) = second.budgets
    assert status.projected_usd > status.spent_usd  # the wake's hour is projected

    api.update_inference_endpoint("worker", namespace="acme", min_replica=1)  # someone raises the minimum
    advance(control, 40)
    third = reconciler.run_pass()
    assert any(a.kind.value == "latch_overridden" for a in third.alerts)
    assert scaling_of(api, "worker")["minReplica"] == 0


# -- 4. refused for money -------------------------------------------------------------------------

RESUMING = """
version: 1
timezone: UTC
endpoints:
  - namespace: acme
    name: chat
    enforce: true
    schedule:
      - {cron: "0 8 * * *", action: resume, min_replicas: 1, max_replicas: 1}
"""


@pytest.mark.parametrize("refuse", ["credits", "spend_limit"])
@pytest.mark.usefixtures("client_at_emulator")
def test_a_resume_refused_for_money_alerts_once_and_backs_off_fifteen_minutes(
    api: HfApi, control: httpx.Client, clock: ManualClock, warden: Factory, refuse: str
) -> None:
    create(api, "chat", min_replica=1, max_replica=1)
    advance(control, 70)
    api.pause_inference_endpoint("chat", namespace="acme")
    control.post("/_emulator/billing-block", json={"namespace": "acme", "refuse": refuse})
    reconciler = warden(RESUMING)
    first = reconciler.run_pass()
    blocked = [a for a in first.alerts if a.kind.value == "billing_blocked"]
    assert [a.endpoint for a in blocked] == ["acme/chat"]
    control.delete("/_emulator/requests")
    for _ in range(5):  # 10 minutes of passes: no retry storm
        clock.advance(120)
        reconciler.run_pass()
    resumes = [r for r in control.get("/_emulator/requests").json()["requests"] if r["path"].endswith("/resume")]
    assert resumes == []
    reconciler.set_config(reconciler.config)  # a reload, as the daemon does it: retried at once
    reconciler.actor.refusals.reloaded()
    control.post("/_emulator/billing-block", json={"namespace": "acme", "refuse": None})
    reconciler.run_pass()
    assert api.get_inference_endpoint("chat", namespace="acme").status in ("pending", "initializing")


def test_a_pass_sends_budget_stops_most_expensive_first_then_other_transitions() -> None:
    from hfwarden.core.decide import Decision, Verdict
    from hfwarden.core.pacing import call_order

    other = Decision("acme/other", Verdict.ACT, "scale", None, (Step(StepKind.UPDATE, max_replicas=2),))
    cheap = Decision("acme/cheap", Verdict.LATCHED, "latched", None, (Step(StepKind.PAUSE),))
    dear = Decision("acme/dear", Verdict.LATCHED, "latched", None, (Step(StepKind.PAUSE),))
    ordered = call_order([other, cheap, dear], {"acme/cheap": 0.8, "acme/dear": 2.5, "acme/other": 9.0})
    assert [d.endpoint for d in ordered] == ["acme/dear", "acme/cheap", "acme/other"]


def test_wakes_that_push_the_projection_past_the_next_step_escalate_the_latch_to_a_pause() -> None:
    from zoneinfo import ZoneInfo

    from hfwarden.core.budget import Budget, EndpointCost, one_budget_review
    from hfwarden.core.endpoints import Observation
    from hfwarden.core.ladder import LadderStep, StepAction
    from hfwarden.core.latches import stop_latches
    from hfwarden.core.records import Latch

    now = datetime(2026, 1, 5, 20, 0, tzinfo=UTC)
    budget = Budget(
        "acme-prod",
        10.0,
        ZoneInfo("UTC"),
        steps=(LadderStep(1.0, StepAction.SCALE_TO_ZERO), LadderStep(1.5, StepAction.PAUSE)),
    )
    # Latched to zero at step 1, then woken all evening: $14 spent, its hour ahead projected: $16 >= $15.
    woken = EndpointCost("acme/worker", 14.0, 2.0, 2.0, 1, latched=True, woken=True)
    outcome = one_budget_review(budget, [woken], now=now, taken=1)
    assert [s.endpoint for s in outcome.stops] == ["acme/worker"]
    latch = Latch("acme/worker", "acme-prod", "scale_to_zero", now, datetime(2026, 1, 6, tzinfo=UTC), "step 1")
    observed = Observation(
        namespace="acme",
        name="worker",
        state="running",
        ready_replicas=1,
        target_replicas=1,
        min_replica=0,
        max_replica=1,
        scale_to_zero_timeout=None,
        instance="aws/us-east-1/nvidia-l4/x1",
        updated_at=now,
    )
    records, decisions = stop_latches(
        outcome.stops, latched={"acme/worker": latch}, observations={"acme/worker": observed}, guard_alerts=(), now=now
    )
    assert [latch.action for latch in records.add_latches] == ["pause"]
    assert [d.steps[-1].kind for d in decisions] == [StepKind.PAUSE]


CAPPED = """
version: 1
timezone: UTC
pricing:
  aws/us-east-1/nvidia-l4/x1: 1.0
endpoints:
  - {namespace: acme, name: worker, priority: 0}
budgets:
  - name: acme-prod
    daily_usd: 50
    scope: {namespace: acme}
    steps:
      - {at: 0.5, action: cap, max_replicas: 1}
"""


@pytest.mark.usefixtures("client_at_emulator")
def test_a_cap_restore_raising_the_minimum_clears_a_timeout_set_meanwhile(
    api: HfApi, control: httpx.Client, clock: ManualClock, warden: Factory
) -> None:
    create(api, "worker", min_replica=2, max_replica=3)
    advance(control, 70)
    reconciler = warden(CAPPED)
    reconciler.run_pass()  # 08:01, 2 replicas x 16 h at $1/h: past $25, capped at 1
    scaling = scaling_of(api, "worker")
    assert (scaling["minReplica"], scaling["maxReplica"]) == (1, 1)
    advance(control, 60)
    api.update_inference_endpoint("worker", namespace="acme", min_replica=0, scale_to_zero_timeout=15)
    clock.set(datetime(2026, 1, 6, 0, 0, 30, tzinfo=UTC))  # the next budget day: the cap lifts, sizes restored
    report = reconciler.run_pass()
    assert report.failed == {}
    scaling = scaling_of(api, "worker")
    assert (scaling["minReplica"], scaling["maxReplica"], scaling["scaleToZeroTimeout"]) == (2, 3, None)


@pytest.mark.usefixtures("client_at_emulator")
def test_a_hold_with_a_minimum_clears_the_stored_timeout(
    api: HfApi, control: httpx.Client, emulator: Emulator, clock: ManualClock, tmp_path: Path
) -> None:
    """Hold path, through `hfwarden hold`'s own operation and the next pass."""
    from hfwarden.app.ops.holds import HoldRequest, place_hold

    create(api, "chat", min_replica=0, max_replica=2, scale_to_zero_timeout=15)
    advance(control, 70)
    settings = settings_for(emulator, tmp_path)
    config = config_from(tmp_path, "version: 1\ntimezone: UTC\nendpoints:\n  - {namespace: acme, name: chat}\n")
    with daemon_life(settings, config, emulator, clock, attempts=2) as reconciler:
        reconciler.run_pass()
        place_hold(settings, config, HoldRequest("acme/chat", "12:00", min_replicas=1, max_replicas=2), clock=clock)
        report = reconciler.run_pass()
    assert report.failed == {}
    assert "acme/chat" in report.acted
    scaling = scaling_of(api, "chat")
    assert (scaling["minReplica"], scaling["scaleToZeroTimeout"]) == (1, None)


def test_api_call_and_quota_metrics() -> None:
    from prometheus_client import generate_latest

    from hfwarden.metrics import Metrics

    metrics = Metrics()
    assert b"hfwarden_api_quota_remaining -1.0" in generate_latest(metrics.registry)
    metrics.observe_call("pause", "200")
    metrics.observe_call("list", "429")
    metrics.watch_quota(lambda: 42)
    text = generate_latest(metrics.registry)
    assert b'hfwarden_api_calls_total{kind="pause"} 1.0' in text
    assert b'hfwarden_api_calls_total{kind="list"} 1.0' in text
    assert b"hfwarden_api_quota_remaining 42.0" in text


def test_an_enforced_rule_naming_a_timeout_and_a_minimum_does_not_resend_it_every_tick() -> None:
    from hfwarden.core.decide import steps_towards
    from hfwarden.core.endpoints import Observation
    from hfwarden.core.rules import Action, ActionKind

    at_one = Observation(
        namespace="acme",
        name="chat",
        state="running",
        ready_replicas=1,
        target_replicas=1,
        min_replica=1,
        max_replica=2,
        scale_to_zero_timeout=None,
        instance="aws/us-east-1/nvidia-l4/x1",
        updated_at=datetime(2026, 1, 5, tzinfo=UTC),
    )
    assert steps_towards(Action(ActionKind.SCALE, 1, 2, scale_to_zero_timeout=15), at_one) == ()


RESUMED_INTO_A_STOP = """
version: 1
timezone: UTC
pricing:
  aws/us-east-1/nvidia-l4/x1: 1.0
endpoints:
  - namespace: acme
    name: dear
    schedule:
      - {cron: "1 8 * * *", action: resume}
budgets:
  - name: acme-prod
    daily_usd: 10
    scope: {namespace: acme}
    steps:
      - {at: 1.0, action: pause}
"""


@pytest.mark.usefixtures("client_at_emulator")
def test_a_scheduled_resume_the_budget_pauses_in_the_same_pass_is_not_sent(
    emulator: Emulator, api: HfApi, control: httpx.Client, clock: ManualClock, tmp_path: Path, state_url: str
) -> None:
    """The guard decides from what the schedule's calls would bring: a resume it would pause at once is
    withheld, not sent before (or after) the pause, and the endpoint stays paused."""
    from hfwarden.adapters.store import Store
    from hfwarden.app.reconcile.reconciler import Reconciler
    from hfwarden.config import load_config

    create(api, "dear", min_replica=1, max_replica=1)
    api.pause_inference_endpoint("dear", namespace="acme")
    advance(control, 70)
    clock.set(datetime(2026, 1, 5, 8, 2, tzinfo=UTC))
    (tmp_path / "s.yaml").write_text(RESUMED_INTO_A_STOP)
    store = Store(state_url)
    hub = Hub(DEFAULT_TOKEN, retry=RetryPolicy(max_attempts=1), hub_url=emulator.base_url)
    warden = Reconciler(config=load_config([tmp_path / "s.yaml"]), hub=hub, store=store, clock=clock, max_concurrency=4)
    try:
        control.delete("/_emulator/requests")
        report = warden.run_pass()
        calls = [r for r in control.get("/_emulator/requests").json()["requests"] if r["method"] != "GET"]
        second = warden.run_pass()
    finally:
        warden.close()
        store.close()
    assert [r["path"].rsplit("/", 1)[-1] for r in calls] == []
    assert api.get_inference_endpoint("dear", namespace="acme").status == "paused"
    assert "acme/dear" in report.latched
    assert second.acted == []


def test_only_a_pause_undoes_the_schedules_calls_in_its_pass() -> None:
    """Pure rule behind the test above: a scale-to-zero stop keeps the schedule's resume (its endpoint
    must wake on traffic), and the pause of an endpoint the listing shows running is still sent."""
    from hfwarden.core.decide import Decision, Verdict
    from hfwarden.core.endpoints import Observation
    from hfwarden.core.expected import undone_by_pauses
    from hfwarden.core.steps import Step, StepKind

    def seen(name: str, state: str) -> Observation:
        return Observation(
            namespace="acme",
            name=name,
            state=state,
            ready_replicas=0,
            target_replicas=0,
            min_replica=0,
            max_replica=1,
            scale_to_zero_timeout=None,
            instance="aws/us-east-1/nvidia-l4/x1",
            updated_at=datetime(2026, 1, 5, tzinfo=UTC),
        )

    def wants(name: str, kind: StepKind) -> Decision:
        return Decision(f"acme/{name}", Verdict.ACT, "test", steps=(Step(kind),))

    obs = {"acme/a": seen("a", "paused"), "acme/b": seen("b", "paused"), "acme/c": seen("c", "running")}
    scheduled = [wants("a", StepKind.RESUME), wants("b", StepKind.RESUME), wants("c", StepKind.UPDATE)]
    stops = [wants("a", StepKind.PAUSE), wants("b", StepKind.SCALE_TO_ZERO), wants("c", StepKind.PAUSE)]
    kept, needed, withheld = undone_by_pauses(scheduled, stops, obs)
    assert [d.endpoint for d in kept] == ["acme/b"]
    assert [d.endpoint for d in needed] == ["acme/b", "acme/c"]
    assert [d.endpoint for d in withheld] == ["acme/a", "acme/c"]
