"""Reading studies: DICOM series written by the tests, pydicom's bundled files, NIfTI, PNG; broken input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from calcinosis.errors import ImagingError
from calcinosis.imaging.io import read_study


def write_ct_series(
    hu: np.ndarray,
    folder: Path,
    *,
    px: float = 0.7,
    dz: float = 2.5,
    series_uid: str | None = None,
    skip: int | None = None,
) -> None:
    """Write a (z, y, x) HU array as a DICOM CT series (stack-recipes.md, verified writer)."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

    folder.mkdir(parents=True, exist_ok=True)
    st, se, fr = generate_uid(), series_uid or generate_uid(), generate_uid()
    for k, sl in enumerate(hu):
        if k == skip:
            continue
        ds = Dataset()
        ds.file_meta = FileMetaDataset()
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = CTImageStorage
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
        ds.update(
            {
                "Modality": "CT", "PatientID": "SYNTH1", "StudyInstanceUID": st, "SeriesInstanceUID": se,
                "FrameOfReferenceUID": fr, "InstanceNumber": k + 1, "ImagePositionPatient": [0, 0, k * dz],
                "ImageOrientationPatient": [1, 0, 0, 0, 1, 0], "PixelSpacing": [px, px], "SliceThickness": dz,
                "Rows": sl.shape[0], "Columns": sl.shape[1], "BitsAllocated": 16, "BitsStored": 16, "HighBit": 15,
                "PixelRepresentation": 1, "SamplesPerPixel": 1, "PhotometricInterpretation": "MONOCHROME2",
                "RescaleIntercept": -1024, "RescaleSlope": 1, "PixelData": (sl + 1024).astype(np.int16).tobytes(),
            }
        )  # fmt: skip
        ds.save_as(folder / f"{(k * 7919) % 1000:04d}.dcm", enforce_file_format=True)  # file order != slice order


@pytest.fixture
def hu() -> np.ndarray:
    rng = np.random.default_rng(1)
    return rng.integers(-1000, 1500, size=(8, 32, 32)).astype(np.int16)


def test_dicom_series_round_trip(tmp_path: Path, hu: np.ndarray) -> None:
    """Slices are sorted by position, rescaled to HU, with spacing (dz, dy, dx)."""
    write_ct_series(hu, tmp_path / "s")
    vol = read_study(tmp_path / "s")
    assert vol.spacing == pytest.approx((2.5, 0.7, 0.7))
    np.testing.assert_array_equal(vol.array, hu)


def test_missing_slice_is_an_error(tmp_path: Path, hu: np.ndarray) -> None:
    """A gap in the slice positions is reported with where it is."""
    write_ct_series(hu, tmp_path / "s", skip=4)
    with pytest.raises(ImagingError, match=r"missing slices between positions 7\.5 and 12\.5"):
        read_study(tmp_path / "s")


def test_mixed_series_is_an_error(tmp_path: Path, hu: np.ndarray) -> None:
    """Two series in one folder are refused, not merged."""
    write_ct_series(hu, tmp_path / "s")
    extra = tmp_path / "other"
    write_ct_series(hu[:3], extra)
    for f in extra.iterdir():
        f.rename(tmp_path / "s" / f"x{f.name}")
    with pytest.raises(ImagingError, match="2 series are mixed"):
        read_study(tmp_path / "s")


def test_empty_folder_and_missing_path(tmp_path: Path) -> None:
    """No image, or no such path: clear errors naming the path."""
    (tmp_path / "empty").mkdir()
    with pytest.raises(ImagingError, match="no DICOM image"):
        read_study(tmp_path / "empty")
    with pytest.raises(ImagingError, match="no such file"):
        read_study(tmp_path / "nope")


def test_pydicom_bundled_ct_slice() -> None:
    """pydicom's CT_small.dcm (one 128x128 slice, intercept -1024) reads as HU (never downloads)."""
    from pydicom.data import get_testdata_file

    path = get_testdata_file("CT_small.dcm", download=False)
    assert path is not None
    vol = read_study(path)
    assert vol.array.shape == (1, 128, 128)
    assert vol.array.min() >= -1100 and vol.spacing[1] > 0


def test_pydicom_bundled_multislice_series() -> None:
    """pydicom's 5-slice 16x16 CT series (dicomdirtests 98892001/CT5N)."""
    import pydicom

    folder = Path(pydicom.__file__).parent / "data" / "test_files" / "dicomdirtests" / "98892001" / "CT5N"
    if not folder.is_dir():
        pytest.skip("series not bundled with this pydicom")
    vol = read_study(folder)
    assert vol.array.shape == (5, 16, 16)


def test_nifti_round_trip(tmp_path: Path, hu: np.ndarray) -> None:
    """A NIfTI volume reads with its zooms as spacing, axes turned to (z, y, x)."""
    import nibabel as nib

    data = np.transpose(hu, (2, 1, 0)).astype(np.int16)  # x, y, z
    img = nib.Nifti1Image(data, np.diag([0.8, 0.8, 3.0, 1.0]))
    nib.save(img, tmp_path / "v.nii.gz")
    vol = read_study(tmp_path / "v.nii.gz")
    assert vol.spacing == pytest.approx((3.0, 0.8, 0.8))
    np.testing.assert_array_equal(vol.array, hu)


def test_png_needs_pixel_spacing(tmp_path: Path) -> None:
    """A PNG radiograph has no spacing: it must be given, and the assumption is recorded."""
    from PIL import Image

    Image.fromarray(np.full((20, 30), 200, dtype=np.uint8)).save(tmp_path / "r.png")
    with pytest.raises(ImagingError, match="--pixel-spacing"):
        read_study(tmp_path / "r.png")
    vol = read_study(tmp_path / "r.png", pixel_spacing_mm=0.15)
    assert vol.modality == "radiograph" and vol.spacing == (0.0, 0.15, 0.15)
    assert any("given by the user" in a for a in vol.assumptions)
