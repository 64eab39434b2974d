"""Small hostile inputs built by the tests: DICOM datasets with any header, PNG files from their
header alone, NIfTI files from a raw header (so that a test can declare 640³ voxels in 1 kB)."""

from __future__ import annotations

import gzip
import io
import struct
import warnings
import zlib
from pathlib import Path
from typing import Any

import numpy as np


def dicom_dataset(
    *,
    rows: int = 8,
    columns: int = 8,
    modality: str = "CT",
    pixels: np.ndarray | None = None,
    transfer_syntax: str | None = None,
    **tags: Any,
) -> Any:
    """A DICOM image dataset (CT by default) with a file meta header; ``tags`` override or add
    elements (None deletes one). Values pydicom warns about (NaN, 'abc') are written as given."""
    from pydicom.datadict import dictionary_VR, tag_for_keyword
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import CTImageStorage, DigitalXRayImageStorageForPresentation, ExplicitVRLittleEndian, generate_uid

    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = transfer_syntax or ExplicitVRLittleEndian
    sop_class = CTImageStorage if modality == "CT" else DigitalXRayImageStorageForPresentation
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = sop_class
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    if pixels is None:
        pixels = np.zeros((rows, columns), dtype=np.int16 if modality == "CT" else np.uint16)
    base: dict[str, Any] = {
        "Modality": modality,
        "SeriesInstanceUID": generate_uid(),
        "Rows": rows,
        "Columns": columns,
        "BitsAllocated": 16,
        "BitsStored": 16,
        "HighBit": 15,
        "PixelRepresentation": 1 if pixels.dtype.kind == "i" else 0,
        "SamplesPerPixel": 1,
        "PhotometricInterpretation": "MONOCHROME2",
        "PixelSpacing": [0.5, 0.5],
    }
    if modality == "CT":
        base.update({"SliceThickness": 2.0, "RescaleSlope": 1, "RescaleIntercept": 0})
    base.update(tags)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for keyword, value in base.items():
            if value is None:
                if keyword in ds:
                    delattr(ds, keyword)
            elif dictionary_VR(tag_for_keyword(keyword)) in ("DS", "IS"):
                ds[tag_for_keyword(keyword)] = _raw_text(keyword, value)
            else:
                setattr(ds, keyword, value)
        if "PixelData" not in tags:
            ds.PixelData = pixels.tobytes()
    return ds


def _raw_text(keyword: str, value: Any) -> Any:
    """A DS or IS element written exactly as given ('nan', 'abc', '1e300', '0\\0'), as a reader would find it."""
    from pydicom.datadict import dictionary_VR, tag_for_keyword
    from pydicom.dataelem import RawDataElement
    from pydicom.tag import Tag

    values = value if isinstance(value, (list, tuple)) else [value]
    text = "\\".join(str(v) for v in values).encode("ascii")
    text += b" " * (len(text) % 2)
    tag = Tag(tag_for_keyword(keyword))
    return RawDataElement(tag, dictionary_VR(tag), len(text), text, 0, False, True)


def save_dicom(ds: Any, path: Path) -> Path:
    """Write ``ds`` as a DICOM file (with preamble and 'DICM'), whatever its values."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds.save_as(path, enforce_file_format=True)
    return path


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_header_only(path: Path, width: int, height: int, *, bit_depth: int = 8, colour_type: int = 0) -> Path:
    """A PNG that declares ``width`` x ``height`` but holds almost no image data (a few hundred bytes)."""
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    idat = zlib.compress(b"\0" * 64)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b""))
    return path


def write_nifti_raw(
    path: Path,
    shape: tuple[int, ...],
    *,
    dtype: Any = np.int16,
    zooms: tuple[float, ...] = (1.0, 1.0, 1.0),
    data: bytes | None = None,
) -> Path:
    """A NIfTI-1 file written from its header: any shape and voxel size (0, NaN...), and the bytes
    given as data (all the declared voxels as zeros by default)."""
    import nibabel as nib

    header = nib.Nifti1Header()
    header.set_data_dtype(dtype)
    header.set_data_shape(shape)
    with np.errstate(over="ignore"):  # 1e300 becomes inf in the float32 header: hostile on purpose
        header["pixdim"][1 : 1 + len(zooms)] = zooms
    header.set_xyzt_units("mm")
    buffer = io.BytesIO()
    header.write_to(buffer)
    buffer.write(b"\0" * (int(header["vox_offset"]) - buffer.tell()))
    if data is None:
        data = np.zeros(shape, dtype=dtype).tobytes(order="F")
    buffer.write(data)
    raw = buffer.getvalue()
    path.write_bytes(gzip.compress(raw, 1) if path.name.endswith(".gz") else raw)
    return path
