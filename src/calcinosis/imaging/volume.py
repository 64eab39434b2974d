"""An image in Hounsfield units with its geometry, the assumptions made while reading it, and the
checks every study and every parameter pass before anything is measured."""

from __future__ import annotations

import importlib
import math
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from calcinosis.errors import ImagingError
from calcinosis.imaging.texts import Text

__all__ = [
    "AIR_HU",
    "MAX_CT_VOXELS",
    "MAX_RADIOGRAPH_PIXELS",
    "MAX_SPACING_MM",
    "MIN_SPACING_MM",
    "Geometry",
    "HUStore",
    "Volume",
    "check_number",
    "check_spacing",
    "check_volume",
    "in_memory_order",
    "ordinary_pages",
]

# Size limits, checked from the file header before any pixel is decoded (docs/imaging.md).
# CT: 2.5e8 voxels is 512 x 512 x 953 slices, 0.5 GB as int16 HU and about 1.8 GB at the peak of
# the measurement (the threshold mask and cc3d's labels, 4 bytes a voxel, beside the volume); a
# larger study must be cropped or resampled.
MAX_CT_VOXELS = 250_000_000
# Radiographs and PNG: 5e7 pixels (e.g. 7000 x 7000) is above every detector in use (43 x 43 cm
# at 0.1 mm is 18.5e6 pixels; stitched long-leg views about 3.6e7).
MAX_RADIOGRAPH_PIXELS = 50_000_000
# Spacing outside this range is not an image of a patient (and would overflow the volumes).
MIN_SPACING_MM = 0.001
MAX_SPACING_MM = 1000.0
AIR_HU = -1024  # what a voxel that holds no number (NaN) becomes: never a deposit


@dataclass(frozen=True)
class Geometry:
    """Where the voxels of a :class:`Volume` lie in the patient, and the files they came from.

    Label maps, DICOM Segmentations and the orientation letters of the overlays need it; the
    measurement does not. Anything the study does not state is ``None``, never a default
    orientation, so that an overlay can say "orientation unknown" rather than guess.

    Attributes
    ----------
    affine
        4 x 4 matrix from the voxel index (x, y, z) of ``array[z, y, x]`` to RAS+ millimetres
        (NIfTI's convention); None when the study does not state its orientation.
    nifti_affine
        NIfTI input: the affine of the file as written (the volume itself is read in the
        closest RAS orientation), so that a label map can be written back on the input's grid.
    nifti_codes
        NIfTI input: the (qform_code, sform_code) of the file, kept on the label map.
    dicom_files
        DICOM input: the files of the study, one per slice in the order of ``array`` axis 0
        (a series), or the one file read (a single or multi-frame file, a radiograph).
    patient_orientation
        DICOM radiograph: PatientOrientation, the patient directions of the rows (increasing
        column) and of the columns (increasing row), e.g. ("L", "F").
    """

    affine: npt.NDArray[np.float64] | None = None
    nifti_affine: npt.NDArray[np.float64] | None = None
    nifti_codes: tuple[int, int] = (0, 0)
    dicom_files: tuple[str, ...] = ()
    patient_orientation: tuple[str, str] | None = None


@dataclass
class Volume:
    """A CT volume (z, y, x) in HU, or a radiograph (1, y, x) in raw units (float32).

    A CT read from a file is int16 when its HU are whole numbers within int16 (nearly every CT),
    else the smallest type that holds every value exactly (:class:`HUStore`).

    ``spacing`` is (dz, dy, dx) in mm; for a radiograph dz is 0 and ``spacing_kind`` says
    whether the in-plane spacing is at the detector or at the patient. ``geometry`` places
    the voxels in the patient and names the source files (label maps, DICOM SEG, overlays).
    """

    array: npt.NDArray[Any]
    spacing: tuple[float, float, float]
    origin: tuple[float, float, float] = (0.0, 0.0, 0.0)
    modality: str = "ct"
    source: str = ""
    spacing_kind: str = "patient"
    assumptions: list[str] = field(default_factory=list)
    geometry: Geometry = field(default_factory=Geometry)

    @property
    def voxel_volume_mm3(self) -> float:
        """Volume of one voxel in mm³ (area in mm² for a radiograph)."""
        dz, dy, dx = self.spacing
        return dy * dx if self.modality == "radiograph" else dz * dy * dx


def check_number(
    name: str, value: float, *, low: float | None = None, high: float | None = None, where: str = ""
) -> float:
    """``value`` as a finite float within [low, high], or an :class:`ImagingError` saying why not.

    ``name`` is a tag or an option as it is written, or a :class:`~calcinosis.imaging.texts.Text`
    said in the reader's language."""
    at = _at(where)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ImagingError("err_not_a_number", path=where or None, at=at, name=name, value=value) from None
    if not math.isfinite(number):
        raise ImagingError("err_not_finite", path=where or None, at=at, name=name, value=number)
    if low is not None and number < low:
        raise ImagingError("err_below", path=where or None, at=at, name=name, low=low, value=number)
    if high is not None and number > high:
        raise ImagingError("err_above", path=where or None, at=at, name=name, high=high, value=number)
    return number


def _at(where: str) -> str:
    """What a message about a number starts with: the file and ': ' in the reader's language, or nothing."""
    return Text("at", where=where) if where else ""


def check_spacing(name: str, value: Any, *, where: str = "") -> float:
    """A spacing in mm: finite, positive, within [MIN_SPACING_MM, MAX_SPACING_MM]."""
    at = _at(where)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ImagingError("err_spacing_not_number", path=where or None, at=at, name=name, value=value) from None
    if not math.isfinite(number) or number <= 0:
        raise ImagingError("err_spacing_not_positive", path=where or None, at=at, name=name, value=number)
    if not MIN_SPACING_MM <= number <= MAX_SPACING_MM:
        raise ImagingError(
            "err_spacing_range",
            path=where or None,
            at=at,
            name=name,
            value=number,
            low=MIN_SPACING_MM,
            high=MAX_SPACING_MM,
        )
    return number


def check_volume(volume: Volume) -> None:
    """Refuse a volume that cannot be measured: empty, not numbers, non-finite values, or bad spacing."""
    where = volume.source or "volume"
    array = volume.array
    if array.ndim != 3 or 0 in array.shape:
        raise ImagingError("err_volume_shape", path=where, shape=array.shape)
    if array.dtype == np.bool_ or not (
        np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)
    ):
        raise ImagingError("err_volume_type", path=where, dtype=array.dtype)
    if volume.modality not in ("ct", "radiograph"):
        raise ImagingError("err_volume_modality", path=where, modality=volume.modality)
    if volume.modality == "radiograph" and array.shape[0] != 1:
        raise ImagingError("err_radiograph_images", path=where, count=array.shape[0])
    if len(volume.spacing) != 3:
        raise ImagingError("err_volume_spacing", path=where, spacing=volume.spacing)
    dz, dy, dx = volume.spacing
    check_spacing(Text("name_row_spacing"), dy, where=where)
    check_spacing(Text("name_column_spacing"), dx, where=where)
    if volume.modality == "ct":
        check_spacing(Text("name_slice_spacing"), dz, where=where)
    limit = MAX_RADIOGRAPH_PIXELS if volume.modality == "radiograph" else MAX_CT_VOXELS
    if array.size > limit:
        raise ImagingError("err_volume_too_large", path=where, size=array.size, limit=limit)
    if np.issubdtype(array.dtype, np.floating) and not np.isfinite(array).all():
        bad = int(np.count_nonzero(~np.isfinite(array)))
        raise ImagingError("err_volume_nonfinite", path=where, count=bad)


_INTEGER_TYPES = (np.dtype(np.int16), np.dtype(np.int32), np.dtype(np.int64))


def _fits(dtype: np.dtype[Any], low: float, high: float) -> bool:
    info = np.iinfo(dtype)
    # float(info.max) of int64 rounds up to 2**63, which int64 cannot hold: compare strictly there
    return bool(info.min <= low and (high < float(info.max) if dtype.itemsize == 8 else high <= info.max))


def exact_dtype(values: npt.NDArray[Any]) -> np.dtype[Any]:
    """The smallest of int16, int32, int64, float32 and float64 that holds every one of ``values`` exactly."""
    if values.size == 0:
        return np.dtype(np.int16)
    low, high = values.min(), values.max()
    if values.dtype.kind in "iu" or bool(np.array_equal(values, np.trunc(values))):
        for dtype in _INTEGER_TYPES:
            if _fits(dtype, float(low), float(high)):
                return dtype
    if np.array_equal(values.astype(np.float32), values):
        return np.dtype(np.float32)
    return np.dtype(np.float64)


def hu_values(stored: npt.NDArray[Any], slope: float, intercept: float) -> npt.NDArray[Any]:
    """``stored * slope + intercept`` for one slice, computed exactly (integers when all three are).

    Stored integers with a whole slope and intercept are computed in int32 (int64 when their
    range needs it), never through a float; anything else in float64. ``stored`` is never
    modified (it may be a read-only buffer) and is returned as it is when there is nothing to do.
    """
    if stored.dtype.kind in "iu" and float(slope).is_integer() and float(intercept).is_integer():
        if slope == 1 and intercept == 0:
            return stored
        info = np.iinfo(stored.dtype)
        bound = max(-int(info.min), int(info.max)) * abs(int(slope)) + abs(int(intercept))
        if bound < 2**63:
            values: npt.NDArray[np.signedinteger[Any]] = stored.astype(np.int32 if bound < 2**31 else np.int64)
            if slope != 1:
                values *= int(slope)
            if intercept != 0:
                values += int(intercept)
            return values
    floats = stored.astype(np.float64)
    if slope != 1:
        floats *= slope
    if intercept != 0:
        floats += intercept
    return floats


class HUStore:
    """Fill a CT volume slice by slice with HU = stored value x slope + intercept, exactly and
    without a float copy of the volume.

    The volume starts as int16, the type of nearly every CT, and is widened (once, to the smallest
    type holding every value so far: int32, int64, float32 or float64) the first time a slice needs
    it, so that no value is ever rounded or clipped. Values that are not numbers (NaN, infinity)
    become ``AIR_HU`` and are counted in ``nonfinite``. Arithmetic is done a slice at a time, so
    reading costs the volume plus a few slices, not a float32 or float64 copy (issue 19).

    Parameters
    ----------
    shape
        Shape of the volume, (z, y, x).
    view
        Where slice ``index`` goes: a function of the volume returning an array indexed by
        ``index`` first (for a NIfTI file, the volume seen in the order of the slices on disk).

    .. versionadded:: 2026.12
    """

    def __init__(
        self, shape: tuple[int, ...], *, view: Callable[[npt.NDArray[Any]], npt.NDArray[Any]] | None = None
    ) -> None:
        self.array: npt.NDArray[Any] = np.empty(shape, dtype=np.int16)
        self._view = view if view is not None else (lambda array: array)
        self._target = self._view(self.array)
        self.nonfinite = 0
        self.widened = False

    def put(self, index: int, stored: npt.NDArray[Any], slope: float = 1.0, intercept: float = 0.0) -> None:
        """Store slice ``index`` from its stored values and the rescale slope and intercept."""
        values = hu_values(stored, slope, intercept)
        if values.dtype.kind == "f":
            bad = ~np.isfinite(values)
            count = int(np.count_nonzero(bad))
            if count:
                if values is stored:
                    values = values.copy()
                values[bad] = AIR_HU
                self.nonfinite += count
        if not np.can_cast(values.dtype, self.array.dtype):
            needed = exact_dtype(values)
            held = self.array.dtype.kind == "f" and np.array_equal(values.astype(self.array.dtype), values)
            if not np.can_cast(needed, self.array.dtype) and not held:
                self.widen(np.promote_types(self.array.dtype, needed))
        self._target[index] = values

    def widen(self, dtype: np.dtype[Any]) -> None:
        """Hold the volume in ``dtype`` from now on (values stored so far are kept exactly)."""
        self.array = self.array.astype(dtype)
        self._target = self._view(self.array)
        self.widened = True

    def notes(self) -> list[str]:
        """What the reader must record when the volume is not int16: why, and what it costs."""
        if not self.widened:
            return []
        dtype = self.array.dtype
        if dtype.kind in "iu":
            low, high = int(self.array.min()), int(self.array.max())
            return [Text("note_widened_int", low=low, high=high, dtype=str(dtype), factor=dtype.itemsize // 2)]
        return [Text("note_widened_float", dtype=str(dtype), factor=dtype.itemsize // 2)]


def in_memory_order(array: npt.NDArray[Any]) -> tuple[npt.NDArray[Any], tuple[int, ...]]:
    """``array`` seen with every axis in the direction it lies in memory, and the axes that were flipped.

    Why (issue 19): a NIfTI file mapped as it is and shown in the closest RAS orientation is a view
    with negative strides (two axes for an LPS file, as ITK writes them), which numpy compares and
    reduces about three times slower than in memory order. Maxima and thresholds do not depend on
    the direction of an axis: they are computed on this view and flipped back.
    """
    flipped = tuple(axis for axis, stride in enumerate(array.strides) if stride < 0)
    return (np.flip(array, flipped) if flipped else array), flipped


_pages_lock = threading.Lock()
_pages_depth = 0
_pages_before = True


def _madvise_setter() -> Callable[[bool], bool] | None:
    """numpy's switch for asking the kernel for huge pages (what ``NUMPY_MADVISE_HUGEPAGE=0`` sets
    at start-up), or None when this numpy has none (it is not public API: looked up, never assumed)."""
    for name in ("numpy._core.multiarray", "numpy.core.multiarray"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        setter = getattr(module, "_set_madvise_hugepage", None)
        if callable(setter):
            return setter  # type: ignore[no-any-return]
    return None


@contextmanager
def ordinary_pages() -> Iterator[None]:
    """Large arrays allocated inside use ordinary memory pages, not transparent huge pages.

    Why (issue 19): on Linux numpy asks the kernel for huge pages for every large array; when
    memory is fragmented (a machine shared with other jobs) the kernel compacts memory at the
    first touch of each one, which made cc3d's labelling of a 512 x 512 x 600 CT take 0.4-1.1 s
    instead of 0.2-0.3 s, and reading the volume up to 0.9 s instead of 0.25 s. The values
    computed are the same; only where the memory comes from changes. The previous setting is
    restored on exit (nested and concurrent uses keep it off until the last one leaves).
    """
    global _pages_depth, _pages_before
    setter = _madvise_setter()
    if setter is None:
        yield
        return
    with _pages_lock:
        if _pages_depth == 0:
            _pages_before = bool(setter(False))
        _pages_depth += 1
    try:
        yield
    finally:
        with _pages_lock:
            _pages_depth -= 1
            if _pages_depth == 0:
                setter(_pages_before)
