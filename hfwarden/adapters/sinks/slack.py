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
    blocks += notice_blocks(document)
    blocks.append(
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f"{document['kind']} · {document['created_at']}"}]}
    )
    return {"text": f"hfwarden: {document['message']}", "blocks": blocks}


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


def slack_post(webhook_url: str, payload: str) -> Post:
    """Slack has no delivery id to dedupe on: the outbox's claim is what keeps a message from repeating."""
    body = json.dumps(slack_message(json.loads(payload))).encode()
    return Post(webhook_url, body, {"Content-Type": "application/json"})
