"""Signed action tokens: what a snooze link, an approval link or a Slack button asks for. Pure.

A token is `<payload>.<signature>`: the payload is the grant as compact JSON in base64url, the
signature an HMAC-SHA256 of the payload under the action secret. Nothing is stored when a token is
made; using one stores its id (`token_id`), so it acts once. It expires at `expires`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

SIGNATURE_BYTES = 20  # 160 bits of HMAC-SHA256: short enough for a chat link, far past guessing
MAX_TOKEN = 2000  # Slack's limit on a button's value


class GrantKind(StrEnum):
    HOLD = "hold"  # keep the endpoint running until `until`
    APPROVE = "approve"  # carry out a ladder step now
    SKIP = "skip"  # do not carry out a ladder step


class TokenRefused(ValueError):
    """A token that must not act: `status` is the HTTP status to answer with (403 or 410)."""

    def __init__(self, status: int, message: str, endpoint: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.endpoint = endpoint


@dataclass(frozen=True, slots=True)
class Grant:
    """What a token allows: one action on one endpoint, until `expires`. `ref` names what it came
    from (the stop or the ladder step), so two notices never share a token."""

    kind: GrantKind
    endpoint: str
    expires: datetime
    ref: str
    until: datetime | None = None  # a hold's end

    def payload(self) -> dict[str, object]:
        body: dict[str, object] = {"k": self.kind.value, "e": self.endpoint, "x": _epoch(self.expires), "r": self.ref}
        if self.until is not None:
            body["u"] = _epoch(self.until)
        return body


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(payload: str, secret: str) -> str:
    digest = hmac.new(secret.encode(), b"hfwarden-action:" + payload.encode("ascii"), hashlib.sha256).digest()
    return _b64(digest[:SIGNATURE_BYTES])


def sign(grant: Grant, secret: str) -> str:
    """The token for `grant` under `secret`."""
    payload = _b64(json.dumps(grant.payload(), separators=(",", ":"), sort_keys=True).encode())
    return f"{payload}.{_signature(payload, secret)}"


def token_id(token: str) -> str:
    """What the store keeps of a used token: a digest, never the token."""
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def verify(token: str, secret: str, *, now: datetime) -> Grant:
    """The grant a token carries; TokenRefused(403) if it was not signed with `secret`, (410) if expired."""
    payload, dot, signature = token.partition(".")
    if not dot or len(token) > MAX_TOKEN or not hmac.compare_digest(signature, _signature(payload, secret)):
        raise TokenRefused(403, "this link is not valid: it was not made by this hfwarden")
    try:
        body = json.loads(_unb64(payload))
        grant = Grant(
            GrantKind(body["k"]),
            str(body["e"]),
            datetime.fromtimestamp(int(body["x"]), UTC),
            str(body["r"]),
            datetime.fromtimestamp(int(body["u"]), UTC) if "u" in body else None,
        )
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise TokenRefused(403, "this link is not valid: it cannot be read") from None
    if now >= grant.expires:
        raise TokenRefused(410, f"this link expired at {grant.expires.isoformat()}", grant.endpoint)
    return grant
