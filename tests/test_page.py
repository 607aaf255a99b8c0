"""The status page and /api/v1 over HTTP: the same numbers as `status --json`, read-only, behind the UI
token when one is set, self-contained; and the day strip they and `plan --html` share."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry
from starlette.testclient import TestClient

from hfwarden.adapters.prices import PriceBook
from hfwarden.adapters.store import Store
from hfwarden.adapters.store.proposals import Notes
from hfwarden.app.views.dayview import day_strip
from hfwarden.app.views.plan import DayPlan, plan_day, plan_document
from hfwarden.app.views.status import status_document
from hfwarden.clock import ManualClock
from hfwarden.config import Config, load_config
from hfwarden.core.cost import OpenSegment, Segment
from hfwarden.core.formats import dollars as usd
from hfwarden.core.learning import LearnMode, Proposal, ProposalStatus
from hfwarden.emulator.server import Emulator, SeedEndpoint
from hfwarden.settings import Settings
from hfwarden.web.app import PageSource, build_app
from hfwarden.web.probes import Liveness
from tests.conftest import START
from tests.support.page_world import TOKEN, UI_TOKEN, World, page_world
from tests.support.process import TOKEN as HF_TOKEN
from tests.support.process import Running, env_for


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with page_world(tmp_path) as running:
        yield running


@pytest.fixture
def guarded(tmp_path: Path) -> Iterator[World]:
    with page_world(tmp_path, ui_token=UI_TOKEN) as running:
        yield running


def text_of(html: str) -> str:
    """Roughly what a person reads: the markup without tags, scripts and styles."""
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", "", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_page_shows_the_status_documents_numbers(world: World) -> None:
    page = httpx.get(world.base_url + "/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-store"
    status = httpx.get(world.base_url + "/api/v1/status").json()
    assert status == json.loads(json.dumps(status_document(world.daemon.last_pass)))  # type: ignore[arg-type]
    (budget,) = status["budgets"]
    card = re.search(r'<article class="card budget" data-budget="prod".*?</article>', page.text, re.S)
    assert card is not None
    for field in ("daily_usd", "spent_usd", "projected_usd", "headroom_usd"):
        shown = re.search(rf'data-field="{field}" data-value="[^"]*">([^<]*)<', card.group(0))
        assert shown is not None, field
        assert shown.group(1) == usd(budget[field]), field
    assert "over: paused 1" in text_of(card.group(0))
    assert "3 endpoints: 2 billing now, 1 latched, 0 failing" in text_of(page.text)
    for row in status["endpoints"]:
        assert f'data-endpoint="{row["endpoint"]}"' in page.text


def test_an_endpoint_paused_by_the_guard_shows_its_latch_and_why(world: World) -> None:
    page = httpx.get(world.base_url + "/").text
    batch = re.search(r'<article class="card endpoint" data-endpoint="acme/batch".*?</article>', page, re.S)
    assert batch is not None
    shown = text_of(batch.group(0))
    assert "latched: pause by budget prod" in shown
    assert "budget prod: projected $47.70 passes the daily budget $20.00" in shown
    assert 'data-state="paused"' in batch.group(0)
    stray = re.search(r'data-endpoint="acme/stray".*?</article>', page, re.S)
    assert stray is not None
    assert "in no schedule" in text_of(stray.group(0))
    activity = text_of(page.split('id="activity"')[1])
    assert "Budget guard stopped endpoints" in activity
    assert "the guard stopped acme/batch" in activity


def test_the_now_line_moves_with_the_clock(world: World) -> None:
    def now_line() -> float:
        page = httpx.get(world.base_url + "/").text
        chat = page.split('data-endpoint="acme/chat"')[1]
        found = re.search(r'class="now" style="left:([0-9.]+)%"', chat)
        assert found is not None
        return float(found.group(1))

    before = now_line()
    world.advance(2 * 3600)
    assert now_line() - before == pytest.approx(100 * 2 / 24, abs=0.01)


def test_the_api_is_versioned_and_says_what_is_wrong(world: World) -> None:
    base = world.base_url
    index = httpx.get(base + "/api/v1").json()
    assert index["version"] == "v1"
    assert set(index["routes"]) == {
        "/api/v1/status",
        "/api/v1/plan?date=YYYY-MM-DD",
        "/api/v1/audit?limit=N",
        "/api/v1/proposals",
    }
    day = world.clock.now().date()
    plan = httpx.get(base + f"/api/v1/plan?date={day.isoformat()}").json()
    assert plan["date"] == day.isoformat()
    assert [(t["endpoint"], t["action"]) for t in plan["transitions"] if t["endpoint"] == "acme/chat"] == [
        ("acme/chat", "resume"),
        ("acme/chat", "scale_to_zero"),
    ]
    assert set(plan) == set(plan_document(_empty_plan()))
    for bad in ("2026-13-01", "tomorrow", "0001-01-01"):
        answer = httpx.get(base + "/api/v1/plan", params={"date": bad})
        assert answer.status_code == 400
        assert "date" in answer.json()["error"]
    audit = httpx.get(base + "/api/v1/audit?limit=2").json()
    assert audit["limit"] == 2
    assert len(audit["entries"]) == 2
    assert set(audit["entries"][0]) == {"at", "endpoint", "action", "reason", "result", "detail", "dry_run"}
    assert audit["entries"][0]["at"] >= audit["entries"][1]["at"]
    assert any(a["kind"] == "guard_action" for a in httpx.get(base + "/api/v1/audit").json()["alerts"])
    for bad in ("0", "-1", "abc", "1001"):
        assert httpx.get(base + f"/api/v1/audit?limit={bad}").status_code == 400


def _empty_plan() -> DayPlan:
    """A plan of nothing: its document has every key a plan document has."""
    prices = PriceBook(store=None, overrides={})
    return plan_day(Config(endpoints=(), sources=()), prices=prices, last_prices={}, day=None, now=START)


def test_nothing_mutates_and_no_secret_or_outside_url_shows(world: World) -> None:
    base = world.base_url
    for path in ("/", "/api/v1", "/api/v1/status", "/api/v1/plan", "/api/v1/audit", "/healthz", "/metrics", "/x"):
        for method in ("POST", "PUT", "PATCH", "DELETE", "OPTIONS"):
            assert httpx.request(method, base + path).status_code == 405, (method, path)
    page = httpx.get(base + "/").text
    for path in ("/", "/api/v1/status", "/api/v1/plan", "/api/v1/audit?limit=1000"):
        assert TOKEN not in httpx.get(base + path).text
    # Everything is in the page itself: no stylesheet, script or image from anywhere.
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assert "<link" not in page
    assert "<script src" not in page
    policy = httpx.get(base + "/").headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "script-src 'sha256-" in policy  # the page's own script, and no other


def test_the_ui_token_guards_the_page_and_api_but_not_probes(guarded: World) -> None:
    base = guarded.base_url
    for path in ("/", "/api/v1/status", "/api/v1/audit"):
        refused = httpx.get(base + path)
        assert refused.status_code == 401
        challenges = refused.headers.get_list("www-authenticate")
        assert any(c.startswith("Basic ") for c in challenges)
        assert any(c.startswith("Bearer ") for c in challenges)
        assert UI_TOKEN not in refused.text
        assert httpx.get(base + path, headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert httpx.get(base + path, auth=("anyone", "wrong")).status_code == 401
        assert httpx.get(base + path, headers={"Authorization": f"Bearer {UI_TOKEN}"}).status_code == 200
        assert httpx.get(base + path, auth=("anyone", UI_TOKEN)).status_code == 200
    for path in ("/healthz", "/readyz", "/metrics"):
        assert httpx.get(base + path).status_code == 200
    assert UI_TOKEN not in httpx.get(base + "/", auth=("me", UI_TOKEN)).text


def test_before_the_first_pass(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 's.db'}")
    config = load_config([_schedule(tmp_path)])
    clock = ManualClock(datetime(2026, 1, 5, 8, tzinfo=UTC))
    liveness = Liveness(tick_seconds=30, stale_after_seconds=120, started_at=0.0, config_loaded=True)
    app = build_app(liveness, CollectorRegistry(), store.ping, PageSource(lambda: None, lambda: config, store, clock))
    with TestClient(app) as client:
        assert "first pass has not completed" in client.get("/").text
        assert client.get("/api/v1/status").status_code == 503
        assert client.get("/api/v1/audit").json()["entries"] == []
    store.close()


def _schedule(tmp_path: Path) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(
        "version: 1\ntimezone: Europe/Paris\nendpoints:\n  - namespace: acme\n    name: chat\n    schedule:\n"
        '      - {window: "daily 09:00-18:00", during: {action: resume}, outside: {action: pause}}\n'
    )
    return path


def test_the_ui_token_can_come_from_a_file(tmp_path: Path) -> None:
    secret = tmp_path / "ui_token"
    secret.write_text(UI_TOKEN + "\n")
    settings = Settings(ui_token_file=secret)
    assert settings.ui_token_value() == UI_TOKEN
    assert UI_TOKEN not in repr(settings)
    assert UI_TOKEN in settings.secrets()  # masked in logs
    assert Settings().ui_token_value() is None
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(ValueError, match="is empty"):
        Settings(ui_token_file=tmp_path / "empty")


# -- the strip ---------------------------------------------------------------------------------------


def test_a_strip_on_a_23_hour_day_places_hours_and_transitions_where_they_fall(tmp_path: Path) -> None:
    schedule = load_config([_schedule(tmp_path)]).endpoints[0]
    spring_forward = date(2026, 3, 29)  # Paris: 02:00 becomes 03:00
    now = datetime(2026, 3, 29, 10, 0, tzinfo=UTC)  # 12:00 CEST
    strip = day_strip("acme/chat", schedule, day=spring_forward, now=now)
    assert (strip.end - strip.start) == timedelta(hours=23)
    assert [(s.kind, s.label) for s in strip.scheduled] == [("down", "paused"), ("up", "running"), ("down", "paused")]
    # 09:00 CEST is 8 hours into the 23-hour day (an hour went missing at 02:00), not 9/24 of it.
    assert strip.scheduled[1].start == pytest.approx(8 / 23)
    assert strip.now == pytest.approx(11 / 23)
    ticks = {m.label: m.position for m in strip.ticks}
    assert ticks["03"] == pytest.approx(2 / 23)
    assert ticks["12"] == pytest.approx(11 / 23)
    assert strip.next_transition is not None
    assert strip.next_transition.label == "18:00 paused"
    assert day_strip("acme/chat", schedule, day=date(2026, 3, 28), now=now).now is None


def test_observed_spans_clip_to_the_day_and_stop_at_the_last_observation(tmp_path: Path) -> None:
    now = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    segments = [
        Segment("ns/x", datetime(2026, 1, 4, 22, tzinfo=UTC), datetime(2026, 1, 5, 6, tzinfo=UTC), 2, 1.0),
        Segment("ns/x", datetime(2026, 1, 5, 6, tzinfo=UTC), datetime(2026, 1, 5, 9, tzinfo=UTC), 0, 1.0, gap=True),
    ]
    current = OpenSegment(
        "ns/x", datetime(2026, 1, 5, 9, tzinfo=UTC), datetime(2026, 1, 5, 11, tzinfo=UTC), "running", 1, 1.0
    )
    strip = day_strip("ns/x", None, day=None, now=now, segments=segments, current=current)
    assert [(round(s.start * 24, 3), round(s.end * 24, 3), s.kind) for s in strip.observed] == [
        (0, 6, "up"),
        (6, 9, "down gap"),
        (9, 11, "up"),
    ]
    assert strip.observed[2].label == "billed x1 (running)"
    assert [s.label for s in strip.scheduled] == ["not scheduled: left as it is"]


def test_plan_html_writes_the_day_view_without_a_daemon(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HFWARDEN_"))}
    env["HFWARDEN_STATE_DIR"] = str(tmp_path / "state")
    out = tmp_path / "plan.html"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "hfwarden",
            "plan",
            "--config",
            "schedules/office-hours.yaml",
            "--date",
            "2026-03-30",
            "--html",
            str(out),
            "--json",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["date"] == "2026-03-30"  # --json still prints only JSON
    assert f"wrote {out}" in result.stderr
    html = out.read_text()
    assert 'data-endpoint="acme/chat-llama"' in html
    assert 'data-endpoint="acme/embedder"' in html
    assert "08:55 running 1-4" in text_of(html)
    assert "18:00 paused" in text_of(html)
    assert "<script" not in html  # a file to look at: nothing refreshes, nothing runs
    assert not (tmp_path / "state").exists()  # no daemon, no state created


def test_the_daemon_process_reads_the_ui_token_from_a_file_and_never_logs_it(tmp_path: Path) -> None:
    secret = tmp_path / "ui_token"
    secret.write_text(UI_TOKEN)
    schedule = _schedule(tmp_path)
    seeds = [SeedEndpoint("acme", "chat", "aws/us-east-1/nvidia-l4/x1", "running")]
    with Emulator(tokens={HF_TOKEN: frozenset({"acme"})}, seeds=seeds) as emulator:
        daemon = Running(["--config", str(schedule)], env_for(emulator, tmp_path, HFWARDEN_UI_TOKEN_FILE=str(secret)))
        try:
            base = daemon.wait_for("daemon_started")["http"]
            assert httpx.get(base + "/").status_code == 401
            assert httpx.get(base + "/healthz").status_code in (200, 503)
            page = httpx.get(base + "/", auth=("me", UI_TOKEN))
            assert page.status_code == 200
            assert UI_TOKEN not in page.text
        finally:
            daemon.stop()
    assert UI_TOKEN not in "".join(daemon.lines)


def test_the_budget_card_names_the_ladder_step_in_force() -> None:
    from zoneinfo import ZoneInfo

    from hfwarden.app.views.overview import guard_of
    from hfwarden.core.budget import Budget

    budget = Budget("prod", 100.0, ZoneInfo("UTC"))
    figures = {"projected_usd": 130.0, "daily_usd": 100.0, "step": {"step": 2, "action": "cap", "at": 1.2}}
    assert guard_of(budget, figures, []).step == "2: cap at 120%"
    assert guard_of(budget, {**figures, "step": None}, []).step is None


def test_the_page_lists_open_proposals(world: World) -> None:
    figures = {
        "saving_per_week_usd": 12.5,
        "failed_pct_before": 0.0,
        "failed_pct_after": 0.1,
        "tested_from": "2026-11-02T00:00:00+00:00",
        "tested_to": "2026-11-16T00:00:00+00:00",
        "diff": "",
    }
    open_one = Proposal(0, "acme/chat", 0, world.clock.now(), ProposalStatus.OPEN, LearnMode.ADVISE,
                        "version: 1\n", "f" * 64, figures)  # fmt: skip
    stored = world.daemon.store.add_proposal(open_one, Notes())
    page = text_of(httpx.get(world.base_url + "/").text)
    assert "Schedule proposals (1)" in page
    assert "saves $12.50 per week" in page
    assert "forecast error (7 days)" in page
    assert "hfwarden adopt acme/chat" in page
    listed = httpx.get(world.base_url + "/api/v1/proposals").json()
    assert [(p["id"], p["endpoint"], p["status"]) for p in listed] == [(stored.id, "acme/chat", "open")]
