"""Holiday calendars: the days on which an endpoint's rules do not fire. Pure.

A calendar is explicit dates and/or a public-holiday source. The source is a plain function of a
date, built by the config loader from the `holidays` package, so the core imports no data package
and tests can pass any function.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True, slots=True)
class Calendar:
    """A named set of days to skip: `dates`, and the days `public` names (a holiday's name or None)."""

    name: str
    dates: frozenset[date] = frozenset()
    public: Callable[[date], str | None] | None = field(default=None, compare=False)
    source: str = ""  # `DE-BY`, for plan and errors

    def why(self, day: date) -> str | None:
        """Why `day` is skipped (`de-by: Christmas Day`), or None if it is not."""
        if day in self.dates:
            return f"{self.name}: listed date"
        if self.public is not None:
            name = self.public(day)
            if name:
                return f"{self.name}: {name}"
        return None


def skip_reason(calendars: Iterable[Calendar], day: date) -> str | None:
    """The first calendar that skips `day`, with why; None if none does."""
    for calendar in calendars:
        why = calendar.why(day)
        if why is not None:
            return why
    return None
