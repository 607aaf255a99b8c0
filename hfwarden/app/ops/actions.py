"""What a signed action token does when someone uses it: a snooze link's confirmation and its hold,
a Slack button's hold. One desk for both, so a link and a button behave alike: same checks, same
quote, same audit; the hold is placed through `place_hold`, exactly as `hfwarden hold` places one.

A token acts once: its id is claimed in the store before the hold is placed, and given back if the
hold could not be placed (nothing changed). Refusals (forged 403, expired or used 410) are audited.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import structlog

from hfwarden.adapters.store import Store
from hfwarden.app.ops.holds import HoldError, HoldRequest, PlacedHold, place_hold
from hfwarden.clock import Clock
from hfwarden.config import Config
from hfwarden.core.action_tokens import Grant, GrantKind, TokenRefused, token_id, verify
from hfwarden.core.records import AuditEntry, Records
from hfwarden.settings import Settings

log = structlog.get_logger("hfwarden.actions")


def describe_ref(ref: str) -> str:
    """`budget acme-prod step 3 (2026-01-05)` for an approval's reference."""
    budget, _, rest = ref.partition("@")
    day, _, step = rest.partition("#")
    return f"budget {budget} step {step} ({day})"


USED = "this link was used already: it acts once"


@dataclass(frozen=True, slots=True)
class ActionResult:
    """What to answer: an HTTP status, one plain line, and the hold and quote when there is one."""

    status: int
    message: str
    grant: Grant | None = None
    placed: PlacedHold | None = None


class ActionDesk:
    """Redeems action tokens against the daemon's settings, config and store."""

    def __init__(self, settings: Settings, config: Callable[[], Config], store: Store, clock: Clock) -> None:
        self.settings = settings
        self.config = config
        self.store = store
        self.clock = clock

    @property
    def enabled(self) -> bool:
        return self.settings.action_secret_value() is not None

    def zone_of(self, endpoint: str) -> ZoneInfo:
        """The endpoint's zone (its schedule's), for showing times as its people read them."""
        schedule = self.config().endpoint(endpoint)
        return schedule.zone if schedule is not None else ZoneInfo("UTC")

    def _grant(self, token: str, *, source: str, by: str) -> Grant:
        secret = self.settings.action_secret_value()
        if secret is None:
            raise TokenRefused(404, "links are off: HFWARDEN_ACTION_SECRET is not set")
        try:
            grant = verify(token, secret, now=self.clock.now())
        except TokenRefused as refused:
            self.refused(refused, source=source, by=by)
            raise
        if self.store.token_used(token_id(token)):
            used = TokenRefused(410, USED, grant.endpoint)
            self.refused(used, source=source, by=by)
            raise used
        return grant

    def preview(self, token: str) -> ActionResult:
        """What the link would do and cost, changing nothing (the confirmation page behind a GET)."""
        try:
            grant = self._grant(token, source="link", by="")
            if grant.kind != GrantKind.HOLD:
                return ActionResult(200, f"{grant.kind.value} {describe_ref(grant.ref)}", grant)
            placed = self._hold(grant, source="link", by="", store_it=False)
        except TokenRefused as refused:
            return ActionResult(refused.status, str(refused))
        except HoldError as exc:
            return ActionResult(409, f"this link cannot act now: {exc}")
        return ActionResult(200, placed.quote, grant, placed)

    def redeem(self, token: str, *, source: str, by: str) -> ActionResult:
        """Use the token: claim it, then place its hold (given back if the hold is refused)."""
        try:
            grant = self._grant(token, source=source, by=by)
        except TokenRefused as refused:
            return ActionResult(refused.status, str(refused))
        tid = token_id(token)
        if not self.store.claim_token(
            tid, action=grant.kind.value, endpoint=grant.endpoint, by=by, now=self.clock.now()
        ):
            self.refused(TokenRefused(410, USED, grant.endpoint), source=source, by=by)
            return ActionResult(410, USED, grant)
        if grant.kind != GrantKind.HOLD:
            return self._decide(grant, tid, source=source, by=by)
        try:
            placed = self._hold(grant, source=source, by=by, store_it=True)
        except HoldError as exc:
            self.store.unclaim_token(tid)
            return ActionResult(409, f"nothing changed: {exc}", grant)
        log.info("action_used", endpoint=grant.endpoint, action=grant.kind.value, source=source, by=by)
        return ActionResult(200, placed.quote, grant, placed)

    def _hold(self, grant: Grant, *, source: str, by: str, store_it: bool) -> PlacedHold:
        if grant.kind != GrantKind.HOLD or grant.until is None:
            raise HoldError(f"this desk places holds; the link asks to {grant.kind.value}")
        who = f" by {by}" if by else ""
        request = HoldRequest(
            grant.endpoint,
            grant.until.isoformat(),
            "running",
            reason=f"kept up from a notice ({source}{who})",
            source=source,
            by=by,
        )
        return place_hold(self.settings, self.config(), request, clock=self.clock, store_it=store_it)

    def _decide(self, grant: Grant, tid: str, *, source: str, by: str) -> ActionResult:
        """Approve or skip a waiting ladder step; the next pass carries the decision out."""
        decision = "approve" if grant.kind == GrantKind.APPROVE else "skip"
        who = f"{source} {by}".strip()
        if not self.store.decide_pending_step(grant.ref, decision, by=who):
            self.store.unclaim_token(tid)
            return ActionResult(409, f"nothing changed: {describe_ref(grant.ref)} is no longer waiting", grant)
        now = self.clock.now()
        what = f"{decision} {describe_ref(grant.ref)}"
        entry = AuditEntry(now, grant.endpoint, decision, f"{what} by {who}", "ok", who, False)
        self.store.write_pass(Records(audit=(entry,)), alerts=[], sinks=self.config().alerts.sinks, now=now)
        log.info("step_decided", budget=grant.endpoint, decision=decision, source=source, by=by)
        return ActionResult(200, f"{what}: recorded; the next pass carries it out", grant)

    def refused(self, refused: TokenRefused, *, source: str, by: str) -> None:
        """Audit a token that was not honoured: who tried (as far as the source knows), what, and why."""
        now = self.clock.now()
        detail = f"{source} {by}".strip() + f": {refused.status}"
        entry = AuditEntry(now, refused.endpoint or "-", "action_refused", str(refused), "refused", detail, False)
        self.store.write_pass(Records(audit=(entry,)), alerts=[], sinks=self.config().alerts.sinks, now=now)
        log.warning("action_refused", endpoint=refused.endpoint or None, status=refused.status, source=source)
