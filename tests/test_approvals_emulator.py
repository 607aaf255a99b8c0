"""People in the loop against the emulator (issue 22): ladder steps with `approve:` act on approval, or
when the time runs out per `otherwise`; with `notice:` when the notice runs out, or at once when the
day's spent amount passes the budget first; a schedule's notice goes out once per stop."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from huggingface_hub import HfApi
from sqlalchemy import select

from hfwarden.adapters.store import Store
from hfwarden.adapters.store.tables import alert_marks
from hfwarden.app.ops.actions import ActionDesk
from hfwarden.app.reconcile.reconciler import Reconciler
from hfwarden.clock import ManualClock
from hfwarden.core.action_tokens import GrantKind
from hfwarden.core.alerts import Alert, AlertKind
from hfwarden.core.offers import ActionLinks
from hfwarden.settings import Settings
from tests.conftest import Factory
from tests.support.helpers import advance, create

pytestmark = pytest.mark.usefixtures("client_at_emulator")

SECRET = "approval-secret-0123456789abcdef"
LADDER = """
version: 1
timezone: UTC
endpoints:
  - {namespace: acme, name: worker}
budgets:
  - name: acme-prod
    daily_usd: 50
    scope: {namespace: acme}
    steps:
      - {at: 1.2, action: pause, %s}
alerts:  # nobody delivers in these tests: the outbox keeps what would be sent
  webhooks:
    - {name: hook, url: "http://127.0.0.1:9/hook", secret: "hook-secret-0123456789"}
"""


def state_of(api: HfApi) -> str:
    return str(api.get_inference_endpoint("worker", namespace="acme").status)


def started(api: HfApi, control: httpx.Client, warden: Factory, gate: str, replicas: int = 6) -> Reconciler:
    """acme/worker at `replicas` x $0.80/h from 08:02: 16 h left projects past 120 % of $50."""
    create(api, "worker", min_replica=replicas, max_replica=replicas)
    advance(control, 120)
    reconciler = warden(LADDER % gate)
    reconciler.actor.links = ActionLinks("https://warden.example.com", SECRET)
    return reconciler


def announced(reconciler: Reconciler) -> Alert:
    report = reconciler.run_pass()
    assert report.stopped == []
    (alert,) = [a for a in report.alerts if a.kind == AlertKind.UPCOMING_STOP]
    assert alert.budget == "acme-prod"
    assert "acme/worker" in alert.message
    return alert


def offered(reconciler: Reconciler) -> dict[str, str]:
    """The choices of the `upcoming_stop` as written for the sinks: label -> signed token."""
    items = reconciler.store.due_alerts(datetime(2100, 1, 1, tzinfo=UTC))
    documents = [json.loads(item.payload) for item in items]
    (notice,) = [d["notice"] for d in documents if d["kind"] == "upcoming_stop"]
    return {c["label"]: c["url"].rsplit("/", 1)[1] for c in notice["choices"]}


def desk_for(reconciler: Reconciler, clock: ManualClock, tmp_path: Path) -> ActionDesk:
    settings = Settings(action_secret=SECRET, state_dir=tmp_path / "unused")  # type: ignore[call-arg]
    return ActionDesk(settings, lambda: reconciler.config, reconciler.store, clock)


def decisions(store: Store) -> list[tuple[str, str]]:
    return [(e.action, e.reason) for e in store.audit_entries("budget:acme-prod")]


@pytest.mark.parametrize("decision", [GrantKind.APPROVE, GrantKind.SKIP])
def test_an_approval_step_waits_and_acts_on_approval_or_skips(
    api: HfApi, control: httpx.Client, clock: ManualClock, warden: Factory, tmp_path: Path, decision: GrantKind
) -> None:
    reconciler = started(api, control, warden, "approve: {within: 15m, otherwise: act}")
    announced(reconciler)
    tokens = offered(reconciler)
    assert set(tokens) == {"Approve", "Skip"}
    advance(control, 300)
    assert reconciler.run_pass().stopped == []  # 08:07: still waiting for people
    assert state_of(api) == "running"
    token = tokens["Approve" if decision == GrantKind.APPROVE else "Skip"]
    desk = desk_for(reconciler, clock, tmp_path)
    result = desk.redeem(token, source="slack", by="@maria")
    assert result.status == 200, result.message
    assert desk.redeem(token, source="slack", by="@maria").status == 410  # once
    advance(control, 60)
    report = reconciler.run_pass()
    if decision == GrantKind.APPROVE:
        assert report.stopped == ["acme/worker"]
        assert ("step 1 taken", "approved by slack @maria") in decisions(reconciler.store)
    else:
        assert report.stopped == []
        assert ("step 1 skipped", "skipped by slack @maria") in decisions(reconciler.store)
        advance(control, 1200)  # past the wait: a skipped step stays skipped
        assert reconciler.run_pass().stopped == []
        assert state_of(api) == "running"
    assert any(action == "approve" or action == "skip" for action, _ in decisions(reconciler.store))


@pytest.mark.parametrize(("otherwise", "stops"), [("act", True), ("skip", False)])
def test_with_no_answer_the_step_follows_otherwise(
    api: HfApi, control: httpx.Client, warden: Factory, otherwise: str, stops: bool
) -> None:
    reconciler = started(api, control, warden, f"approve: {{within: 15m, otherwise: {otherwise}}}")
    announced(reconciler)
    advance(control, 14 * 60)
    assert reconciler.run_pass().stopped == []
    advance(control, 2 * 60)  # 08:18: the 15 minutes ran out
    report = reconciler.run_pass()
    assert (report.stopped == ["acme/worker"]) is stops
    verdict = "step 1 taken" if stops else "step 1 skipped"
    assert any(a == verdict and "no answer" in r for a, r in decisions(reconciler.store))


def test_a_notice_step_acts_when_its_notice_runs_out(api: HfApi, control: httpx.Client, warden: Factory) -> None:
    reconciler = started(api, control, warden, "notice: 15m")
    alert = announced(reconciler)
    assert "unless spent passes the budget first" in alert.message
    advance(control, 10 * 60)
    assert reconciler.run_pass().stopped == []
    advance(control, 6 * 60)
    assert reconciler.run_pass().stopped == ["acme/worker"]
    assert any(a == "step 1 taken" and "ran out" in r for a, r in decisions(reconciler.store))


def test_a_notice_step_acts_at_once_when_spent_passes_the_budget(
    api: HfApi, control: httpx.Client, warden: Factory
) -> None:
    reconciler = started(api, control, warden, "notice: 12h", replicas=10)
    announced(reconciler)
    for _ in range(9):  # an hour at a time: $8/h spends $50 in 6 h 15 min, long before 12 h
        advance(control, 3600)
        report = reconciler.run_pass()
        if report.stopped:
            break
    assert report.stopped == ["acme/worker"]
    assert any(a == "step 1 taken" and "passed the budget" in r for a, r in decisions(reconciler.store))


NOTICED = """
version: 1
timezone: UTC
notice: 15m
endpoints:
  - namespace: acme
    name: chat
    schedule:
      - {cron: "0 9 * * *", action: pause}
      - {cron: "0 18 * * *", action: resume}
"""


def notice_marks(store: Store) -> list[str]:
    with store.engine.connect() as conn:
        keys = conn.execute(select(alert_marks.c.dedupe_key)).scalars().all()
    return [k for k in keys if k.startswith("upcoming_stop|")]


def test_one_notice_per_stop_across_restarts_and_none_for_a_stop_caught_up(
    api: HfApi, control: httpx.Client, warden: Factory
) -> None:
    create(api, "chat", min_replica=1, max_replica=1)
    advance(control, 46 * 60)  # 08:46
    first = warden(NOTICED)
    assert [a.kind for a in first.run_pass().alerts if a.kind == AlertKind.UPCOMING_STOP] == ["upcoming_stop"]
    advance(control, 4 * 60)
    second = warden(NOTICED)  # a restart at 08:50
    second.run_pass()
    assert len(notice_marks(second.store)) == 1
    advance(control, 15 * 60)  # 09:05: the pause is carried out, with no notice of its own
    third = warden(NOTICED)
    report = third.run_pass()
    assert report.acted == ["acme/chat"]
    assert [a for a in report.alerts if a.kind == AlertKind.UPCOMING_STOP] == []
    assert len(notice_marks(third.store)) == 1
