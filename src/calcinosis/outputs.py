"""Write output files without ever losing what a user entered.

Every file calcinosis writes (reports, imaging results, overlays, summaries) goes through
this module, which holds the rules in one place:

- an output is never one of the command's inputs (``report v.yaml -o v.yaml`` is refused);
- an existing output is refused unless the user passed ``--force``;
- a symbolic link is never followed: an output path that is a link is refused, and the
  final rename replaces a directory entry, never the file a link points to;
- only a regular file is ever replaced, even with ``--force``: a named pipe, a device or a
  socket at the output path is refused (a hostile-input audit: ``report -o fifo --force``
  turned a FIFO into a regular file, and as root replaced ``/dev/full``);
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
from calcinosis.i18n import message, os_reason

__all__ = ["check_output", "prepare_output_dir", "write_output"]


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)


def _refused(path: Path, key: str, lang: str, **values: object) -> OutputError:
    return OutputError(message("err_file", lang, source=path, text=message(key, lang, **values)), path=path)


def check_output(path: Path | str, *, inputs: Iterable[Path | str] = (), force: bool = False, lang: str = "en") -> None:
    """Refuse ``path`` as an output now, before any work, if :func:`write_output` would refuse it
    (the message in ``lang``)."""
    target = Path(path)
    _check_target(target, inputs=[Path(p) for p in inputs], force=force, lang=lang)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise _refused(target, "out_no_folder", lang, folder=folder)


def _check_target(path: Path, *, inputs: Iterable[Path], force: bool, lang: str = "en") -> None:
    for source in inputs:
        if _same_file(path, source):
            raise _refused(path, "out_is_input", lang)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise _refused(path, "out_unchecked", lang, reason=os_reason(exc, lang)) from None
    if stat.S_ISLNK(st.st_mode):
        raise _refused(path, "out_is_link", lang)
    if stat.S_ISDIR(st.st_mode):
        raise _refused(path, "out_is_folder", lang)
    if not stat.S_ISREG(st.st_mode):  # a FIFO, a device, a socket: --force replaces files, not these
        raise _refused(path, "out_not_regular", lang)
    if not force:
        raise _refused(path, "out_exists", lang)


def write_output(
    path: Path | str, data: str | bytes, *, inputs: Iterable[Path | str] = (), force: bool = False, lang: str = "en"
) -> Path:
    """Write ``data`` to ``path`` atomically, under the rules of this module; return the path."""
    target = Path(path)
    check_output(target, inputs=inputs, force=force, lang=lang)
    folder = target.parent if str(target.parent) else Path(".")
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise _refused(target, "out_cannot_write_in", lang, folder=folder, reason=os_reason(exc, lang)) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.chmod(tmp_name, 0o644 & ~_umask())
        os.replace(tmp_name, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise _refused(target, "out_cannot_write", lang, reason=os_reason(exc, lang)) from None
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
