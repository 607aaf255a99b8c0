"""The emulator's request log: what tests read to know when hfwarden called."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from hfwarden.clock import ManualClock
from hfwarden.emulator.app import EmulatorState, RequestLogMiddleware
from hfwarden.emulator.world import World

MONDAY = datetime(2026, 1, 5, 0, 0, tzinfo=UTC)


def test_the_request_log_keeps_when_a_call_arrived_even_if_the_clock_moves_while_it_is_answered() -> None:
    """The cause of the flaky `08:48:05`: the log read the clock after the answer had gone, when the test
    thread (its pass finished) had already moved the manual clock on by a follow-up step."""
    clock = ManualClock(MONDAY + timedelta(hours=8, minutes=48))
    state = EmulatorState(World(clock), tokens={})

    async def answer_then_the_clock_moves(_scope: object, _receive: object, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})
        clock.advance(5)  # the caller has its answer: its next step moves the clock

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(_message: Any) -> None:
        return None

    middleware = RequestLogMiddleware(answer_then_the_clock_moves, state)  # type: ignore[arg-type]
    scope = {"type": "http", "method": "POST", "path": "/v2/endpoint/acme/chat/resume", "headers": []}
    asyncio.run(middleware(scope, receive, send))  # type: ignore[arg-type]
    assert [r["time"][5:19] for r in state.requests] == ["01-05T08:48:00"]
