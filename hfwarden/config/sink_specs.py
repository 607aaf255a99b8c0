"""Where alerts go, in the schedule file: Slack, signed webhooks, apprise URLs."""

from __future__ import annotations

from pydantic import Field

from hfwarden.config.models import NAME, _Strict


class SlackSpec(_Strict):
    webhook_url: str = Field(pattern=r"^https?://")


class WebhookSpec(_Strict):
    name: str = Field(pattern=NAME)
    url: str = Field(pattern=r"^https?://")
    secret: str = Field(min_length=16)


class AlertsSpec(_Strict):
    """Where alerts go. Values are usually `${VAR}`, read from the environment."""

    slack: SlackSpec | None = None
    webhooks: list[WebhookSpec] = Field(default_factory=list)
