"""Choosing the kind of schedule on evidence: rolling-origin validation inside the training weeks. Pure.

Each candidate (core/predict.py) is fitted to the weeks before a validation week and replayed on
that week through the platform model; up to `FOLDS` validation weeks, the last ones of the
training. A candidate's score adds up its folds: replica-minutes (its cost) and failed requests
(rejected, or served later than the SLO); it meets the aim when each validation week does. Among
those meeting it, the ones within `COST_TOLERANCE` of the cheapest are worth the same, and of those
one with autoscaling headroom wins over a pinned one, then the one failing least (`pick`); when none
meets the aim, the one that fails least. The winner is then fitted to all training weeks. Within a
family (a kind, pinned or not), candidates are tried from the cheapest (lowest quantile, lowest
floor) up, until one costs more than `COST_TOLERANCE` above the first that met the aim.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby
from zoneinfo import ZoneInfo

from hfwarden.core.platform.autoscaling import ReplicaModel, replicas_needed
from hfwarden.core.platform.simulation import EndpointConfig, Mode, SimulatedRun
from hfwarden.core.predict import (
    MIN_STRETCH_MINUTES,
    PINNED_QUANTILES,
    QUANTILES,
    SLOT_MINUTES,
    SLOTS_PER_WEEK,
    WEEK,
    Candidate,
    Kind,
    Needs,
    Queueing,
    Recommendation,
    merge_short,
    minute_levels,
    pooled_needs,
    recommend,
    slot_minutes,
    slot_needs,
    weekly_levels,
)
from hfwarden.core.replay import after_action, replay
from hfwarden.core.rules import Action

FOLDS = 3  # validation weeks at most: the last whole weeks of the training
# Validation weeks are still weeks the data chose the kind from: aim at half the failures allowed
# there, leaving the other half for weeks no one has seen.
VALIDATION_SHARE = 0.5
# Candidates whose validation cost is within a tenth of the cheapest one meeting the aim are worth
# the same: the one with autoscaling headroom, then the one failing least, wins (see `pick`).
COST_TOLERANCE = 0.10


@dataclass(frozen=True, slots=True)
class Score:
    candidate: Candidate
    replica_minutes: int
    requests: int
    failed: int
    rejected: int
    worst_week_pct: float = 0.0  # the failed share of its worst validation week

    @property
    def failed_pct(self) -> float:
        return 100.0 * self.failed / self.requests if self.requests else 0.0

    def meets(self, aim: float) -> bool:
        """Every validation week within the aim, not just their sum: the week that matters next is
        one week too, and a quiet week must not hide a failing one."""
        return self.worst_week_pct <= aim


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
        aim = self.max_failed_pct * VALIDATION_SHARE
        if not self.met:
            return (
                f"no kind of schedule kept failed requests within {aim:g} % (half the {self.max_failed_pct:g} % "
                f"allowed) in every one of {where}; the lowest was {won.candidate.describe()} "
                f"({won.failed_pct:.3f} % failed)"
            )
        meeting = [s for s in self.scores if s.meets(aim)]
        cheapest = min(meeting, key=lambda s: (s.replica_minutes, s.failed))
        reason = "the cheapest"
        if cheapest is not won:
            extra = won.replica_minutes / cheapest.replica_minutes - 1 if cheapest.replica_minutes else 0.0
            headroom = (
                "with autoscaling headroom and " if cheapest.candidate.pinned and not won.candidate.pinned else ""
            )
            reason = (
                f"{headroom}the fewest failures within {COST_TOLERANCE:.0%} of the cheapest ({extra:+.1%} over "
                f"{cheapest.candidate.describe()}, {cheapest.failed_pct:.3f} %)"
            )
        return (
            f"chose {won.candidate.describe()}: {reason} of {len(self.scores)} candidates tried with at most "
            f"{aim:g} % failed (half the {self.max_failed_pct:g} % allowed) in each of {where} "
            f"({won.failed_pct:.3f} %)"
        )


def pick(scores: Sequence[Score], aim: float) -> Score | None:
    """Among the candidates meeting the aim, those costing at most `COST_TOLERANCE` more than the
    cheapest are worth the same; of those, one with autoscaling headroom (not pinned) first, then the
    fewest failures, then the cheapest. None when no candidate meets the aim."""
    meeting = [s for s in scores if s.meets(aim)]
    if not meeting:
        return None
    cheapest = min(s.replica_minutes for s in meeting)
    near = [s for s in meeting if s.replica_minutes <= (1 + COST_TOLERANCE) * cheapest]
    return min(near, key=lambda s: (s.candidate.pinned, s.failed, s.replica_minutes))


def candidates(peak_need: int) -> list[Candidate]:
    """Every profile kind at every quantile, with autoscaling headroom and pinned; flat floors 0..peak_need."""
    found = [
        Candidate(kind, quantile=q, pinned=pinned)
        for kind in (Kind.PER_WEEKDAY, Kind.WEEKDAY_WEEKEND)
        for pinned in (False, True)
        for q in (PINNED_QUANTILES if pinned else QUANTILES)
    ]
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
    minute, previous = 0, first
    for level, run in groupby(map(levels.__getitem__, minutes_of_week)):  # a week's few stretches, found in C
        if level != previous:
            changes[minute] = [rec.action(level)]
            previous = level
        minute += len(list(run))
    return initial, changes


def replay_recommendation(
    demand: Sequence[int], minutes_of_week: Sequence[int], rec: Recommendation, model: ReplicaModel
) -> SimulatedRun:
    initial, changes = level_changes(rec, minutes_of_week, model.autoscaler.idle_timeout_minutes)
    return replay(demand, model, initial, changes)


def _score(candidate: Candidate, outcomes: list[tuple[SimulatedRun, int]], slo_s: float) -> Score:
    weeks = [100.0 * (o.requests_late + o.requests_rejected) / n for o, n in outcomes if n]
    return Score(
        candidate,
        sum(o.replica_minutes for o, _ in outcomes),
        sum(requests for _, requests in outcomes),
        sum(o.requests_late + o.requests_rejected for o, _ in outcomes),
        sum(o.requests_rejected for o, _ in outcomes),
        max(weeks, default=0.0),
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
    max_failed_pct: float,
) -> Recommendation:
    needs = slot_needs(demand, minutes_of_week, learnt, candidate, model.capacity_rpm, _queueing(model, max_failed_pct))
    return recommend(needs, candidate, zone=zone, max_replicas=max_replicas, lead_minutes=model.lead_minutes())


def _utilisation(model: ReplicaModel) -> float:
    """The load per replica a profile with autoscaling headroom counts its levels at: HF's target."""
    return model.autoscaler.target_utilisation


def _queueing(model: ReplicaModel, max_failed_pct: float) -> Queueing:
    """Headroom at HF's target; pinned replicas at full capacity, the queue's late share within the
    validation aim (the share of failed requests a validation week may have)."""
    return Queueing(_utilisation(model), model.slo_s, max_failed_pct * VALIDATION_SHARE / 100.0)


@dataclass(frozen=True, slots=True)
class _Folds:
    """The validation folds of one training series, the profiles fitted so far and the replays made."""

    demand: Sequence[int]
    minutes_of_week: Sequence[int]
    learnt: Sequence[bool]
    spans: list[tuple[int, int, int]]  # (fit end, tested begin, tested end)
    minutes: dict[int, list[list[int]]]  # fit end -> the learnt minutes' requests per slot of the week
    queueing: Queueing  # how needs are counted
    pooled: dict[tuple[int, int], dict[bool, Needs]]  # (fit end, profiles) -> needs by pinned
    # (slot levels, pinned, fold) -> its replay: candidates often come to the same weekly levels
    # (neighbouring quantiles, a floor and a profile), and a replay depends on nothing else.
    replays: dict[tuple[tuple[int, ...], bool, int], SimulatedRun]
    merged: dict[tuple[int, ...], tuple[int, ...]]  # a week's slot levels -> `merge_short` of them


def _pooled(folds: _Folds, fit_end: int, candidate: Candidate, model: ReplicaModel) -> Needs:
    """The training needs before `fit_end` by the candidate's profiles, pinned and not counted in one pass."""
    key = (fit_end, 7 if candidate.kind == Kind.PER_WEEKDAY else 2)
    if key not in folds.pooled:
        found = pooled_needs(folds.minutes[fit_end], candidate, model.capacity_rpm, folds.queueing)
        folds.pooled[key] = {False: found[0], True: found[1]}
    return folds.pooled[key][candidate.pinned]


def _slot_minutes(
    demand: Sequence[int], minutes_of_week: Sequence[int], learnt: Sequence[bool], spans: list[tuple[int, int, int]]
) -> dict[int, list[list[int]]]:
    """`slot_minutes` before each fit end, in one pass: a fold's training is the one before it plus a week."""
    found: dict[int, list[list[int]]] = {}
    done, before = 0, [list[int]() for _ in range(SLOTS_PER_WEEK)]
    for fit_end in sorted({fit_end for fit_end, _begin, _end in spans}):
        more = slot_minutes(demand[done:fit_end], minutes_of_week[done:fit_end], learnt[done:fit_end])
        before = [old + new for old, new in zip(before, more, strict=True)]
        found[fit_end], done = before, fit_end
    return found


def _validate(folds: _Folds, candidate: Candidate, *, model: ReplicaModel, zone: ZoneInfo, max_replicas: int) -> Score:
    """The candidate fitted to the weeks before each validation week and replayed on that week."""
    found: list[tuple[SimulatedRun, int]] = []
    lead = model.lead_minutes()
    for fold, (fit_end, begin, end) in enumerate(folds.spans):
        weekly = tuple(weekly_levels(_pooled(folds, fit_end, candidate, model), candidate, max_replicas))
        if weekly not in folds.merged:
            folds.merged[weekly] = tuple(merge_short(list(weekly), MIN_STRETCH_MINUTES // SLOT_MINUTES))
        key = (folds.merged[weekly], candidate.pinned, fold)
        tested = folds.demand[begin:end]
        if key not in folds.replays:
            # Only the levels and the actions matter to a replay: the stretches' figures are left out.
            _nominal, run = minute_levels(key[0], lead)
            rec = Recommendation(zone, max_replicas, candidate, lead, (), tuple(run))
            folds.replays[key] = replay_recommendation(tested, folds.minutes_of_week[begin:end], rec, model)
        found.append((folds.replays[key], sum(tested)))
    return _score(candidate, found, model.slo_s)


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
    """Score the candidates by rolling-origin validation and `pick` one. Within a family (a kind,
    pinned or not), candidates are tried from the cheapest up; once one meets the aim, the search
    goes on only while the next stays within `COST_TOLERANCE` of it (the ones above cost more)."""
    total = len(demand)
    cuts = [total - f * WEEK for f in range(1, FOLDS + 1) if total - f * WEEK >= WEEK]
    spans = [(cut, cut, cut + WEEK) for cut in cuts] or [(total, 0, total)]
    folds = _Folds(
        demand, minutes_of_week, learnt, spans, _slot_minutes(demand, minutes_of_week, learnt, spans),
        _queueing(model, max_failed_pct), {}, {}, {},
    )  # fmt: skip
    peak = min(max_replicas, max(1, replicas_needed(max(demand, default=0), model.capacity_rpm, _utilisation(model))))
    aim = max_failed_pct * VALIDATION_SHARE
    first_met: dict[tuple[Kind, bool], int] = {}  # family -> replica-minutes of its first candidate meeting the aim
    done: set[tuple[Kind, bool]] = set()
    scored: list[Score] = []
    for candidate in candidates(peak):
        family = (candidate.kind, candidate.pinned)
        if family in done:
            continue
        score = _validate(folds, candidate, model=model, zone=zone, max_replicas=max_replicas)
        scored.append(score)
        if family in first_met and score.replica_minutes > (1 + COST_TOLERANCE) * first_met[family]:
            done.add(family)
        elif score.meets(aim):
            first_met.setdefault(family, score.replica_minutes)
    scores = tuple(scored)
    winner = pick(scores, aim) or min(scores, key=lambda s: (s.failed, s.replica_minutes))
    return Choice(winner, scores, winner.meets(aim), len(cuts), max_failed_pct)
