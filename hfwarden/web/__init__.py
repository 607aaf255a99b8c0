"""The daemon's HTTP surface: probes, `/metrics`, the status page and `/api/v1` (`app.build_app`).

`Liveness` and `build_app` are still importable from here (they were `hfwarden/web.py`), but only
on first use, so that `plan --html` can use `page` without loading the server's modules."""

from __future__ import annotations

from importlib import import_module

_MOVED = {"Liveness": "hfwarden.web.probes", "build_app": "hfwarden.web.app", "PageSource": "hfwarden.web.app"}


def __getattr__(name: str) -> object:
    if name in _MOVED:
        return getattr(import_module(_MOVED[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
