"""Uploaded studies: spooled to a private folder, made into something the imaging reader opens (a
file, or a folder from a zip), and measured with overlays for the API and the imaging page.

A zip of a DICOM series is unpacked with checks a hostile archive cannot pass: no absolute
path or ``..`` (zip slip), no links, at most :data:`MAX_MEMBERS` files, and at most
:data:`MAX_UNPACKED_BYTES` unpacked (zip bombs), counted while it is written rather than trusted
from the archive's directory.
"""

from __future__ import annotations

import base64
import shutil
import tempfile
import zipfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path, PurePosixPath
from typing import Any

from fastapi import UploadFile
from pydantic import BaseModel

from calcinosis.errors import ImagingError
from calcinosis.imaging.results import ImagingResult
from calcinosis.textsafe import plain

__all__ = [
    "MAX_MEMBERS",
    "MAX_UNPACKED_BYTES",
    "STUDY_SUFFIXES",
    "Overlay",
    "QuantifyResponse",
    "UnsupportedStudy",
    "quantify_upload",
    "spooled",
    "study_path",
]

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


class UnsupportedStudy(ImagingError):
    """An upload whose name says a kind of file the imaging reader does not open: 415 Unsupported
    Media Type on the page and the API (a study that is of a known kind but unusable is a 422)."""

    status = 415


def _suffix(name: str) -> str | None:
    lower = name.lower()
    return next((s for s in STUDY_SUFFIXES if lower.endswith(s)), None)


def study_path(upload: Path, filename: str, workdir: Path) -> Path:
    """The path to hand to :func:`calcinosis.imaging.io.read_study` for an uploaded file.

    ``upload`` holds the bytes; ``filename`` is the client's name (only its suffix is used).
    """
    suffix = _suffix(filename)
    if suffix is None:
        raise UnsupportedStudy("err_upload_suffix", suffixes=", ".join(STUDY_SUFFIXES))
    if suffix != ".zip":
        target = workdir / f"study{suffix}"
        upload.rename(target)
        return target
    folder = workdir / "series"
    folder.mkdir()
    try:
        archive = zipfile.ZipFile(upload)
    except (zipfile.BadZipFile, OSError) as exc:
        from calcinosis.imaging.io import library_cause

        raise ImagingError("err_zip_unreadable", cause=library_cause(exc)) from None
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) > MAX_MEMBERS:
            raise ImagingError("err_zip_members", count=len(members), most=MAX_MEMBERS)
        written = 0
        for i, member in enumerate(members):
            parts = PurePosixPath(member.filename.replace("\\", "/")).parts
            if (
                member.filename.startswith(("/", "\\"))
                or ".." in parts
                or (member.external_attr >> 16) & 0o170000 == 0o120000
            ):
                raise ImagingError("err_zip_unsafe", entry=member.filename[:80])
            name = Path(parts[-1]).name if parts else f"file{i}"
            with archive.open(member) as src, (folder / f"{i:05d}-{name}"[:200]).open("wb") as dst:
                while chunk := src.read(_CHUNK):
                    written += len(chunk)
                    if written > MAX_UNPACKED_BYTES:
                        raise ImagingError("err_zip_too_large", most=MAX_UNPACKED_BYTES)
                    dst.write(chunk)
    if not any(folder.iterdir()):
        shutil.rmtree(folder)
        raise ImagingError("err_zip_empty")
    return folder


def _hidden(value: object, names: dict[str, str]) -> object:
    """``value`` (a message's value: a path, a text said in any language...) with each of ``names``
    replaced (the private temporary folders an uploaded study is read from)."""
    from calcinosis.imaging.texts import Text

    if isinstance(value, Text):
        return Text(value.key, **{k: _hidden(v, names) for k, v in value.values.items()})
    if isinstance(value, str | Path):
        text = str(value)
        for name, shown in names.items():
            text = text.replace(name, shown)
        return text
    return value


def _private_names(workdir: Path, data_file: Path, shown: str) -> dict[str, str]:
    """The private paths a message may name, each to be said as the uploaded file's name: the
    study's own file first (``radio.png/study.png`` said the folder's name and then an English
    word, on a French page too), the longest first (``study.nii`` is the start of ``study.nii.gz``)."""
    names = [str(workdir / f"study{suffix}") for suffix in STUDY_SUFFIXES]
    names += [str(workdir / "series"), str(workdir), str(data_file)]
    return {name: shown for name in sorted(names, key=len, reverse=True)}


class Overlay(BaseModel):
    """A maximum-intensity projection with the deposits coloured and numbered."""

    view: str
    media_type: str = "image/png"
    data_base64: str


class QuantifyResponse(BaseModel):
    """The measurement, the imaging entry of a case it supports, and the overlays."""

    result: ImagingResult
    case_imaging: dict[str, Any]
    overlays: list[Overlay]


def quantify_upload(
    data_file: Path,
    filename: str,
    *,
    threshold: float = 130.0,
    pixel_spacing: float | None = None,
    lang: str = "en",
) -> QuantifyResponse:
    """Measure the study in ``data_file`` (uploaded as ``filename``), with overlays; shared with the
    imaging page. The result's assumptions and disclaimer are in ``lang`` (en or fr), and so is an
    error when it is said (:meth:`ImagingError.text`)."""
    from calcinosis.imaging.ct import check_threshold
    from calcinosis.imaging.io import read_study
    from calcinosis.imaging.measure import measure_volume
    from calcinosis.imaging.overlay import write_overlays

    check_threshold(threshold)
    workdir = Path(tempfile.mkdtemp(prefix="calcinosis-upload-"))
    shown = plain(Path(filename).name, limit=100, newlines=False) or "upload"
    try:
        path = study_path(data_file, filename, workdir)
        volume = read_study(path, pixel_spacing_mm=pixel_spacing)
        result, masks = measure_volume(volume, threshold=threshold, lang=lang)
        overlays = []
        for png in write_overlays(volume, result, masks, workdir / "overlays"):
            view = png.stem.rsplit("-", 1)[-1]
            overlays.append(Overlay(view=view, data_base64=base64.b64encode(png.read_bytes()).decode("ascii")))
        result = result.model_copy(update={"source": shown})
        return QuantifyResponse(result=result, case_imaging=result.case_imaging(), overlays=overlays)
    except ImagingError as exc:  # the private folders' names replaced by the uploaded file's
        raise exc.with_values(
            {k: _hidden(v, _private_names(workdir, data_file, shown)) for k, v in exc.values.items()}
        ) from None
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
