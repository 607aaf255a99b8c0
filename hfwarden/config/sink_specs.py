"""Where alerts go, in the schedule file: Slack, signed webhooks, apprise URLs."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from hfwarden.config.models import NAME, _Strict


class SlackSpec(_Strict):
    webhook_url: str = Field(pattern=r"^https?://")
    # The status page as people reach it: linked when a message is cut to fit Slack's limits.
    page_url: str | None = Field(default=None, pattern=r"^https?://[^\s<>|]+$", max_length=2000)


class WebhookSpec(_Strict):
    name: str = Field(pattern=NAME)
    url: str = Field(pattern=r"^https?://")
    secret: str = Field(min_length=16)


class AppriseSpec(_Strict):
    """`{urls: ["${TEAMS_URL}", "${PAGERDUTY_URL}"]}`: apprise URLs (msteams://, discord://, mailto://,
    pagerduty://, json://, ...), each its own sink. They carry tokens: never echoed in a problem."""

    urls: list[str] = Field(min_length=1, max_length=20)

    @field_validator("urls")
    @classmethod
    def _urls(cls, value: list[str]) -> list[str]:
        for number, url in enumerate(value, start=1):
            if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://\S+$", url or ""):
                raise ValueError(f"apprise URL #{number} is not scheme://... (see the apprise documentation)")
        return value


class AlertsSpec(_Strict):
    """Where alerts go. Values are usually `${VAR}`, read from the environment."""

    slack: SlackSpec | None = None
    webhooks: list[WebhookSpec] = Field(default_factory=list)
    apprise: AppriseSpec | None = None
