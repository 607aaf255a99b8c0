"""Prices per replica-hour: the schedule file's overrides, then the API's hardware list (cached and
persisted, the last good answer kept when a refresh fails), then the built-in table."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from hfwarden.adapters.endpoints_api import EndpointsApi
from hfwarden.adapters.hub_errors import HubError
from hfwarden.catalogue import builtin_price
from hfwarden.core.cost import MAX_PRICE_PER_HOUR_USD
from hfwarden.logs import get_logger

if TYPE_CHECKING:  # `validate` builds a PriceBook without a store: it need not load SQLAlchemy
    from hfwarden.adapters.store import Store

log = get_logger("hfwarden.prices")


class PriceSource(StrEnum):
    CONFIG = "config"
    API = "api"
    BUILTIN = "builtin"


class PriceBook:
    """Where hfwarden looks up what a replica-hour costs."""

    def __init__(
        self,
        *,
        store: Store | None,
        overrides: dict[str, float],
        refresh_every: timedelta = timedelta(hours=6),
        retry_every: timedelta = timedelta(minutes=10),
    ) -> None:
        self.store = store
        self.overrides = dict(overrides)
        self.refresh_every = refresh_every
        self.retry_every = retry_every
        self._fetched: dict[str, float] = store.cached_prices() if store is not None else {}
        self._next_refresh: dict[str, datetime] = {}

    def refresh(self, hub: EndpointsApi, namespaces: tuple[str, ...], now: datetime, *, persist: bool = True) -> None:
        """Fetch the hardware list of namespaces whose cache is stale; keep the last good one on failure."""
        for namespace in namespaces:
            due = self._next_refresh.get(namespace)
            if due is not None and now < due:
                continue
            try:
                hardware = hub.hardware(namespace)
            except HubError as exc:
                log.warning("prices_refresh_failed", namespace=namespace, error=str(exc), kept=len(self._fetched))
                self._next_refresh[namespace] = now + self.retry_every
                continue
            prices = priced(hardware)
            self._fetched.update(prices)
            if self.store is not None and persist:
                self.store.save_prices(prices, now)
            self._next_refresh[namespace] = now + self.refresh_every

    def lookup(self, instance: str) -> tuple[float, PriceSource] | None:
        if instance in self.overrides:
            return self.overrides[instance], PriceSource.CONFIG
        if instance in self._fetched:
            return self._fetched[instance], PriceSource.API
        price = builtin_price(instance)
        if price is not None:
            return price, PriceSource.BUILTIN
        return None

    def price(self, instance: str) -> float | None:
        found = self.lookup(instance)
        return None if found is None else found[0]


def priced(hardware: list[Any]) -> dict[str, float]:
    """Prices by instance from the API's hardware list; an entry whose price is not a finite number in
    [0, MAX_PRICE_PER_HOUR_USD] is left out (its instance falls back to config or the built-in table)."""
    prices: dict[str, float] = {}
    for h in hardware:
        try:
            price = float(h.price_per_hour)
            instance = f"{h.vendor}/{h.region}/{h.instance_type}/{h.instance_size}"
        except (AttributeError, TypeError, ValueError, OverflowError):
            continue
        if math.isfinite(price) and 0 <= price <= MAX_PRICE_PER_HOUR_USD:
            prices[instance] = price
    return prices
