"""Prices the API last gave, kept so that a failed refresh falls back to them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, select

from hfwarden.adapters.store._base import StoreBase
from hfwarden.adapters.store.tables import price_cache


class PriceCache(StoreBase):
    def save_prices(self, prices: dict[str, float], fetched_at: datetime) -> None:
        if not prices:
            return
        with self.engine.begin() as conn:
            conn.execute(delete(price_cache).where(price_cache.c.instance.in_(list(prices))))
            conn.execute(
                insert(price_cache),
                [{"instance": k, "price_per_hour": v, "fetched_at": fetched_at} for k, v in prices.items()],
            )

    def cached_prices(self) -> dict[str, float]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(price_cache.c.instance, price_cache.c.price_per_hour)).all()
        return {r.instance: r.price_per_hour for r in rows}
