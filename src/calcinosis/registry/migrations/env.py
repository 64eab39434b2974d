"""Alembic environment: runs on the engine the registry opened (no alembic.ini, no URL here).

On SQLite, a batch migration rebuilds a table (copy, drop, rename); with foreign keys enforced,
dropping ``patient`` would cascade and delete every visit. Foreign keys are therefore switched
off for the migration (outside its transaction, where SQLite honours the pragma), checked with
``PRAGMA foreign_key_check`` before the commit, and switched on again.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from calcinosis.registry.models import Base

engine = context.config.attributes["engine"]
with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()  # end SQLAlchemy's implicit transaction: the pragma itself is already in force
    try:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=sqlite,  # SQLite has almost no ALTER TABLE
        )
        with connection.begin():
            context.run_migrations()
            if sqlite:
                broken = connection.execute(text("PRAGMA foreign_key_check")).fetchall()
                if broken:
                    raise RuntimeError(
                        f"the migration would leave {len(broken)} rows without their parent; nothing was changed"
                    )
    finally:
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()
