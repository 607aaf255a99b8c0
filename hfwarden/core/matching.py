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


def overlapping(
    matches: Iterable[EndpointMatch], *, limit: int | None = None
) -> list[tuple[EndpointMatch, EndpointMatch]]:
    """Pairs of matches (earlier, later) that some endpoint name could satisfy both of, with
    different schedules (at most `limit` of them). An explicit entry for such an endpoint does not
    help: the set of names two globs share is usually unbounded, so the pair itself is refused.

    Near-linear for real configs: only pairs whose literal prefixes can agree are looked at (an index
    of prefixes, walked from the longer one), then literal suffixes, then the schedules, and only then
    the globs, in time linear in their lengths, with nothing kept between pairs."""
    ordered = sorted(matches, key=lambda m: m.number)
    by_prefix: dict[tuple[str, str], list[int]] = {}
    globs = [_Glob.of(m) for m in ordered]
    for index, glob in enumerate(globs):
        by_prefix.setdefault((glob.match.namespace, glob.prefix), []).append(index)
    pairs: list[tuple[int, int]] = []
    for later, glob in enumerate(globs):
        for cut in range(len(glob.prefix) + 1):
            for earlier in by_prefix.get((glob.match.namespace, glob.prefix[:cut]), ()):
                if earlier == later or (cut == len(glob.prefix) and earlier > later):
                    continue  # a pair with equal prefixes is seen from its later member only
                first, second = sorted((earlier, later))
                if globs[first].conflicts(globs[second]):
                    pairs.append((first, second))
                    if limit is not None and len(pairs) >= limit:
                        return [(ordered[a], ordered[b]) for a, b in sorted(pairs)]
    return [(ordered[a], ordered[b]) for a, b in sorted(pairs)]


@dataclass(frozen=True, slots=True)
class _Glob:
    """A match with what the overlap check compares, computed once."""

    match: EndpointMatch
    tokens: tuple[Token, ...]
    prefix: str  # the literal characters before the first wildcard: every name it matches starts so
    suffix: str  # and after the last one
    schedule: tuple[object, ...]

    @classmethod
    def of(cls, match: EndpointMatch) -> _Glob:
        pattern = match.pattern
        head = re.match(r"[^*?\[]*", pattern)
        tail = re.search(r"[^*?\]]*$", pattern)
        return cls(
            match=match,
            tokens=tuple(_token(t) for t in TOKEN.findall(pattern)),
            prefix=head.group(0) if head else "",
            suffix=tail.group(0) if tail and _is_glob(pattern) else pattern,
            schedule=_schedule_signature(match),
        )

    def conflicts(self, other: _Glob) -> bool:
        """Whether the two can cover one endpoint with different schedules (prefixes already agree)."""
        if not (self.suffix.endswith(other.suffix) or other.suffix.endswith(self.suffix)):
            return False
        if self.schedule == other.schedule:
            return False
        if _literal_excluded(self.match, other.match) or _literal_excluded(other.match, self.match):
            return False
        return _tokens_intersect(self.tokens, other.tokens)


def _schedule_signature(match: EndpointMatch) -> tuple[object, ...]:
    template = replace(match.template, name="", rules=())
    return (template, tuple((r.cron, r.zone, r.action, r.holiday_only) for r in match.template.rules))


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
    """Whether some name matches both fnmatch globs."""
    return _tokens_intersect(tuple(_token(t) for t in TOKEN.findall(a)), tuple(_token(t) for t in TOKEN.findall(b)))


def _tokens_intersect(ta: tuple[Token, ...], tb: tuple[Token, ...]) -> bool:
    """Linear in the globs' lengths (one walk of the other's positions when only one has a star)."""
    if any(not t for t in (*ta, *tb)):
        return False  # a class no name character satisfies: the glob matches nothing
    a_star, b_star = STAR in ta, STAR in tb
    if a_star and b_star:
        # Two stars: the parts before the first star must agree where both have characters, and so
        # must the parts after the last; whatever lies between is absorbed by the other's stars.
        return _aligned(_before_star(ta), _before_star(tb)) and _aligned(_before_star(ta[::-1]), _before_star(tb[::-1]))
    if not a_star and not b_star:
        return len(ta) == len(tb) and all(_chars(x) & _chars(y) for x, y in zip(ta, tb, strict=True))
    starred, fixed = (ta, tb) if a_star else (tb, ta)
    return _star_matches(starred, fixed)


def _chars(token: Token) -> frozenset[str]:
    return NAME_CHARS if isinstance(token, str) else token


def _before_star(tokens: tuple[Token, ...]) -> tuple[Token, ...]:
    return tokens[: tokens.index(STAR)]


def _aligned(a: tuple[Token, ...], b: tuple[Token, ...]) -> bool:
    return all(_chars(x) & _chars(y) for x, y in zip(a, b, strict=False))


def _star_matches(starred: tuple[Token, ...], fixed: tuple[Token, ...]) -> bool:
    """Whether the star glob matches some name the star-free one does: an NFA walk over the star
    glob's positions, one fixed token at a time."""
    states = _closure({0}, starred)
    for token in fixed:
        moved: set[int] = set()
        for i in states:
            if i < len(starred):
                if starred[i] == STAR:
                    moved.add(i)
                elif _chars(starred[i]) & _chars(token):
                    moved.add(i + 1)
        states = _closure(moved, starred)
        if not states:
            return False
    return len(starred) in states


def _closure(states: set[int], starred: tuple[Token, ...]) -> set[int]:
    """With every star able to match nothing."""
    found = set(states)
    pending = list(states)
    while pending:
        i = pending.pop()
        if i < len(starred) and starred[i] == STAR and i + 1 not in found:
            found.add(i + 1)
            pending.append(i + 1)
    return found
