"""Alembic's entry point: migrations run on the connection `migrate.upgrade` hands over (which holds the lock)."""

from __future__ import annotations

from alembic import context

from hfwarden.adapters.store.tables import metadata

connection = context.config.attributes["connection"]
# Batch mode: on SQLite an ALTER that SQLite lacks is done by copying the table; elsewhere it is a plain ALTER.
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
