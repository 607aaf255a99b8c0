"""The price per replica-hour of the endpoint a backtest or recommendation is for."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hfwarden.app.predict.backtest import BacktestError
from hfwarden.catalogue import builtin_price

if TYPE_CHECKING:
    from hfwarden.config import Config


def price_for(endpoint: str, instance: str | None, config: Config | None) -> tuple[str, float]:
    """The instance and its price per replica-hour: `instance`, else the config's; the config's
    `pricing:` beats the built-in table."""
    instance = instance or (config.instances.get(endpoint) if config else None)
    if instance is None:
        raise BacktestError(f"no price for {endpoint}: give --instance VENDOR/REGION/TYPE/SIZE or instance: in config")
    price = (config.pricing.get(instance) if config else None) or builtin_price(instance)
    if price is None:
        raise BacktestError(f"no price for instance {instance}: add it to pricing: in the schedule file")
    return instance, price
