"""Hostile text on the terminal (issue 18): control characters in names and reasons are escaped, so
that nothing can forge a line or send escape sequences; `healthcheck` survives a non-JSON body."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from hfwarden.adapters.store import Store
from hfwarden.cli import main
from hfwarden.core.records import Hold, HoldState, Records
from hfwarden.terminal import printable

FORGED = "demo\nacme/other                               paused          until 2026-01-01\x1b[2J\x1b]0;owned\x07\u202e"


def test_printable_escapes_every_control_character() -> None:
    assert (
        printable("a\nb\rc\x1b[31md\x7f\x9b\u202ee\tf") == "a\\u000ab\\u000dc\\u001b[31md\\u007f\\u009b\\u202ee\\u0009f"
    )
    assert printable("acme/chat: plain text, café") == "acme/chat: plain text, café"


def test_holds_escapes_a_forged_line_and_escape_sequences_in_a_reason(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    fresh_state: Callable[[Path], str],
) -> None:
    """Fixed: a reason with a newline printed a forged second hold; ESC sequences cleared the screen."""
    state = tmp_path / "state"
    monkeypatch.setenv("HFWARDEN_STATE_DIR", str(state))
    monkeypatch.setattr("hfwarden.logs.configure", lambda *args, **kwargs: None)
    now = datetime.now(UTC)
    hold = Hold("acme/chat", HoldState.RUNNING, now + timedelta(hours=2), now, reason=FORGED)
    store = Store(fresh_state(state / "hfwarden.db"))
    try:
        store.write_pass(Records(add_holds=(hold,)), alerts=(), sinks=(), now=now)
    finally:
        store.close()
    assert main(["holds"]) == 0
    out = capsys.readouterr().out
    assert len(out.splitlines()) == 1
    assert "\x1b" not in out
    assert "\u202e" not in out
    assert "demo\\u000aacme/other" in out


class NotJson(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<html>proxy says hello</html>"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: Any) -> None:
        return


@pytest.fixture
def not_json() -> Iterator[str]:
    """A server on loopback: the test that uses it is a system test."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), NotJson)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/healthz"
    server.shutdown()
    server.server_close()


@pytest.mark.system
def test_healthcheck_against_a_non_json_body_is_an_answer_not_a_traceback(
    not_json: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Fixed: a body labelled JSON that is not JSON raised JSONDecodeError."""
    monkeypatch.setattr("hfwarden.logs.configure", lambda *args, **kwargs: None)
    assert main(["healthcheck", "--url", not_json]) == 0
    assert capsys.readouterr().out.strip() == "healthy:"
