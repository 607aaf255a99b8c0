"""Schedules for many endpoints at once: `match: {namespace, name: "dev-*"}` entries, which observed
endpoints they cover, and whether two of them can ever cover the same one. Pure.

An explicit entry beats any match; of two matches that cover an endpoint, the first declared wins
(validation refuses two that could do so with different schedules, so the order never matters for
a valid config).
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from dataclasses import dataclass, replace
from fnmatch import fnmatchcase
from functools import cache

from hfwarden.core.endpoints import EndpointKey
from hfwarden.core.rules import EndpointSchedule

# Endpoint names are [A-Za-z0-9._-] (config NAME): the alphabet two globs are compared over.
NAME_CHARS = frozenset(string.ascii_letters + string.digits + "._-")
TOKEN = re.compile(r"\*|\?|\[!?\]?[^\]]*\]|.")


@dataclass(frozen=True, slots=True)
class EndpointMatch:
    """A schedule for every observed endpoint of `namespace` whose name matches `pattern`."""

    namespace: str
    pattern: str  # fnmatch glob, case-sensitive: `dev-*`, `bench-??`, `[ab]-*`
    exclude: frozenset[str]  # `ns/name` keys it never covers
    template: EndpointSchedule  # its schedule; namespace/name are replaced by each endpoint's
    number: int = 0  # declaration order across the config, for "first wins"
    where: str = ""  # file:line, for plan and errors

    @property
    def label(self) -> str:
        return f"{self.namespace}/{self.pattern}"

    def covers(self, key: str) -> bool:
        """Whether this match covers `key` (exclusions applied)."""
        namespace, _, name = key.partition("/")
        return namespace == self.namespace and key not in self.exclude and fnmatchcase(name, self.pattern)

    def schedule_for(self, key: str) -> EndpointSchedule:
        parsed = EndpointKey.parse(key)
        return replace(self.template, namespace=parsed.namespace, name=parsed.name)


def expand(
    explicit: Iterable[EndpointSchedule], matches: Iterable[EndpointMatch], observed: Iterable[str]
) -> tuple[list[EndpointSchedule], dict[str, list[str]]]:
    """The schedules of the observed endpoints that only matches cover (explicit entries win), and
    which endpoints each match covers, by label."""
    declared = {e.key for e in explicit}
    ordered = sorted(matches, key=lambda m: m.number)
    added: list[EndpointSchedule] = []
    covered: dict[str, list[str]] = {m.label: [] for m in ordered}
    for key in sorted(set(observed) - declared):
        winner = next((m for m in ordered if m.covers(key)), None)
        if winner is not None:
            added.append(winner.schedule_for(key))
            covered[winner.label].append(key)
    return added, covered


def overlapping(matches: Iterable[EndpointMatch]) -> list[tuple[EndpointMatch, EndpointMatch]]:
    """Pairs of matches (earlier, later) that some endpoint name could satisfy both of, with
    different schedules. An explicit entry for such an endpoint does not help: the set of names two
    globs share is usually unbounded, so the pair itself is refused."""
    ordered = sorted(matches, key=lambda m: m.number)
    pairs = []
    for i, first in enumerate(ordered):
        for second in ordered[i + 1 :]:
            if first.namespace != second.namespace or _same_schedule(first, second):
                continue
            if _literal_excluded(first, second) or _literal_excluded(second, first):
                continue
            if globs_intersect(first.pattern, second.pattern):
                pairs.append((first, second))
    return pairs


def _same_schedule(a: EndpointMatch, b: EndpointMatch) -> bool:
    return replace(a.template, name="", rules=()) == replace(b.template, name="", rules=()) and [
        (r.cron, r.zone, r.action, r.holiday_only) for r in a.template.rules
    ] == [(r.cron, r.zone, r.action, r.holiday_only) for r in b.template.rules]


def _literal_excluded(literal: EndpointMatch, other: EndpointMatch) -> bool:
    """A wildcard-free pattern names one endpoint; the other match may exclude exactly that one."""
    return not _is_glob(literal.pattern) and f"{literal.namespace}/{literal.pattern}" in other.exclude


def _is_glob(pattern: str) -> bool:
    return any(c in pattern for c in "*?[")


STAR = "*"
Token = frozenset[str] | str  # the characters one token accepts, or STAR (any run, including none)


def _token(text: str) -> Token:
    if text == STAR:
        return STAR
    if text == "?":
        return NAME_CHARS
    if len(text) > 1 and text.startswith("[") and text.endswith("]"):
        return frozenset(c for c in NAME_CHARS if fnmatchcase(c, text))
    return frozenset({text})


def globs_intersect(a: str, b: str) -> bool:
    """Whether some name matches both fnmatch globs: a walk over pairs of positions in each."""
    return _meet(tuple(_token(t) for t in TOKEN.findall(a)), tuple(_token(t) for t in TOKEN.findall(b)), 0, 0)


@cache
def _meet(ta: tuple[Token, ...], tb: tuple[Token, ...], i: int, j: int) -> bool:
    if i == len(ta) and j == len(tb):
        return True
    x = ta[i] if i < len(ta) else None  # None: that glob is used up
    y = tb[j] if j < len(tb) else None
    if x == STAR and _meet(ta, tb, i + 1, j):  # the star matches nothing more
        return True
    if y == STAR and _meet(ta, tb, i, j + 1):
        return True
    if x is None or y is None or (x == STAR and y == STAR):
        return False  # two stars: already covered by one of them matching nothing more
    here = (NAME_CHARS if isinstance(x, str) else x) & (NAME_CHARS if isinstance(y, str) else y)
    # Both take one character; a star stays where it is (the other side always moves on).
    return bool(here) and _meet(ta, tb, i + (x != STAR), j + (y != STAR))
