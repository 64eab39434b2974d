"""Write output files without ever losing what a user entered.

Every file calcinosis writes (reports, imaging results, overlays, summaries) goes through
this module, which holds the rules in one place:

- an output is never one of the command's inputs (``report v.yaml -o v.yaml`` is refused);
- an existing output is refused unless the user passed ``--force``;
- a symbolic link is never followed: an output path that is a link is refused, and the
  final rename replaces a directory entry, never the file a link points to;
- the content is written to a temporary file in the same folder and renamed into place, so
  an interrupted write never leaves half a file where a good one was.

Failures raise :class:`~calcinosis.errors.OutputError`, which the CLI prints as a clear
message with exit code 2.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path

from calcinosis.errors import OutputError

__all__ = ["check_output", "prepare_output_dir", "write_output"]


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)


def check_output(path: Path | str, *, inputs: Iterable[Path | str] = (), force: bool = False) -> None:
    """Refuse ``path`` as an output now, before any work, if :func:`write_output` would refuse it."""
    target = Path(path)
    _check_target(target, inputs=[Path(p) for p in inputs], force=force)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"{target}: folder {folder} does not exist", path=target)


def _check_target(path: Path, *, inputs: Iterable[Path], force: bool) -> None:
    for source in inputs:
        if _same_file(path, source):
            raise OutputError(f"{path}: is an input of this command; refusing to overwrite it", path=path)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise OutputError(f"{path}: cannot be checked ({exc.strerror})", path=path) from None
    if stat.S_ISLNK(st.st_mode):
        raise OutputError(f"{path}: is a symbolic link; outputs never follow links (give the real path)", path=path)
    if stat.S_ISDIR(st.st_mode):
        raise OutputError(f"{path}: is a folder; give a file name", path=path)
    if not force:
        raise OutputError(f"{path}: already exists; pass --force to replace it", path=path)


def write_output(
    path: Path | str, data: str | bytes, *, inputs: Iterable[Path | str] = (), force: bool = False
) -> Path:
    """Write ``data`` to ``path`` atomically, under the rules of this module; return the path."""
    target = Path(path)
    check_output(target, inputs=inputs, force=force)
    folder = target.parent if str(target.parent) else Path(".")
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise OutputError(f"{target}: cannot write in {folder} ({exc.strerror})", path=target) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.chmod(tmp_name, 0o644 & ~_umask())
        os.replace(tmp_name, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise OutputError(f"{target}: cannot be written ({exc.strerror})", path=target) from None
    return target


def prepare_output_dir(path: Path | str, *, inputs: Iterable[Path | str] = ()) -> Path:
    """Create the output folder ``path`` if needed (never through a link) and check it can be written."""
    folder = Path(path)
    for source in inputs:
        if _same_file(folder, Path(source)):
            raise OutputError(f"{folder}: is an input of this command; choose another output folder", path=folder)
    if folder.is_symlink():
        raise OutputError(f"{folder}: is a symbolic link; outputs never follow links (give the real path)", path=folder)
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{folder}: exists and is not a folder", path=folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{folder}: cannot create the output folder ({exc.strerror})", path=folder) from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"{folder}: the output folder is not writable", path=folder)
    return folder


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
