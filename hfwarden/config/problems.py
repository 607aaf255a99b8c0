"""What is wrong with schedule files: `file:line: endpoint ns/name, rule N: what`."""

from __future__ import annotations

from dataclasses import dataclass

# At most this many problems (and, separately, warnings) are reported, then one "… and N more"
# line: 2,000 broken rules must not print 2,000 lines (or two million) on every reload.
MAX_REPORTED = 50


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong (or suspicious) in a schedule file."""

    file: str
    line: int
    message: str
    endpoint: str | None = None
    rule: int | None = None

    def __str__(self) -> str:
        if not self.file:
            return self.message  # a summary line such as "… and 12 more problems"
        where = []
        if self.endpoint:
            where.append(f"endpoint {self.endpoint}")
        if self.rule:
            where.append(f"rule {self.rule}")
        context = ", ".join(where)
        return f"{self.file}:{self.line}: " + (f"{context}: " if context else "") + self.message


def capped(found: list[Problem], kind: str) -> list[Problem]:
    """`found` in file and line order, cut to `MAX_REPORTED` with a last line saying how many more."""
    ordered = sorted(found, key=lambda p: (p.file, p.line))
    if len(ordered) <= MAX_REPORTED:
        return ordered
    more = len(ordered) - MAX_REPORTED
    return [*ordered[:MAX_REPORTED], Problem("", 0, f"… and {more} more {kind}")]


class ConfigError(Exception):
    """Schedule files that must not be used; `problems` lists them (capped, see `capped`) and
    `total` counts them all."""

    def __init__(self, problems: list[Problem], *, total: int | None = None) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems
        self.total = len(problems) if total is None else total
