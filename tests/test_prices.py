"""Where a price comes from: the schedule file, then the API's list (persisted, kept on failure), then the table."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from hfwarden.adapters.hub import Hub, RetryPolicy
from hfwarden.adapters.prices import PriceBook, PriceSource
from hfwarden.adapters.store import Store
from hfwarden.emulator.server import DEFAULT_TOKEN, Emulator

NOW = datetime(2026, 1, 5, tzinfo=UTC)
L4 = "aws/us-east-1/nvidia-l4/x1"


def test_lookup_order(tmp_path: Path) -> None:
    book = PriceBook(store=None, overrides={L4: 0.5})
    assert book.lookup(L4) == (0.5, PriceSource.CONFIG)
    assert book.lookup("aws/us-east-1/nvidia-t4/x1") == (0.5, PriceSource.BUILTIN)
    assert book.lookup("aws/us-east-1/nvidia-b300/x1") is None


@pytest.mark.usefixtures("client_at_emulator")
def test_api_prices_are_persisted_and_kept_when_a_refresh_fails(
    tmp_path: Path, emulator: Emulator, control: httpx.Client
) -> None:
    store = Store(f"sqlite:///{tmp_path / 'state.db'}")
    hub = Hub(DEFAULT_TOKEN, retry=RetryPolicy(max_attempts=1), hub_url=emulator.base_url)
    book = PriceBook(store=store, overrides={})
    book.refresh(hub, ("acme",), NOW)
    assert book.lookup("gcp/us-east4/nvidia-l4/x1") == (0.7, PriceSource.API)
    control.post("/_emulator/faults", json={"error_rate": 1.0})
    restarted = PriceBook(store=store, overrides={})  # a new process, the API down
    restarted.refresh(hub, ("acme",), NOW)
    assert restarted.lookup("gcp/us-east4/nvidia-l4/x1") == (0.7, PriceSource.API)
    store.close()
