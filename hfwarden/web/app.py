"""The daemon's HTTP app: the probes and `/metrics` (open), the status page `/` and the read-only
`/api/v1` (behind the UI token when one is set). Nothing here changes anything: any method but GET
is 405. The page and the API read the daemon's last pass, never a second computation of their own."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from prometheus_client import CollectorRegistry
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from hfwarden.adapters.store import Store
from hfwarden.app.reconcile.ledger import Ledger
from hfwarden.app.reconcile.report import PassReport
from hfwarden.app.views.dayview import StripCache
from hfwarden.app.views.overview import audit_document, build_overview, stored_plan
from hfwarden.app.views.plan import plan_document
from hfwarden.app.views.status import status_document
from hfwarden.clock import Clock
from hfwarden.config import Config
from hfwarden.core.rules import plannable_day
from hfwarden.web.auth import AccessMiddleware
from hfwarden.web.markup import script_hash
from hfwarden.web.page import REFRESH_SECONDS, render_overview, render_waiting
from hfwarden.web.people import PeopleRoutes
from hfwarden.web.probes import Liveness, probe_routes
from hfwarden.web.proposals import proposals_document, with_proposals

API_VERSION = "v1"
MAX_AUDIT = 1000
# Live figures: a proxy or a browser must never answer from a copy.
NO_STORE = {"cache-control": "no-store", "x-content-type-options": "nosniff", "referrer-policy": "no-referrer"}
MIN_REFRESH, MAX_REFRESH = 2, 3600
GZIP_FROM = 16_384  # bytes; below this compressing costs more than it saves

API_INDEX = {
    "version": API_VERSION,
    "routes": {
        "/api/v1/status": "the `hfwarden status --json` document of the daemon's last pass",
        "/api/v1/plan?date=YYYY-MM-DD": "the `hfwarden plan --json` document (date optional: today)",
        "/api/v1/audit?limit=N": "the latest N (1-1000, default 50) audit entries and alerts raised, newest first",
        "/api/v1/proposals": "open and adopted schedule proposals of `learn:` (the `hfwarden proposals --json` items)",
    },
}


@dataclass(frozen=True)
class PageSource:
    """What the page and the API read from the daemon: its last pass, config, store, clock and ledger."""

    report: Callable[[], PassReport | None]
    config: Callable[[], Config]
    store: Store
    clock: Clock
    ledger: Callable[[], Ledger] | None = None  # the pass's ledger in memory; None: read the store
    writable: bool = False  # the write API is on (a UI token is set): the page shows hold/release buttons


def _json(body: Any, status_code: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status_code, headers=NO_STORE)


def _problem(status_code: int, message: str) -> JSONResponse:
    return _json({"error": message}, status_code)


def _html(request: Request, text: str, status_code: int = 200) -> Response:
    body = text.encode()
    headers = dict(NO_STORE)
    headers["content-security-policy"] = (
        f"default-src 'none'; style-src 'unsafe-inline'; script-src {script_hash()}; "
        "connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'none'"
    )
    if len(body) >= GZIP_FROM and "gzip" in request.headers.get("accept-encoding", ""):
        body = gzip.compress(body, compresslevel=5)
        headers["content-encoding"] = "gzip"
        headers["vary"] = "Accept-Encoding"
    return Response(body, status_code=status_code, headers=headers, media_type="text/html; charset=utf-8")


def bounded_int(text: str, low: int, high: int) -> int | None:
    """`text` as an integer from `low` to `high`, or None. ASCII digits only: `str.isdigit` accepts
    `²`, which `int` then refuses, and a 5,000-digit number must not reach `int` at all."""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(high)):
        return None
    value = int(text)
    return value if low <= value <= high else None


def refresh_of(request: Request) -> int | None:
    """`?refresh=N` seconds (2 to 3600) for a wall screen; absent: the default 30; anything else None."""
    text = request.query_params.get("refresh")
    return REFRESH_SECONDS if text is None else bounded_int(text, MIN_REFRESH, MAX_REFRESH)


def _bad_query(request: Request, name: str, expected: str) -> Response:
    """A 400 that names the parameter and what it takes; the value echoed is cut short."""
    return _problem(400, f"{name}: {request.query_params.get(name, '')[:20]!r}: expected {expected}")


def _bad_refresh(request: Request) -> Response:
    return _bad_query(request, "refresh", f"seconds, an integer from {MIN_REFRESH} to {MAX_REFRESH}")


def page_routes(source: PageSource) -> list[Route]:
    cache = StripCache()

    def page_text(refresh: int) -> str:
        report = source.report()
        if report is None:
            return render_waiting()
        overview = build_overview(
            report,
            source.config(),
            source.store,
            now=source.clock.now(),
            ledger=source.ledger() if source.ledger is not None else None,
            cache=cache,
        )
        return with_proposals(render_overview(overview, refresh_seconds=refresh, buttons=source.writable), source.store)

    async def page(request: Request) -> Response:
        if (refresh := refresh_of(request)) is None:
            return _bad_refresh(request)
        # Off the event loop: a page over a thousand endpoints must not hold up /healthz.
        return _html(request, await run_in_threadpool(page_text, refresh))

    async def api_index(_request: Request) -> Response:
        return _json(API_INDEX)

    async def api_status(_request: Request) -> Response:
        report = source.report()
        if report is None:
            return _problem(503, "no pass has completed yet")
        return _json(await run_in_threadpool(status_document, report))

    async def api_plan(request: Request) -> Response:
        text = request.query_params.get("date")
        try:
            day = None if text is None else plannable_day(date.fromisoformat(text))
        except ValueError as exc:
            return _problem(400, f"date: {text!r}: {exc}; expected YYYY-MM-DD")

        def build() -> dict[str, Any]:
            return plan_document(stored_plan(source.store, source.config(), day=day, now=source.clock.now()))

        return _json(await run_in_threadpool(build))

    async def api_audit(request: Request) -> Response:
        if (limit := bounded_int(request.query_params.get("limit", "50"), 1, MAX_AUDIT)) is None:
            return _bad_query(request, "limit", f"an integer from 1 to {MAX_AUDIT}")
        return _json(await run_in_threadpool(audit_document, source.store, limit))

    async def api_proposals(_request: Request) -> Response:
        return _json(await run_in_threadpool(proposals_document, source.store))

    return [
        Route("/", page, methods=["GET"]),
        Route("/api/v1/proposals", api_proposals, methods=["GET"]),
        Route("/api/v1", api_index, methods=["GET"]),
        Route("/api/v1/status", api_status, methods=["GET"]),
        Route("/api/v1/plan", api_plan, methods=["GET"]),
        Route("/api/v1/audit", api_audit, methods=["GET"]),
    ]


def build_app(
    liveness: Liveness,
    registry: CollectorRegistry,
    store_health: Callable[[], tuple[bool, str]],
    page: PageSource | None = None,
    *,
    ui_token: str | None = None,
    people: PeopleRoutes | None = None,
) -> Starlette:
    """The probes and metrics, and with `page` the status page and `/api/v1` (behind `ui_token` if set);
    with `people` the routes that act (docs/people-in-the-loop.md)."""
    routes = probe_routes(liveness, registry, store_health)
    if page is not None:
        routes += page_routes(page)
    if people is not None:
        routes += people.routes()
    return Starlette(routes=routes, middleware=[Middleware(AccessMiddleware, token=ui_token)])
