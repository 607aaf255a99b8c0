"""`POST /slack/actions`: a Slack app's interactivity request URL. A button on a notice places its hold.

Slack signs each request: `X-Slack-Signature` is `v0=` + hex HMAC-SHA256 (key: the app's signing secret)
of `v0:{X-Slack-Request-Timestamp}:{raw body}`; a bad signature or a timestamp more than five minutes
away is 401. Slack wants an answer within 3 s, so the answer is an empty 200 at once and the hold is
placed after it; the message is then updated through the payload's `response_url`
("kept up until 19:00 by @maria"). The button's value is the notice's signed token: it acts once,
expires, and is audited with the Slack user, like a link.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import structlog
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hfwarden.app.ops.actions import ActionDesk, ActionResult

log = structlog.get_logger("hfwarden.slack")
MAX_SKEW_SECONDS = 5 * 60
MAX_BODY = 64 * 1024
SLACK_HOSTS = ("slack.com", "slack-gov.com")  # response_url hosts; anything else is not Slack
RESPONSE_TIMEOUT = 10.0


def slack_signature(secret: str, timestamp: str, body: bytes) -> str:
    """`v0=<hex>`: what Slack sends in `X-Slack-Signature` for this body at this timestamp."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def is_signed(secret: str, *, timestamp: str, signature: str, body: bytes, now: float) -> bool:
    """Signed with `secret`, and sent within five minutes of `now` (a replayed request is refused)."""
    if not timestamp.isdigit() or abs(now - int(timestamp)) > MAX_SKEW_SECONDS:
        return False
    return hmac.compare_digest(slack_signature(secret, timestamp, body), signature)


def is_slack_url(url: str) -> bool:
    parts = urlsplit(url)
    host = parts.hostname or ""
    return parts.scheme == "https" and any(host == h or host.endswith("." + h) for h in SLACK_HOSTS)


def _payload(body: bytes) -> dict[str, Any] | None:
    try:
        (text,) = parse_qs(body.decode("utf-8"), strict_parsing=True)["payload"]
        payload = json.loads(text)
    except (ValueError, KeyError, UnicodeDecodeError):
        return None
    return payload if isinstance(payload, dict) else None


def _who(payload: dict[str, Any]) -> str:
    user = payload.get("user") if isinstance(payload.get("user"), dict) else {}
    assert isinstance(user, dict)
    name = user.get("username") or user.get("name") or user.get("id") or "someone"
    return f"@{str(name)[:80]}"


def update_text(result: ActionResult, who: str, zone_of: Callable[[str], Any]) -> dict[str, Any]:
    """The message's update: what was done and by whom, or why nothing was."""
    if result.status == 200 and result.placed is not None:
        hold = result.placed.hold
        local = hold.until.astimezone(zone_of(hold.endpoint))
        text = f"{hold.endpoint}: kept up until {local:%H:%M} by {who} ({result.placed.quote})"
        return {"replace_original": True, "text": text}
    if result.status == 200:  # an approval decided
        return {"replace_original": True, "text": f"{result.message} ({who})"}
    return {"replace_original": False, "response_type": "ephemeral", "text": f"nothing changed: {result.message}"}


def slack_routes(desk: ActionDesk, signing_secret: str, *, client: Callable[[], httpx.Client]) -> list[Route]:
    def carry_out(token: str, who: str, response_url: str) -> None:
        try:
            result = desk.redeem(token, source="slack", by=who)
        except Exception as exc:  # after the answer: nobody else would hear of it
            log.error("slack_action_failed", error=type(exc).__name__)
            result = ActionResult(500, "hfwarden could not carry it out; see its logs")
        try:
            with client() as http:
                http.post(response_url, json=update_text(result, who, desk.zone_of), timeout=RESPONSE_TIMEOUT)
        except httpx.HTTPError as exc:
            log.warning("slack_update_failed", error=type(exc).__name__)

    async def actions(request: Request) -> Response:
        body = await request.body()
        signed = len(body) <= MAX_BODY and is_signed(
            signing_secret,
            timestamp=request.headers.get("x-slack-request-timestamp", ""),
            signature=request.headers.get("x-slack-signature", ""),
            body=body,
            now=desk.clock.now().timestamp(),
        )
        if not signed:
            log.warning("slack_request_refused", why="bad or stale signature")
            return Response("bad or stale Slack signature\n", status_code=401, media_type="text/plain")
        payload = _payload(body)
        if payload is None or payload.get("type") != "block_actions" or not payload.get("actions"):
            return Response("not a block_actions payload\n", status_code=400, media_type="text/plain")
        token = str(payload["actions"][0].get("value", ""))
        response_url = str(payload.get("response_url", ""))
        if not is_slack_url(response_url):
            return Response("response_url is not Slack's\n", status_code=400, media_type="text/plain")
        # Slack wants its answer within 3 s: the hold (a pass over the API) is placed after it.
        return Response(b"", status_code=200, background=BackgroundTask(carry_out, token, _who(payload), response_url))

    return [Route("/slack/actions", actions, methods=["POST"])]
