"""Small pieces of the page's markup: the inlined assets, dollars and percentages, escaped text."""

from __future__ import annotations

import base64
import hashlib
from functools import cache, lru_cache
from html import escape
from importlib.resources import files

from hfwarden.core.formats import dollars


@cache
def asset(name: str) -> str:
    return files("hfwarden.web").joinpath("static", name).read_text(encoding="utf-8")


@cache
def script_hash() -> str:
    """The CSP source of the one script the page runs: no other inline or fetched script can."""
    digest = hashlib.sha256(asset("page.js").encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def usd(value: float | None) -> str:
    """Dollars as `status` prints them (`$1.14`, `-$1.14`); unknown when there is no price."""
    return "unknown" if value is None else dollars(value)


def pct(fraction: float) -> str:
    return f"{fraction * 100:.4f}%"


@lru_cache(maxsize=8192)
def _escaped(text: str) -> str:
    return escape(text, quote=True)


def attr(value: object) -> str:
    """Escaped for an attribute or text; labels repeat across a thousand strips, so it is cached."""
    return _escaped(str(value))
