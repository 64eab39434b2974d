"""An uploaded study made into something the imaging reader opens: a file, or a folder from a zip.

A zip of a DICOM series is unpacked with checks a hostile archive cannot pass: no absolute
path or ``..`` (zip slip), no links, at most :data:`MAX_MEMBERS` files, and at most
:data:`MAX_UNPACKED_BYTES` unpacked (zip bombs), counted while it is written rather than trusted
from the archive's directory.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path, PurePosixPath

from fastapi import UploadFile

from calcinosis.errors import ImagingError

__all__ = ["MAX_MEMBERS", "MAX_UNPACKED_BYTES", "STUDY_SUFFIXES", "spooled", "study_path"]

STUDY_SUFFIXES = (".nii", ".nii.gz", ".dcm", ".png", ".zip")
MAX_MEMBERS = 5000
MAX_UNPACKED_BYTES = 2 * 1024**3
_CHUNK = 1 << 20


@asynccontextmanager
async def spooled(upload: UploadFile) -> AsyncIterator[Path]:
    """The uploaded file written to a private temporary folder, deleted when the block ends."""
    folder = Path(tempfile.mkdtemp(prefix="calcinosis-spool-"))
    try:
        data_file = folder / "data"
        with data_file.open("wb") as out:
            while chunk := await upload.read(_CHUNK):
                out.write(chunk)
        yield data_file
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _suffix(name: str) -> str | None:
    lower = name.lower()
    return next((s for s in STUDY_SUFFIXES if lower.endswith(s)), None)


def study_path(upload: Path, filename: str, workdir: Path) -> Path:
    """The path to hand to :func:`calcinosis.imaging.io.read_study` for an uploaded file.

    ``upload`` holds the bytes; ``filename`` is the client's name (only its suffix is used).
    """
    suffix = _suffix(filename)
    if suffix is None:
        raise ImagingError(
            f"the uploaded file's name must end in one of {', '.join(STUDY_SUFFIXES)} "
            "(a NIfTI or DICOM file, a PNG radiograph, or a zip of a DICOM series)"
        )
    if suffix != ".zip":
        target = workdir / f"study{suffix}"
        upload.rename(target)
        return target
    folder = workdir / "series"
    folder.mkdir()
    try:
        archive = zipfile.ZipFile(upload)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ImagingError(f"the uploaded zip cannot be opened ({exc})") from None
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) > MAX_MEMBERS:
            raise ImagingError(f"the zip holds {len(members)} files; at most {MAX_MEMBERS} are read")
        written = 0
        for i, member in enumerate(members):
            parts = PurePosixPath(member.filename.replace("\\", "/")).parts
            if (
                member.filename.startswith(("/", "\\"))
                or ".." in parts
                or (member.external_attr >> 16) & 0o170000 == 0o120000
            ):
                raise ImagingError(f"the zip holds an unsafe entry ({member.filename[:80]!r}): refused")
            name = Path(parts[-1]).name if parts else f"file{i}"
            with archive.open(member) as src, (folder / f"{i:05d}-{name}"[:200]).open("wb") as dst:
                while chunk := src.read(_CHUNK):
                    written += len(chunk)
                    if written > MAX_UNPACKED_BYTES:
                        raise ImagingError(f"the zip unpacks to more than {MAX_UNPACKED_BYTES} bytes: refused")
                    dst.write(chunk)
    if not any(folder.iterdir()):
        shutil.rmtree(folder)
        raise ImagingError("the uploaded zip holds no file")
    return folder
