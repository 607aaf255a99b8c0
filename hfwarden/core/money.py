"""Dollars as people read them, in every message, table and alert. Pure."""

from __future__ import annotations


def dollars(value: float) -> str:
    """`$1.14`, `-$1.14` (never `$-1.14`), and `$0.00` for a value that only rounds to minus zero."""
    cents = round(value, 2)
    return f"-${-cents:.2f}" if cents < 0 else f"${cents + 0.0:.2f}"
