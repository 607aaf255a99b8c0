"""The write API: holds and releases over HTTP, with the CLI's validation, quotes and audit.

- `POST /api/v1/holds` (JSON: endpoint, until, state, reason, over_budget, min_replicas, max_replicas)
- `DELETE /api/v1/holds/{namespace}/{name}`
- `POST /api/v1/releases/{namespace}/{name}`

The access middleware lets these through only when `HFWARDEN_UI_TOKEN` is set and presented. Here:
JSON bodies only (`application/json`: a form on another site cannot send one without a CORS
preflight, which is never granted), and every write is audited with its caller (`X-Hfwarden-Caller`,
else the client's address).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from hfwarden.adapters.store import Store
from hfwarden.app.ops import operations
from hfwarden.app.ops.holds import HoldError, HoldRequest, place_hold, unhold
from hfwarden.app.ops.release import ReleaseError, ReleaseResult
from hfwarden.app.views.status import hold_document
from hfwarden.clock import Clock
from hfwarden.config import Config
from hfwarden.core.records import AuditEntry, Records
from hfwarden.settings import Settings

HEADERS = {"cache-control": "no-store", "x-content-type-options": "nosniff"}
FIELDS = {
    "endpoint": str,
    "until": str,
    "state": str,
    "reason": str,
    "over_budget": bool,
    "min_replicas": int,
    "max_replicas": int,
}
CALLER = re.compile(r"[^A-Za-z0-9@._:/ -]")
MAX_BODY = 16 * 1024


@dataclass(frozen=True)
class WriteSource:
    """What the write API acts with: the daemon's settings, current config, store and clock."""

    settings: Settings
    config: Callable[[], Config]
    store: Store
    clock: Clock


def _answer(body: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=HEADERS)


def caller_of(request: Request) -> str:
    """Who is writing, as far as we can tell: the `X-Hfwarden-Caller` they give, and their address."""
    given = CALLER.sub("", request.headers.get("x-hfwarden-caller", ""))[:64].strip()
    address = request.client.host if request.client else "unknown"
    return f"{given} ({address})" if given else address


def hold_request(body: Any, caller: str) -> HoldRequest:
    """The JSON body as a hold request; HoldError for anything the CLI would not take."""
    if not isinstance(body, dict):
        raise HoldError("the body must be a JSON object")
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        raise HoldError(f"unknown field {unknown[0]!r}; expected {', '.join(FIELDS)}")
    for name, kind in FIELDS.items():
        value = body.get(name)
        if value is None:
            continue
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise HoldError(f"{name}: expected {kind.__name__}, got {json.dumps(value)[:40]}")
    for name in ("endpoint", "until"):
        if not body.get(name):
            raise HoldError(f"{name} is required")
    return HoldRequest(
        body["endpoint"],
        body["until"],
        body.get("state") or "running",
        body.get("min_replicas"),
        body.get("max_replicas"),
        body.get("reason") or "",
        bool(body.get("over_budget")),
        source="api",
        by=caller,
    )


async def _json_body(request: Request) -> Any:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json":
        raise HoldError("only application/json bodies are accepted")
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise HoldError("the body is too large")
    try:
        return json.loads(raw)
    except ValueError:
        raise HoldError("the body is not JSON") from None


def write_routes(source: WriteSource) -> list[Route]:
    async def post_hold(request: Request) -> JSONResponse:
        try:
            request_ = hold_request(await _json_body(request), caller_of(request))
        except HoldError as exc:
            status = 415 if "application/json" in str(exc) else 400
            return _answer({"error": str(exc)}, status)
        try:
            placed = await run_in_threadpool(place_hold, source.settings, source.config(), request_, clock=source.clock)
        except HoldError as exc:
            return _answer({"error": str(exc)}, 400)
        return _answer({"hold": hold_document(placed.hold), "quote": placed.quote}, 201)

    async def delete_hold(request: Request) -> JSONResponse:
        key = f"{request.path_params['namespace']}/{request.path_params['name']}"
        by = f"api {caller_of(request)}"
        lifted = await run_in_threadpool(unhold, source.settings, source.config(), key, clock=source.clock, by=by)
        if lifted is None:
            return _answer({"error": f"{key} is not held"}, 404)
        return _answer({"lifted": hold_document(lifted)})

    async def post_release(request: Request) -> JSONResponse:
        key = f"{request.path_params['namespace']}/{request.path_params['name']}"
        caller = caller_of(request)

        def release() -> ReleaseResult:
            result = operations.release(source.settings, source.config(), key, clock=source.clock)
            if result.latch is not None:  # who asked, beside the release's own audit entry
                now = source.clock.now()
                entry = AuditEntry(now, key, "release", f"released through the API by {caller}", "ok", "api", False)
                source.store.write_pass(Records(audit=(entry,)), alerts=[], sinks=(), now=now)
            return result

        try:
            result = await run_in_threadpool(release)
        except ReleaseError as exc:
            return _answer({"error": str(exc)}, 400)
        if result.latch is None:
            return _answer({"error": f"{key} is not latched; nothing to release"}, 404)
        quote = result.quote.describe() if result.quote is not None else None
        return _answer({"released": key, "budget": result.latch.budget, "quote": quote})

    return [
        Route("/api/v1/holds", post_hold, methods=["POST"]),
        Route("/api/v1/holds/{namespace}/{name}", delete_hold, methods=["DELETE"]),
        Route("/api/v1/releases/{namespace}/{name}", post_release, methods=["POST"]),
    ]
