"""The emulator's HTTP surface: the Inference Endpoints v2 wire protocol plus `/_emulator` controls."""

from __future__ import annotations

import asyncio
import json
import secrets
import string
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hfwarden.clock import ManualClock, to_z
from hfwarden.emulator.faults import Faults, api_error, error, inject, parse_faults
from hfwarden.emulator.hardware import parse_quota
from hfwarden.emulator.spec import ApiError, parse_error
from hfwarden.emulator.world import World

ALL_NAMESPACES = "*"
REQUEST_LOG_SIZE = 200_000
_ID_ALPHABET = string.ascii_letters + string.digits + "-_"


@dataclass
class EmulatorState:
    """What one emulator instance knows besides its endpoints."""

    world: World
    tokens: dict[str, frozenset[str]]
    faults: Faults = field(default_factory=Faults)
    requests: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=REQUEST_LOG_SIZE))


def _request_id() -> str:
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(6))


class RequestLogMiddleware:
    """Adds `X-Request-Id` to every answer and records every call for `/_emulator/requests`."""

    def __init__(self, app: ASGIApp, state: EmulatorState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id().encode()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id)]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            path: str = scope["path"]
            if not path.startswith("/_emulator"):
                self.state.requests.append(
                    {
                        "time": to_z(self.state.world.clock.now()),
                        "method": scope["method"],
                        "path": path,
                        "status": status,
                        "request_id": request_id.decode(),
                    }
                )


def build_app(state: EmulatorState) -> ASGIApp:
    """The emulator as an ASGI application."""
    world = state.world

    def base_url(request: Request) -> str:
        return f"{request.url.scheme}://{request.url.netloc}"

    def token_of(request: Request) -> str:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise ApiError(401, "Unauthorized: a bearer token is required")
        if token not in state.tokens:
            raise ApiError(401, "Invalid credentials in Authorization header")
        return token

    def authorise(request: Request, namespace: str) -> None:
        allowed = state.tokens[token_of(request)]
        if ALL_NAMESPACES not in allowed and namespace not in allowed:
            # The real API answers 401, not 403, for a namespace the token may not use.
            raise ApiError(401, f"Unauthorized: this token cannot access namespace {namespace}")

    async def body_json(request: Request) -> Any:
        raw = await request.body()
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise parse_error(str(exc)) from None

    def v2(
        handler: Callable[[Request, str], Awaitable[Any]],
    ) -> Callable[[Request], Awaitable[Response]]:
        async def route(request: Request) -> Response:
            try:
                injected = await inject(state.faults, request)
                if injected is not None:
                    return injected
                namespace = request.path_params["ns"]
                authorise(request, namespace)
                result = await handler(request, namespace)
            except ApiError as exc:
                return api_error(exc)
            if result is None:
                return Response(status_code=200)
            return JSONResponse(result)

        return route

    async def list_endpoints(request: Request, ns: str) -> Any:
        with world.lock:
            url = base_url(request)
            return {"items": [world.to_json(ep, url) for ep in world.list_namespace(ns)]}

    async def create_endpoint(request: Request, ns: str) -> Any:
        body = await body_json(request)
        with world.lock:
            return world.to_json(world.create(ns, body), base_url(request))

    async def get_endpoint(request: Request, ns: str) -> Any:
        with world.lock:
            return world.to_json(world.get(ns, request.path_params["name"]), base_url(request))

    async def update_endpoint(request: Request, ns: str) -> Any:
        body = await body_json(request)
        with world.lock:
            return world.to_json(world.update(ns, request.path_params["name"], body), base_url(request))

    async def delete_endpoint(request: Request, ns: str) -> Any:
        with world.lock:
            world.delete(ns, request.path_params["name"])
        return None

    def lifecycle(action: str) -> Callable[[Request, str], Awaitable[Any]]:
        async def handler(request: Request, ns: str) -> Any:
            name = request.path_params["name"]
            with world.lock:
                match action:
                    case "pause":
                        ep = world.pause(ns, name)
                    case "resume":
                        ep = world.resume(ns, name)
                    case _:
                        ep = world.scale_to_zero(ns, name)
                return world.to_json(ep, base_url(request))

        return handler

    async def hardware(request: Request, ns: str) -> Any:
        with world.lock:
            return world.hardware(ns)

    async def whoami(request: Request) -> Response:
        try:
            token = token_of(request)
        except ApiError as exc:
            return error(exc.status, exc.message)
        orgs = sorted(ns for ns in state.tokens[token] if ns != ALL_NAMESPACES)
        user = orgs[0] if orgs else "emulator-user"
        return JSONResponse(
            {
                "type": "user",
                "id": "65f0c0ffee0000000000e1e1",
                "name": user,
                "fullname": "Emulator User",
                "orgs": [{"type": "org", "name": org} for org in orgs],
                "auth": {
                    "type": "access_token",
                    "accessToken": {"displayName": "emulator", "role": "fineGrained"},
                },
            }
        )

    async def data_plane(request: Request) -> Response:
        """The endpoint's own URL: real traffic moves the state machine, cold starts answer 503."""
        ns, name = request.path_params["ns"], request.path_params["name"]
        hold = _float_header(request, "x-scale-up-timeout")
        deadline = time.monotonic() + hold
        with world.lock:
            try:
                ep = world.data_plane_request(ns, name)
            except ApiError as exc:
                return error(exc.status, exc.message)
            state_now = ep.state
        while state_now != "running" and state_now in ("initializing", "pending") and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            with world.lock:
                state_now = world.get(ns, name).state
        if state_now == "paused":  # what the real data plane answers for a paused endpoint
            return PlainTextResponse("Bad Request: Invalid state", status_code=400)
        if state_now in ("running", "updating"):
            return JSONResponse({"endpoint": f"{ns}/{name}", "path": "/" + request.path_params.get("path", "")})
        return error(503, f"Endpoint {name} is {state_now}: service unavailable")

    async def quota(request: Request) -> Response:
        if request.method == "POST":
            try:
                quota = parse_quota(await body_json(request))
            except ApiError as exc:
                return error(exc.status, exc.message)
            with world.lock:
                world.quota = quota
        return JSONResponse(world.quota.describe())

    async def billing(request: Request) -> Response:
        with world.lock:
            return JSONResponse(world.billing(request.query_params.get("namespace")))

    async def requests_log(request: Request) -> Response:
        if request.method == "DELETE":
            state.requests.clear()
            return JSONResponse({"cleared": True})
        return JSONResponse({"requests": list(state.requests)})

    async def faults(request: Request) -> Response:
        if request.method == "GET":
            return JSONResponse(state.faults.describe())
        try:
            state.faults = parse_faults(await body_json(request))
        except ApiError as exc:
            return error(exc.status, exc.message)
        return JSONResponse(state.faults.describe())

    async def clock(request: Request) -> Response:
        manual = world.clock if isinstance(world.clock, ManualClock) else None
        if request.method == "POST":
            if manual is None:
                return error(409, "the emulator runs on the real clock; start it with --manual-clock")
            try:
                body = await body_json(request)
                seconds = float(body["advance_seconds"])
                manual.advance(seconds)
            except (ApiError, KeyError, TypeError, ValueError) as exc:
                return error(400, f"expected {{'advance_seconds': n >= 0}}: {exc}")
        with world.lock:
            world.advance_all()
        return JSONResponse({"now": to_z(world.clock.now()), "manual": manual is not None})

    async def not_found(request: Request) -> Response:
        return error(404, f"No route for {request.method} {request.url.path}")

    routes = [
        Route("/v2/endpoint/{ns}", v2(list_endpoints), methods=["GET"]),
        Route("/v2/endpoint/{ns}", v2(create_endpoint), methods=["POST"]),
        Route("/v2/endpoint/{ns}/{name}", v2(get_endpoint), methods=["GET"]),
        Route("/v2/endpoint/{ns}/{name}", v2(update_endpoint), methods=["PUT"]),
        Route("/v2/endpoint/{ns}/{name}", v2(delete_endpoint), methods=["DELETE"]),
        Route("/v2/endpoint/{ns}/{name}/pause", v2(lifecycle("pause")), methods=["POST"]),
        Route("/v2/endpoint/{ns}/{name}/resume", v2(lifecycle("resume")), methods=["POST"]),
        Route("/v2/endpoint/{ns}/{name}/scale-to-zero", v2(lifecycle("scale-to-zero")), methods=["POST"]),
        Route("/v2/provider/{ns}", v2(hardware), methods=["GET"]),
        Route("/api/whoami-v2", whoami, methods=["GET"]),
        Route("/dp/{ns}/{name}", data_plane, methods=["GET", "POST"]),
        Route("/dp/{ns}/{name}/{path:path}", data_plane, methods=["GET", "POST"]),
        Route("/_emulator/billing", billing, methods=["GET"]),
        Route("/_emulator/quota", quota, methods=["GET", "POST"]),
        Route("/_emulator/requests", requests_log, methods=["GET", "DELETE"]),
        Route("/_emulator/faults", faults, methods=["GET", "POST"]),
        Route("/_emulator/clock", clock, methods=["GET", "POST"]),
        Route("/{path:path}", not_found, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
    ]
    return RequestLogMiddleware(Starlette(routes=routes), state)


def _float_header(request: Request, name: str) -> float:
    try:
        return max(0.0, float(request.headers.get(name, "0")))
    except ValueError:
        return 0.0
