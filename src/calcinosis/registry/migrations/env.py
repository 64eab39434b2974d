"""Alembic environment: runs on the engine the registry opened (no alembic.ini, no URL here)."""

from __future__ import annotations

from alembic import context

from calcinosis.registry.models import Base

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite has almost no ALTER TABLE
    )
    with context.begin_transaction():
        context.run_migrations()
