"""An image in Hounsfield units with its geometry, the assumptions made while reading it, and the
checks every study and every parameter pass before anything is measured."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from calcinosis.errors import ImagingError

__all__ = [
    "MAX_CT_VOXELS",
    "MAX_RADIOGRAPH_PIXELS",
    "MAX_SPACING_MM",
    "MIN_SPACING_MM",
    "Geometry",
    "Volume",
    "check_number",
    "check_spacing",
    "check_volume",
]

# Size limits, checked from the file header before any pixel is decoded (docs/imaging.md).
# CT: 2.5e8 voxels is 512 x 512 x 953 slices, 0.5 GB as int16 HU and about 2 GB at the peak of
# the measurement (labels take 4 bytes a voxel); a larger study must be cropped or resampled.
MAX_CT_VOXELS = 250_000_000
# Radiographs and PNG: 5e7 pixels (e.g. 7000 x 7000) is above every detector in use (43 x 43 cm
# at 0.1 mm is 18.5e6 pixels; stitched long-leg views about 3.6e7).
MAX_RADIOGRAPH_PIXELS = 50_000_000
# Spacing outside this range is not an image of a patient (and would overflow the volumes).
MIN_SPACING_MM = 0.001
MAX_SPACING_MM = 1000.0


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
    """A CT volume (z, y, x) in HU (int16), or a radiograph (1, y, x) in raw units (float32).

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
    """``value`` as a finite float within [low, high], or an :class:`ImagingError` saying why not."""
    prefix = f"{where}: " if where else ""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ImagingError(f"{prefix}{name} must be a number, not {value!r}", path=where or None) from None
    if not math.isfinite(number):
        raise ImagingError(f"{prefix}{name} must be a finite number, not {number!r}", path=where or None)
    if low is not None and number < low:
        raise ImagingError(f"{prefix}{name} must be at least {low:g}, not {number:g}", path=where or None)
    if high is not None and number > high:
        raise ImagingError(f"{prefix}{name} must be at most {high:g}, not {number:g}", path=where or None)
    return number


def check_spacing(name: str, value: Any, *, where: str = "") -> float:
    """A spacing in mm: finite, positive, within [MIN_SPACING_MM, MAX_SPACING_MM]."""
    prefix = f"{where}: " if where else ""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ImagingError(f"{prefix}{name} must be a number of mm, not {value!r}", path=where or None) from None
    if not math.isfinite(number) or number <= 0:
        raise ImagingError(f"{prefix}{name} must be a positive number of mm, not {number!r}", path=where or None)
    if not MIN_SPACING_MM <= number <= MAX_SPACING_MM:
        raise ImagingError(
            f"{prefix}{name} {number:g} mm is outside the plausible range {MIN_SPACING_MM:g}-{MAX_SPACING_MM:g} mm",
            path=where or None,
        )
    return number


def check_volume(volume: Volume) -> None:
    """Refuse a volume that cannot be measured: empty, not numbers, non-finite values, or bad spacing."""
    where = volume.source or "volume"
    array = volume.array
    if array.ndim != 3 or 0 in array.shape:
        raise ImagingError(f"{where}: expected a non-empty (z, y, x) image, got shape {array.shape}", path=where)
    if array.dtype == np.bool_ or not (
        np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)
    ):
        raise ImagingError(f"{where}: values of type {array.dtype} are not an image", path=where)
    if volume.modality not in ("ct", "radiograph"):
        raise ImagingError(f"{where}: unknown modality {volume.modality!r}; expected ct or radiograph", path=where)
    if volume.modality == "radiograph" and array.shape[0] != 1:
        raise ImagingError(f"{where}: a radiograph has one image, got {array.shape[0]}", path=where)
    if len(volume.spacing) != 3:
        raise ImagingError(f"{where}: spacing must be (dz, dy, dx) in mm, got {volume.spacing!r}", path=where)
    dz, dy, dx = volume.spacing
    check_spacing("row spacing", dy, where=where)
    check_spacing("column spacing", dx, where=where)
    if volume.modality == "ct":
        check_spacing("slice spacing", dz, where=where)
    limit = MAX_RADIOGRAPH_PIXELS if volume.modality == "radiograph" else MAX_CT_VOXELS
    if array.size > limit:
        raise ImagingError(f"{where}: {array.size:,} voxels is more than the limit of {limit:,}", path=where)
    if np.issubdtype(array.dtype, np.floating) and not np.isfinite(array).all():
        bad = int(np.count_nonzero(~np.isfinite(array)))
        raise ImagingError(f"{where}: {bad} values are not finite numbers (NaN or infinity)", path=where)
