"""Read studies: a DICOM CT series (folder), a NIfTI file, or a radiograph (DICOM or PNG).

Broken input is an :class:`ImagingError` naming the file, what was expected and the cause in
plain words (no readable slice, several series mixed, missing or truncated slices, no or
impossible spacing, a study over the size limits); what is not broken but not certain either
is an assumption recorded on the :class:`Volume` and reported with the result. Nothing is
guessed silently, and no failure of pydicom, nibabel or Pillow leaves this module as anything
but an :class:`ImagingError`.

Sizes are checked from the header before any pixel is decoded (``MAX_CT_VOXELS``,
``MAX_RADIOGRAPH_PIXELS``, see docs/imaging.md); a DICOM series is read in two passes
(headers, then one slice at a time into the final array) so that memory stays near the size
of the volume itself.
"""

from __future__ import annotations

import errno
import itertools
import logging
import math
import re
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from calcinosis.errors import ImagingError
from calcinosis.imaging.texts import Listed, Numbers, Text
from calcinosis.imaging.volume import (
    AIR_HU,
    MAX_CT_VOXELS,
    MAX_RADIOGRAPH_PIXELS,
    Geometry,
    HUStore,
    Volume,
    check_number,
    check_spacing,
    check_volume,
    ordinary_pages,
)

__all__ = ["MAX_CT_VOXELS", "MAX_RADIOGRAPH_PIXELS", "RADIOGRAPH_MODALITIES", "library_cause", "read_study"]

DICOM_SUFFIXES = (".dcm", ".dicom", ".ima")
# Projection radiography (and secondary captures of films); anything else that is not CT is refused.
RADIOGRAPH_MODALITIES = frozenset({"CR", "DX", "RG", "MG", "XA", "RF", "IO", "PX", "DF", "OT"})
_DEFER_BYTES = 4096  # header pass: larger values (the pixel data) are left on disk
_MAX_NOTES = 5
_NAMES_SHOWN = 5


def read_study(path: Path | str, *, pixel_spacing_mm: float | None = None) -> Volume:
    """Read a study from a DICOM folder, a NIfTI file (.nii, .nii.gz), or a radiograph (.dcm, .png).

    ``pixel_spacing_mm`` (needed for a PNG) must be a finite, positive number of mm.
    Raises :class:`ImagingError` for anything that cannot be read or measured.
    """
    p = Path(path)
    if pixel_spacing_mm is not None:
        pixel_spacing_mm = check_spacing("--pixel-spacing", pixel_spacing_mm)
    if not p.exists():
        raise ImagingError("err_no_such_file", path=p)
    notes: list[str] = []
    try:
        with _reader_warnings(notes), ordinary_pages():
            volume = _read(p, pixel_spacing_mm)
    except ImagingError:
        raise
    except MemoryError:
        raise ImagingError("err_no_memory", path=p) from None
    except Exception as exc:  # a reader library failed in a way not foreseen: still one clear error
        raise ImagingError("err_cannot_read_kind", path=p, cause=library_cause(exc)) from None
    volume.assumptions.extend(notes)
    check_volume(volume)
    return volume


def _read(p: Path, pixel_spacing_mm: float | None) -> Volume:
    if p.is_dir():
        return _read_dicom_series(p)
    if not p.is_file():
        raise ImagingError("err_not_regular_file", path=p, expected=Text("study_kinds"))
    if p.stat().st_size == 0:
        raise ImagingError("err_empty_file", path=p, expected=Text("study_kinds"))
    name = p.name.lower()
    if name.endswith((".nii", ".nii.gz")):
        return _read_nifti(p)
    if name.endswith(".png"):
        return _read_png(p, pixel_spacing_mm)
    return _read_dicom_file(p)


# ---------------------------------------------------------------------------------------------
# helpers


_log = logging.getLogger("calcinosis.imaging")


def _library_words(exc: BaseException) -> str:
    """The message of an exception on one line, without object addresses, never empty."""
    text = re.sub(r"<[^<>]* at 0x[0-9a-fA-F]+>", "<data>", str(exc))
    return " ".join(text.split()) or type(exc).__name__


def library_cause(exc: BaseException) -> Text:
    """Why a reader library (nibabel, pydicom, Pillow, gzip, zipfile) failed, in the project's own
    words (en and fr): its message ('Cannot work out file type of ...') reached a French page as
    it was. The library's own words go to the ``calcinosis.imaging`` log (debug), marked as its."""
    words = _library_words(exc)
    origin = (type(exc).__module__ or "").split(".")[0] or "builtins"
    _log.debug("the %s library said (%s): %s", origin, type(exc).__name__, words)
    lower = words.lower()
    if isinstance(exc, EOFError) or "truncated" in lower or "end of file" in lower or "ended before" in lower:
        return Text("cause_cut_short")
    if type(exc).__name__ in ("BadGzipFile", "BadZipFile", "error") and origin in ("gzip", "zipfile", "zlib"):
        return Text("cause_bad_packing")
    if "not a gzip" in lower or "not a zip file" in lower or "compressed data" in lower or "crc" in lower:
        return Text("cause_bad_packing")
    if type(exc).__name__ == "ImageFileError" or "cannot work out file type" in lower:
        return Text("cause_not_that_kind")
    if isinstance(exc, OSError) and exc.errno:
        return Text("cause_system", code=errno.errorcode.get(exc.errno, str(exc.errno)))
    return Text("cause_library_other")


@contextmanager
def _library_errors(path: Path, what: Text) -> Iterator[None]:
    """Turn a reader library's failure into one ImagingError: '<path>: <what>: <cause>'.

    Our own ImagingError and MemoryError pass through (the caller words memory errors once).
    """
    try:
        yield
    except (ImagingError, MemoryError):
        raise
    except Exception as exc:  # pydicom, nibabel and Pillow raise many kinds
        raise ImagingError("err_library", path=path, what=what, cause=library_cause(exc)) from None


@contextmanager
def _reader_warnings(notes: list[str]) -> Iterator[None]:
    """Record the warnings of the reader libraries as assumptions instead of losing them on stderr."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    seen: list[str] = []
    for w in caught:
        text = " ".join(str(w.message).split())
        if text and text not in seen:
            seen.append(text)
    notes.extend(Text("note_reader_warning", text=text[:300]) for text in seen[:_MAX_NOTES])
    if len(seen) > _MAX_NOTES:
        notes.append(Text("note_more_warnings", count=len(seen) - _MAX_NOTES))


@contextmanager
def _nibabel_messages(notes: list[str]) -> Iterator[None]:
    """nibabel logs the fixes it makes to a header (a 0 voxel size set to 1 mm...) on stderr: record
    them as assumptions instead (the header as written is checked separately)."""
    logger = logging.getLogger("nibabel.global")
    saved = (list(logger.handlers), logger.propagate)
    seen: list[str] = []

    class _Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            text = " ".join(record.getMessage().split())
            if text and text not in seen:
                seen.append(text)

    logger.handlers = [_Collect()]
    logger.propagate = False
    try:
        yield
    finally:
        logger.handlers, logger.propagate = saved
    notes.extend(Text("note_nifti_reader", text=text[:300]) for text in seen[:_MAX_NOTES])


def _names(paths: Sequence[Path]) -> str:
    shown = ", ".join(p.name for p in paths[:_NAMES_SHOWN])
    return Text("names_more", names=shown, count=len(paths) - _NAMES_SHOWN) if len(paths) > _NAMES_SHOWN else shown


# ---------------------------------------------------------------------------------------------
# DICOM


def _has_dicm_marker(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            head = fh.read(132)
    except OSError as exc:
        raise ImagingError("err_cannot_read", path=path, cause=library_cause(exc)) from None
    return len(head) == 132 and head[128:132] == b"DICM"


def _dcmread(path: Path, *, header: bool) -> Any:
    """A DICOM dataset; with ``header`` the pixel data stays on disk (deferred)."""
    import pydicom

    if path.stat().st_size == 0:
        raise ImagingError("err_empty_dicom", path=path)
    if not _has_dicm_marker(path):
        raise ImagingError("err_not_dicom", path=path, expected=Text("study_kinds"))
    with _library_errors(path, Text("what_unreadable_dicom")):
        return pydicom.dcmread(path, defer_size=_DEFER_BYTES if header else None)


def _values(ds: Any, keyword: str) -> list[Any] | None:
    """The values of a tag as a list (None when absent or empty)."""
    if keyword not in ds:
        return None
    value = ds.get(keyword)
    if value is None or value == "":
        return None
    if isinstance(value, (str, bytes)):
        return [value]
    try:
        return list(value)
    except TypeError:
        return [value]


def _shown(values: Sequence[Any]) -> str:
    return "\\".join(str(v) for v in values)


def _one_number(ds: Any, keyword: str, path: Path) -> float | None:
    values = _values(ds, keyword)
    if values is None:
        return None
    if len(values) != 1:
        raise ImagingError("err_tag_one_number", path=path, tag=keyword, found=_shown(values))
    return check_number(keyword, values[0], where=str(path))


def _int_tag(ds: Any, keyword: str, path: Path, *, default: int | None = None, low: int = 1) -> int:
    values = _values(ds, keyword)
    if values is None:
        if default is None:
            raise ImagingError("err_tag_missing", path=path, tag=keyword)
        return default
    try:
        if len(values) != 1:
            raise ValueError
        number = int(values[0])
    except (TypeError, ValueError):
        raise ImagingError("err_tag_one_integer", path=path, tag=keyword, found=_shown(values)) from None
    if number < low:
        raise ImagingError("err_tag_at_least", path=path, tag=keyword, low=low, found=number)
    return number


def _floats(ds: Any, keyword: str, count: int, path: Path) -> list[float] | None:
    values = _values(ds, keyword)
    if values is None:
        return None
    if len(values) != count:
        raise ImagingError("err_tag_count", path=path, tag=keyword, count=count, found=_shown(values))
    return [check_number(keyword, v, where=str(path)) for v in values]


def _pixel_spacing(ds: Any, keyword: str, path: Path) -> tuple[float, float] | None:
    """(row spacing, column spacing) in mm from PixelSpacing or ImagerPixelSpacing; None when absent."""
    values = _values(ds, keyword)
    if values is None:
        return None
    if len(values) != 2:
        raise ImagingError("err_tag_two_spacings", path=path, tag=keyword, found=_shown(values))
    dy = check_spacing(keyword, values[0], where=str(path))
    dx = check_spacing(keyword, values[1], where=str(path))
    return dy, dx


def _slice_spacing_from_header(ds: Any, path: Path, reason: Text, notes: list[str]) -> float:
    """SpacingBetweenSlices, else SliceThickness, recorded as an assumption; an error when neither is given."""
    for keyword in ("SpacingBetweenSlices", "SliceThickness"):
        values = _values(ds, keyword)
        if values is None:
            continue
        if len(values) != 1:
            raise ImagingError("err_tag_one_number", path=path, tag=keyword, found=_shown(values))
        dz = check_spacing(keyword, values[0], where=str(path))
        notes.append(Text("note_slice_spacing_from", reason=reason, dz=dz, tag=keyword))
        return dz
    raise ImagingError("err_slice_spacing_unknown", path=path, reason=reason)


@dataclass
class _Image:
    """What the header says about the pixel data."""

    rows: int
    columns: int
    frames: int
    bits_allocated: int
    photometric: str

    @property
    def pixels(self) -> int:
        return self.rows * self.columns * self.frames

    @property
    def native_bytes(self) -> int:
        return self.pixels * self.bits_allocated // 8


def _image_header(ds: Any, path: Path, *, limit: int, what: Text) -> _Image:
    """Check the image description of a header, and its size against ``limit``, before any pixel is read."""
    rows = _int_tag(ds, "Rows", path)
    columns = _int_tag(ds, "Columns", path)
    frames = _int_tag(ds, "NumberOfFrames", path, default=1)
    samples = _int_tag(ds, "SamplesPerPixel", path)
    if samples != 1:
        raise ImagingError("err_colour_image", path=path, samples=samples, what=what)
    if _values(ds, "PhotometricInterpretation") is None:
        raise ImagingError("err_tag_missing", path=path, tag="PhotometricInterpretation")
    photometric = str(ds.get("PhotometricInterpretation")).strip().upper()
    if photometric not in ("MONOCHROME1", "MONOCHROME2"):
        raise ImagingError("err_photometric", path=path, value=photometric, what=what)
    bits = _int_tag(ds, "BitsAllocated", path)
    if bits not in (8, 16, 32):
        raise ImagingError("err_bits_allocated", path=path, bits=bits)
    stored = _int_tag(ds, "BitsStored", path)
    if stored > bits:
        raise ImagingError("err_bits_stored", path=path, stored=stored, bits=bits)
    representation = _int_tag(ds, "PixelRepresentation", path, low=0)
    if representation not in (0, 1):
        raise ImagingError("err_pixel_representation", path=path, value=representation)
    image = _Image(rows, columns, frames, bits, photometric)
    if image.pixels > limit:
        size = (
            Text("size_frames", rows=rows, columns=columns, frames=frames)
            if frames > 1
            else Text("size_2d", rows=rows, columns=columns)
        )
        raise ImagingError("err_too_many_pixels", path=path, size=size, pixels=image.pixels, limit=limit, what=what)
    return image


def _transfer_syntax(ds: Any) -> Any:
    meta = getattr(ds, "file_meta", None)
    return None if meta is None else meta.get("TransferSyntaxUID")


def _check_pixel_bytes(ds: Any, path: Path, image: _Image) -> None:
    """A header-pass dataset holds the whole uncompressed pixel data the header promises."""
    from pydicom.uid import UID, DeflatedExplicitVRLittleEndian

    element = ds.get_item(0x7FE00010, keep_deferred=True)
    if element is None:
        raise ImagingError("err_no_pixel_data", path=path)
    syntax = _transfer_syntax(ds)
    if syntax is None:
        raise ImagingError("err_no_transfer_syntax", path=path)
    uid = UID(str(syntax))
    if uid.is_compressed or uid == DeflatedExplicitVRLittleEndian:
        return  # the size is known only once decoded; _decode checks the shape
    if element.value is None:  # deferred: what the file holds after the element's header
        found = max(0, min(int(element.length), path.stat().st_size - int(element.value_tell)))
    else:
        found = len(element.value)
    if found < image.native_bytes:
        raise ImagingError("err_truncated_pixels", path=path, expected=image.native_bytes, found=found)


def _decode(ds: Any, path: Path, image: _Image) -> npt.NDArray[Any]:
    from pydicom.uid import UID

    syntax = _transfer_syntax(ds)
    name = UID(str(syntax)).name if syntax is not None else Text("no_transfer_syntax")
    with _library_errors(path, Text("what_cannot_decode", syntax=name)):
        array = np.asarray(ds.pixel_array)
    expected = (image.frames, image.rows, image.columns) if image.frames > 1 else (image.rows, image.columns)
    if array.shape != expected:
        raise ImagingError("err_decoded_shape", path=path, shape=array.shape, expected=expected)
    if not (np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)):
        raise ImagingError("err_pixel_type", path=path, dtype=array.dtype)
    return array


def _rescale(ds: Any, path: Path) -> tuple[float, float, bool]:
    """RescaleSlope and RescaleIntercept (finite, slope not 0), and whether both were given."""
    slope = _one_number(ds, "RescaleSlope", path)
    intercept = _one_number(ds, "RescaleIntercept", path)
    if slope == 0:
        raise ImagingError("err_slope_zero", path=path)
    return (
        (1.0 if slope is None else slope),
        (0.0 if intercept is None else intercept),
        (slope is not None and intercept is not None),
    )


_RESCALE_NOTE = "note_no_rescale"  # no RescaleSlope/RescaleIntercept: stored values taken as HU


def _is_image(ds: Any) -> bool:
    return "Rows" in ds or "PixelData" in ds


def _read_dicom_series(folder: Path) -> Volume:
    notes: list[str] = []
    entries = sorted(f for f in folder.iterdir() if not f.name.startswith("."))
    files = [f for f in entries if f.is_file()]
    images: list[tuple[Path, Any]] = []
    not_dicom: list[Path] = []
    without_image: list[tuple[Path, Any]] = []
    for f in files:
        if f.stat().st_size == 0 or not _has_dicm_marker(f):
            if f.suffix.lower() in DICOM_SUFFIXES:  # named as DICOM: a damaged slice, not a stray file
                if f.stat().st_size == 0:
                    raise ImagingError("err_series_empty_slice", path=f, folder=folder)
                raise ImagingError("err_series_not_dicom_slice", path=f, folder=folder)
            not_dicom.append(f)
            continue
        ds = _dcmread(f, header=True)
        (images if _is_image(ds) else without_image).append((f, ds))
    if not images:
        folders = [e for e in entries if e.is_dir()]
        if folders:
            raise ImagingError("err_no_dicom_image_folders", path=folder, names=_names(folders))
        raise ImagingError("err_no_dicom_image", path=folder)

    series = Counter(str(ds.get("SeriesInstanceUID", "")) for _, ds in images)
    if len(series) > 1:
        counts = Listed(tuple(Text("n_slice" if n == 1 else "n_slices", count=n) for n in series.values()))
        raise ImagingError("err_mixed_series", path=folder, count=len(series), counts=counts)
    series_uid = next(iter(series))
    image_classes = {str(ds.get("SOPClassUID", "")) for _, ds in images} - {""}
    ignored: list[Path] = list(not_dicom)
    for f, ds in without_image:
        sop_class = str(ds.get("SOPClassUID", "") or getattr(ds, "file_meta", {}).get("MediaStorageSOPClassUID", ""))
        if sop_class in image_classes or (series_uid and str(ds.get("SeriesInstanceUID", "")) == series_uid):
            raise ImagingError("err_slice_without_image", path=f)
        ignored.append(f)
    if ignored:
        notes.append(Text("note_ignored_files", count=len(ignored), names=_names(ignored)))

    modalities = {str(ds.get("Modality", "") or "").strip().upper() for _, ds in images}
    others = sorted(modalities - {"CT", ""})
    if others:
        raise ImagingError("err_not_ct_series", path=folder, modality="/".join(others))
    if "" in modalities:
        notes.append(Text("note_no_modality_series"))

    slice_kind = Text("image_ct_slice")
    headers = [(f, ds, _image_header(ds, f, limit=MAX_CT_VOXELS, what=slice_kind)) for f, ds in images]
    sizes = Counter((im.rows, im.columns) for _, _, im in headers)
    (rows, columns), _ = sizes.most_common(1)[0]
    for f, _ds, im in headers:
        if im.frames > 1:
            raise ImagingError("err_multiframe_in_series", path=f, frames=im.frames)
        if (im.rows, im.columns) != (rows, columns):
            raise ImagingError(
                "err_slice_size", path=f, rows=im.rows, columns=im.columns, series_rows=rows, series_columns=columns
            )
    total = rows * columns * len(headers)
    if total > MAX_CT_VOXELS:
        raise ImagingError(
            "err_series_too_large",
            path=folder,
            slices=len(headers),
            rows=rows,
            columns=columns,
            total=total,
            limit=MAX_CT_VOXELS,
        )

    first_path, first, _ = headers[0]
    spacing = _pixel_spacing(first, "PixelSpacing", first_path)
    if spacing is None:
        raise ImagingError("err_no_pixel_spacing_series", path=folder)
    for f, ds, _ in headers[1:]:
        other = _pixel_spacing(ds, "PixelSpacing", f)
        if other is None:
            raise ImagingError("err_slice_no_pixel_spacing", path=f, spacing=_shown(spacing))
        if not np.allclose(other, spacing, rtol=1e-3, atol=1e-6):
            raise ImagingError("err_pixel_spacing_differs", path=f, value=_shown(other), spacing=_shown(spacing))
    dy, dx = spacing
    rescale: dict[Path, tuple[float, float, bool]] = {}
    for f, ds, image in headers:  # a truncated slice or a NaN slope is found before any slice is decoded
        _check_pixel_bytes(ds, f, image)
        rescale[f] = _rescale(ds, f)

    ordered, dz, origin = _order_slices(folder, headers, notes)
    by_path = {f: ds for f, ds, _ in headers}
    affine = _dicom_affine([(f, by_path[f]) for f, _ in ordered], dy, dx, dz, notes)

    store = HUStore((len(ordered), rows, columns))  # int16 unless a value needs more (never clipped)
    missing_rescale = False
    for k, (f, image) in enumerate(ordered):
        ds = _dcmread(f, header=False)
        raw = _decode(ds, f, image)
        slope, intercept, given = rescale[f]
        missing_rescale |= not given
        store.put(k, raw, slope, intercept)
        del ds, raw
    if missing_rescale:
        notes.append(Text(_RESCALE_NOTE))
    notes.extend(store.notes())
    return Volume(
        array=store.array,
        spacing=(dz, dy, dx),
        origin=origin,
        modality="ct",
        source=str(folder),
        assumptions=notes,
        geometry=Geometry(affine=affine, dicom_files=tuple(str(f) for f, _ in ordered)),
    )


def _dicom_affine(
    datasets: Sequence[tuple[Path, Any]], dy: float, dx: float, dz: float, notes: list[str]
) -> npt.NDArray[np.float64] | None:
    """The affine from voxel (x, y, z) to RAS+ mm, from ImageOrientationPatient and ImagePositionPatient
    (DICOM's LPS, x and y negated); None when the files do not state both (the orientation is then
    unknown, and overlays say so). The slice step is taken between the first and last positions, so a
    gantry tilt (slices shifted along the table) is kept."""
    first_path, first = datasets[0]
    orientation = _floats(first, "ImageOrientationPatient", 6, first_path)
    positions = [_floats(ds, "ImagePositionPatient", 3, f) for f, ds in datasets]
    if orientation is None or positions[0] is None or positions[-1] is None:
        return None
    row, col = np.array(orientation[:3]), np.array(orientation[3:])
    if abs(np.linalg.norm(row) - 1) > 0.05 or abs(np.linalg.norm(col) - 1) > 0.05 or abs(float(row @ col)) > 0.05:
        notes.append(Text("note_orientation_unknown", value=_shown(orientation)))
        return None
    row, col = row / np.linalg.norm(row), col / np.linalg.norm(col)
    p0 = np.array(positions[0], dtype=np.float64)
    if len(datasets) > 1:
        step = (np.array(positions[-1], dtype=np.float64) - p0) / (len(datasets) - 1)
    else:
        step = np.cross(row, col) * dz
    lps = np.eye(4)
    lps[:3, 0], lps[:3, 1], lps[:3, 2], lps[:3, 3] = row * dx, col * dy, step, p0
    return np.diag([-1.0, -1.0, 1.0, 1.0]) @ lps


def _order_slices(
    folder: Path, headers: list[tuple[Path, Any, _Image]], notes: list[str]
) -> tuple[list[tuple[Path, _Image]], float, tuple[float, float, float]]:
    """Sort the slices along the slice normal (or by InstanceNumber), check they are evenly spaced, and
    return them with the slice spacing and the origin."""
    with_position = [("ImagePositionPatient" in ds) for _, ds, _ in headers]
    first_path, first, _ = headers[0]
    if all(with_position):
        orientation = _floats(first, "ImageOrientationPatient", 6, first_path)
        if orientation is None:
            orientation = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
            notes.append(Text("note_axial_assumed"))
        row, col = np.array(orientation[:3]), np.array(orientation[3:])
        if abs(np.linalg.norm(row) - 1) > 0.05 or abs(np.linalg.norm(col) - 1) > 0.05 or abs(float(row @ col)) > 0.05:
            raise ImagingError("err_orientation", path=first_path, value=_shown(orientation))
        for f, ds, _ in headers[1:]:
            other = _floats(ds, "ImageOrientationPatient", 6, f) or [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
            if not np.allclose(other, orientation, atol=1e-3):
                raise ImagingError("err_orientation_differs", path=f)
        normal = np.cross(row, col)
        normal /= np.linalg.norm(normal)
        keyed = []
        for f, ds, image in headers:
            position = _floats(ds, "ImagePositionPatient", 3, f)
            assert position is not None  # every slice has one (checked above)
            keyed.append((float(np.dot(position, normal)), f, image, position))
        keyed.sort(key=lambda t: t[0])
        positions = np.array([k for k, _, _, _ in keyed])
        ordered = [(f, image) for _, f, image, _ in keyed]
        p0 = keyed[0][3]
        origin = (float(p0[0]), float(p0[1]), float(p0[2]))
        if len(positions) == 1:
            return ordered, _slice_spacing_from_header(first, first_path, Text("reason_single_slice"), notes), origin
        steps = np.diff(positions)
        dz = float(np.median(steps))
        if dz <= 0 or steps.min() <= 0.05 * dz:
            k = int(np.argmin(steps))
            raise ImagingError(
                "err_duplicate_position",
                path=folder,
                first=keyed[k][1].name,
                second=keyed[k + 1][1].name,
                position=float(positions[k]),
            )
        gaps = np.flatnonzero(steps > 1.5 * dz)
        if len(gaps):
            raise ImagingError(
                "err_missing_slices",
                path=folder,
                start=float(positions[gaps[0]]),
                end=float(positions[gaps[0] + 1]),
                step=dz,
            )
        if float(np.max(np.abs(steps - dz))) > 0.1 * dz:
            notes.append(Text("note_spacing_varies", low=float(steps.min()), high=float(steps.max()), median=dz))
        return ordered, check_spacing(Text("name_slice_spacing"), dz, where=str(folder)), origin
    if any(with_position):
        f = next(f for (f, _, _), has in zip(headers, with_position, strict=True) if not has)
        raise ImagingError("err_slice_no_position", path=f)
    numbered = []
    for f, ds, image in headers:
        if _values(ds, "InstanceNumber") is None:
            raise ImagingError("err_no_slice_order", path=f)
        numbered.append((_int_tag(ds, "InstanceNumber", f, low=-(2**31)), f, image))
    numbered.sort(key=lambda t: t[0])
    numbers = [n for n, _, _ in numbered]
    for a, b in itertools.pairwise(numbers):
        if a == b:
            raise ImagingError("err_duplicate_instance", path=folder, number=a)
        if b != a + 1:
            raise ImagingError("err_instance_gap", path=folder, start=a, end=b)
    reason = Text("reason_by_instance") if len(headers) > 1 else Text("reason_single_slice")
    dz = _slice_spacing_from_header(first, first_path, reason, notes)
    return [(f, image) for _, f, image in numbered], dz, (0.0, 0.0, 0.0)


def _read_dicom_file(path: Path) -> Volume:
    notes: list[str] = []
    ds = _dcmread(path, header=True)
    if not _is_image(ds):
        raise ImagingError("err_dicom_no_image", path=path)
    modality = str(ds.get("Modality", "") or "").strip().upper()
    if modality == "CT":
        return _read_ct_file(path, ds, notes)
    if modality and modality not in RADIOGRAPH_MODALITIES:
        raise ImagingError(
            "err_modality", path=path, modality=modality, modalities=", ".join(sorted(RADIOGRAPH_MODALITIES))
        )
    if not modality:
        notes.append(Text("note_no_modality_radiograph"))
    image = _image_header(ds, path, limit=MAX_RADIOGRAPH_PIXELS, what=Text("image_radiograph"))
    if image.frames != 1:
        raise ImagingError("err_radiograph_frames", path=path, frames=image.frames)
    spacing = _pixel_spacing(ds, "PixelSpacing", path)
    if spacing is not None:
        dy, dx = spacing
        kind = "patient"
        notes.append(Text("note_pixel_spacing_patient"))
    else:
        spacing = _pixel_spacing(ds, "ImagerPixelSpacing", path)
        if spacing is None:
            raise ImagingError("err_no_radiograph_spacing", path=path)
        dy, dx = spacing
        magnification = _one_number(ds, "EstimatedRadiographicMagnificationFactor", path)
        if magnification is not None and magnification > 0:
            name = Text("name_imager_magnification")
            dy = check_spacing(name, dy / magnification, where=str(path))
            dx = check_spacing(name, dx / magnification, where=str(path))
            kind = "patient"
            notes.append(Text("note_magnification", factor=magnification))
        else:
            if magnification is not None:
                notes.append(Text("note_magnification_ignored", factor=magnification))
            kind = "detector"
            notes.append(Text("note_detector_spacing"))
    _check_pixel_bytes(ds, path, image)
    full = _dcmread(path, header=False)
    # stored values as they are (bit depth and sign from BitsStored and PixelRepresentation): float32 holds
    # every 16-bit value exactly, so a 16-bit detector's range above 32767 is kept
    array = _decode(full, path, image).astype(np.float32)
    if image.photometric == "MONOCHROME1":
        array = array.max() - array
        notes.append(Text("note_monochrome1"))
    return Volume(
        array=array[None],
        spacing=(0.0, dy, dx),
        modality="radiograph",
        source=str(path),
        spacing_kind=kind,
        assumptions=notes,
        geometry=Geometry(dicom_files=(str(path),), patient_orientation=_patient_orientation(ds)),
    )


def _patient_orientation(ds: Any) -> tuple[str, str] | None:
    """PatientOrientation of a radiograph (directions of the rows and of the columns, e.g. L and F), when
    it holds two valid values; anything else is no orientation (overlays then say it is unknown)."""
    values = _values(ds, "PatientOrientation")
    if values is None or len(values) != 2:
        return None
    row, col = (str(v).strip().upper() for v in values)
    if not all(text and len(text) <= 3 and set(text) <= set("APLRHF") for text in (row, col)):
        return None
    return row, col


def _read_ct_file(path: Path, ds: Any, notes: list[str]) -> Volume:
    image = _image_header(ds, path, limit=MAX_CT_VOXELS, what=Text("image_ct"))
    spacing = _pixel_spacing(ds, "PixelSpacing", path)
    if spacing is None:
        raise ImagingError("err_no_pixel_spacing", path=path)
    dy, dx = spacing
    reason = Text("reason_single_ct_file") if image.frames == 1 else Text("reason_multiframe_ct", frames=image.frames)
    dz = _slice_spacing_from_header(ds, path, reason, notes)
    _check_pixel_bytes(ds, path, image)
    slope, intercept, given = _rescale(ds, path)
    full = _dcmread(path, header=False)
    raw = _decode(full, path, image)
    if raw.ndim == 2:
        raw = raw[None]
    if not given:
        notes.append(Text(_RESCALE_NOTE))
    store = HUStore(raw.shape)
    for k in range(raw.shape[0]):
        store.put(k, raw[k], slope, intercept)
    notes.extend(store.notes())
    # the frames of a multi-frame file have their positions in functional groups, not read here
    affine = _dicom_affine([(path, ds)], dy, dx, dz, notes) if image.frames == 1 else None
    return Volume(
        array=store.array,
        spacing=(dz, dy, dx),
        modality="ct",
        source=str(path),
        assumptions=notes,
        geometry=Geometry(affine=affine, dicom_files=(str(path),)),
    )


# ---------------------------------------------------------------------------------------------
# NIfTI


def _read_nifti(path: Path) -> Volume:
    import nibabel as nib
    from nibabel.openers import ImageOpener

    notes: list[str] = [Text("note_nifti_hu")]
    unreadable = Text("what_unreadable_nifti")
    with _library_errors(path, unreadable), _nibabel_messages(notes):
        img: Any = nib.load(str(path))
        file_affine = np.array(img.affine, dtype=np.float64)
        codes = (int(img.header["qform_code"]), int(img.header["sform_code"]))
        # the header as written: nibabel turns a 0 voxel size into 1 mm when it loads a file
        header_class: Any = type(img.header)
        with ImageOpener(str(path)) as fh:
            raw_header = header_class.from_fileobj(fh, check=False)
    shape = tuple(int(s) for s in img.shape)
    if len(shape) < 3 or any(s != 1 for s in shape[3:]):
        raise ImagingError("err_not_3d", path=path, shape=shape)
    if 0 in shape:
        raise ImagingError("err_zero_dimension", path=path, shape=shape)
    count = shape[0] * shape[1] * shape[2]
    if count > MAX_CT_VOXELS:
        raise ImagingError(
            "err_volume_over_limit",
            path=path,
            nx=shape[0],
            ny=shape[1],
            nz=shape[2],
            count=count,
            limit=MAX_CT_VOXELS,
        )
    pixdim = [float(v) for v in raw_header["pixdim"][1:4]]
    for axis, size in zip("ijk", pixdim, strict=True):
        check_spacing(Text("name_voxel_size", axis=axis), abs(size), where=str(path))
    if any(size < 0 for size in pixdim):
        notes.append(Text("note_negative_voxel_sizes", sizes=Numbers(tuple(pixdim))))
    dtype = np.dtype(img.header.get_data_dtype())
    if dtype.fields is not None or dtype.kind not in "iuf":
        raise ImagingError("err_voxel_type", path=path, dtype=dtype)
    if not path.name.lower().endswith(".gz"):
        offset = int(getattr(img.dataobj, "offset", 0))
        expected = count * dtype.itemsize
        found = max(0, path.stat().st_size - offset)
        if found < expected:
            raise ImagingError("err_truncated_image", path=path, expected=expected, found=found)
    with _library_errors(path, unreadable), _nibabel_messages(notes):
        grid = _canonical_grid(path, img, (shape[0], shape[1], shape[2]))
        target, from_file, identity_axes, canonical_shape, zooms, canonical_affine = grid
        slope, intercept = float(img.dataobj.slope), float(img.dataobj.inter)
        offset = int(img.dataobj.offset)
    if not (math.isfinite(slope) and math.isfinite(intercept)) or slope == 0:
        raise ImagingError("err_scaling", path=path, slope=slope, intercept=intercept)
    mapped = None
    if identity_axes and slope == 1 and intercept == 0 and not path.name.lower().endswith(".gz"):
        mapped = _mapped_int16(path, (shape[0], shape[1], shape[2]), dtype, offset)
    if mapped is not None:
        return Volume(
            array=from_file(mapped),
            spacing=(zooms[2], zooms[1], zooms[0]),
            modality="ct",
            source=str(path),
            assumptions=notes,
            geometry=Geometry(
                affine=canonical_affine if any(codes) else None, nifti_affine=file_affine, nifti_codes=codes
            ),
        )
    store = HUStore(canonical_shape, view=target)
    try:
        _read_nifti_slices(path, store, (shape[0], shape[1], shape[2]), dtype, offset, slope, intercept)
    except (ImagingError, MemoryError):
        raise
    except Exception as exc:  # gzip, zlib and the file system raise many kinds
        raise ImagingError("err_library", path=path, what=unreadable, cause=library_cause(exc)) from None
    if store.nonfinite == count:
        raise ImagingError("err_all_nonfinite", path=path)
    if store.nonfinite:
        notes.append(Text("note_nonfinite", count=store.nonfinite, percent=100 * store.nonfinite / count, air=AIR_HU))
    notes.extend(store.notes())
    return Volume(
        array=store.array,
        spacing=(zooms[2], zooms[1], zooms[0]),
        modality="ct",
        source=str(path),
        assumptions=notes,
        geometry=Geometry(
            # with neither qform nor sform the affine is made from the voxel sizes: not an orientation
            affine=canonical_affine if any(codes) else None,
            nifti_affine=file_affine,
            nifti_codes=codes,
        ),
    )


_View = Callable[[npt.NDArray[Any]], npt.NDArray[Any]]


def _canonical_grid(
    path: Path, img: Any, shape: tuple[int, int, int]
) -> tuple[_View, _View, bool, tuple[int, int, int], list[float], npt.NDArray[np.float64]]:
    """Where each slice of the file goes in the volume read in the closest RAS orientation.

    Returns the view that places slice k of the file (its (j, i) plane as stored) in a (z, y, x)
    volume, its inverse (the file's voxels as a (k, j, i) array, seen as that volume), whether
    the axes stay in place (at most flipped: the inverse view is then read in the file's order),
    the volume's shape, its voxel sizes (x, y, z) and its affine. The geometry is
    nibabel's own ``as_closest_canonical`` applied to an image that holds no voxel (a broadcast
    zero), so that spacing and affine are exactly those of nibabel while the voxels are read by
    :func:`_read_nifti_slices` straight into place, without nibabel's float copy of the volume.
    """
    import nibabel as nib
    from nibabel.orientations import io_orientation

    ornt = io_orientation(img.affine)  # type: ignore[no-untyped-call]
    empty = img.__class__(np.broadcast_to(np.int16(0), img.shape), img.affine, img.header)
    canonical: Any = nib.as_closest_canonical(empty)  # type: ignore[no-untyped-call]
    zooms = [float(z) for z in canonical.header.get_zooms()[:3]]
    affine = np.array(canonical.affine, dtype=np.float64)
    x, y, z = (int(n) for n in canonical.shape[:3])
    axes = tuple(int(a) for a in ornt[:, 0])
    flips = [axis for axis in range(3) if ornt[axis, 1] < 0]
    if (x, y, z) != tuple(shape[a] for a in np.argsort(axes)):
        raise ImagingError("err_orientation_unresolved", path=path)

    def target(volume: npt.NDArray[Any]) -> npt.NDArray[Any]:
        # volume is (z, y, x) = canonical (x, y, z) reversed; nibabel's canonical array is the file's
        # array flipped along ``flips`` then transposed by argsort(axes): undo both to index as stored
        in_file_order = volume.transpose(2, 1, 0).transpose(axes)
        for axis in flips:
            in_file_order = np.flip(in_file_order, axis)
        return in_file_order.transpose(2, 1, 0)  # (k, j, i): slice k of the file, rows j, columns i

    def from_file(stored: npt.NDArray[Any]) -> npt.NDArray[Any]:
        # the inverse of target: target(from_file(stored)) is stored
        in_file_order = stored.transpose(2, 1, 0)
        for axis in flips:
            in_file_order = np.flip(in_file_order, axis)
        return in_file_order.transpose(tuple(int(a) for a in np.argsort(axes))).transpose(2, 1, 0)

    return target, from_file, axes == (0, 1, 2), (z, y, x), zooms, affine


def _mapped_int16(
    path: Path, shape: tuple[int, int, int], dtype: np.dtype[Any], offset: int
) -> npt.NDArray[np.int16] | None:
    """The voxels of an uncompressed NIfTI file of native int16 as a read-only (k, j, i) array mapped
    from the file, or None when they cannot be (another type, an odd offset, no mapping possible).

    Why (issue 19): such a file's stored values are the HU (scaling 1 and 0, checked by the
    caller), so there is nothing to compute; mapping the file, as nibabel does, costs nothing,
    where copying 300 MB into a new array took 0.2 s, and the pages are shared with the file
    cache. The file's size was checked against the header before (truncated data is an error).
    """
    import mmap

    ni, nj, nk = shape
    if dtype != np.dtype(np.int16) or offset % dtype.itemsize:
        return None
    try:
        with path.open("rb") as fh:
            mapping = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)  # stays valid once the file is closed
    except (OSError, ValueError):  # a file system that cannot map: read it slice by slice
        return None
    if len(mapping) < offset + ni * nj * nk * dtype.itemsize:
        mapping.close()
        return None
    return np.frombuffer(mapping, dtype=np.int16, count=ni * nj * nk, offset=offset).reshape(nk, nj, ni)


_SLAB_BYTES = 8 << 20  # read the file in pieces of about 8 MB (whole slices)


def _read_nifti_slices(
    path: Path,
    store: HUStore,
    shape: tuple[int, int, int],
    dtype: np.dtype[Any],
    offset: int,
    slope: float,
    intercept: float,
) -> None:
    """Read the voxels slice by slice into ``store`` (uncompressed or gzip), never the whole file at once.

    A file that ends early is an error saying how many bytes were expected and found.
    """
    from nibabel.openers import ImageOpener

    ni, nj, nk = shape
    slice_bytes = ni * nj * dtype.itemsize
    per_read = max(1, min(nk, _SLAB_BYTES // max(slice_bytes, 1)))
    buffer = bytearray(per_read * slice_bytes)
    expected = nk * slice_bytes
    with ImageOpener(str(path)) as fh:
        fh.seek(offset)
        for first in range(0, nk, per_read):
            count = min(per_read, nk - first)
            view = memoryview(buffer)[: count * slice_bytes]
            got = _read_into(fh, view)
            if got < len(view):
                found = first * slice_bytes + got
                raise ImagingError("err_truncated_image", path=path, expected=expected, found=found)
            slab = np.frombuffer(buffer, dtype=dtype, count=count * ni * nj).reshape(count, nj, ni)
            for k in range(count):
                store.put(first + k, slab[k], slope, intercept)


def _read_into(fh: Any, view: memoryview) -> int:
    """Fill ``view`` from a file (gzip streams may return less than asked before the end)."""
    total = 0
    while total < len(view):
        got = fh.readinto(view[total:])
        if not got:
            break
        total += got
    return total


# ---------------------------------------------------------------------------------------------
# PNG


def _read_png(path: Path, pixel_spacing_mm: float | None) -> Volume:
    from PIL import Image, UnidentifiedImageError

    if pixel_spacing_mm is None:
        raise ImagingError("err_png_no_spacing", path=path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(path)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        match = re.search(r"\((\d+) pixels\)", str(exc))
        if match:
            raise ImagingError(
                "err_png_bomb_pixels", path=path, pixels=int(match.group(1)), limit=MAX_RADIOGRAPH_PIXELS
            ) from None
        raise ImagingError("err_png_bomb", path=path, limit=MAX_RADIOGRAPH_PIXELS) from None
    except UnidentifiedImageError:
        raise ImagingError("err_png_unidentified", path=path) from None
    except OSError as exc:
        raise ImagingError("err_png_unreadable", path=path, cause=library_cause(exc)) from None
    notes: list[str] = [Text("note_png_spacing", spacing=pixel_spacing_mm)]
    with im:
        if im.format != "PNG":
            raise ImagingError("err_not_png", path=path, format=im.format)
        width, height = im.size
        if width * height == 0:
            raise ImagingError("err_no_pixel", path=path, width=width, height=height)
        if width * height > MAX_RADIOGRAPH_PIXELS:
            raise ImagingError(
                "err_png_too_large",
                path=path,
                width=width,
                height=height,
                pixels=width * height,
                limit=MAX_RADIOGRAPH_PIXELS,
            )
        with _library_errors(path, Text("what_cannot_decode_png")):
            im.load()
            array = _png_values(im, path, notes)
    return Volume(
        array=array[None],
        spacing=(0.0, pixel_spacing_mm, pixel_spacing_mm),
        modality="radiograph",
        source=str(path),
        spacing_kind="patient",
        assumptions=notes,
    )


def _png_values(im: Any, path: Path, notes: list[str]) -> npt.NDArray[np.float32]:
    """Grey values of a PNG at their full bit depth (16-bit kept up to 65535), as float32."""
    mode = im.mode
    if mode in ("1", "L", "I", "I;16", "I;16B", "I;16L", "I;16N"):
        return np.asarray(im).astype(np.float32)
    if "transparency" in im.info or mode in ("LA", "La", "PA", "RGBA", "RGBa"):
        notes.append(Text("note_png_transparency", mode=mode))
    if mode in ("LA", "La"):
        return np.asarray(im.getchannel("L")).astype(np.float32)
    if mode in ("P", "PA", "RGB", "RGBA", "RGBa", "RGBX", "CMYK", "YCbCr", "HSV", "LAB"):
        rgb = np.asarray(im.convert("RGB"))
        if (rgb[..., 0] == rgb[..., 1]).all() and (rgb[..., 1] == rgb[..., 2]).all():
            if mode in ("P", "PA"):
                notes.append(Text("note_png_palette"))
            return rgb[..., 0].astype(np.float32)
        notes.append(Text("note_png_colour", mode=mode))
        return np.asarray(im.convert("RGB").convert("L")).astype(np.float32)
    raise ImagingError("err_png_mode", path=path, mode=mode)
