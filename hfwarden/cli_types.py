"""argparse types for the flags whose bad values must be one line and exit 2, before any work is done."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

Parsed = TypeVar("Parsed", int, float)


def parsed(text: str, kind: Callable[[str], Parsed], what: str, *, shown: str | None = None) -> Parsed:
    """`text` read as `kind` (int, float), or one line saying it is not `what` (`shown`: the text
    as the message quotes it, e.g. cut short)."""
    try:
        return kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text if shown is None else shown!r} is not {what}") from None


def positive_int(text: str) -> int:
    """An integer of at least 1 (`--max-replicas 0` would mean "no replicas" and silently fall back)."""
    value = parsed(text, int, "an integer")
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not 1 or more")
    return value


def positive_seconds(text: str) -> float:
    """A finite number of seconds above 0."""
    value = parsed(text, float, "a number of seconds")
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text} is not a finite number of seconds above 0")
    return value


def percentage(text: str) -> float:
    """A finite percentage from 0 to 100 (`nan` compares false with everything, so it is named here)."""
    value = parsed(text, float, "a number")
    if not math.isfinite(value) or not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"{text} is not a percentage from 0 to 100")
    return value


def writable_file(text: str) -> Path:
    """A file to write whose directory exists: refused before the work, not after it."""
    path = Path(text)
    parent = path.parent
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a directory; give a file name")
    if not parent.is_dir():
        raise argparse.ArgumentTypeError(f"{parent} does not exist; create it first or write elsewhere")
    return path
