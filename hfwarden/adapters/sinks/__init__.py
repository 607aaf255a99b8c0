"""Alert sinks: the alert document, Slack and signed webhooks, and the outbox's per-sink delivery."""

from hfwarden.adapters.sinks.delivery import Deliverer
from hfwarden.adapters.sinks.document import SCHEMA, TITLES, Post, alert_document, pending
from hfwarden.adapters.sinks.slack import slack_message
from hfwarden.adapters.sinks.webhook import signature
from hfwarden.adapters.sinks.worker import DeliveryPolicy

__all__ = [
    "SCHEMA",
    "TITLES",
    "Deliverer",
    "DeliveryPolicy",
    "Post",
    "alert_document",
    "pending",
    "signature",
    "slack_message",
]
