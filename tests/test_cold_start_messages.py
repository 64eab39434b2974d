"""The messages table is read from a JSON cache keyed by file metadata (issue #17): parsing
``messages.yaml`` with PyYAML took about 40 ms of every start. The cache must give the very table
the YAML gives, be read again when the YAML or its typesetting code changes, and never be used
when it is damaged or foreign."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from calcinosis import i18n
from calcinosis.i18n import messages


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty cache folder of this test's own, and the table read afresh before and after."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("CALCINOSIS_CACHE_DIR", str(folder))
    messages.cache_clear()
    yield folder
    messages.cache_clear()


def _from_yaml() -> dict[str, Any]:
    """The table as the YAML file gives it, typeset as messages() does."""
    data: dict[str, Any] = yaml.safe_load((Path(i18n.__file__).parent / "messages.yaml").read_text(encoding="utf-8"))
    for entry in data.values():
        entry["fr"] = i18n.french_typography(entry["fr"])
    return data


def _refuse_yaml(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("messages.yaml was parsed")

    monkeypatch.setattr(yaml, "load", refuse)


def _cached(folder: Path) -> Path:
    (path,) = folder.glob("messages-*.json")
    return path


def test_a_warm_start_reads_the_table_from_the_cache(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = messages()
    assert first == _from_yaml()
    path = _cached(cache)
    assert path.stat().st_mode & 0o077 == 0  # written for this user only
    messages.cache_clear()
    _refuse_yaml(monkeypatch)
    assert messages() == first


def test_the_key_follows_the_file_and_the_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A new modification time or size of messages.yaml, or of the module that typesets it, is a
    new key, as Python checks its bytecode cache."""
    source = tmp_path / "messages.yaml"
    shutil.copy2(Path(i18n.__file__).parent / "messages.yaml", source)
    code = tmp_path / "i18n.py"
    shutil.copy2(i18n.__file__, code)
    monkeypatch.setattr(i18n, "__file__", str(code))
    key = i18n._messages_key(source)
    assert key is not None and key == i18n._messages_key(source)
    for path in (source, code):
        st = path.stat()
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
        changed = i18n._messages_key(source)
        assert changed != key, path.name
        key = changed
    with source.open("a", encoding="utf-8") as fh:
        fh.write("\n")
    assert i18n._messages_key(source) != key
    assert i18n._messages_key(tmp_path / "missing.yaml") is None


def _rewrite(path: Path, body: bytes) -> None:
    """Replace a cache file's body and fix its checksum, as only a deliberate edit would."""
    header, _, _ = path.read_bytes().partition(b"\n")
    meta = json.loads(header)
    meta["sha256"] = hashlib.sha256(body).hexdigest()
    path.write_bytes(json.dumps(meta).encode() + b"\n" + body)


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[1, 2]", json.dumps({"disclaimer": {"en": 1, "fr": "x"}}).encode(), b'{"disclaimer": "x"}'],
    ids=["not-json", "not-a-mapping", "not-texts", "not-an-entry"],
)
def test_a_table_altered_behind_the_checksum_is_not_used(cache: Path, body: bytes) -> None:
    expected = messages()
    _rewrite(_cached(cache), body)
    messages.cache_clear()
    assert messages() == expected


def test_a_corrupt_or_foreign_cache_is_not_used(cache: Path, tmp_path: Path) -> None:
    expected = messages()
    path = _cached(cache)
    path.write_bytes(path.read_bytes()[:-10])  # truncated: the checksum fails
    messages.cache_clear()
    assert messages() == expected
    elsewhere = tmp_path / "elsewhere.json"
    shutil.move(_cached(cache), elsewhere)
    path.symlink_to(elsewhere)  # a link planted as the cache is not followed
    messages.cache_clear()
    assert messages() == expected


def test_a_folder_others_can_write_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "shared-cache"
    folder.mkdir()
    folder.chmod(0o777)
    monkeypatch.setenv("CALCINOSIS_CACHE_DIR", str(folder))
    messages.cache_clear()
    try:
        assert messages() == _from_yaml()
        assert list(folder.iterdir()) == []
    finally:
        messages.cache_clear()
