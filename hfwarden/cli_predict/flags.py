"""The flag values `backtest` and `recommend` take, checked: a bad one is one line and exit 2."""

from __future__ import annotations

import argparse
import math
import re
from typing import Any

from hfwarden.cli_types import parsed
from hfwarden.core.endpoints import EndpointKey
from hfwarden.core.windows import parse_duration_minutes

SECONDS = re.compile(r"^(?P<n>\d+(?:\.\d+)?)(?P<unit>s|m|h)?$")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, None: 1}
MAX_RATE = 1e9  # requests per minute per replica: far above any model, far below overflow


def minutes(text: str) -> int:
    try:
        value = parse_duration_minutes(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be above 0")
    return value


def startups(text: str) -> tuple[int, ...]:
    """`5m`, or a range `4m..12m` (every whole minute in it, drawn uniformly)."""
    low, sep, high = text.partition("..")
    first = minutes(low)
    if not sep:
        return (first,)
    last = minutes(high)
    if last < first:
        raise argparse.ArgumentTypeError(f"{text!r}: the range's end is before its start")
    return tuple(range(first, last + 1))


def seconds(text: str) -> float:
    """`0s`, `30s`, `2m`, `1h` (a bare number is seconds)."""
    match = SECONDS.match(text.strip())
    if match is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration like 30s, 2m or 1h")
    return float(match.group("n")) * UNIT_SECONDS[match.group("unit")]


def _number(text: str) -> float:
    value = parsed(text, float, "a number")
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def positive(text: str) -> float:
    value = _number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text} is not above 0")
    return value


def rate(text: str) -> float:
    """Requests per minute per replica: finite, above 0, at most MAX_RATE."""
    value = positive(text)
    if value > MAX_RATE:
        raise argparse.ArgumentTypeError(f"{text[:20]} is above {MAX_RATE:,.0f} requests per minute")
    return value


def percentage(text: str) -> float:
    value = _number(text)
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"{text} is not a percentage between 0 and 100")
    return value


def utilisation(text: str) -> float:
    value = _number(text)
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"{text} is not a utilisation in (0, 1]")
    return value


def replicas(text: str) -> int:
    value = parsed(text, int, "a whole number of replicas", shown=text[:20])
    from hfwarden.config.models import MAX_REPLICAS  # bounded like schedules

    if not 1 <= value <= MAX_REPLICAS:
        raise argparse.ArgumentTypeError(f"{text[:20]} is not a replica count from 1 to {MAX_REPLICAS:,}")
    return value


def weeks(text: str) -> int:
    value = parsed(text, int, "a whole number of weeks")
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} weeks cannot be negative")
    return value


def seed(text: str) -> int:
    return parsed(text, int, "a whole number")


def endpoint(text: str) -> str:
    try:
        return str(EndpointKey.parse(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def calendar(text: str) -> str:
    """`US`, `DE-BY`: a country (and subdivision) the `holidays` package knows."""
    from hfwarden.config.models import public_holidays

    country, _, subdivision = text.partition("-")
    try:
        public_holidays(country.upper(), subdivision.upper() or None)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return f"{country.upper()}-{subdivision.upper()}" if subdivision else country.upper()


def add_platform(p: Any) -> None:
    """The platform model's flags, HF's documented behaviour by default."""
    p.add_argument(
        "--cold-start", type=startups, default=(5,), metavar="5m|4m..12m", help="replica start-up (default 5m)"
    )
    p.add_argument("--startups-from-state", action="store_true", help="draw start-ups from those the daemon measured")
    p.add_argument("--seed", type=seed, default=0, help="seed of the start-up draws (default 0)")
    p.add_argument(
        "--target-utilisation", type=utilisation, default=0.8, metavar="U", help="HF scales up past it (0.8)"
    )
    p.add_argument("--idle-timeout", type=minutes, default=60, metavar="60m", help="scale to zero after (HF: 60m)")
    p.add_argument("--scale-up-timeout", type=seconds, default=0.0, metavar="0s", help="X-Scale-Up-Timeout (0s: 503)")
    p.add_argument("--slo", type=seconds, default=30.0, metavar="30s", help="a request waiting longer is late (30s)")
