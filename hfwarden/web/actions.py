"""Snooze links: `GET /act/<token>` shows what the link would do and cost and changes nothing (link
scanners and chat unfurls open links); only the POST of that page's form acts. Plain pages, no script.

Refused tokens answer with one plain line: 403 for a forged one, 410 for one expired or used, 404
when links are off. A POST from another site is refused (its `Origin` is not this one)."""

from __future__ import annotations

from html import escape

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hfwarden.app.ops.actions import ActionDesk, ActionResult

# No script, no outside resource; the form posts only back here; the token never leaves in a Referer.
PAGE_HEADERS = {
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'",
}
STYLE = "body{font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:3em auto;padding:0 1em}button{font-size:1em}"


def _page(title: str, body: str, status: int) -> Response:
    text = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>hfwarden: {escape(title)}</title>'
        f'<meta name="viewport" content="width=device-width"><style>{STYLE}</style></head>'
        f"<body><h1>{escape(title)}</h1>{body}</body></html>"
    )
    return Response(text, status_code=status, headers=PAGE_HEADERS, media_type="text/html; charset=utf-8")


def _refusal(result: ActionResult) -> Response:
    return Response(result.message + "\n", status_code=result.status, headers=PAGE_HEADERS, media_type="text/plain")


def _cross_site(request: Request) -> bool:
    """A form posted from another origin (the browser says so in `Origin` or `Sec-Fetch-Site`)."""
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return True
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin == "null"
    host = request.headers.get("host", "")
    return origin.split("://", 1)[-1] != host


def action_routes(desk: ActionDesk) -> list[Route]:
    async def confirm(request: Request) -> Response:
        token = request.path_params["token"]
        result = await run_in_threadpool(desk.preview, token)
        if result.status != 200 or result.grant is None:
            return _refusal(result)
        if result.placed is None:  # an approval's Approve or Skip
            body = (
                f'<p class="quote">{escape(result.message.capitalize())}?</p>'
                '<form method="post"><button type="submit" id="confirm">Confirm</button></form>'
                "<p>Nothing changes until you press the button. The link acts once.</p>"
            )
            return _page("decide a budget step", body, 200)
        hold = result.placed.hold
        until = hold.until.astimezone(desk.zone_of(hold.endpoint))
        body = (
            f'<p>Keep <strong data-endpoint="{escape(hold.endpoint)}">{escape(hold.endpoint)}</strong> running '
            f"until <strong>{escape(until.isoformat())}</strong>?</p>"
            f'<p class="quote">{escape(result.placed.quote)}</p>'
            '<form method="post"><button type="submit" id="confirm">Keep it up</button></form>'
            "<p>Nothing changes until you press the button. The link acts once.</p>"
        )
        return _page("keep an endpoint up", body, 200)

    async def act(request: Request) -> Response:
        if _cross_site(request):
            return Response("refused: a link acts only from its own page\n", status_code=403, headers=PAGE_HEADERS)
        token = request.path_params["token"]
        result = await run_in_threadpool(desk.redeem, token, source="link", by="")
        if result.status != 200:
            return _refusal(result)
        if result.placed is None:
            return _page("decided", f"<p>{escape(result.message)}</p>", 200)
        hold = result.placed.hold
        body = (
            f"<p>Done: {escape(hold.endpoint)} is kept running until {escape(hold.until.isoformat())}.</p>"
            f'<p class="quote">{escape(result.placed.quote)}</p>'
        )
        return _page("kept up", body, 200)

    return [Route("/act/{token}", confirm, methods=["GET"]), Route("/act/{token}", act, methods=["POST"])]
