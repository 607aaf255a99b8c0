"""The emulator's HTTP surface: the Inference Endpoints v2 wire protocol plus `/_emulator` controls."""

from __future__ import annotations

import asyncio
import json
import secrets
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
from hfwarden.emulator.accounts import MONEY_REFUSALS
from hfwarden.emulator.faults import Faults, api_error, charge_rate_limit, error, inject, parse_faults
from hfwarden.emulator.hardware import parse_quota
from hfwarden.emulator.spec import ApiError, parse_error
from hfwarden.emulator.traffic import DataPlaneMetrics, RequestCounters
from hfwarden.emulator.world import Endpoint, World

ALL_NAMESPACES = "*"
REQUEST_LOG_SIZE = 200_000


@dataclass
class EmulatorState:
    """What one emulator instance knows besides its endpoints."""

    world: World
    tokens: dict[str, frozenset[str]]
    faults: Faults = field(default_factory=Faults)
    requests: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=REQUEST_LOG_SIZE))
    counters: RequestCounters = field(default_factory=RequestCounters)  # `/metrics` (traffic.py)


def _request_id() -> str:
    """Six random characters of A-Z, a-z, 0-9, - and _ (the first six of 48 random bits in base64url)."""
    return secrets.token_urlsafe(6)[:6]


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
        # When the call arrived, read now: by the time the answer has gone, a test on a manual clock
        # may already have moved the clock on (the flaky `08:48:05` for a call made at 08:48:00).
        arrived = to_z(self.state.world.clock.now())

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
                        "time": arrived,
                        "method": scope["method"],
                        "path": path,
                        "status": status,
                        "request_id": request_id.decode(),
                    }
                )


async def read_json(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except ValueError as exc:
        raise parse_error(str(exc)) from None


def _base_url(request: Request) -> str:
    """The scheme and host the caller used, as `request.url` has them, without building the whole URL
    (a sixteenth of the emulator's CPU per call)."""
    host = request.headers.get("host")
    if not host:
        server_host, server_port = request.scope["server"]
        host = f"{server_host}:{server_port}"
    return f"{request.scope['scheme']}://{host}"


Handler = Callable[[Request, str], Awaitable[Any]]


class WireApi:
    """The `/v2` routes, `/api/whoami-v2` and the data plane: what huggingface_hub and traffic see."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        self.world = state.world

    def token_of(self, request: Request) -> str:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise ApiError(401, "Unauthorized: a bearer token is required")
        if token not in self.state.tokens:
            raise ApiError(401, "Invalid credentials in Authorization header")
        return token

    def authorise(self, request: Request, namespace: str) -> None:
        allowed = self.state.tokens[self.token_of(request)]
        if ALL_NAMESPACES not in allowed and namespace not in allowed:
            # The real API answers 401, not 403, for a namespace the token may not use.
            raise ApiError(401, f"Unauthorized: this token cannot access namespace {namespace}")

    def v2(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        """Faults, then authorisation, then the handler; its result as JSON, its ApiError as the API's error."""

        async def route(request: Request) -> Response:
            refused, quota_headers = charge_rate_limit(self.state.faults, request)
            if refused is not None:
                return refused
            answer = await answered(request)
            answer.headers.update(quota_headers)
            return answer

        async def answered(request: Request) -> Response:
            try:
                injected = await inject(self.state.faults, request)
                if injected is not None:
                    return injected
                namespace = request.path_params["ns"]
                self.authorise(request, namespace)
                result = await handler(request, namespace)
            except ApiError as exc:
                return api_error(exc)
            return Response(status_code=200) if result is None else JSONResponse(result)

        return route

    async def list_endpoints(self, request: Request, ns: str) -> Any:
        with self.world.lock:
            url = _base_url(request)
            return {"items": [self.world.to_json(ep, url) for ep in self.world.list_namespace(ns)]}

    async def create_endpoint(self, request: Request, ns: str) -> Any:
        body = await read_json(request)
        with self.world.lock:
            return self.world.to_json(self.world.create(ns, body), _base_url(request))

    async def get_endpoint(self, request: Request, ns: str) -> Any:
        with self.world.lock:
            return self.world.to_json(self.world.get(ns, request.path_params["name"]), _base_url(request))

    async def update_endpoint(self, request: Request, ns: str) -> Any:
        body = await read_json(request)
        with self.world.lock:
            return self.world.to_json(self.world.update(ns, request.path_params["name"], body), _base_url(request))

    async def delete_endpoint(self, request: Request, ns: str) -> Any:
        with self.world.lock:
            self.world.delete(ns, request.path_params["name"])
        return None

    def lifecycle(self, action: Callable[[str, str], Endpoint]) -> Handler:
        async def handler(request: Request, ns: str) -> Any:
            with self.world.lock:
                return self.world.to_json(action(ns, request.path_params["name"]), _base_url(request))

        return handler

    async def hardware(self, request: Request, ns: str) -> Any:
        with self.world.lock:
            return self.world.hardware(ns)

    async def whoami(self, request: Request) -> Response:
        try:
            token = self.token_of(request)
        except ApiError as exc:
            return error(exc.status, exc.message)
        orgs = sorted(ns for ns in self.state.tokens[token] if ns != ALL_NAMESPACES)
        return JSONResponse(
            {
                "type": "user",
                "id": "65f0c0ffee0000000000e1e1",
                "name": orgs[0] if orgs else "emulator-user",
                "fullname": "Emulator User",
                "orgs": [{"type": "org", "name": org} for org in orgs],
                "auth": {"type": "access_token", "accessToken": {"displayName": "emulator", "role": "fineGrained"}},
            }
        )

    async def data_plane(self, request: Request) -> Response:
        """The endpoint's own URL: real traffic moves the state machine, cold starts answer 503."""
        ns, name = request.path_params["ns"], request.path_params["name"]
        deadline = time.monotonic() + _float_header(request, "x-scale-up-timeout")
        with self.world.lock:
            try:
                state_now = self.world.data_plane_request(ns, name).state
            except ApiError as exc:
                return error(exc.status, exc.message)
        while state_now in ("initializing", "pending") and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            with self.world.lock:
                state_now = self.world.get(ns, name).state
        if state_now == "paused":  # what the real data plane answers for a paused endpoint
            return PlainTextResponse("Bad Request: Invalid state", status_code=400)
        if state_now in ("running", "updating"):
            return JSONResponse({"endpoint": f"{ns}/{name}", "path": "/" + request.path_params.get("path", "")})
        return error(503, f"Endpoint {name} is {state_now}: service unavailable")

    def routes(self) -> list[Route]:
        v2, world = self.v2, self.world
        lifecycle = {"pause": world.pause, "resume": world.resume, "scale-to-zero": world.scale_to_zero}
        return [
            Route("/v2/endpoint/{ns}", v2(self.list_endpoints), methods=["GET"]),
            Route("/v2/endpoint/{ns}", v2(self.create_endpoint), methods=["POST"]),
            Route("/v2/endpoint/{ns}/{name}", v2(self.get_endpoint), methods=["GET"]),
            Route("/v2/endpoint/{ns}/{name}", v2(self.update_endpoint), methods=["PUT"]),
            Route("/v2/endpoint/{ns}/{name}", v2(self.delete_endpoint), methods=["DELETE"]),
            *(
                Route(f"/v2/endpoint/{{ns}}/{{name}}/{verb}", v2(self.lifecycle(action)), methods=["POST"])
                for verb, action in lifecycle.items()
            ),
            Route("/v2/provider/{ns}", v2(self.hardware), methods=["GET"]),
            Route("/api/whoami-v2", self.whoami, methods=["GET"]),
            Route("/dp/{ns}/{name}", self.data_plane, methods=["GET", "POST"]),
            Route("/dp/{ns}/{name}/{path:path}", self.data_plane, methods=["GET", "POST"]),
        ]


class Controls:
    """`/_emulator/...`: the ground truth and the knobs, outside `/v2` so hfwarden never calls them."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        self.world = state.world

    async def quota(self, request: Request) -> Response:
        if request.method == "POST":
            try:
                quota = parse_quota(await read_json(request))
            except ApiError as exc:
                return error(exc.status, exc.message)
            with self.world.lock:
                self.world.quota = quota
        return JSONResponse(self.world.quota.describe())

    async def billing(self, request: Request) -> Response:
        with self.world.lock:
            return JSONResponse(self.world.billing(request.query_params.get("namespace")))

    async def requests_log(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.state.requests.clear()
            return JSONResponse({"cleared": True})
        return JSONResponse({"requests": list(self.state.requests)})

    async def faults(self, request: Request) -> Response:
        if request.method == "POST":
            try:
                self.state.faults = parse_faults(await read_json(request))
            except ApiError as exc:
                return error(exc.status, exc.message)
        return JSONResponse(self.state.faults.describe())

    async def billing_block(self, request: Request) -> Response:
        """`{"namespace": ns, "refuse": "credits" | "spend_limit" | null}`: refuse new usage for money."""
        if request.method == "POST":
            try:
                body = await read_json(request)
                namespace, refuse = str(body["namespace"]), body.get("refuse")
            except (ApiError, KeyError, TypeError) as exc:
                return error(400, f"expected {{'namespace': ns, 'refuse': 'credits' | 'spend_limit' | null}}: {exc}")
            if refuse is not None and refuse not in MONEY_REFUSALS:
                return error(400, f"refuse must be one of {sorted(MONEY_REFUSALS)} or null")
            with self.world.lock:
                if refuse is None:
                    self.world.money_refusals.pop(namespace, None)
                else:
                    self.world.money_refusals[namespace] = refuse
        return JSONResponse(dict(self.world.money_refusals))

    async def clock(self, request: Request) -> Response:
        world = self.world
        manual = world.clock if isinstance(world.clock, ManualClock) else None
        if request.method == "POST":
            if manual is None:
                return error(409, "the emulator runs on the real clock; start it with --manual-clock")
            try:
                manual.advance(float((await read_json(request))["advance_seconds"]))
            except (ApiError, KeyError, TypeError, ValueError) as exc:
                return error(400, f"expected {{'advance_seconds': n >= 0}}: {exc}")
        with world.lock:
            world.advance_all()
        return JSONResponse({"now": to_z(world.clock.now()), "manual": manual is not None})

    def routes(self) -> list[Route]:
        return [
            Route("/_emulator/billing", self.billing, methods=["GET"]),
            Route("/_emulator/quota", self.quota, methods=["GET", "POST"]),
            Route("/_emulator/requests", self.requests_log, methods=["GET", "DELETE"]),
            Route("/_emulator/faults", self.faults, methods=["GET", "POST"]),
            Route("/_emulator/clock", self.clock, methods=["GET", "POST"]),
            Route("/_emulator/billing-block", self.billing_block, methods=["GET", "POST"]),
        ]


async def _not_found(request: Request) -> Response:
    return error(404, f"No route for {request.method} {request.url.path}")


def build_app(state: EmulatorState) -> ASGIApp:
    """The emulator as an ASGI application."""
    routes = [
        *WireApi(state).routes(),
        *Controls(state).routes(),
        Route("/{path:path}", _not_found, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
    ]
    return RequestLogMiddleware(DataPlaneMetrics(Starlette(routes=routes), state.counters), state)


def _float_header(request: Request, name: str) -> float:
    try:
        return max(0.0, float(request.headers.get(name, "0")))
    except ValueError:
        return 0.0
