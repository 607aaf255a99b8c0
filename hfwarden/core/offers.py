"""What an alert offers people: the choices of a notice (keep it up, approve, skip) with their signed
links, and where links point. Plain values, shared by the alerts, the notices and the approvals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hfwarden.core.action_tokens import Grant, GrantKind


@dataclass(frozen=True, slots=True)
class ActionLinks:
    """Where the daemon answers links (`HFWARDEN_PUBLIC_URL`), the secret that signs them, and whether
    Slack notices carry buttons (a Slack signing secret is set)."""

    public_url: str
    secret: str
    slack_buttons: bool = False

    def __repr__(self) -> str:  # the secret never in a repr, a log line or a traceback
        return f"ActionLinks(public_url={self.public_url!r}, slack_buttons={self.slack_buttons})"

    def url(self, token: str) -> str:
        return f"{self.public_url.rstrip('/')}/act/{token}"


@dataclass(frozen=True, slots=True)
class Choice:
    """One thing a person can do about a notice: `keep up 1 h`, `approve`... with its link when signed."""

    label: str
    kind: GrantKind
    until: datetime | None = None
    url: str | None = None
    token: str | None = None  # a Slack button's value; the same capability as the link
    grant: Grant | None = None  # what its token allows, signed when the daemon has links


@dataclass(frozen=True, slots=True)
class Notice:
    """What an `upcoming_stop` (or approval) alert announces, beside its message."""

    at: datetime  # when the stop happens
    zone: str
    why: str
    saved_usd: float | None  # from the stop to the next resume (None: no price known)
    resume_at: datetime | None
    choices: tuple[Choice, ...]
    buttons: bool = False  # Slack renders the choices as Block Kit buttons
