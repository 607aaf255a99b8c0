"""The status page in a real browser (headless Chromium): the daemon runs against the emulator, and the
test reads what a person sees. `.ci/run` installs Chromium and its driver; elsewhere the tests skip
with the reason, unless HFWARDEN_REQUIRE_BROWSER is set (CI), where a missing browser fails them.
A failing test leaves a screenshot in its temporary directory."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hfwarden.core.formats import dollars as usd
from tests.support.browser import Browser, chromium, find_browser
from tests.support.page_world import UI_TOKEN, World, page_world

NOW_LINE = """
const line = document.querySelector('[data-endpoint="acme/chat"] .now');
const track = document.querySelector('[data-endpoint="acme/chat"] .scheduled .track');
if (!line || !track) return null;
const a = line.getBoundingClientRect(), t = track.getBoundingClientRect();
return (a.left + a.width / 2 - t.left) / t.width;
"""


@pytest.fixture
def browser() -> Iterator[Browser]:
    if find_browser() is None:
        reason = "chromium and chromedriver are not installed (apt-get install chromium chromium-driver; .ci/run does)"
        if os.environ.get("HFWARDEN_REQUIRE_BROWSER"):
            pytest.fail(reason)
        pytest.skip(reason)
    with chromium() as session:
        yield session


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with page_world(tmp_path) as running:
        yield running


@contextlib.contextmanager
def screenshot_on_failure(browser: Browser, directory: Path) -> Iterator[None]:
    try:
        yield
    except BaseException:
        shot = browser.screenshot(directory / "page-at-failure.png")
        print(f"screenshot of the page at the failure: {shot}")
        raise


def test_the_budget_bar_shows_the_status_numbers(world: World, browser: Browser, tmp_path: Path) -> None:
    with screenshot_on_failure(browser, tmp_path):
        browser.open(world.base_url + "/")
        (budget,) = httpx.get(world.base_url + "/api/v1/status").json()["budgets"]
        card = browser.find('[data-budget="prod"]')
        for field in ("daily_usd", "spent_usd", "projected_usd", "headroom_usd"):
            assert browser.text(browser.find(f'[data-field="{field}"]', within=card)) == usd(budget[field])
        assert browser.text(browser.find(".guard", within=card)) == "over: paused 1"
        # The bar itself: projected against the daily budget, drawn to scale.
        bar = browser.rect(browser.find(".bar", within=card))
        projected = browser.rect(browser.find(".bar-projected", within=card))
        scale = max(budget["daily_usd"], budget["projected_usd"], budget["spent_usd"])
        assert projected["width"] == pytest.approx(bar["width"] * budget["projected_usd"] / scale, abs=1.5)


def test_an_endpoint_paused_by_the_guard_shows_its_latch_and_reason(
    world: World, browser: Browser, tmp_path: Path
) -> None:
    with screenshot_on_failure(browser, tmp_path):
        browser.open(world.base_url + "/")
        batch = browser.find('[data-endpoint="acme/batch"]')
        badge = browser.find(".badge.latch", within=batch)
        assert browser.displayed(badge)
        assert browser.text(badge) == "latched: pause by budget prod"
        reason = browser.text(browser.find(".latch-reason", within=batch))
        assert reason.startswith("budget prod: projected $47.70 passes the daily budget $20.00; held until")
        assert browser.text(browser.find(".state", within=batch)) == "paused"
        activity = browser.text(browser.find("#activity"))
        assert "the guard stopped acme/batch" in activity
        assert "budget prod: projected $47.70 passes the daily budget $20.00" in activity


def test_the_now_line_moves_when_the_page_refreshes_itself(world: World, browser: Browser, tmp_path: Path) -> None:
    with screenshot_on_failure(browser, tmp_path):
        browser.open(world.base_url + "/?refresh=2")
        before = browser.wait_for(NOW_LINE)
        assert before == pytest.approx(9 / 24, abs=0.01)  # 09:00 in Paris
        browser.type(browser.find("#filter"), "chat")
        assert not browser.displayed(browser.find('[data-endpoint="acme/batch"]'))
        world.advance(2 * 3600)
        # No reload from here: the page's own refresh brings the new "now".
        after = _moved(browser, before)
        assert after - before == pytest.approx(2 / 24, abs=0.01)
        assert f"{world.clock.now():%Y-%m-%d %H:%M:%S} UTC" in browser.text(browser.find("header.top"))
        # What was typed in the filter still applies to the refreshed list.
        assert browser.displayed(browser.find('[data-endpoint="acme/chat"]'))
        assert not browser.displayed(browser.find('[data-endpoint="acme/batch"]'))


def _moved(browser: Browser, before: float) -> float:
    return float(browser.wait_for(f"const x = (() => {{{NOW_LINE}}})(); return x > {before} + 0.01 ? x : null;"))


def test_the_page_fits_a_phone(world: World, browser: Browser, tmp_path: Path) -> None:
    with screenshot_on_failure(browser, tmp_path):
        browser.resize(390, 844)
        browser.open(world.base_url + "/")
        assert browser.run("return document.documentElement.scrollWidth <= window.innerWidth + 1")
        assert browser.displayed(browser.find('[data-budget="prod"] .bar'))
        strip = browser.rect(browser.find('[data-endpoint="acme/chat"] .strip'))
        assert strip["x"] >= 0
        assert strip["x"] + strip["width"] <= 390


def test_a_hold_button_pressed_in_chromium_places_a_hold(browser: Browser, tmp_path: Path) -> None:
    """Issue 22: with a UI token the page has hold buttons; pressing one asks for the token once and
    places the hold through the write API (the token is never in the page)."""
    with page_world(tmp_path, ui_token=UI_TOKEN) as world, screenshot_on_failure(browser, tmp_path):
        host = world.base_url.removeprefix("http://")
        browser.open(f"http://hfwarden:{UI_TOKEN}@{host}/")
        button = browser.find('[data-write-endpoint="acme/chat"] button[data-write="hold"][data-until="1h"]')
        browser.click(button)
        browser.answer_prompt(UI_TOKEN)
        result = browser.wait_for(
            "const r = document.querySelector('[data-write-endpoint=\"acme/chat\"] .write-result');"
            "return r && r.getAttribute('data-ok') ? r.textContent : null;"
        )
        assert "keeps acme/chat running" in result, result
        hold = world.daemon.store.holds()["acme/chat"]
        assert (hold.source, hold.state.value) == ("api", "running")
        assert UI_TOKEN not in browser.run("return document.documentElement.outerHTML;")
