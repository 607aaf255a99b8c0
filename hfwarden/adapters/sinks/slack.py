"""Slack incoming webhooks: a Block Kit message built from the alert document, within Slack's limits.

Slack refuses a message with a section text over 3,000 characters (a 4xx: a dead letter, so the alert
would be lost), and truncates a message's text past 40,000; a header holds 150, a field 2,000. A guard
stop of a few dozen endpoints passes 3,000: the list is cut to what fits, with how many more and a
link to the status page (`alerts.slack.page_url`) that lists them all."""

from __future__ import annotations

import json
from typing import Any

from hfwarden.adapters.sinks.document import Post
from hfwarden.core.formats import dollars

SECTION_TEXT_MAX = 3000
MESSAGE_TEXT_MAX = 40_000
HEADER_TEXT_MAX = 150
FIELD_TEXT_MAX = 2000
# One stopped endpoint's line: names are short, but a reason or a name from the API is not ours to trust.
LINE_MAX = 300


def fit(text: str, limit: int) -> str:
    """`text`, cut to `limit` characters with an ellipsis when it is longer."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def slack_message(document: dict[str, Any], *, page_url: str | None = None) -> dict[str, Any]:
    """A Block Kit message: what happened, the budget's figures, and what was done and why."""
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": fit(f"hfwarden: {document['title']}", HEADER_TEXT_MAX)},
        },
        {"type": "section", "text": {"type": "mrkdwn", "text": fit(document["message"], SECTION_TEXT_MAX)}},
    ]
    fields = []
    if document.get("budget"):
        fields.append({"type": "mrkdwn", "text": f"*Budget*\n{document['budget']}"})
    if document.get("endpoint"):
        fields.append({"type": "mrkdwn", "text": f"*Endpoint*\n{document['endpoint']}"})
    daily = document.get("daily_usd")
    for label, key in (
        ("Daily budget", "daily_usd"),
        ("Spent today", "spent_usd"),
        ("Projected today", "projected_usd"),
    ):
        value = document.get(key)
        if value is not None:
            share = f" ({value / daily:.0%})" if daily and key != "daily_usd" else ""
            fields.append({"type": "mrkdwn", "text": f"*{label}*\n{dollars(value, grouped=True)}{share}"})
    if fields:
        for part in fields:
            part["text"] = fit(part["text"], FIELD_TEXT_MAX)
        blocks.append({"type": "section", "fields": fields[:10]})
    if document.get("actions"):
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": acted_on(document["actions"], page_url)}})
    blocks += notice_blocks(document)
    blocks.append(
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f"{document['kind']} · {document['created_at']}"}]}
    )
    return {"text": fit(f"hfwarden: {document['message']}", SECTION_TEXT_MAX), "blocks": blocks}


def acted_on(actions: list[dict[str, Any]], page_url: str | None) -> str:
    """The stopped endpoints, as many as fit in one section; how many more, and where to see them all."""
    text = "*Acted on*"
    for number, a in enumerate(actions):
        line = fit(
            f"• `{a['endpoint']}`: {a['action']}, saves {dollars(a['saved_usd'], grouped=True)} by end of day, "
            f"latched until {a['latched_until']}",
            LINE_MAX,
        )
        # Room is kept for the last line, which says how many more there are and where.
        if len(text) + 1 + len(line) > SECTION_TEXT_MAX - LINE_MAX:
            where = f"<{page_url}|the status page>" if page_url else "the status page or `hfwarden status`"
            return f"{text}\n… and {len(actions) - number} more: {where} lists every one"
        text += "\n" + line
    return text


def notice_blocks(document: dict[str, Any]) -> list[dict[str, Any]]:
    """An `upcoming_stop`'s choices: Block Kit buttons when the app can receive them (a signing secret is
    set), else the links, else the CLI line to type."""
    notice = document.get("notice")
    if not notice:
        return []
    buttons = document.get("slack_buttons") or []
    if buttons:
        elements = [
            {
                "type": "button",
                "text": {"type": "plain_text", "text": button["label"]},
                "action_id": f"hfwarden-{number}",
                "value": button["value"],
            }
            for number, button in enumerate(buttons[:25])
        ]
        return [{"type": "actions", "block_id": f"hfwarden-{document['id']}", "elements": elements}]
    choices = notice["choices"]
    lines = [f"• <{c['url']}|{c['label']}>" for c in choices if c.get("url")]
    if not lines:
        endpoint = document.get("endpoint") or ""
        holds = [c for c in choices if c["action"] == "hold"]
        lines = [f"• {c['label']}: `hfwarden hold {endpoint} --until {c['until']}`" for c in holds]
    if not lines:
        return []
    heading = "*Keep it up*" if choices[0]["action"] == "hold" else "*Decide*"
    return [{"type": "section", "text": {"type": "mrkdwn", "text": heading + "\n" + "\n".join(lines)}}]


def slack_post(webhook_url: str, payload: str, *, page_url: str | None = None) -> Post:
    """Slack has no delivery id to dedupe on: the outbox's claim is what keeps a message from repeating."""
    body = json.dumps(slack_message(json.loads(payload), page_url=page_url)).encode()
    return Post(webhook_url, body, {"Content-Type": "application/json"})
