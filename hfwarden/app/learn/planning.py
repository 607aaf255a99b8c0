"""What `plan` shows of `learn:`: adopted schedules in force instead of the file's, and when each
learning endpoint learns next."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hfwarden.adapters.store import Store
from hfwarden.app.learn.adopted import with_adopted
from hfwarden.app.learn.job import next_learning
from hfwarden.config import Config
from hfwarden.core.learning import ProposalStatus
from hfwarden.settings import Settings


def learning_plan(settings: Settings, config: Config, *, now: datetime) -> tuple[Config, list[dict[str, Any]]]:
    """The config as the daemon runs it (adopted schedules in force) and, per `learn:` block and
    adopted proposal, a line of what it means. Reads the state store only if there is one."""
    store = Store(settings.database_url) if settings.state_exists else None
    try:
        adopted = store.proposals(statuses=[ProposalStatus.ADOPTED]) if store else []
        states = store.learning_states() if store else {}
    finally:
        if store is not None:
            store.close()
    applied = with_adopted(config, adopted)
    notes: list[dict[str, Any]] = [
        {"endpoint": p.endpoint, "adopted_proposal": p.id, "version": p.version,
         "adopted_at": (p.decided_at or p.created_at).isoformat()}
        for p in applied.adopted
    ]  # fmt: skip
    for plan in config.learn:
        keys = [k for k in states if k == plan.endpoint or plan.endpoint.endswith("*")] or [plan.endpoint]
        for key in keys:
            at = next_learning(plan, states.get(key), now)
            notes.append({"endpoint": key, "next_learning": at.astimezone(UTC).isoformat(), "mode": plan.mode.value,
                          "every_minutes": int(plan.every.total_seconds() // 60)})  # fmt: skip
    return applied.config, notes


def learning_lines(notes: list[dict[str, Any]]) -> list[str]:
    lines = []
    for note in notes:
        if "adopted_proposal" in note:
            lines.append(
                f"{note['endpoint']}: adopted proposal {note['adopted_proposal']} (v{note['version']}) in force "
                f"instead of the file's schedule since {note['adopted_at'][:16]} (hfwarden revert to undo)"
            )
        else:
            when = datetime.fromisoformat(note["next_learning"])
            lines.append(f"{note['endpoint']}: next learning {when:%Y-%m-%d %H:%M} UTC ({note['mode']})")
    return lines
