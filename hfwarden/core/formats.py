"""How figures read, the same in every table, message, alert and JSON document. Pure."""

from __future__ import annotations

from datetime import datetime, tzinfo


def dollars(value: float, *, grouped: bool = False, whole: bool = False) -> str:
    """`$1.14`, `-$1.14` (never `$-1.14`), `$0.00` for what only rounds to minus zero; `grouped`:
    `$1,234.50`; `whole`: `$150` for a whole number of dollars, as people write budgets."""
    cents = round(value, 2)
    if whole and cents == round(cents):
        return dollars(cents, grouped=grouped).removesuffix(".00")
    figure = f"{abs(cents):,.2f}" if grouped else f"{abs(cents):.2f}"
    return f"-${figure}" if cents < 0 else f"${figure}"


def moment(at: datetime, zone: tzinfo | None = None) -> str:
    """A time as people read it: `2026-01-05 20:00 CET`, in `zone` (default: its own), always naming
    the zone, never with seconds or microseconds."""
    local = at.astimezone(zone) if zone is not None else at
    return f"{local:%Y-%m-%d %H:%M} {local.tzname() or local.strftime('%z')}"


def signed_dollars(value: float) -> str:
    """A change: `+$1.20`, `-$0.45`, and `$0.00` when it rounds to nothing."""
    cents = round(value, 2)
    return dollars(cents) if cents == 0 else ("+" if cents > 0 else "") + dollars(cents)


def json_money(value: float | None) -> float | None:
    """Dollars in a JSON document: always a float rounded to 4 places (never an integer `0` beside
    `3.0`, never `-0.0`), or null."""
    return None if value is None else float(round(value, 4)) + 0.0


def counted(number: int, singular: str, plural: str | None = None) -> str:
    """`1 file`, `2 files`, `0 files`."""
    return f"{number} {singular if number == 1 else plural or singular + 's'}"
