"""A throwaway PostgreSQL server for tests and benchmarks (never for patient data).

Debian's binaries (``/usr/lib/postgresql/*/bin``), a temporary folder, 127.0.0.1 only, the
``postgres`` user when running as root (``initdb`` refuses root), fsync off; stopped and deleted
on exit. Verified recipe: ../shared/reference/stack-recipes.md §4.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator

from calcinosis.registry.db import RegistryError

__all__ = ["throwaway_postgres"]


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[str]:
    """Start a server; yield its SQLAlchemy URL (database ``postgres``, user ``test``, trust auth on loopback)."""
    bindirs = glob.glob("/usr/lib/postgresql/*/bin")
    if not bindirs:
        raise RegistryError("PostgreSQL is not installed: run scripts/setup (it installs Debian's postgresql package)")
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

    try:
        pg("initdb", "-D", f"{folder}/data", "-U", "test", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "-N")
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c fsync=off -c max_connections=50"
        pg("pg_ctl", "-D", f"{folder}/data", "-l", f"{folder}/log", "-w", "-o", options, "start")
        try:
            yield f"postgresql+psycopg://test@127.0.0.1:{port}/postgres"
        finally:
            pg("pg_ctl", "-D", f"{folder}/data", "-m", "fast", "-w", "stop")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
