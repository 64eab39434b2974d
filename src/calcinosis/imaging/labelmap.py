"""Label maps of the measured deposits: every voxel holds the number of its deposit (0 = background).

The numbers are the deposit ids of the :class:`~calcinosis.imaging.results.ImagingResult`, so
that a viewer (3D Slicer, ITK-SNAP, FSLeyes) shows exactly the voxels each reported volume was
counted from. A CT label map is NIfTI on the study's own grid: for a NIfTI input, the input's
voxel order, affine and qform/sform codes (the study is measured in the closest RAS orientation
and the labels are turned back), so the two files overlay voxel for voxel in any tool; for a DICOM
series, the affine of ImageOrientationPatient and ImagePositionPatient. A radiograph's label map
may also be a 16-bit greyscale PNG of the radiograph's size.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from calcinosis.errors import ImagingError
from calcinosis.imaging.ct import DepositMask
from calcinosis.imaging.results import ImagingResult
from calcinosis.imaging.volume import Volume
from calcinosis.outputs import write_output

__all__ = ["LABEL_SUFFIXES", "MAX_LABEL", "check_label_path", "label_map_bytes", "label_volume", "write_label_map"]

LABEL_SUFFIXES = (".nii.gz", ".nii", ".png")
MAX_LABEL = int(np.iinfo(np.uint16).max)  # the label map is uint16: deposit numbers 1-65535


def check_label_path(path: Path, *, modality: str | None = None) -> str:
    """The format of a label map path ("nifti" or "png"), or an :class:`ImagingError` saying what is accepted.

    With ``modality``, a PNG is refused for a CT: a PNG holds one image, a CT label map is 3-D.
    """
    name = path.name.lower()
    if not name.endswith(LABEL_SUFFIXES):
        raise ImagingError("err_label_suffix", path=path)
    kind = "png" if name.endswith(".png") else "nifti"
    if kind == "png" and modality is not None and modality != "radiograph":
        raise ImagingError("err_label_png_ct", path=path)
    return kind


def label_volume(shape: tuple[int, ...], result: ImagingResult, masks: Sequence[DepositMask]) -> npt.NDArray[np.uint16]:
    """A (z, y, x) array holding each deposit's number on its voxels and 0 elsewhere.

    Parameters
    ----------
    shape
        Shape of the measured volume (``volume.array.shape``).
    result, masks
        The measurement and its deposit masks, as :func:`calcinosis.imaging.measure.measure_volume`
        returns them (same order).

    Raises
    ------
    ImagingError
        More deposits than a uint16 label can number (``MAX_LABEL``), or masks that do not
        match the deposits (a bug).
    """
    if len(result.deposits) > MAX_LABEL:
        raise ImagingError(
            "err_too_many_labels",
            path=result.source or None,
            source=result.source,
            count=len(result.deposits),
            most=MAX_LABEL,
        )
    if len(masks) != len(result.deposits):
        raise ImagingError("err_masks_bug", masks=len(masks), deposits=len(result.deposits))
    labels = np.zeros(shape, dtype=np.uint16)
    for deposit, (box, part) in zip(result.deposits, masks, strict=True):
        labels[box][part] = deposit.id
    return labels


def _nifti_image(volume: Volume, labels: npt.NDArray[np.uint16]) -> Any:
    """The label map as a NIfTI image on the study's grid (see the module docstring)."""
    import nibabel
    import nibabel.orientations

    nib: Any = nibabel  # untyped library: one Any at the boundary
    orient: Any = nibabel.orientations

    geometry = volume.geometry
    data = np.ascontiguousarray(labels.transpose(2, 1, 0))  # (z, y, x) -> NIfTI (i, j, k)
    if geometry.nifti_affine is not None:
        # the volume was read in the closest RAS orientation: turn the labels back to the file's voxel order
        turn = orient.ornt_transform(orient.axcodes2ornt(("R", "A", "S")), orient.io_orientation(geometry.nifti_affine))
        data = np.ascontiguousarray(orient.apply_orientation(data, turn))
        affine = geometry.nifti_affine
        qform_code, sform_code = geometry.nifti_codes
    elif geometry.affine is not None:
        affine = geometry.affine
        qform_code = sform_code = 1  # scanner coordinates, from the DICOM position and orientation
    else:
        # nothing says where the study lies: the voxel size alone, with codes 0 ("unknown")
        dz, dy, dx = volume.spacing
        affine = np.diag([dx, dy, dz if dz > 0 else 1.0, 1.0])
        qform_code = sform_code = 0
    header = nib.Nifti1Header()
    header.set_data_shape(data.shape)
    header.set_data_dtype(np.uint16)
    header.set_qform(affine, code=int(qform_code))  # also sets the voxel sizes
    header.set_sform(affine, code=int(sform_code))
    header.set_xyzt_units("mm")
    header["descrip"] = b"calcinosis deposits: value = deposit number"
    # no image affine: nibabel would otherwise rewrite the codes (sform 2, qform 0) when the quaternion
    # form of the qform differs from the matrix by float32 rounding
    return nib.Nifti1Image(data, None, header=header)


def label_map_bytes(volume: Volume, labels: npt.NDArray[np.uint16], *, kind: str, gz: bool = True) -> bytes:
    """The label map file's bytes: NIfTI-1 (gzip-compressed with ``gz``) or, for a radiograph, a 16-bit PNG."""
    if kind == "png":
        import io

        from PIL import Image

        buffer = io.BytesIO()
        Image.fromarray(np.ascontiguousarray(labels[0])).save(buffer, format="PNG")  # uint16 -> 16-bit grey
        return buffer.getvalue()
    raw = bytes(_nifti_image(volume, labels).to_bytes())
    return gzip.compress(raw, compresslevel=6, mtime=0) if gz else raw


def write_label_map(
    volume: Volume,
    result: ImagingResult,
    masks: Sequence[DepositMask],
    path: Path,
    *,
    force: bool = False,
    inputs: Iterable[Path | str] = (),
) -> Path:
    """Write the deposits' label map to ``path`` (.nii.gz, .nii, or .png for a radiograph).

    The file is written through :mod:`calcinosis.outputs`: never over an input, an existing
    file only with ``force``, atomically. Returns the path written.
    """
    kind = check_label_path(path, modality=volume.modality)
    labels = label_volume(volume.array.shape, result, masks)
    data = label_map_bytes(volume, labels, kind=kind, gz=path.name.lower().endswith(".gz"))
    return write_output(path, data, inputs=inputs, force=force)
