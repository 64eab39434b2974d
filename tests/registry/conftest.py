"""Registry fixtures: every test runs on SQLite and on a throwaway PostgreSQL started here.

PostgreSQL comes from Debian's packages (scripts/setup installs them); the server is initialised
in a temporary folder, listens on 127.0.0.1 only, runs as the ``postgres`` user when the tests
run as root (initdb refuses root), and is stopped and deleted after the session. Each test gets
a fresh database made from the template of the session.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from calcinosis.registry.db import RegistryError, migrate, open_engine
from calcinosis.registry.throwaway import throwaway_postgres


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    try:
        with throwaway_postgres() as url:
            yield url
    except RegistryError as exc:
        pytest.fail(str(exc))


def _fresh_postgres(server_url: str) -> str:
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server_url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def registry_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database URL on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'registry.sqlite3'}"
    return _fresh_postgres(request.getfixturevalue("postgres_url"))


@pytest.fixture
def engine(registry_url: str) -> Iterator[Engine]:
    """A migrated registry on each backend."""
    eng = open_engine(registry_url)
    migrate(eng)
    yield eng
    eng.dispose()
