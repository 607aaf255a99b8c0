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
from hfwarden.app.learn.entries import entry_text, fingerprint
from hfwarden.app.learn.notes import proposal_alert, proposal_audit, summary
from hfwarden.app.predict.backtest import BacktestError
from hfwarden.app.predict.recommend import reload
from hfwarden.config import Config, ConfigError, load_config
from hfwarden.core.endpoints import EndpointKey
from hfwarden.core.learning import Proposal, ProposalStatus, broken_keep, stale_for_adoption
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


def _config(args: argparse.Namespace, settings: Settings) -> tuple[Config | None, str]:
    """The schedule file (its alert sinks, its entries), or None and why it cannot be read: a change
    is still audited without its sinks."""
    try:
        return load_config([args.config or settings.config], need_secrets=False), ""
    except ConfigError as exc:
        return None, str(exc).splitlines()[0] if str(exc) else type(exc).__name__


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
        config, problem = _config(args, settings)
        forced, entry = "", chosen.file_fingerprint
        if status == ProposalStatus.ADOPTED:
            why, entry = _stale(chosen, config, problem, store.proposals(key))
            if why is not None and not args.force:
                return _fail(f"not adopted: {why}; wait for the next learning cycle, or adopt it anyway with --force")
            forced = f" (forced: {why})" if why is not None else ""
        now = datetime.now(UTC)
        decided = Proposal(**{**_fields(chosen), "status": status, "decided_at": now, "file_fingerprint": entry})
        alert = proposal_alert(decided, at=now)
        notes = Notes(
            audit=proposal_audit(decided, at=now, why=f"by hfwarden {verb.rstrip('ed')}{forced}"),
            alerts=[pending(alert, created_at=now)] if alert else [],
            sinks=config.alerts.sinks if config else (),
        )
        reason = f"hfwarden {args.command}{' --force' if forced else ''}"
        adopted_against = entry if status == ProposalStatus.ADOPTED else None
        store.decide_proposal(chosen.id, status, now=now, reason=reason, notes=notes, file_fingerprint=adopted_against)
    finally:
        store.close()
    print(f"{key}: proposal {chosen.id} (v{chosen.version}) {status.value}; the daemon applies it within its tick")
    return 0


def _stale(chosen: Proposal, config: Config | None, problem: str, proposals: list[Proposal]) -> tuple[str | None, str]:
    """Why adopting `chosen` now is not what its figures back (or None), and the fingerprint of the
    file's entry it is adopted against (a forced adoption stands against the file as it is now)."""
    if config is None:
        return f"the schedule file cannot be read to check proposal {chosen.id} against it ({problem})", (
            chosen.file_fingerprint
        )
    text = entry_text(config.sources, chosen.endpoint)
    entry = fingerprint(text) if text else ""
    plan = next((p for p in config.learn if p.endpoint == chosen.endpoint), None)
    if plan is None:
        plan = next((p for p in config.learn if _matched(config, p.endpoint, chosen.endpoint)), None)
    broken = None
    if plan is not None:
        broken = broken_keep(reload(chosen.schedule_yaml, chosen.endpoint), plan, start=datetime.now(UTC))
    return stale_for_adoption(chosen, entry, proposals, broken), entry or chosen.file_fingerprint


def _matched(config: Config, label: str, key: str) -> bool:
    match = next((m for m in config.matches if m.label == label), None)
    return match is not None and match.covers(key) and config.endpoint(key) is None


def _fields(p: Proposal) -> dict[str, Any]:
    return {name: getattr(p, name) for name in Proposal.__slots__}


def adopt(args: argparse.Namespace) -> int:
    return _decide(args, (ProposalStatus.OPEN,), ProposalStatus.ADOPTED, "adopted")


def dismiss(args: argparse.Namespace) -> int:
    return _decide(args, (ProposalStatus.OPEN,), ProposalStatus.DISMISSED, "dismissed")


def revert(args: argparse.Namespace) -> int:
    return _decide(args, (ProposalStatus.ADOPTED,), ProposalStatus.REVERTED, "reverted")
