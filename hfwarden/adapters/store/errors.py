"""What the store raises: one line each, fit to print as it is (never a password, never a traceback)."""

from __future__ import annotations


class StoreError(Exception):
    """The state store cannot be opened or used; the message is one line that says what to do."""


class NoState(StoreError):
    """Nothing has run on this state yet (a read-only command asked to open it without creating it)."""


class StateLost(StoreError):
    """The SQLite file this process opened was deleted or replaced under it: writes would vanish."""


class LeaseLost(StoreError):
    """Another process took the lease (a later generation): this one must not act."""
