"""Registry fixtures: every test runs on SQLite and on a throwaway PostgreSQL started here.

PostgreSQL comes from Debian's packages (scripts/setup installs them); the server is initialised
in a temporary folder, listens on 127.0.0.1 only, runs as the ``postgres`` user when the tests
run as root (initdb refuses root), and is stopped and deleted after the session. Each test gets
a fresh database made from the template of the session.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from calcinosis.registry.db import migrate, open_engine


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[str]:
    """A PostgreSQL server for this test session; yields its SQLAlchemy URL (database postgres)."""
    bindirs = glob.glob("/usr/lib/postgresql/*/bin")
    if not bindirs:
        pytest.fail("PostgreSQL is not installed: run scripts/setup (it installs Debian's postgresql package)")
    bindir = max(bindirs, key=lambda p: int(p.split("/")[-2]))
    sudo = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    folder = tempfile.mkdtemp(prefix="calcinosis-pg-")
    if sudo:
        shutil.chown(folder, "postgres", "postgres")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()

    def pg(*args: str) -> None:
        subprocess.run([*sudo, f"{bindir}/{args[0]}", *args[1:]], check=True, capture_output=True)

    pg("initdb", "-D", f"{folder}/data", "-U", "test", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "-N")
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c fsync=off -c max_connections=50"
    pg("pg_ctl", "-D", f"{folder}/data", "-l", f"{folder}/log", "-w", "-o", options, "start")
    try:
        yield f"postgresql+psycopg://test@127.0.0.1:{port}/postgres"
    finally:
        pg("pg_ctl", "-D", f"{folder}/data", "-m", "fast", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with throwaway_postgres() as url:
        yield url


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
