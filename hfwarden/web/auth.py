"""Who may read and write what: probes and `/metrics` are open (kubelets and Prometheus carry no
credentials); the page and `/api` need the UI token when one is set, as a bearer token or as the password
of basic auth (what a browser can send). Every method but GET is refused first, except on the routes that
act (docs/people-in-the-loop.md): the write API (only with a UI token configured and presented), snooze
links `/act/<token>` (the signed token is the credential) and `/slack/actions` (Slack's signature is)."""

from __future__ import annotations

import base64
import binascii
import hmac

from starlette.types import ASGIApp, Receive, Scope, Send

OPEN_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
# Routes that carry their own credential (a signed token, Slack's signature): no UI token asked.
SELF_AUTHENTICATED = ("/act/", "/slack/actions")
WRITE_ROUTES = (("POST", "/api/v1/holds"), ("DELETE", "/api/v1/holds/"), ("POST", "/api/v1/releases/"))
# Basic first: the scheme browsers prompt for; Bearer for scripts and ingresses that inject a header.
CHALLENGES = [
    (b"www-authenticate", b'Basic realm="hfwarden", charset="UTF-8"'),
    (b"www-authenticate", b'Bearer realm="hfwarden"'),
]


def presented_secret(authorization: str) -> str | None:
    """The token in an `Authorization` header: a bearer token, or the password of basic auth."""
    scheme, _, value = authorization.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer":
        return value or None
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        _user, colon, password = decoded.partition(":")
        return password if colon else None
    return None


def authorized(authorization: str | None, token: str) -> bool:
    """Constant-time: how much of a guess was right never shows in the answer's timing."""
    presented = presented_secret(authorization or "")
    # compare_digest on equal-length digests, so even the token's length does not leak.
    expected = hmac.new(b"hfwarden-ui", token.encode(), "sha256").digest()
    given = hmac.new(b"hfwarden-ui", (presented or "").encode(), "sha256").digest()
    return presented is not None and hmac.compare_digest(expected, given)


class AccessMiddleware:
    """405 for anything but GET; then 401 with a challenge for a protected path without the token."""

    def __init__(self, app: ASGIApp, token: str | None = None) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path, method = scope["path"], scope["method"]
        if path.startswith(SELF_AUTHENTICATED):
            await self.app(scope, receive, send)
            return
        is_write = is_write_route(method, path)
        if method != "GET" and not is_write:
            await _plain(send, 405, b"read-only: only GET is served\n", [(b"allow", b"GET")])
            return
        if is_write and self.token is None:
            await _plain(send, 403, b"writes are off: set HFWARDEN_UI_TOKEN to use the write API\n", [])
            return
        if self.token is not None and path not in OPEN_PATHS:
            given = [v for k, v in scope["headers"] if k.lower() == b"authorization"]
            if len(given) > 1:
                # Which one would count is up to each proxy on the way: refuse rather than pick one.
                await _plain(send, 400, b"ambiguous credentials: send one Authorization header\n", [])
                return
            raw = given[0].decode("latin-1") if given else None
            # Writes take the token as a bearer token only: a browser's remembered basic password is
            # sent by itself, a bearer header only by a script that was given the token.
            bearer = raw is not None and raw.strip().lower().startswith("bearer ")
            if not authorized(raw, self.token) or (is_write and not bearer):
                await _plain(
                    send, 401, b"authentication required: the UI token, as bearer or basic password\n", CHALLENGES
                )
                return
        await self.app(scope, receive, send)


def is_write_route(method: str, path: str) -> bool:
    """POST /api/v1/holds, DELETE /api/v1/holds/NS/NAME, POST /api/v1/releases/NS/NAME."""
    return any(
        method == verb and (path == route if not route.endswith("/") else path.startswith(route))
        for verb, route in WRITE_ROUTES
    )


async def _plain(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
