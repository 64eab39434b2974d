"""The measured deposits as a DICOM Segmentation (SEG) object that references the source images.

A radiologist opens the SEG beside the CT in 3D Slicer or a PACS viewer and sees exactly which
voxels each reported deposit was counted from. The object is written with highdicom
(Herrmann MD et al., *Highdicom: a Python library for standardized encoding of image
annotations and machine learning model outputs in pathology and radiology*, J Digit Imaging
2022;35:1719-37) as a BINARY segmentation whose source images are the study's own DICOM files,
so the Study Instance UID, the Frame of Reference and the referenced series and instances are
those of the input.

Segments: one per deposit, numbered and labelled as in the result ("Deposit 3"), with its volume
(CT, mm3) or area (radiograph, mm2) in the segment description and the overlay's colour as its
display colour. Segmented property category "Morphologically Abnormal Structure" (SCT 49755003)
and type "pathologic calcification" (SCT 18115005), both from the DICOM code dictionary that
pydicom ships and highdicom uses (``pydicom.sr.codedict.codes``; CID 7150 lists the category).
When there are more than ``MAX_SEG_SEGMENTS`` deposits the SEG holds a single segment,
"Calcified deposits", instead: a BINARY SEG stores one full frame per deposit and slice, so for
512 x 512 slices a thousand deposits of three slices each already make a 100 MB file that takes
8 s to build (measured) and that viewers list and open slowly; the label map (``--labels``) still
numbers every deposit. A study without deposits gets one empty segment: the SEG then records
that the search was made and found nothing.

A DICOM radiograph has no Frame of Reference, so its SEG has no Slice Thickness, which the
standard requires only with a Frame of Reference (CP 1426); pydicom reads such a SEG, but
highdicom 0.28's reader (``segread``) refuses it for lack of Slice Thickness.
"""

from __future__ import annotations

import io
import logging
import time
import warnings
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from calcinosis.errors import ImagingError
from calcinosis.imaging.ct import DepositMask
from calcinosis.imaging.labelmap import label_volume
from calcinosis.imaging.results import ImagingResult
from calcinosis.imaging.texts import Text
from calcinosis.imaging.volume import Volume
from calcinosis.outputs import write_output

__all__ = ["MAX_SEG_SEGMENTS", "SEG_SERIES_NUMBER", "SegWritten", "build_segmentation", "check_seg_source", "write_seg"]

MAX_SEG_SEGMENTS = 1000  # see the module docstring: beyond it, one segment for all deposits
SEG_SERIES_NUMBER = 9901  # a series number scanners do not use, so the SEG sorts after the images
SEGMENT_LABEL_ALL = "Calcified deposits"
CONTENT_LABEL = "DEPOSITS"  # CS, at most 16 upper-case characters
CONTENT_DESCRIPTION = "Automatic measurement: a clinician must check every deposit"
# Type 2 attributes highdicom copies from the first source image: "present, may be empty" in DICOM,
# so a source that leaves one out is the same as one that leaves it empty.
_TYPE2_COPIED = (
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "PatientSex",
    "AccessionNumber",
    "StudyID",
    "StudyDate",
    "StudyTime",
    "ReferringPhysicianName",
)


@dataclass
class SegWritten:
    """What :func:`write_seg` wrote: the path, how many segments, how long it took, and notes."""

    path: Path
    segments: int
    seconds: float
    notes: list[str] = field(default_factory=list)


def check_seg_source(volume: Volume) -> None:
    """Refuse a study that has no DICOM images to reference (NIfTI, PNG), pointing to ``--labels``."""
    if volume.geometry.dicom_files:
        return
    name = volume.source.lower()
    kind = "nifti" if name.endswith((".nii", ".nii.gz")) else "png" if name.endswith(".png") else "study"
    raise ImagingError(
        "err_seg_needs_dicom", path=volume.source or None, source=volume.source, kind=Text(f"kind_{kind}")
    )


def _source_datasets(volume: Volume) -> tuple[list[Any], list[str]]:
    """The source images' headers (no pixel data), in the order of the volume's slices; notes on what was filled."""
    import pydicom

    datasets = []
    for name in volume.geometry.dicom_files:
        try:
            datasets.append(pydicom.dcmread(name, stop_before_pixels=True))
        except Exception as exc:  # the file changed or went away since it was measured
            raise ImagingError("err_seg_reread", path=name, cause=str(exc)) from None
    frames = len(datasets) if len(datasets) > 1 else int(datasets[0].get("NumberOfFrames", 1) or 1)
    if frames != volume.array.shape[0]:
        raise ImagingError(
            "err_seg_frames",
            path=volume.source or None,
            source=volume.source,
            frames=frames,
            slices=volume.array.shape[0],
        )
    missing = sorted({k for ds in datasets[:1] for k in _TYPE2_COPIED if k not in ds})
    for ds in datasets:
        for keyword in _TYPE2_COPIED:
            if keyword not in ds:
                setattr(ds, keyword, "")
    notes: list[str] = [Text("note_seg_type2", tags=", ".join(missing))] if missing else []
    return datasets, notes


@contextmanager
def _logged(notes: list[str]) -> Iterator[None]:
    """highdicom logs what it decides (e.g. keeping empty frames) on stderr: record it as notes instead."""
    logger = logging.getLogger("highdicom")
    saved = (list(logger.handlers), logger.propagate)

    class _Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= logging.WARNING:
                notes.append(Text("note_seg_writer", text=" ".join(record.getMessage().split())[:300]))

    logger.handlers, logger.propagate = [_Collect()], False
    try:
        yield
    finally:
        logger.handlers, logger.propagate = saved


def _description(result: ImagingResult, index: int) -> str:
    deposit = result.deposits[index]
    size = (
        f"area {deposit.volume_mm3:.2f} mm2"
        if result.modality == "radiograph"
        else f"volume {deposit.volume_mm3:.2f} mm3"
    )
    return f"{size}; largest {deposit.largest_dimension_mm:.1f} mm; {deposit.pattern}"[:64]  # LO: 64 characters


def build_segmentation(volume: Volume, result: ImagingResult, masks: Sequence[DepositMask]) -> tuple[Any, list[str]]:
    """The deposits of ``result`` as a highdicom ``Segmentation`` of the study's DICOM images, and notes.

    Parameters
    ----------
    volume
        The study as read (its ``geometry.dicom_files`` are the source images).
    result, masks
        The measurement of ``volume`` and its deposit masks, in the same order.

    Raises
    ------
    ImagingError
        The study has no DICOM source, or its images cannot be referenced by a SEG (the
        message gives highdicom's reason).
    """
    import highdicom as hd
    from pydicom.sr.codedict import codes

    from calcinosis import __version__
    from calcinosis.imaging.overlay import deposit_colour

    check_seg_source(volume)
    sources, notes = _source_datasets(volume)
    labels = label_volume(volume.array.shape, result, masks)
    count = len(result.deposits)
    is_ct = result.modality != "radiograph"
    parameters = (
        {"threshold_hu": f"{result.threshold_hu:g}", "connectivity": "26"}
        if is_ct
        else {"noise_units": f"{result.threshold_hu:g}"}
    )
    algorithm = hd.AlgorithmIdentificationSequence(
        name="calcinosis deposits",
        family=codes.cid7162.MorphologicalOperations,  # threshold, connected components, hole filling
        version=__version__,
        parameters=parameters,
    )

    def segment(number: int, label: str, text: str, colour: tuple[int, int, int]) -> Any:
        description = hd.seg.SegmentDescription(
            segment_number=number,
            segment_label=label,
            segmented_property_category=codes.SCT.MorphologicallyAbnormalStructure,
            segmented_property_type=codes.SCT.PathologicCalcification,
            algorithm_type=hd.seg.SegmentAlgorithmTypeValues.AUTOMATIC,
            algorithm_identification=algorithm,
            display_color=hd.color.CIELabColor.from_rgb(*colour),
        )
        description.SegmentDescription = text
        return description

    if 0 < count <= MAX_SEG_SEGMENTS:
        descriptions = [
            segment(d.id, f"Deposit {d.id}", _description(result, i), deposit_colour(d.id))
            for i, d in enumerate(result.deposits)
        ]
        pixels = labels if count > 255 else labels.astype(np.uint8)
    else:
        if count == 0:
            threshold = f"{result.threshold_hu:g} HU" if is_ct else f"{result.threshold_hu:g} noise units"
            text = f"no deposit found (threshold {threshold})"
        else:
            text = f"all {count} deposits in one segment (over {MAX_SEG_SEGMENTS}); --labels numbers them"
            notes.append(Text("note_seg_one_segment", count=count, most=MAX_SEG_SEGMENTS, label=SEGMENT_LABEL_ALL))
        descriptions = [segment(1, SEGMENT_LABEL_ALL, text[:64], deposit_colour(1))]
        pixels = (labels > 0).astype(np.uint8)
    try:
        with warnings.catch_warnings(record=True) as caught, _logged(notes):
            warnings.simplefilter("always")
            seg = hd.seg.Segmentation(
                source_images=sources,
                pixel_array=pixels,
                segmentation_type=hd.seg.SegmentationTypeValues.BINARY,
                segment_descriptions=descriptions,
                series_instance_uid=hd.UID(),
                series_number=SEG_SERIES_NUMBER,
                sop_instance_uid=hd.UID(),
                instance_number=1,
                manufacturer="calcinosis",
                manufacturer_model_name="calcinosis",
                software_versions=__version__,
                device_serial_number="none (software)",
                series_description="Calcified deposits (calcinosis)",
                content_label=CONTENT_LABEL,
                content_description=CONTENT_DESCRIPTION,
            )
    except Exception as exc:  # highdicom raises many kinds for images it cannot reference
        cause = " ".join(str(exc).split()) or type(exc).__name__
        raise ImagingError("err_seg_write", path=volume.source or None, source=volume.source, cause=cause) from None
    notes.extend(Text("note_seg_warning", text=" ".join(str(w.message).split())[:300]) for w in caught)
    return seg, notes


def write_seg(
    volume: Volume,
    result: ImagingResult,
    masks: Sequence[DepositMask],
    path: Path,
    *,
    force: bool = False,
    inputs: Iterable[Path | str] = (),
) -> SegWritten:
    """Write the deposits as a DICOM SEG file at ``path``; see :func:`build_segmentation`.

    The file is written through :mod:`calcinosis.outputs` (never over an input, an existing
    file only with ``force``, atomically).
    """
    start = time.perf_counter()
    seg, notes = build_segmentation(volume, result, masks)
    buffer = io.BytesIO()
    seg.save_as(buffer, enforce_file_format=True)
    written = write_output(path, buffer.getvalue(), inputs=inputs, force=force)
    return SegWritten(
        path=written,
        segments=len(seg.SegmentSequence),
        seconds=round(time.perf_counter() - start, 3),
        notes=notes,
    )
