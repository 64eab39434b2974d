"""The user's cache folder and its files: the compiled knowledge (kb.loader), the messages
table (i18n) and the number symbols (number_symbols) are kept there between runs.

Each file is a one-line JSON header (format, key, SHA-256 of the body) and the body. A file that
is a link, belongs to someone else, is writable by others, has another key or fails its hash is
ignored: the cache only ever costs speed, never trust (no pickle, nothing executed).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeGuard, TypeVar

__all__ = ["cache_dir", "cached_table", "files_key", "private_dir", "read_cache_file", "write_cache_file"]

T = TypeVar("T")

_CACHE_FORMAT = 1


def cache_dir() -> Path:
    """``$CALCINOSIS_CACHE_DIR``, else ``$XDG_CACHE_HOME/calcinosis`` or ``~/.cache/calcinosis``."""
    env = os.environ.get("CALCINOSIS_CACHE_DIR")
    if env:
        return Path(env)
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "calcinosis"


def private_dir(folder: Path) -> bool:
    """Create the cache folder for this user only; refuse one that others could write."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = os.lstat(folder)
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid() and not st.st_mode & 0o022


def read_cache_file(path: Path, key: str) -> bytes | None:
    """The body of the cache file ``path``, or None when absent, foreign (a link, another owner,
    writable by others), of another format or key, or when its body fails its SHA-256."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as fh:
            st = os.fstat(fh.fileno())
            if not stat.S_ISREG(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o022:
                return None
            data = fh.read()
        header, _, body = data.partition(b"\n")
        meta = json.loads(header)
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict) or meta.get("format") != _CACHE_FORMAT or meta.get("key") != key:
        return None
    if meta.get("sha256") != hashlib.sha256(body).hexdigest():
        return None
    return body


def write_cache_file(path: Path, key: str, body: bytes) -> None:
    """Write ``body`` to ``path`` under a header (format, key, SHA-256 of the body), atomically;
    a folder that cannot be written only costs speed."""
    import tempfile

    header = json.dumps({"format": _CACHE_FORMAT, "sha256": hashlib.sha256(body).hexdigest(), "key": key}).encode()
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem[:8]}-", suffix=".tmp", dir=path.parent)
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(header + b"\n" + body)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def files_key(label: str, versions: Sequence[str], paths: Sequence[Path]) -> str | None:
    """A cache key from ``label``, the ``versions`` that shape the cached content, and the path,
    size and modification time (ns) of each of ``paths`` (the sources and the code that turns
    them into the table), as Python checks its bytecode cache; None when one cannot be read."""
    parts: list[object] = [label, *versions]
    try:
        for path in paths:
            st = os.stat(path)
            parts += [str(path), st.st_size, st.st_mtime_ns]
    except OSError:
        return None
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def cached_table(name: str, key: str | None, valid: Callable[[object], TypeGuard[T]], build: Callable[[], T]) -> T:
    """A JSON table kept in the cache folder as ``name-<key>.json``: read from there when it is
    present, intact and ``valid``, else built, written for the next run (when valid) and returned.

    ``key`` (None: not cached) names what the table is made from, so that a change of it is a
    new file rather than a stale one.
    """
    folder = cache_dir()
    path = folder / f"{name}-{key[:32]}.json" if key is not None and private_dir(folder) else None
    body = read_cache_file(path, key) if path is not None and key is not None else None
    if body is not None:
        with contextlib.suppress(ValueError):
            found = json.loads(body)
            if valid(found):
                return found
    table = build()
    if path is not None and key is not None and valid(table):
        write_cache_file(path, key, json.dumps(table, ensure_ascii=False).encode("utf-8"))
    return table
