"""The daemon caps glibc's malloc arenas (adapters/malloc.py): its call threads' freed pages
otherwise stay in 16 arenas (issue 19: peak RSS at 5,000 endpoints)."""

from __future__ import annotations

import platform

import pytest

from hfwarden.adapters.malloc import limit_arenas


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_arenas_are_capped_on_glibc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    assert limit_arenas() is True


def test_the_operators_malloc_arena_max_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert limit_arenas() is False
