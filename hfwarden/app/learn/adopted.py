"""Adopted proposals stand in for the file's schedule of their endpoint, until reverted or until the
file's entry for that endpoint changes (then the file wins: the proposal is superseded)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

from hfwarden.app.learn.entries import entry_text, fingerprint
from hfwarden.app.predict.recommend import reload
from hfwarden.config import Config
from hfwarden.core.learning import Proposal
from hfwarden.core.rules import EndpointSchedule


@dataclass(frozen=True, slots=True)
class Applied:
    config: Config  # the file's config with adopted schedules in force
    adopted: tuple[Proposal, ...]  # in force
    superseded: tuple[Proposal, ...]  # the file's entry changed since they were learnt


@lru_cache(maxsize=256)
def _learnt_schedule(schedule_yaml: str, key: str) -> EndpointSchedule:
    return reload(schedule_yaml, key)


def file_schedule(config: Config, key: str) -> EndpointSchedule | None:
    """The file's schedule of `key`: its own entry, else the first match covering it."""
    own = config.endpoint(key)
    if own is not None:
        return own
    match = next((m for m in sorted(config.matches, key=lambda m: m.number) if m.covers(key)), None)
    return match.schedule_for(key) if match is not None else None


def with_adopted(config: Config, adopted: list[Proposal]) -> Applied:
    """`config` with each adopted proposal's rules in place of its endpoint's file rules (explicit
    entries beat `match:` ones, so a matched endpoint's adoption is added as its own entry)."""
    endpoints = list(config.endpoints)
    index = {e.key: i for i, e in enumerate(endpoints)}
    kept, superseded = [], []
    for proposal in adopted:
        key = proposal.endpoint
        base = file_schedule(config, key)
        if base is None or fingerprint(entry_text(config.sources, key)) != proposal.file_fingerprint:
            superseded.append(proposal)
            continue
        learnt = _learnt_schedule(proposal.schedule_yaml, key)
        schedule = replace(base, rules=learnt.rules, zone=learnt.zone)
        if key in index:
            endpoints[index[key]] = schedule
        else:
            index[key] = len(endpoints)
            endpoints.append(schedule)
        kept.append(proposal)
    if not kept:
        return Applied(config, (), tuple(superseded))
    return Applied(replace(config, endpoints=tuple(endpoints)), tuple(kept), tuple(superseded))
