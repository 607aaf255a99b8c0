"""Alembic migrations of the state store, shipped inside the package and applied when a `Store` opens."""
