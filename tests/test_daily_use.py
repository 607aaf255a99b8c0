"""Daily use, round two: bad flags refused before any work, no tracebacks, times that name their
zone, quotes that say what will happen. Process-level where the exit code and stderr are the contract."""

from __future__ import annotations

import http.server
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hfwarden.app.views.overview import _alert_item
from hfwarden.commands import probe_host
from hfwarden.config import load_config
from hfwarden.core.formats import moment, signed_dollars
from hfwarden.core.holds import hold_until
from hfwarden.core.records import Hold, HoldState
from hfwarden.core.release import after_release

ROOT = Path(__file__).resolve().parent.parent
PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hfwarden", *args], capture_output=True, text=True, cwd=ROOT, env=env, check=False
    )


@pytest.mark.parametrize(
    "args",
    [
        ("plan", "--html", "/nonexistent/x.html"),
        ("backtest", "--trace", "t.csv", "--endpoint", "a/b", "--capacity-rpm", "1", "--report", "/nonexistent/r.html"),
        ("recommend", "--trace", "t.csv", "--endpoint", "a/b", "--capacity-rpm", "1", "--max-delayed-pct", "-5"),
        ("recommend", "--trace", "t.csv", "--endpoint", "a/b", "--capacity-rpm", "1", "--max-delayed-pct", "nan"),
        ("recommend", "--trace", "t.csv", "--endpoint", "a/b", "--capacity-rpm", "1", "--max-replicas", "0"),
        ("sandbox", "--seconds", "-5"),
        ("sandbox", "--seconds", "inf"),
    ],
    ids=["plan-html", "backtest-report", "delayed-negative", "delayed-nan", "replicas-0", "seconds-negative", "inf"],
)
def test_bad_flags_are_one_line_and_exit_2_before_any_work(args: tuple[str, ...]) -> None:
    result = run(*args)
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    """`status --json | head -1` ended in a BrokenPipeError traceback; `plan --json` takes the same path.
    Many endpoints, so that the document is larger than a pipe's buffer: the write meets the closed pipe."""
    many = tmp_path / "many.yaml"
    entries = "".join(
        f"  - namespace: acme\n    name: e{i}\n    schedule:\n"
        '      - {window: "daily 09:00-18:00", during: {action: resume}, outside: {action: pause}}\n'
        for i in range(400)
    )
    many.write_text(f"version: 1\nendpoints:\n{entries}")
    writer = subprocess.Popen(
        [sys.executable, "-m", "hfwarden", "plan", "--json", "--date", "2026-03-30", "--config", str(many)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        text=True,
    )
    assert writer.stdout is not None
    first = writer.stdout.readline()
    writer.stdout.close()  # the reader has gone, as `head -1` goes
    _, stderr = writer.communicate(timeout=60)
    assert first == "{\n"
    assert writer.returncode != 0  # as a process killed by SIGPIPE would: 141
    assert "Traceback" not in stderr
    assert "BrokenPipe" not in stderr


@pytest.mark.parametrize(
    ("listen", "probe"),
    [
        ("0.0.0.0", "127.0.0.1"),
        ("", "127.0.0.1"),
        ("::", "[::1]"),
        ("127.0.0.2", "127.0.0.2"),
        ("fd00::1", "[fd00::1]"),
    ],
)
def test_healthcheck_probes_where_the_daemon_listens(listen: str, probe: str) -> None:
    assert probe_host(listen) == probe


@pytest.fixture
def healthz_on_127_0_0_2() -> Iterator[int]:
    class Healthy(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b'{"reason": "ok"}'
            self.send_response(200 if self.path == "/healthz" else 404)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.2", 0), Healthy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield int(server.server_address[1])
    server.shutdown()


def test_healthcheck_honours_hfwarden_http_host(healthz_on_127_0_0_2: int) -> None:
    env = {"PATH": "/usr/bin:/bin", "HFWARDEN_HTTP_HOST": "127.0.0.2", "HFWARDEN_HTTP_PORT": str(healthz_on_127_0_0_2)}
    result = run("healthcheck", env=env | {k: v for k, v in __import__("os").environ.items() if k == "PYTHONPATH"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("healthy")


def test_times_name_their_zone_without_microseconds() -> None:
    at = datetime(2026, 1, 5, 19, 29, 41, 123456, tzinfo=UTC)
    assert moment(at, PARIS) == "2026-01-05 20:29 CET"
    assert moment(at) == "2026-01-05 19:29 UTC"
    assert (signed_dollars(1.2), signed_dollars(-0.454), signed_dollars(0.001)) == ("+$1.20", "-$0.45", "$0.00")


def test_an_until_too_far_echoes_what_was_typed_and_when_that_is() -> None:
    with pytest.raises(ValueError, match=r"^--until 200h \(2026-01-14 00:00 CET\) is more than 7 days ahead"):
        hold_until("200h", now=NOW, zone=PARIS)


def _enforced(tmp_path: Path, enforce: bool) -> object:
    path = tmp_path / "s.yaml"
    path.write_text(
        "version: 1\ntimezone: Europe/Paris\nendpoints:\n  - namespace: acme\n    name: chat\n"
        f"    enforce: {'true' if enforce else 'false'}\n    schedule:\n"
        '      - {window: "daily 09:00-18:00", during: {action: resume, min_replicas: 1}, outside: {action: pause}}\n'
    )
    return load_config([path]).endpoint("acme/chat")


def test_release_says_enforce_resumes_it_and_counts_the_cost(tmp_path: Path) -> None:
    """`release` promised "stays stopped until its next transition"; enforce resumed it next pass."""
    end = NOW + timedelta(hours=8)
    enforced = after_release(_enforced(tmp_path, True), None, price_per_hour=1.0, now=NOW, day_end=end)  # type: ignore[arg-type]
    assert enforced.sentence.startswith("enforce: true, so the next pass resumes it")
    assert "2026-01-05 18:00 CET" in enforced.sentence
    assert enforced.added_usd == pytest.approx(2.0)  # 16:00 to 18:00 Paris, one replica at $1/h
    edge = after_release(_enforced(tmp_path, False), None, price_per_hour=1.0, now=NOW, day_end=end)  # type: ignore[arg-type]
    assert edge.sentence.startswith(
        "it stays stopped until its next scheduled transition, pause at 2026-01-05 18:00 CET"
    )
    assert edge.added_usd == 0
    hold = Hold("acme/chat", HoldState.RUNNING, NOW + timedelta(hours=2), NOW)
    held = after_release(_enforced(tmp_path, False), hold, price_per_hour=1.0, now=NOW, day_end=end)  # type: ignore[arg-type]
    assert held.sentence == "its hold applies again from the next pass: running until 2026-01-05 18:00 CET"


@pytest.mark.parametrize(
    ("key", "subject", "why"),
    [
        (
            "hold_placed|acme/embedder@2026-12-06T02:00:00.123456+00:00||2026-12-06",
            "acme/embedder",
            "an operator placed a hold at 2026-12-06 02:00 UTC",
        ),
        (
            "hold_expired|acme/embedder@2026-12-06T04:00:00+00:00||2026-12-06",
            "acme/embedder",
            "its hold (until 2026-12-06 04:00 UTC) ended (expired or lifted): its schedule applies again",
        ),
        ("latch_lifted|acme/chat||2026-12-06", "acme/chat", "its budget latch was lifted"),
        ("latch_lifted|acme/chat:cap||2026-12-06", "acme/chat", "its ladder cap was lifted"),
        ("latch_overridden|acme/chat||2026-12-06", "acme/chat", "resumed by hand while a budget latch held it"),
        ("guard_action|acme-prod:acme/a,acme/b|1|2026-12-06|step2", "acme-prod", "the guard stopped acme/a,acme/b"),
    ],
)
def test_every_alert_on_the_page_says_why_in_words(key: str, subject: str, why: str) -> None:
    item = _alert_item(NOW, key)
    assert item.subject == subject
    assert item.reason.startswith(why)
    assert "@" not in item.subject


def test_one_wake_is_one_wake() -> None:
    """`1 wakes today` in `status`."""
    from hfwarden.app.reconcile.report import PassReport
    from hfwarden.app.reconcile.startup_figures import StartupFigures
    from hfwarden.app.views.status import startup_lines

    figures = StartupFigures("acme/chat", 610.0, 610.0, 1, 1, 0.13, 600.0)
    report = PassReport(started_at=NOW, startups={"acme/chat": figures})
    assert "; 1 wake today, cold starts $0.13" in startup_lines(report, "acme/chat")[0]
