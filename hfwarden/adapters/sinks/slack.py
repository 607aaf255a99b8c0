"""Slack incoming webhooks: a Block Kit message built from the alert document."""

from __future__ import annotations

import json
from typing import Any

from hfwarden.adapters.sinks.document import Post
from hfwarden.core.formats import dollars


def slack_message(document: dict[str, Any]) -> dict[str, Any]:
    """A Block Kit message: what happened, the budget's figures, and what was done and why."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"hfwarden: {document['title']}"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": document["message"]}},
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
        blocks.append({"type": "section", "fields": fields[:10]})
    if document.get("actions"):
        lines = [
            f"• `{a['endpoint']}`: {a['action']}, saves {dollars(a['saved_usd'], grouped=True)} by end of day, "
            f"latched until {a['latched_until']}"
            for a in document["actions"]
        ]
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "*Acted on*\n" + "\n".join(lines)}})
    blocks.append(
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f"{document['kind']} · {document['created_at']}"}]}
    )
    return {"text": f"hfwarden: {document['message']}", "blocks": blocks}


def slack_post(webhook_url: str, payload: str) -> Post:
    """Slack has no delivery id to dedupe on: the outbox's claim is what keeps a message from repeating."""
    body = json.dumps(slack_message(json.loads(payload))).encode()
    return Post(webhook_url, body, {"Content-Type": "application/json"})
