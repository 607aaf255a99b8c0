"""Text for a terminal: control characters escaped, so that a name or a reason (typed by someone, or
sent by the API) cannot forge a second line, rewrite the one above or change the terminal's state."""

from __future__ import annotations

import re
import sys
from typing import Any, TextIO

# C0 (newline included), DEL, C1, and the Unicode controls that reorder text (bidi) or hide it.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """`text` on one line, every control character as a visible `\\uXXXX`."""
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


def say(*parts: object, file: TextIO | None = None, flush: bool = False) -> None:
    """`print`, with each line of the text made printable (the text's own line breaks are kept: a field
    that may hold one is escaped with `printable` first)."""
    text = " ".join(str(part) for part in parts)
    print("\n".join(printable(line) for line in text.split("\n")), file=file or sys.stdout, flush=flush)


def health_reason(response: Any) -> str:
    """The `reason` of a probe's JSON answer (an httpx response), if it has one, made printable; a body
    that is not the JSON object it says it is (a proxy's page, garbage) has none."""
    if not response.headers.get("content-type", "").startswith("application/json"):
        return ""
    try:
        body = response.json()
    except ValueError:
        return ""
    reason = body.get("reason", "") if isinstance(body, dict) else ""
    return printable(str(reason))[:200]
