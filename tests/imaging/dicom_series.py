"""A CT series as a scanner writes it: patient and study attributes, a frame of reference, an origin
away from 0 and a chosen orientation, so that a SEG or a label map can be checked against it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass
class SeriesInfo:
    """The UIDs and geometry of a written series, slices in the order of the HU array given."""

    study_uid: str
    series_uid: str
    frame_of_reference_uid: str
    sop_uids: list[str] = field(default_factory=list)
    positions: list[tuple[float, float, float]] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)


def write_patient_series(
    hu: np.ndarray,
    folder: Path,
    *,
    px: float = 0.5,
    dz: float = 1.0,
    origin: tuple[float, float, float] = (-80.0, -95.5, 312.0),
    orientation: tuple[float, ...] = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0),
) -> SeriesInfo:
    """Write a (z, y, x) HU array as a CT series; slice k lies at ``origin + k * dz * normal``."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

    folder.mkdir(parents=True, exist_ok=True)
    info = SeriesInfo(generate_uid(), generate_uid(), generate_uid())
    row, col = np.array(orientation[:3]), np.array(orientation[3:])
    normal = np.cross(row, col)
    for k, sl in enumerate(hu):
        position = tuple(float(v) for v in np.array(origin) + k * dz * normal)
        ds = Dataset()
        ds.file_meta = FileMetaDataset()
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = CTImageStorage
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
        ds.update(
            {
                "Modality": "CT", "PatientName": "Synthetic^Limb", "PatientID": "SYNTH-SEG", "PatientBirthDate": "19700101",
                "PatientSex": "F", "StudyInstanceUID": info.study_uid, "StudyDate": "20260101", "StudyTime": "101500",
                "StudyID": "1", "AccessionNumber": "A1", "ReferringPhysicianName": "", "SeriesInstanceUID": info.series_uid,
                "SeriesNumber": 3, "FrameOfReferenceUID": info.frame_of_reference_uid, "InstanceNumber": len(hu) - k,
                "ImagePositionPatient": list(position), "ImageOrientationPatient": list(orientation),
                "PixelSpacing": [px, px], "SliceThickness": dz, "Rows": sl.shape[0], "Columns": sl.shape[1],
                "BitsAllocated": 16, "BitsStored": 16, "HighBit": 15, "PixelRepresentation": 1, "SamplesPerPixel": 1,
                "PhotometricInterpretation": "MONOCHROME2", "RescaleIntercept": -1024, "RescaleSlope": 1,
                "PixelData": (sl + 1024).astype(np.int16).tobytes(),
            }
        )  # fmt: skip
        path = folder / f"IM{(k * 7919) % 1000:04d}.dcm"  # file order is not slice order
        ds.save_as(path, enforce_file_format=True)
        info.sop_uids.append(ds.SOPInstanceUID)
        info.positions.append(position)
        info.files.append(path)
    return info


def nodules(
    shape: tuple[int, int, int] = (8, 64, 64),
    centres: tuple[tuple[int, int, int, float], ...] = ((3, 20, 44, 4.0), (5, 44, 16, 2.5)),
    *,
    value: int = 600,
) -> np.ndarray:
    """A (z, y, x) HU block of soft tissue (40 HU) holding spherical nodules (radius in voxels) of ``value`` HU;
    the first is the largest, so it is deposit 1."""
    z, y, x = np.ogrid[: shape[0], : shape[1], : shape[2]]
    hu = np.full(shape, 40, dtype=np.int16)
    for cz, cy, cx, r in centres:
        hu[(z - cz) ** 2 + (y - cy) ** 2 + (x - cx) ** 2 <= r * r] = value
    return hu
