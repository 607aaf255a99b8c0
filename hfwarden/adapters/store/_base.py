"""What every part of the store shares: the engine."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

from sqlalchemy import Engine

T = TypeVar("T")
# Rows per INSERT of a pass's records: 5,000 rows built and bound in one statement were megabytes
# alive at once at the end of a 5,000-transition pass (issue 19); one transaction either way.
ROWS_PER_STATEMENT = 500


class StoreBase:
    """The engine every part of the store works through; thread-safe through its pool."""

    engine: Engine


def in_chunks(rows: Sequence[T]) -> Iterator[Sequence[T]]:
    """`rows` ROWS_PER_STATEMENT at a time."""
    for start in range(0, len(rows), ROWS_PER_STATEMENT):
        yield rows[start : start + ROWS_PER_STATEMENT]
