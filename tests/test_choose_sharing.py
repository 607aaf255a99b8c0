"""The candidate search's shortcuts give the figures the plain way gives: replays shared between
candidates that come to the same weekly levels, needs pooled once for pinned and headroom profiles,
and the week's stretches, drain and pre-warm worked out on slots instead of minutes."""

from __future__ import annotations

import random
from datetime import datetime
from zoneinfo import ZoneInfo

from hfwarden.core.choose import FOLDS, VALIDATION_SHARE, choose, replay_recommendation
from hfwarden.core.platform.autoscaling import ReplicaModel
from hfwarden.core.predict import (
    SLOT_MINUTES,
    WEEK,
    Queueing,
    drained,
    local_minutes_of_week,
    merge_short,
    minute_levels,
    prewarmed,
    recommend,
    slot_needs,
)
from tests.support import traces


def _merge_minute_by_minute(levels: list[int], min_slots: int) -> list[int]:
    """`merge_short` as it was before it worked on stretches: the week's runs found again after each merge."""
    levels, kept = list(levels), set[int]()
    while True:
        every = _runs(levels)
        runs = [(s, n) for s, n in every if n < min_slots and s not in kept]
        if len(every) <= 1 or not runs:
            return levels
        start, length = min(runs, key=lambda r: r[1])
        here = levels[start]
        before, after = levels[(start - 1) % len(levels)], levels[(start + length) % len(levels)]
        higher = [n for n in (before, after) if n > here]
        if not higher:
            kept.add(start)
            continue
        for i in range(start, start + length):
            levels[i % len(levels)] = min(higher)


def _runs(levels: list[int]) -> list[tuple[int, int]]:
    size = len(levels)
    first = next((i for i in range(size) if levels[i] != levels[i - 1]), None)
    if first is None:
        return [(0, size)]
    runs: list[tuple[int, int]] = []
    start = first
    for step in range(1, size + 1):
        i = (first + step) % size
        if levels[i] != levels[(i - 1) % size] or step == size:
            runs.append((start, (i - start) % size or size))
            start = i
    return runs


def _random_levels(rng: random.Random, size: int, top: int) -> list[int]:
    found: list[int] = []
    while len(found) < size:
        found += [rng.randrange(top)] * rng.randint(1, 10)
    return found[:size]


def test_merging_on_stretches_is_the_minute_by_minute_merge() -> None:
    rng = random.Random(17)
    for _ in range(600):
        size = rng.choice([1, 2, 3, 7, 96, 672])
        levels = _random_levels(rng, size, rng.choice([1, 2, 3, 5]))
        min_slots = rng.choice([1, 2, 4, 6])
        assert merge_short(levels, min_slots) == _merge_minute_by_minute(levels, min_slots)


def test_minute_levels_are_the_drained_then_prewarmed_minutes() -> None:
    rng = random.Random(21)
    for _ in range(40):
        levels = _random_levels(rng, WEEK // SLOT_MINUTES, 4)
        lead = rng.choice([0, 1, 5, 12, 30])
        nominal = drained([level for level in levels for _ in range(SLOT_MINUTES)])
        assert minute_levels(levels, lead) == (nominal, prewarmed(nominal, lead))


def test_validation_scores_are_each_candidate_replayed_afresh() -> None:
    # Office hours and a nightly job over the October DST change: the shared replays, the pooled
    # needs and the slot-level drain must give each candidate the score a plain fit and replay gives.
    zone = ZoneInfo("Europe/Paris")
    shape = traces.office_with_nightly_job(rate=120.0)
    rows = traces.generate(shape, weeks=4, zone="Europe/Paris", seed=4, start=datetime(2026, 10, 5, tzinfo=zone))
    demand = [n for _, n in rows]
    start = datetime.fromisoformat(rows[0][0])
    moments = local_minutes_of_week(start, len(demand), zone)
    learnt = [True] * len(demand)
    model = ReplicaModel(60.0, 5)
    choice = choose(demand, moments, learnt, model=model, zone=zone, max_replicas=6, max_failed_pct=0.5)
    total = len(demand)
    cuts = [total - f * WEEK for f in range(1, FOLDS + 1) if total - f * WEEK >= WEEK]
    assert len(cuts) == 3
    assert len(choice.scores) > 10
    # Every other candidate, both families among them: a shared replay given to the wrong candidate shows
    # in any of them, and replaying each of a week's candidates afresh is most of a unit run's time.
    checked = choice.scores[::2]
    queueing = Queueing(model.autoscaler.target_utilisation, model.slo_s, 0.5 * VALIDATION_SHARE / 100)
    assert {score.candidate.pinned for score in checked} == {True, False}
    for score in checked:
        candidate = score.candidate
        minutes, failed, rejected = 0, 0, 0
        for cut in cuts:
            needs = slot_needs(demand[:cut], moments[:cut], learnt[:cut], candidate, model.capacity_rpm, queueing)
            rec = recommend(needs, candidate, zone=zone, max_replicas=6, lead_minutes=model.lead_minutes())
            outcome = replay_recommendation(demand[cut : cut + WEEK], moments[cut : cut + WEEK], rec, model)
            minutes += outcome.replica_minutes
            failed += outcome.requests_late + outcome.requests_rejected
            rejected += outcome.requests_rejected
        assert (score.replica_minutes, score.failed, score.rejected) == (minutes, failed, rejected), candidate
