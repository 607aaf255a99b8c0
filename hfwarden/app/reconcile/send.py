"""Sending a pass's calls: one list in `call_order` (what the API quota does not fit waits for the next
window in that order), leaving out the endpoints refused for money, and what came of each call, per
batch (the schedules' and restores', the guard's). Nothing here decides."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from hfwarden.app.reconcile.execute import CallResult, Executor
from hfwarden.app.reconcile.mode import PassMode
from hfwarden.app.reconcile.observe import Observer
from hfwarden.app.reconcile.record import Recorder
from hfwarden.app.reconcile.refusals import Refusals
from hfwarden.app.reconcile.spend import SpendView
from hfwarden.app.reconcile.steps import Carried
from hfwarden.clock import Clock
from hfwarden.core.cost import hourly_burn
from hfwarden.core.decide import Decision, carried_out
from hfwarden.core.endpoints import Observation
from hfwarden.core.pacing import call_order
from hfwarden.core.records import Records


@dataclass(slots=True)
class _Outcomes:
    records: Records = field(default_factory=Records)
    acted: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    answers: dict[str, Observation] = field(default_factory=dict)

    def carried(self) -> Carried:
        return Carried(self.records, tuple(self.acted), self.failed, self.answers)


class Sender:
    """Sends decisions' calls through the executor (none in a dry run) and says what came of them."""

    def __init__(self, executor: Executor, observer: Observer, recorder: Recorder, *, clock: Clock) -> None:
        self.executor, self.observer, self.recorder, self.clock = executor, observer, recorder, clock
        self.refusals = Refusals(observer.store)  # endpoints refused for money: backed off across restarts

    def send(
        self, batches: Sequence[Sequence[Decision]], obs: Mapping[str, Observation], mode: PassMode
    ) -> list[Carried]:
        """Every batch's steps as one ordered list (a dry run: one audit entry per new decision instead)."""
        if not mode.sends:
            return [Carried(self.recorder.instead_of(batch, obs, at=self.clock.now())) for batch in batches]
        batch_of = {id(d): i for i, batch in enumerate(batches) for d in batch}
        decisions = [d for batch in batches for d in batch]
        now = self.clock.now()
        ordered = call_order(decisions, self._burns(decisions, obs))
        sendable = [d for d in ordered if self.refusals.may_try(d.endpoint, now)]
        outcomes = [_Outcomes() for _ in batches]
        for result in self.executor.carry_out(sendable, obs):
            if not result.deferred:
                self._settle(result, outcomes[batch_of[id(result.decision)]])
        return [o.carried() for o in outcomes]

    def _settle(self, result: CallResult, into: _Outcomes) -> None:
        key = result.decision.endpoint
        into.records += self.refusals.note(key, result.error, now=self.clock.now())
        if result.answer is not None and result.answered_at is not None:
            into.answers[key] = result.answer  # what the API said after the action: newer than the listing
            self.observer.fold_answer(result.answer, at=result.answered_at)
        if result.error is None:
            into.acted.append(key)
        else:
            into.failed[key] = result.error
        self.recorder.count(result.decision.kind, "ok" if result.error is None else "failed")
        into.records += carried_out(result.decision, at=self.clock.now(), error=result.error)

    def _burns(self, decisions: Sequence[Decision], obs: Mapping[str, Observation]) -> dict[str, float]:
        """Dollars per hour each acting endpoint bills now (budget stops go most expensive first)."""
        spend = SpendView(self.observer.ledger, self.observer.prices)
        return {
            d.endpoint: hourly_burn(observed, spend.price_of(d.endpoint, observed) or 0.0)
            for d in decisions
            if (observed := obs.get(d.endpoint)) is not None
        }
