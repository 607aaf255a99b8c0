"""Hostile settings (issue 18): a password in a state URL's query, an in-memory SQLite URL, secret
files that are FIFOs: each refused or masked, in one line, without a hang."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy.engine import make_url

from hfwarden.adapters.store import Store, StoreError
from hfwarden.adapters.store.engine import shown
from hfwarden.logs import masker
from hfwarden.settings import Settings, SettingsError, secret_from_file

PASSWORD = "s3cretPassw0rd"
HANG_NET_S = 30


def test_a_password_given_as_a_query_parameter_is_masked_in_state_errors() -> None:
    """Fixed: `…/db?password=…` was printed in clear in every state error."""
    with pytest.raises(StoreError) as caught:
        Store(f"postgresql+psycopg://hf@127.0.0.1:1/db?password={PASSWORD}&connect_timeout=1")
    assert PASSWORD not in str(caught.value)
    assert "password=***" in str(caught.value)


def test_a_url_is_shown_without_any_of_its_passwords() -> None:
    """Fixed: `repr(store)` (the `daemon_started` line) hid the authority's password only."""
    url = make_url(
        f"postgresql+psycopg://hf:{PASSWORD}@db/hf?sslpassword={PASSWORD}x&password={PASSWORD}y&sslmode=require"
    )
    text = shown(url)
    assert PASSWORD not in text
    assert text == "postgresql+psycopg://hf:***@db/hf?sslpassword=***&password=***&sslmode=require"


def test_the_log_masker_learns_a_query_password() -> None:
    settings = Settings(state_url=f"postgresql://hf@db/hf?password={PASSWORD}")
    masker.add(settings.secrets())
    assert PASSWORD not in masker.mask(f"driver said: password {PASSWORD} rejected")


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:", "sqlite:///file::memory:?cache=shared&uri=true"])
def test_an_in_memory_sqlite_state_is_refused(url: str) -> None:
    """Fixed: accepted, and then every pass crashed (each thread's connection had its own database)."""
    with pytest.raises(ValidationError, match="in-memory SQLite"):
        Settings(state_url=url)


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "token"
    os.mkfifo(path)
    yield path
    # Release a reader the old code left blocked in open(): a writer that opens and closes at once.
    with contextlib.suppress(OSError):
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))


def test_a_secret_file_that_is_a_fifo_is_refused_without_waiting(fifo: Path) -> None:
    """Fixed: `HF_TOKEN_FILE` or `HFWARDEN_UI_TOKEN_FILE` naming a FIFO hung every command."""
    outcome: list[BaseException] = []

    def read() -> None:
        try:
            secret_from_file("HF_TOKEN_FILE", fifo)
        except SettingsError as exc:
            outcome.append(exc)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(HANG_NET_S)
    assert outcome, "still waiting for a writer"
    assert str(outcome[0]) == f"HF_TOKEN_FILE {fifo} is not a regular file (a FIFO, device or directory?)"


def test_a_huge_secret_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_bytes(b"x" * (65 * 1024))
    with pytest.raises(SettingsError, match="larger than 64 KiB"):
        secret_from_file("HF_TOKEN_FILE", path)
