"""Alembic migrations: a database from the release before them is adopted and upgraded without losing a row."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, func, insert, inspect, select, text

from hfwarden.adapters.store import Store, migrate
from hfwarden.adapters.store.tables import metadata
from tests.support import schema_v0
from tests.support.postgres import fresh_database

T = datetime(2026, 1, 5, 12, 0, tzinfo=UTC).replace(tzinfo=None)  # naive UTC, as the release stored it
ROWS: dict[str, list[dict[str, Any]]] = {
    "applied_transitions": [{"endpoint": "acme/a", "transition_key": "r@1", "fired_at": T, "applied_at": T}],
    "audit_log": [
        {"at": T, "endpoint": f"acme/{i}", "action": "pause", "reason": "r", "result": "ok", "detail": "", "dry_run": i}
        for i in range(2)
    ],
    "ledger_segments": [
        {"endpoint": "acme/a", "start": T, "end": T, "replicas": 1, "price_per_hour": 0.8, "usd": 0.1, "gap": False},
        {"endpoint": "acme/b", "start": T, "end": T, "replicas": 2, "price_per_hour": 0.8, "usd": 0.2, "gap": True},
    ],
    "ledger_open": [
        {"endpoint": "acme/a", "start": T, "observed_at": T, "state": "running", "replicas": 1}
        | {"price_per_hour": 0.8, "gap": False}
    ],
    "latches": [
        {"endpoint": "acme/a", "budget": "prod", "action": "pause", "latched_at": T, "until": T, "reason": "over"}
    ],
    "alert_marks": [{"dedupe_key": "k1", "created_at": T}],
    "alert_outbox": [
        {"alert_id": "a1", "sink": "slack", "payload": "{}", "created_at": T, "attempts": 2}
        | {"next_attempt_at": T, "last_error": "HTTP 503"}
    ],
    "alert_dead_letters": [{"alert_id": "a0", "sink": "slack", "payload": "{}", "failed_at": T, "error": "404"}],
    "price_cache": [{"instance": "aws/us-east-1/nvidia-l4/x1", "price_per_hour": 0.8, "fetched_at": T}],
    "leases": [{"name": "daemon", "holder": "other-host:1:x", "acquired_at": T, "expires_at": T}],
}


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    return fresh_database(request.getfixturevalue("postgres_url"))


def make_release_database(url: str) -> None:
    """A database exactly as the release before Alembic left it, with rows in every table."""
    engine = create_engine(url)
    schema_v0.metadata.create_all(engine)
    assert set(ROWS) == set(schema_v0.metadata.tables)
    with engine.begin() as conn:
        for name, rows in ROWS.items():
            conn.execute(insert(schema_v0.metadata.tables[name]), rows)
    engine.dispose()


def test_a_database_from_the_release_before_alembic_is_upgraded_without_losing_a_row(url: str) -> None:
    make_release_database(url)
    store = Store(url)
    with store.engine.connect() as conn:
        assert migrate.current_revision(conn) == migrate.head_revision()
        for name, rows in ROWS.items():
            kept = conn.execute(select(func.count()).select_from(metadata.tables[name])).scalar_one()
            assert kept == len(rows), name
    assert store.last_applied() == {"acme/a": "r@1"}
    assert store.latches()["acme/a"].until == T.replace(tzinfo=UTC)
    assert [i.attempts for i in store.due_alerts(T.replace(tzinfo=UTC))] == [2]
    assert len(store.segments_since(datetime(2026, 1, 1, tzinfo=UTC))) == 2
    store.close()
    Store(url).close()  # a second open finds it at head and changes nothing


def test_the_migrated_schema_is_what_the_code_declares(url: str) -> None:
    Store(url).close()
    engine = create_engine(url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        assert compare_metadata(context, metadata) == []
    engine.dispose()


def test_opening_a_fresh_database_creates_it_through_the_migrations(url: str) -> None:
    Store(url).close()
    engine = create_engine(url)
    assert "alembic_version" in inspect(engine).get_table_names()
    engine.dispose()


def test_two_processes_opening_a_fresh_database_at_once_both_succeed(url: str) -> None:
    code = "import sys; from hfwarden.adapters.store import Store; Store(sys.argv[1]).close()"
    runs = [subprocess.Popen([sys.executable, "-c", code, url], stderr=subprocess.PIPE, text=True) for _ in range(3)]
    errors = [run.communicate(timeout=120)[1] for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0], errors
    store = Store(url)
    with store.engine.connect() as conn:
        assert migrate.current_revision(conn) == migrate.head_revision()
    store.close()


def test_a_create_all_database_that_already_has_the_claim_columns_is_adopted(url: str) -> None:
    """A build between the release and Alembic made the outbox claim columns with `create_all`."""
    make_release_database(url)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE alert_outbox ADD COLUMN claimed_by VARCHAR(300)"))
        conn.execute(text("ALTER TABLE alert_outbox ADD COLUMN claimed_until TIMESTAMP"))
    engine.dispose()
    store = Store(url)
    assert store.outbox_depth() == 1
    store.close()


def test_duplicate_ledger_segments_already_stored_are_dropped_keeping_the_first(url: str) -> None:
    """A takeover before the fix wrote the old leader's segments again: upgrading stops counting them twice."""
    make_release_database(url)
    engine = create_engine(url)
    with engine.begin() as conn:
        again = ROWS["ledger_segments"][0] | {"replicas": 5}
        conn.execute(insert(schema_v0.metadata.tables["ledger_segments"]), [again])
    engine.dispose()
    store = Store(url)
    kept = store.segments_since(datetime(2026, 1, 1, tzinfo=UTC))
    assert sorted((s.endpoint, s.replicas) for s in kept) == [("acme/a", 1), ("acme/b", 2)]
    store.close()
