"""Choosing the kind of schedule on evidence: rolling-origin validation inside the training weeks. Pure.

Each candidate (core/predict.py) is fitted to the weeks before a validation week and replayed on
that week through the platform model; up to `FOLDS` validation weeks, the last ones of the
training. A candidate's score adds up its folds: replica-minutes (its cost) and failed requests
(rejected, or served later than the SLO). The winner is the cheapest whose failed share meets the
aim; when none does, the one that fails least. The winner is then fitted to all training weeks.
Within a kind, candidates are tried from the cheapest (lowest quantile, lowest floor) up, and the
first that meets the aim ends that kind's search: the ones above it keep more replicas.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from hfwarden.core.platform.autoscaling import ReplicaModel, replicas_needed
from hfwarden.core.platform.simulation import EndpointConfig, Mode, Outcome
from hfwarden.core.predict import (
    QUANTILES,
    WEEK,
    Candidate,
    Kind,
    Needs,
    Recommendation,
    recommend,
    slot_needs,
)
from hfwarden.core.replay import after_action, replay
from hfwarden.core.rules import Action

FOLDS = 3  # validation weeks at most: the last whole weeks of the training
# Validation weeks are still weeks the data chose the kind from: aim at half the failures allowed
# there, leaving the other half for weeks no one has seen.
VALIDATION_SHARE = 0.5


@dataclass(frozen=True, slots=True)
class Score:
    candidate: Candidate
    replica_minutes: int
    requests: int
    failed: int
    rejected: int

    @property
    def failed_pct(self) -> float:
        return 100.0 * self.failed / self.requests if self.requests else 0.0


@dataclass(frozen=True, slots=True)
class Choice:
    winner: Score
    scores: tuple[Score, ...]
    met: bool  # the winner meets the aim
    folds: int  # validation weeks (0: scored on the training weeks themselves)
    max_failed_pct: float

    def why(self) -> str:
        """One sentence: which kind won and why."""
        won = self.winner
        where = f"{self.folds} validation week(s) inside the training" if self.folds else "the training weeks"
        if not self.met:
            return (
                f"no kind of schedule kept failed requests within {self.max_failed_pct * VALIDATION_SHARE:g} % "
                f"(half the {self.max_failed_pct:g} % allowed) on {where}; "
                f"the lowest was {won.candidate.describe()} ({won.failed_pct:.3f} % failed)"
            )
        aim = self.max_failed_pct * VALIDATION_SHARE
        beaten = [s for s in self.scores if s.failed_pct <= aim and s is not won]
        runner = min(beaten, key=lambda s: s.replica_minutes, default=None)
        other = (
            f"; next cheapest: {runner.candidate.describe()} at {runner.replica_minutes / won.replica_minutes:.2f}× "
            f"the cost"
            if runner is not None and won.replica_minutes
            else ""
        )
        return (
            f"chose {won.candidate.describe()}: the cheapest of {len(self.scores)} candidates tried with at most "
            f"{aim:g} % failed (half the {self.max_failed_pct:g} % allowed) on {where} ({won.failed_pct:.3f} %)"
            f"{other}"
        )


def candidates(peak_need: int) -> list[Candidate]:
    """Every profile kind at every quantile, and flat floors 0..peak_need."""
    found = [Candidate(kind, quantile=q) for kind in (Kind.PER_WEEKDAY, Kind.WEEKDAY_WEEKEND) for q in QUANTILES]
    return found + [Candidate(Kind.FLAT, floor=k) for k in range(peak_need + 1)]


def level_changes(
    rec: Recommendation, minutes_of_week: Sequence[int], idle_timeout: int
) -> tuple[EndpointConfig, dict[int, list[Action]]]:
    """The recommendation over a stretch of minutes: the configuration at its start and the actions
    due where the level changes (what the daemon would carry out)."""
    top = rec.max_replicas
    levels = rec.per_minute
    first = levels[minutes_of_week[0]]
    initial = after_action(EndpointConfig(Mode.RUNNING, 1, top, idle_timeout), action=rec.action(first))
    changes: dict[int, list[Action]] = {}
    previous = first
    for minute, moment in enumerate(minutes_of_week):
        level = levels[moment]
        if level != previous:
            changes[minute] = [rec.action(level)]
            previous = level
    return initial, changes


def replay_recommendation(
    demand: Sequence[int], minutes_of_week: Sequence[int], rec: Recommendation, model: ReplicaModel
) -> Outcome:
    initial, changes = level_changes(rec, minutes_of_week, model.autoscaler.idle_timeout_minutes)
    return replay(demand, model, initial, changes)


def _score(candidate: Candidate, outcomes: list[tuple[Outcome, int]], slo_s: float) -> Score:
    return Score(
        candidate,
        sum(o.replica_minutes for o, _ in outcomes),
        sum(requests for _, requests in outcomes),
        sum(o.requests_late + o.requests_rejected for o, _ in outcomes),
        sum(o.requests_rejected for o, _ in outcomes),
    )


def fit(
    demand: Sequence[int],
    minutes_of_week: Sequence[int],
    learnt: Sequence[bool],
    candidate: Candidate,
    *,
    model: ReplicaModel,
    zone: ZoneInfo,
    max_replicas: int,
) -> Recommendation:
    needs = slot_needs(demand, minutes_of_week, learnt, candidate, model.capacity_rpm, _utilisation(model))
    return recommend(needs, candidate, zone=zone, max_replicas=max_replicas, lead_minutes=model.lead_minutes())


def _utilisation(model: ReplicaModel) -> float:
    return model.autoscaler.target_utilisation


def choose(
    demand: Sequence[int],
    minutes_of_week: Sequence[int],
    learnt: Sequence[bool],
    *,
    model: ReplicaModel,
    zone: ZoneInfo,
    max_replicas: int,
    max_failed_pct: float,
) -> Choice:
    """Score every candidate by rolling-origin validation; the cheapest that meets the aim wins."""
    total = len(demand)
    folds = [total - f * WEEK for f in range(1, FOLDS + 1) if total - f * WEEK >= WEEK]
    spans = [(cut, cut + WEEK) for cut in folds] or [(0, total)]
    busiest = max(demand, default=0)
    peak = min(max_replicas, max(1, replicas_needed(busiest, model.capacity_rpm, _utilisation(model))))
    aim = max_failed_pct * VALIDATION_SHARE
    pooled: dict[tuple[int, int], Needs] = {}  # (fit end, profiles): flat floors pool like weekday/weekend
    met: set[Kind] = set()
    scored: list[Score] = []
    for candidate in candidates(peak):
        if candidate.kind in met:
            continue  # a higher quantile or floor of a kind that already met the aim costs more
        found: list[tuple[Outcome, int]] = []
        for begin, end in spans:
            fit_end = begin if folds else end
            key = (fit_end, 7 if candidate.kind == Kind.PER_WEEKDAY else 2)
            if key not in pooled:
                pooled[key] = slot_needs(
                    demand[:fit_end], minutes_of_week[:fit_end], learnt[:fit_end], candidate,
                    model.capacity_rpm, _utilisation(model),
                )  # fmt: skip
            rec = recommend(
                pooled[key], candidate, zone=zone, max_replicas=max_replicas,
                lead_minutes=model.lead_minutes(),
            )  # fmt: skip
            tested = demand[begin:end]
            found.append((replay_recommendation(tested, minutes_of_week[begin:end], rec, model), sum(tested)))
        scored.append(_score(candidate, found, model.slo_s))
        if scored[-1].failed_pct <= aim:
            met.add(candidate.kind)
    scores = tuple(scored)
    meeting = [s for s in scores if s.failed_pct <= aim]
    if meeting:
        winner = min(meeting, key=lambda s: (s.replica_minutes, s.failed))
    else:
        winner = min(scores, key=lambda s: (s.failed, s.replica_minutes))
    return Choice(winner, scores, bool(meeting), len(folds), max_failed_pct)
