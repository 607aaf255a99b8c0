"""The reconciler against the emulator over real HTTP, on one manual clock shared by both."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from huggingface_hub import HfApi

from hfwarden.adapters.hub import Hub, RetryPolicy
from hfwarden.adapters.store import Store
from hfwarden.app.reconcile.reconciler import Reconciler
from hfwarden.clock import ManualClock
from hfwarden.config import load_config
from hfwarden.emulator.server import DEFAULT_TOKEN, Emulator
from tests.support.helpers import advance, create

# Monday 2026-01-05 08:50 Paris time.
START = datetime(2026, 1, 5, 7, 50, tzinfo=UTC)

SCHEDULE = """
version: 1
timezone: Europe/Paris
endpoints:
  - namespace: acme
    name: chat
    enforce: {enforce}
    schedule:
      - {{cron: "55 8 * * 1-5", action: resume, min_replicas: 1, max_replicas: 2}}
      - {{cron: "0 18 * * 1-5", action: pause}}
"""

MUTATING = ("/pause", "/resume", "/scale-to-zero")


pytestmark = pytest.mark.usefixtures("client_at_emulator")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path / 'state.db'}")
    yield s
    s.close()


ReconcilerFactory = Callable[..., Reconciler]


@pytest.fixture
def make_reconciler(
    tmp_path: Path, emulator: Emulator, store: Store, clock: ManualClock
) -> Iterator[ReconcilerFactory]:
    made: list[Reconciler] = []

    def factory(*, enforce: bool = False, dry_run: bool = False, text: str | None = None) -> Reconciler:
        path = tmp_path / "schedule.yaml"
        path.write_text(textwrap.dedent(text) if text else SCHEDULE.format(enforce=str(enforce).lower()))
        hub = Hub(
            DEFAULT_TOKEN,
            retry=RetryPolicy(max_attempts=4, base_seconds=0.01, max_seconds=0.05),
            hub_url=emulator.base_url,
        )
        reconciler = Reconciler(config=load_config([path]), hub=hub, store=store, clock=clock, dry_run=dry_run)
        made.append(reconciler)
        return reconciler

    yield factory
    for r in made:
        r.close()


def states(api: HfApi) -> dict[str, str]:
    return {e.name: e.status for e in api.list_inference_endpoints(namespace="acme")}


def mutating_calls(control: httpx.Client) -> list[str]:
    calls = control.get("/_emulator/requests").json()["requests"]
    return [c["path"] for c in calls if c["method"] in ("POST", "PUT") and c["path"] != "/v2/endpoint/acme"]


def at_paris(control: httpx.Client, clock: ManualClock, hour: int, minute: int, day: int = 5) -> None:
    target = datetime(2026, 1, day, hour - 1, minute, tzinfo=UTC)
    advance(control, (target - clock.now()).total_seconds())


def test_fire_time_applies_the_transition_once(
    api: HfApi, control: httpx.Client, clock: ManualClock, make_reconciler: ReconcilerFactory
) -> None:
    create(api, "chat", min_replica=1, max_replica=2)
    advance(control, 70)
    reconciler = make_reconciler()
    # 08:51: the latest transition is last Friday's 18:00 pause, never applied: catch it up.
    report = reconciler.run_pass()
    assert report.acted == ["acme/chat"]
    assert states(api)["chat"] == "paused"
    control.delete("/_emulator/requests")
    at_paris(control, clock, 8, 55)
    report = reconciler.run_pass()
    assert report.acted == ["acme/chat"]
    # The resume, then the rule's max of 2 (a resume leaves 1 and 1, as HF's docs say).
    resumed = ["/v2/endpoint/acme/chat/resume", "/v2/endpoint/acme/chat"]
    assert mutating_calls(control) == resumed
    report = reconciler.run_pass()
    assert report.acted == []
    assert mutating_calls(control) == resumed


def test_catch_up_after_a_restart_neither_repeats_nor_loses(
    api: HfApi, control: httpx.Client, clock: ManualClock, make_reconciler: ReconcilerFactory, store: Store
) -> None:
    create(api, "chat", min_replica=1, max_replica=2)
    advance(control, 70)
    make_reconciler().run_pass()  # first life: applies Friday's pause
    # hfwarden is down from 08:51 to 09:30: the 08:55 resume fires while nobody watches.
    at_paris(control, clock, 9, 30)
    control.delete("/_emulator/requests")
    second_life = make_reconciler()
    assert second_life.run_pass().acted == ["acme/chat"]
    resumed = ["/v2/endpoint/acme/chat/resume", "/v2/endpoint/acme/chat"]  # then max 2: a resume leaves 1 and 1
    assert mutating_calls(control) == resumed
    # And a third life right after repeats nothing.
    assert make_reconciler().run_pass().acted == []
    assert mutating_calls(control) == resumed
    actions = [(e.endpoint, e.action, e.result) for e in store.audit_entries()]
    assert actions == [("acme/chat", "pause", "ok"), ("acme/chat", "resume(min=1, max=2)", "ok")]


def test_a_human_resume_is_respected_without_enforce(
    api: HfApi, control: httpx.Client, clock: ManualClock, make_reconciler: ReconcilerFactory
) -> None:
    create(api, "chat")
    advance(control, 70)
    reconciler = make_reconciler(enforce=False)
    at_paris(control, clock, 18, 1)
    reconciler.run_pass()
    assert states(api)["chat"] == "paused"
    api.resume_inference_endpoint("chat", namespace="acme")  # a human, debugging
    advance(control, 600)
    assert reconciler.run_pass().acted == []
    assert states(api)["chat"] == "running"


def test_a_human_resume_is_undone_with_enforce(
    api: HfApi, control: httpx.Client, clock: ManualClock, make_reconciler: ReconcilerFactory
) -> None:
    create(api, "chat")
    advance(control, 70)
    reconciler = make_reconciler(enforce=True)
    at_paris(control, clock, 18, 1)
    reconciler.run_pass()
    api.resume_inference_endpoint("chat", namespace="acme")
    advance(control, 5)
    assert reconciler.run_pass().waiting == ["acme/chat"]  # pending: wait for a stable state
    advance(control, 120)
    assert reconciler.run_pass().acted == ["acme/chat"]
    assert states(api)["chat"] == "paused"


def test_retries_through_injected_5xx(
    api: HfApi, control: httpx.Client, clock: ManualClock, make_reconciler: ReconcilerFactory, store: Store
) -> None:
    create(api, "chat")
    advance(control, 70)
    at_paris(control, clock, 18, 1)
    control.post("/_emulator/faults", json={"fail_next": 3, "error_status": 503})
    report = make_reconciler().run_pass()
    assert report.ok
    assert report.acted == ["acme/chat"]
    statuses = [c["status"] for c in control.get("/_emulator/requests").json()["requests"]]
    assert statuses.count(503) == 3
    assert states(api)["chat"] == "paused"


def test_retries_through_dropped_connections(
    api: HfApi, control: httpx.Client, clock: ManualClock, make_reconciler: ReconcilerFactory
) -> None:
    create(api, "chat")
    advance(control, 70)
    at_paris(control, clock, 18, 1)
    control.post("/_emulator/faults", json={"drop_next": 2, "match": "/pause"})
    report = make_reconciler().run_pass()
    assert report.ok
    assert states(api)["chat"] == "paused"


def test_a_rate_limit_is_paced_within_the_reported_quota_not_sprayed_into_429s(
    api: HfApi, control: httpx.Client, clock: ManualClock, make_reconciler: ReconcilerFactory
) -> None:
    create(api, "chat")
    advance(control, 70)
    at_paris(control, clock, 18, 1)
    control.delete("/_emulator/requests")
    control.post("/_emulator/faults", json={"rate_limit": {"limit": 1, "window_s": 1}})
    report = make_reconciler().run_pass()
    assert report.ok
    calls = control.get("/_emulator/requests").json()["requests"]
    # The list's answer said 0 calls left in this window: the pause waits for the next one (issue 19).
    assert 429 not in [c["status"] for c in calls]
    assert calls[-1]["path"] == "/v2/endpoint/acme/chat/pause"
    assert calls[-1]["status"] == 200


def test_retries_are_bounded_then_recorded_as_failed(
    api: HfApi, control: httpx.Client, clock: ManualClock, make_reconciler: ReconcilerFactory, store: Store
) -> None:
    create(api, "chat")
    advance(control, 70)
    at_paris(control, clock, 18, 1)
    reconciler = make_reconciler()
    control.post("/_emulator/faults", json={"fail_next": 1})  # the list call
    reconciler_report = reconciler.run_pass()
    assert reconciler_report.acted == ["acme/chat"]  # one retry covers the list
    api.resume_inference_endpoint("chat", namespace="acme")
    advance(control, 120)
    reconciler2 = make_reconciler(enforce=True)
    control.post("/_emulator/faults", json={"fail_next": 4, "error_status": 500, "match": "/pause"})
    report = reconciler2.run_pass()
    assert "acme/chat" in report.failed
    assert not report.ok
    assert store.audit_entries()[-1].result == "failed"
    assert "HTTP 500" in store.audit_entries()[-1].detail
    # The failure is not final: the next pass tries again and converges.
    assert reconciler2.run_pass().acted == ["acme/chat"]


def test_a_missing_endpoint_is_a_clear_error_and_others_go_on(
    api: HfApi, control: httpx.Client, clock: ManualClock, make_reconciler: ReconcilerFactory
) -> None:
    create(api, "chat")
    advance(control, 70)
    at_paris(control, clock, 18, 1)
    reconciler = make_reconciler(
        text="""
        version: 1
        timezone: Europe/Paris
        endpoints:
          - namespace: acme
            name: ghost
            schedule: [{cron: "0 18 * * 1-5", action: pause}]
          - namespace: acme
            name: chat
            schedule: [{cron: "0 18 * * 1-5", action: pause}]
        """
    )
    report = reconciler.run_pass()
    assert report.failed == {"acme/ghost": "endpoint not found in its namespace"}
    assert report.acted == ["acme/chat"]
    assert states(api)["chat"] == "paused"


def test_an_unreachable_namespace_fails_its_endpoints_only(
    api: HfApi, emulator: Emulator, control: httpx.Client, clock: ManualClock, store: Store, tmp_path: Path
) -> None:
    create(api, "chat")
    advance(control, 70)
    at_paris(control, clock, 18, 1)
    path = tmp_path / "s.yaml"
    path.write_text(
        "version: 1\ntimezone: Europe/Paris\nendpoints:\n"
        "  - {namespace: acme, name: chat, schedule: [{cron: '0 18 * * 1-5', action: pause}]}\n"
        "  - {namespace: forbidden, name: x, schedule: [{cron: '0 18 * * 1-5', action: pause}]}\n"
    )
    hub = Hub("hf_acme_only", retry=RetryPolicy(max_attempts=2, base_seconds=0.01), hub_url=emulator.base_url)
    reconciler = Reconciler(config=load_config([path]), hub=hub, store=store, clock=clock)
    report = reconciler.run_pass()
    reconciler.close()
    assert report.acted == ["acme/chat"]
    assert "HTTP 401" in report.failed["forbidden/x"]


def test_dry_run_calls_nothing_that_mutates(
    api: HfApi, control: httpx.Client, clock: ManualClock, make_reconciler: ReconcilerFactory, store: Store
) -> None:
    create(api, "chat")
    advance(control, 70)
    at_paris(control, clock, 18, 1)
    control.delete("/_emulator/requests")
    reconciler = make_reconciler(dry_run=True)
    reconciler.run_pass()
    reconciler.run_pass()
    assert mutating_calls(control) == []
    methods = {c["method"] for c in control.get("/_emulator/requests").json()["requests"]}
    assert methods == {"GET"}
    assert states(api)["chat"] == "running"
    entries = store.audit_entries()
    assert [(e.action, e.result, e.dry_run) for e in entries] == [("pause", "dry-run", True)]
    assert store.last_applied() == {}  # a later real run still applies it


def test_resume_from_paused_then_its_sizes(
    api: HfApi, control: httpx.Client, clock: ManualClock, make_reconciler: ReconcilerFactory
) -> None:
    """HF's docs: a resume sets min & max replicas to 1, so the rule's sizes go in a PUT after it (issue 19)."""
    create(api, "chat", min_replica=1, max_replica=1)
    advance(control, 70)
    api.pause_inference_endpoint("chat", namespace="acme")
    at_paris(control, clock, 8, 56)
    control.delete("/_emulator/requests")
    assert make_reconciler().run_pass().acted == ["acme/chat"]
    assert mutating_calls(control) == ["/v2/endpoint/acme/chat/resume", "/v2/endpoint/acme/chat"]
    raw = api.get_inference_endpoint("chat", namespace="acme").raw
    assert raw["compute"]["scaling"]["maxReplica"] == 2
    assert raw["status"]["state"] == "pending"


def test_dry_run_counts_no_action_for_an_already_applied_state(
    api: HfApi, control: httpx.Client, clock: ManualClock, emulator: Emulator, store: Store, tmp_path: Path
) -> None:
    create(api, "chat")
    advance(control, 70)
    api.pause_inference_endpoint("chat", namespace="acme")
    at_paris(control, clock, 18, 1)
    path = tmp_path / "schedule.yaml"
    path.write_text(SCHEDULE.format(enforce="false"))
    counted: list[tuple[str, str]] = []
    hub = Hub(DEFAULT_TOKEN, retry=RetryPolicy(max_attempts=2, base_seconds=0.01, max_seconds=0.05))
    reconciler = Reconciler(
        config=load_config([path]),
        hub=hub,
        store=store,
        clock=clock,
        dry_run=True,
        on_action=lambda kind, result: counted.append((kind, result)),
    )
    try:
        for _ in range(3):
            assert reconciler.run_pass().satisfied == ["acme/chat"]
    finally:
        reconciler.close()
    assert counted == []  # a dry run counts nothing in hfwarden_actions_total
    assert store.audit_entries() == []
    assert store.last_applied() == {}
