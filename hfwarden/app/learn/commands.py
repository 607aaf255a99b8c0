"""`hfwarden trace export`, `proposals`, `adopt`, `dismiss`, `revert`: read the state store, change one
proposal, audit and alert it in one transaction. Bad input is one line and exit 2."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any

from hfwarden.adapters.alerts import pending
from hfwarden.adapters.store import Store
from hfwarden.adapters.store.proposals import Notes
from hfwarden.app.demand import demand_of
from hfwarden.app.learn.notes import proposal_alert, proposal_audit, summary
from hfwarden.app.predict.backtest import BacktestError
from hfwarden.config import Config, ConfigError, load_config
from hfwarden.core.endpoints import EndpointKey
from hfwarden.core.learning import Proposal, ProposalStatus
from hfwarden.settings import Settings

STANDING = (ProposalStatus.OPEN, ProposalStatus.ADOPTED)


def _fail(message: str) -> int:
    print(f"hfwarden: {message}", file=sys.stderr)
    return 2


def export_trace(args: argparse.Namespace) -> int:
    """The query's requests per minute as `minute_start,requests`; a gap is an empty cell."""
    try:
        trace = demand_of(args).trace
    except BacktestError as exc:
        return _fail(str(exc))
    out = sys.stdout
    out.write("minute_start,requests\n")
    known = trace.known()
    for index, (requests, seen) in enumerate(zip(trace.requests, known, strict=True)):
        at = trace.start.timestamp() + 60 * index
        stamp = datetime.fromtimestamp(at, UTC).isoformat()
        out.write(f"{stamp},{requests if seen else ''}\n")
    if trace.missing:
        print(f"hfwarden: {len(trace.missing)} minutes without samples written as empty cells", file=sys.stderr)
    return 0


def proposal_document(p: Proposal) -> dict[str, Any]:
    return {
        "id": p.id, "endpoint": p.endpoint, "version": p.version, "status": p.status.value, "mode": p.mode.value,
        "created_at": p.created_at.isoformat(), "decided_at": p.decided_at.isoformat() if p.decided_at else None,
        "reason": p.reason, "schedule_yaml": p.schedule_yaml,
        **{k: v for k, v in p.figures.items() if k != "profile"},
    }  # fmt: skip


def _store(settings: Settings) -> Store | None:
    return Store(settings.database_url) if settings.state_exists else None


def list_proposals(args: argparse.Namespace) -> int:
    store = _store(Settings())
    found = [] if store is None else store.proposals(statuses=None if args.all else STANDING)
    if store is not None:
        store.close()
    if args.json:
        print(json.dumps([proposal_document(p) for p in found], indent=2))
        return 0
    for p in found:
        print(f"{p.id:>4}  {p.endpoint}  v{p.version}  {p.status.value:<10} {p.created_at:%Y-%m-%d %H:%M} UTC  "
              f"{summary(p)}{'  (' + p.reason + ')' if p.reason else ''}")  # fmt: skip
    if not found:
        print("no proposals" + ("" if args.all else " open or adopted (--all for decided ones)"))
    return 0


def _config(args: argparse.Namespace, settings: Settings) -> Config | None:
    try:
        return load_config([args.config or settings.config], need_secrets=False)
    except ConfigError:
        return None  # the alert sinks are the file's; without them the change is still audited


def _decide(args: argparse.Namespace, pick: tuple[ProposalStatus, ...], status: ProposalStatus, verb: str) -> int:
    try:
        key = str(EndpointKey.parse(args.endpoint))
    except ValueError as exc:
        return _fail(str(exc))
    settings = Settings()
    store = _store(settings)
    if store is None:
        return _fail("no state store yet: nothing has been learnt")
    try:
        candidates = store.proposals(key, statuses=pick)
        wanted = getattr(args, "proposal", None)
        if wanted is not None:
            candidates = [p for p in store.proposals(key) if p.id == wanted]
            if not candidates or candidates[0].status not in (*pick, ProposalStatus.REFUSED, ProposalStatus.REPLACED):
                return _fail(f"{key} has no proposal {wanted} that can be {verb}")
        if not candidates:
            return _fail(f"{key} has no {' or '.join(s.value for s in pick)} proposal to {verb.rstrip('ed')}")
        chosen = candidates[-1]
        now = datetime.now(UTC)
        decided = Proposal(**{**_fields(chosen), "status": status, "decided_at": now})
        config = _config(args, settings)
        alert = proposal_alert(decided, at=now)
        notes = Notes(
            audit=proposal_audit(decided, at=now, why=f"by hfwarden {verb.rstrip('ed')}"),
            alerts=[pending(alert, created_at=now)] if alert else [],
            sinks=config.alerts.sinks if config else (),
        )
        store.decide_proposal(chosen.id, status, now=now, reason=f"hfwarden {args.command}", notes=notes)
    finally:
        store.close()
    print(f"{key}: proposal {chosen.id} (v{chosen.version}) {status.value}; the daemon applies it within its tick")
    return 0


def _fields(p: Proposal) -> dict[str, Any]:
    return {name: getattr(p, name) for name in Proposal.__slots__}


def adopt(args: argparse.Namespace) -> int:
    return _decide(args, (ProposalStatus.OPEN,), ProposalStatus.ADOPTED, "adopted")


def dismiss(args: argparse.Namespace) -> int:
    return _decide(args, (ProposalStatus.OPEN,), ProposalStatus.DISMISSED, "dismissed")


def revert(args: argparse.Namespace) -> int:
    return _decide(args, (ProposalStatus.ADOPTED,), ProposalStatus.REVERTED, "reverted")
