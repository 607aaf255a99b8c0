"""Action tokens already used (a snooze link, an approval link or a Slack button acts once), and the
ladder steps announced and waiting for their notice to run out or for a decision.

Only a digest of the token is kept (the token itself is a bearer capability). Claiming is an INSERT
on the primary key, atomic on SQLite and PostgreSQL alike: of two clicks racing, one wins.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from hfwarden.adapters.store._base import StoreBase
from hfwarden.adapters.store.tables import pending_steps, used_action_tokens
from hfwarden.core.records import PendingStep


class ActionTokens(StoreBase):
    def claim_token(self, token_id: str, *, action: str, endpoint: str, by: str, now: datetime) -> bool:
        """True if this call used the token; False if it had been used before."""
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(used_action_tokens).values(
                        token_id=token_id, used_at=now, action=action, endpoint=endpoint, used_by=by
                    )
                )
        except IntegrityError:
            return False
        return True

    def unclaim_token(self, token_id: str) -> None:
        """Give a token back when what it asked for could not be done (nothing was changed)."""
        with self.engine.begin() as conn:
            conn.execute(delete(used_action_tokens).where(used_action_tokens.c.token_id == token_id))

    def token_used(self, token_id: str) -> bool:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(used_action_tokens.c.token_id).where(used_action_tokens.c.token_id == token_id)
            ).first()
        return row is not None

    def pending_steps(self) -> dict[str, PendingStep]:
        """Budget → its announced step, whatever its day (the guard compares)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(pending_steps)).all()
        return {
            r.budget: PendingStep(
                r.budget,
                date.fromisoformat(r.day),
                r.step,
                r.kind,
                r.announced_at,
                r.due_at,
                r.decision,
                r.decided_by,
            )
            for r in rows
        }

    def put_pending_steps(self, put: tuple[PendingStep, ...], drop: tuple[str, ...]) -> None:
        """Steps newly announced (each replaces its budget's older one) and those that are over."""
        with self.engine.begin() as conn:
            for budget in (*drop, *(p.budget for p in put)):
                conn.execute(delete(pending_steps).where(pending_steps.c.budget == budget))
            for p in put:
                conn.execute(
                    insert(pending_steps).values(
                        budget=p.budget,
                        day=p.day.isoformat(),
                        step=p.step,
                        kind=p.kind,
                        announced_at=p.announced_at,
                        due_at=p.due_at,
                        decision=None,
                        decided_by="",
                    )
                )

    def decide_pending_step(self, ref: str, decision: str, *, by: str) -> bool:
        """Approve or skip the waiting step `ref` names; False if it is no longer waiting for one."""
        budget, _, rest = ref.partition("@")
        day, _, step = rest.partition("#")
        with self.engine.begin() as conn:
            done = conn.execute(
                update(pending_steps)
                .where(
                    pending_steps.c.budget == budget,
                    pending_steps.c.day == day,
                    pending_steps.c.step == int(step or 0),
                    pending_steps.c.decision.is_(None),
                )
                .values(decision=decision, decided_by=by)
            )
        return done.rowcount == 1
