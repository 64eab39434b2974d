"""Read studies: a DICOM CT series (folder), a NIfTI file, or a radiograph (DICOM or PNG).

Broken input is an :class:`ImagingError` naming the file and the problem (no readable slice,
several series mixed, missing slices, no spacing), or an explicit assumption recorded on the
:class:`Volume` and reported with the result; nothing is guessed silently.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np

from calcinosis.errors import ImagingError
from calcinosis.imaging.volume import Volume

__all__ = ["read_study"]


def read_study(path: Path | str, *, pixel_spacing_mm: float | None = None) -> Volume:
    """Read a study from a DICOM folder, a NIfTI file (.nii, .nii.gz), or a radiograph (.dcm, .png)."""
    p = Path(path)
    if not p.exists():
        raise ImagingError(f"{p}: no such file or folder", path=p)
    if p.is_dir():
        return _read_dicom_series(p)
    name = p.name.lower()
    if name.endswith((".nii", ".nii.gz")):
        return _read_nifti(p)
    if name.endswith(".png"):
        return _read_png(p, pixel_spacing_mm)
    return _read_dicom_file(p)


def _dcmread(path: Path):  # type: ignore[no-untyped-def]
    import pydicom
    from pydicom.errors import InvalidDicomError

    try:
        return pydicom.dcmread(path)
    except (InvalidDicomError, OSError, ValueError) as exc:
        raise ImagingError(f"{path}: not a readable DICOM file ({exc})", path=path) from None


def _hu(ds) -> np.ndarray:  # type: ignore[no-untyped-def]
    slope = float(getattr(ds, "RescaleSlope", 1) or 1)
    intercept = float(getattr(ds, "RescaleIntercept", 0) or 0)
    return np.asarray(ds.pixel_array, dtype=np.float32) * slope + intercept


def _read_dicom_series(folder: Path) -> Volume:
    files = sorted(f for f in folder.iterdir() if f.is_file() and not f.name.startswith("."))
    datasets = []
    for f in files:
        try:
            ds = _dcmread(f)
        except ImagingError:
            continue
        if "PixelData" in ds:
            datasets.append((f, ds))
    if not datasets:
        raise ImagingError(f"{folder}: no DICOM image found in this folder", path=folder)
    series = Counter(str(getattr(ds, "SeriesInstanceUID", "")) for _, ds in datasets)
    if len(series) > 1:
        raise ImagingError(
            f"{folder}: {len(series)} series are mixed in this folder ({', '.join(f'{n} slices' for n in series.values())}); "
            "put one series per folder",
            path=folder,
        )
    assumptions: list[str] = []
    first = datasets[0][1]
    orientation = np.array(getattr(first, "ImageOrientationPatient", [1, 0, 0, 0, 1, 0]), dtype=float)
    normal = np.cross(orientation[:3], orientation[3:])
    if "ImagePositionPatient" in first:
        keyed = [(float(np.dot(np.array(ds.ImagePositionPatient, dtype=float), normal)), f, ds) for f, ds in datasets]
    else:
        keyed = [(float(getattr(ds, "InstanceNumber", i)), f, ds) for i, (f, ds) in enumerate(datasets)]
        assumptions.append("no ImagePositionPatient: slices ordered by InstanceNumber")
    keyed.sort(key=lambda t: t[0])
    positions = np.array([k for k, _, _ in keyed])
    if len(positions) > 1:
        steps = np.diff(positions)
        dz = float(np.median(steps))
        if dz <= 0:
            raise ImagingError(f"{folder}: several slices share one position (duplicates?)", path=folder)
        gaps = np.flatnonzero(steps > 1.5 * dz)
        if len(gaps):
            raise ImagingError(
                f"{folder}: missing slices between positions {positions[gaps[0]]:.1f} and {positions[gaps[0] + 1]:.1f} mm "
                f"(step {dz:.2f} mm elsewhere)",
                path=folder,
            )
    else:
        dz = float(getattr(first, "SliceThickness", 0) or 0) or 1.0
        assumptions.append("single slice: slice thickness used as z spacing")
    if "PixelSpacing" not in first:
        raise ImagingError(f"{folder}: no PixelSpacing in the DICOM header; the volume cannot be measured", path=folder)
    dy, dx = (float(v) for v in first.PixelSpacing)
    array = np.stack([_hu(ds) for _, _, ds in keyed])
    return Volume(
        array=np.clip(np.rint(array), -32768, 32767).astype(np.int16),
        spacing=(dz, dy, dx),
        origin=tuple(float(v) for v in getattr(first, "ImagePositionPatient", (0, 0, 0))),  # type: ignore[arg-type]
        modality="ct",
        source=str(folder),
        assumptions=assumptions,
    )


def _read_nifti(path: Path) -> Volume:
    import nibabel as nib

    try:
        img = nib.load(str(path))
        img = nib.as_closest_canonical(img)  # type: ignore[no-untyped-call]  # RAS: array axes x, y, z
        data = np.asarray(img.dataobj, dtype=np.float32)
    except Exception as exc:  # nibabel raises many kinds
        raise ImagingError(f"{path}: not a readable NIfTI file ({exc})", path=path) from None
    if data.ndim != 3:
        raise ImagingError(f"{path}: expected a 3D volume, got {data.ndim} dimensions", path=path)
    zooms = img.header.get_zooms()[:3]
    array = np.transpose(data, (2, 1, 0))  # -> z, y, x
    return Volume(
        array=np.clip(np.rint(array), -32768, 32767).astype(np.int16),
        spacing=(float(zooms[2]), float(zooms[1]), float(zooms[0])),
        modality="ct",
        source=str(path),
        assumptions=["NIfTI values taken as Hounsfield units (scaling from the header applied)"],
    )


def _read_dicom_file(path: Path) -> Volume:
    ds = _dcmread(path)
    if "PixelData" not in ds:
        raise ImagingError(f"{path}: the DICOM file holds no image", path=path)
    modality = str(getattr(ds, "Modality", ""))
    if modality == "CT":
        return _read_dicom_series_from_single(path, ds)
    assumptions: list[str] = []
    if "PixelSpacing" in ds:
        dy, dx = (float(v) for v in ds.PixelSpacing)
        kind = "patient"
        assumptions.append("PixelSpacing used: spacing at the patient as stated by the modality")
    elif "ImagerPixelSpacing" in ds:
        dy, dx = (float(v) for v in ds.ImagerPixelSpacing)
        magnification = float(getattr(ds, "EstimatedRadiographicMagnificationFactor", 0) or 0)
        if magnification > 0:
            dy, dx = dy / magnification, dx / magnification
            kind = "patient"
            assumptions.append(f"ImagerPixelSpacing divided by the estimated magnification factor {magnification:g}")
        else:
            kind = "detector"
            assumptions.append(
                "ImagerPixelSpacing (at the detector) used without magnification correction: areas are overestimated by the magnification squared (typically 1.1-1.2 for extremities)"
            )
    else:
        raise ImagingError(f"{path}: no PixelSpacing or ImagerPixelSpacing; give --pixel-spacing", path=path)
    array = np.asarray(ds.pixel_array, dtype=np.float32)
    if array.ndim != 2:
        raise ImagingError(f"{path}: expected a single 2D radiograph, got shape {array.shape}", path=path)
    if str(getattr(ds, "PhotometricInterpretation", "")) == "MONOCHROME1":
        array = array.max() - array
        assumptions.append("MONOCHROME1 inverted so that dense is bright")
    return Volume(
        array=np.clip(np.rint(array), -32768, 32767).astype(np.int16)[None],
        spacing=(0.0, dy, dx),
        modality="radiograph",
        source=str(path),
        spacing_kind=kind,
        assumptions=assumptions,
    )


def _read_dicom_series_from_single(path: Path, ds) -> Volume:  # type: ignore[no-untyped-def]
    if "PixelSpacing" not in ds:
        raise ImagingError(f"{path}: no PixelSpacing in the DICOM header", path=path)
    dy, dx = (float(v) for v in ds.PixelSpacing)
    dz = float(getattr(ds, "SliceThickness", 0) or 0) or 1.0
    array = _hu(ds)
    if array.ndim == 2:
        array = array[None]
    return Volume(
        array=np.clip(np.rint(array), -32768, 32767).astype(np.int16),
        spacing=(dz, dy, dx),
        modality="ct",
        source=str(path),
        assumptions=["a single CT file: slice thickness used as z spacing"],
    )


def _read_png(path: Path, pixel_spacing_mm: float | None) -> Volume:
    from PIL import Image

    if pixel_spacing_mm is None or pixel_spacing_mm <= 0:
        raise ImagingError(
            f"{path}: a PNG has no pixel spacing; give --pixel-spacing in mm (at the patient)", path=path
        )
    try:
        with Image.open(path) as im:
            array = np.asarray(im.convert("I;16") if im.mode not in ("L", "I;16", "I") else im, dtype=np.float32)
    except OSError as exc:
        raise ImagingError(f"{path}: not a readable PNG ({exc})", path=path) from None
    return Volume(
        array=array.astype(np.int16)[None],
        spacing=(0.0, pixel_spacing_mm, pixel_spacing_mm),
        modality="radiograph",
        source=str(path),
        spacing_kind="patient",
        assumptions=[f"pixel spacing {pixel_spacing_mm:g} mm given by the user, taken as spacing at the patient"],
    )
