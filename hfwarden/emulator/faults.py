"""Failures the emulator injects into `/v2` routes: latency, 5xx, 429 with rate-limit headers, dropped connections."""

from __future__ import annotations

import asyncio
import logging
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import Receive, Scope, Send

from hfwarden.emulator.spec import ApiError


@dataclass
class RateLimit:
    """A fixed window per token, counted on `now` (monotonic real time by default: it models the
    service, not the emulated day; tests and benches pass a faster clock). Every `/v2` answer carries
    the IETF draft fields the Hub sends (`RateLimit`, `RateLimit-Policy`), a 429 also `Retry-After`."""

    limit: int
    window_s: float
    window_started: float = float("-inf")
    used: dict[str, int] = field(default_factory=dict)
    now: Callable[[], float] = time.monotonic

    def charge(self, who: str) -> tuple[bool, dict[str, str]]:
        """Count one call of `who`: whether it is allowed, and the headers that say what is left."""
        now = self.now()
        if now - self.window_started >= self.window_s:
            self.window_started, self.used = now, {}
        self.used[who] = self.used.get(who, 0) + 1
        allowed = self.used[who] <= self.limit
        reset = max(1, math.ceil(self.window_started + self.window_s - now))
        headers = {
            "RateLimit": f'"api";r={max(0, self.limit - self.used[who])};t={reset}',
            "RateLimit-Policy": f'"fixed window";"api";q={self.limit};w={math.ceil(self.window_s)}',
        }
        if not allowed:
            headers["Retry-After"] = str(reset)
        return allowed, headers


def parse_rate_limit(text: str) -> RateLimit:
    """`--rate-limit N/WINDOW`: `2500/300s`, `2500/300` or `500/5m`."""
    count, sep, window = text.strip().partition("/")
    units = {"s": 1.0, "m": 60.0, "h": 3600.0}
    scale = units.get(window[-1:], 1.0) if window else 1.0
    number = window[:-1] if window[-1:] in units else window
    try:
        limit, seconds = int(count), float(number) * scale
    except ValueError:
        raise ValueError(f"--rate-limit expects N/WINDOW such as 2500/300s, got {text!r}") from None
    if not sep or limit < 1 or not 0 < seconds < math.inf:
        raise ValueError(f"--rate-limit expects N >= 1 calls per a window > 0 s, got {text!r}")
    return RateLimit(limit=limit, window_s=seconds)


@dataclass
class Faults:
    """Failures injected into `/v2` routes."""

    latency_ms: float = 0.0
    error_rate: float = 0.0
    error_status: int = 503
    fail_next: int = 0
    drop_next: int = 0  # connections cut mid-answer, as a proxy or a crashing server does
    match: str | None = None  # errors only for paths containing this, e.g. "/pause"
    rate_limit: RateLimit | None = None
    rng: random.Random = field(default_factory=random.Random)

    def describe(self) -> dict[str, Any]:
        limit = self.rate_limit
        return {
            "latency_ms": self.latency_ms,
            "error_rate": self.error_rate,
            "error_status": self.error_status,
            "fail_next": self.fail_next,
            "drop_next": self.drop_next,
            "match": self.match,
            "rate_limit": None if limit is None else {"limit": limit.limit, "window_s": limit.window_s},
        }


class _DroppedConnection(Response):
    """Starts an answer, then fails: uvicorn closes the connection with the body incomplete, which the
    client sees as a protocol error, exactly as a connection cut mid-answer."""

    def __init__(self) -> None:
        super().__init__(status_code=200, headers={"content-length": "1000"})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        await send({"type": "http.response.body", "body": b'{"items": [', "more_body": True})
        raise ConnectionAbortedError("injected: connection dropped")


DROP = _DroppedConnection()


class _QuietInjectedDrops(logging.Filter):
    """uvicorn logs a traceback for the injected drop; it is the fault asked for, not an error."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not (isinstance(error, ConnectionAbortedError) and "injected" in str(error))


logging.getLogger("uvicorn.error").addFilter(_QuietInjectedDrops())


def error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """Errors as the client parses them: JSON `error` and the `X-Error-Message` header."""
    all_headers = {"X-Error-Message": message.encode("ascii", "replace").decode()}
    all_headers.update(headers or {})
    return JSONResponse({"error": message}, status_code=status, headers=all_headers)


def api_error(exc: ApiError) -> Response:
    """An `ApiError` as the API answers it: plain text for body-parsing errors, JSON otherwise."""
    if exc.plain:
        return PlainTextResponse(exc.message, status_code=exc.status)
    return error(exc.status, exc.message)


def charge_rate_limit(faults: Faults, request: Request) -> tuple[Response | None, dict[str, str]]:
    """Count the call against the rate limit, if one is set: a 429 when over it, and the quota
    headers every answer (successful ones too) carries."""
    if faults.rate_limit is None:
        return None, {}
    allowed, headers = faults.rate_limit.charge(request.headers.get("authorization", ""))
    if allowed:
        return None, headers
    return error(429, "Rate limit reached: too many requests to the api", headers), headers


async def inject(faults: Faults, request: Request) -> Response | None:
    """The injected answer for this `/v2` request, or None to serve it."""
    if faults.latency_ms > 0:
        await asyncio.sleep(faults.latency_ms / 1000.0)
    if faults.match is not None and faults.match not in request.url.path:
        return None
    if faults.drop_next > 0:
        faults.drop_next -= 1
        return DROP
    if faults.fail_next > 0:
        faults.fail_next -= 1
        return error(faults.error_status, "Injected failure")
    if faults.error_rate > 0 and faults.rng.random() < faults.error_rate:
        return error(faults.error_status, "Injected failure")
    return None


def parse_faults(body: Any) -> Faults:
    if not isinstance(body, dict):
        raise ApiError(400, "faults: expected a JSON object")
    known = {"latency_ms", "error_rate", "error_status", "fail_next", "drop_next", "match", "rate_limit", "seed"}
    unknown = set(body) - known
    if unknown:
        raise ApiError(400, f"faults: unknown keys {sorted(unknown)}")
    try:
        faults = Faults(
            latency_ms=float(body.get("latency_ms", 0.0)),
            error_rate=float(body.get("error_rate", 0.0)),
            error_status=int(body.get("error_status", 503)),
            fail_next=int(body.get("fail_next", 0)),
            drop_next=int(body.get("drop_next", 0)),
            match=None if body.get("match") is None else str(body["match"]),
            rng=random.Random(body.get("seed")),
        )
        limit = body.get("rate_limit")
        if limit is not None:
            faults.rate_limit = RateLimit(limit=int(limit["limit"]), window_s=float(limit["window_s"]))
            if faults.rate_limit.limit < 0 or not 0 < faults.rate_limit.window_s < math.inf:
                raise ValueError("rate_limit needs limit >= 0 and 0 < window_s < inf")
    except (KeyError, TypeError, ValueError) as exc:
        raise ApiError(400, f"faults: {exc}") from None
    if not 0.0 <= faults.error_rate <= 1.0 or not 400 <= faults.error_status <= 599 or faults.latency_ms < 0:
        raise ApiError(400, "faults: need 0 <= error_rate <= 1, 400 <= error_status <= 599, latency_ms >= 0")
    return faults
