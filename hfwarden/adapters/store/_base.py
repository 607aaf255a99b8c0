"""What every part of the store shares: the engine."""

from __future__ import annotations

from sqlalchemy import Engine


class StoreBase:
    """The engine every part of the store works through; thread-safe through its pool."""

    engine: Engine
