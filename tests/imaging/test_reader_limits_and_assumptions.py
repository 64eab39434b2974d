"""Size limits from the header (item 2) and what used to be silently wrong (item 3): bit depth and
sign, unreadable slices, zero spacing, slice spacing without positions, NaN rescale and voxels,
non-finite parameters."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from calcinosis.errors import ImagingError
from calcinosis.imaging import io as imaging_io
from calcinosis.imaging.ct import measure_ct
from calcinosis.imaging.io import read_study
from calcinosis.imaging.radiograph import measure_radiograph
from calcinosis.imaging.volume import MAX_CT_VOXELS, MAX_RADIOGRAPH_PIXELS, Volume

from .builders import dicom_dataset, save_dicom, write_nifti_raw
from .test_reading import write_ct_series


@pytest.fixture
def hu() -> np.ndarray:
    rng = np.random.default_rng(5)
    return rng.integers(-1000, 1500, size=(6, 16, 16)).astype(np.int16)


def _no_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any decoding of DICOM pixels fail the test: a limit must be applied from the header."""
    import pydicom.dataset

    def refuse(self: object) -> None:
        raise AssertionError("pixels decoded before the size limit was checked")

    monkeypatch.setattr(pydicom.dataset.Dataset, "pixel_array", property(refuse))


# --- item 2: size limits from the header ------------------------------------------------------------


def test_limits_are_documented_constants() -> None:
    assert MAX_CT_VOXELS == 250_000_000 and MAX_RADIOGRAPH_PIXELS == 50_000_000
    docs = Path(__file__).resolve().parents[2] / "docs" / "imaging.md"
    text = docs.read_text(encoding="utf-8")
    assert "250,000,000" in text and "50,000,000" in text


def test_small_nifti_gz_declaring_640_cubed_is_refused_from_the_header(tmp_path: Path) -> None:
    """A .nii.gz of a few hundred bytes declaring 640³ int16 voxels (524 MB): the limit, not a decompression."""
    path = write_nifti_raw(tmp_path / "bomb.nii.gz", (640, 640, 640), data=b"\0" * 1000)
    assert path.stat().st_size < 600_000
    with pytest.raises(
        ImagingError, match=r"640 x 640 x 640 = 262,144,000 voxels is more than the limit of 250,000,000"
    ):
        read_study(path)


def test_series_over_the_limit_is_refused_before_any_slice_is_decoded(
    tmp_path: Path, hu: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_ct_series(hu, tmp_path / "s")
    monkeypatch.setattr(imaging_io, "MAX_CT_VOXELS", 1000)
    _no_decoding(monkeypatch)
    with pytest.raises(ImagingError, match=r"6 slices of 16 x 16 = 1,536 voxels is more than the limit of 1,000"):
        read_study(tmp_path / "s")


def test_radiograph_over_the_limit_is_refused_before_decoding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = save_dicom(dicom_dataset(rows=64, columns=64, modality="DX"), tmp_path / "r.dcm")
    monkeypatch.setattr(imaging_io, "MAX_RADIOGRAPH_PIXELS", 1000)
    _no_decoding(monkeypatch)
    with pytest.raises(ImagingError, match=r"64 x 64 = 4,096 pixels is more than the limit of 1,000 for a radiograph"):
        read_study(path)


# --- item 3: bit depth and sign -------------------------------------------------------------------------


def test_16_bit_png_keeps_values_above_32767(tmp_path: Path) -> None:
    from PIL import Image

    values = np.array([[0, 1000], [32768, 65535]], dtype=np.uint16).repeat(4, axis=0).repeat(4, axis=1)
    Image.fromarray(values).save(tmp_path / "r16.png")
    vol = read_study(tmp_path / "r16.png", pixel_spacing_mm=0.2)
    np.testing.assert_array_equal(vol.array[0], values)


def test_16_bit_dicom_radiograph_keeps_values_above_32767(tmp_path: Path) -> None:
    values = np.array([[0, 1000], [40000, 65535]], dtype=np.uint16).repeat(4, axis=0).repeat(4, axis=1)
    path = save_dicom(dicom_dataset(rows=8, columns=8, modality="DX", pixels=values), tmp_path / "dx.dcm")
    vol = read_study(path)
    np.testing.assert_array_equal(vol.array[0], values)


def test_12_bit_signed_ct_honours_bits_stored(tmp_path: Path) -> None:
    """BitsStored 12, PixelRepresentation 1: 0x0FFF is -1 and 0x0800 is -2048; junk in the high bits is ignored."""
    stored = np.array([0x0FFF, 0x0800, 0x07FF, 0xF001] * 16, dtype=np.uint16).reshape(8, 8)
    ds = dicom_dataset(rows=8, columns=8, BitsStored=12, HighBit=11, PixelRepresentation=1, PixelData=stored.tobytes())
    vol = read_study(save_dicom(ds, tmp_path / "ct12.dcm"))
    assert vol.array[0, 0, :4].tolist() == [-1, -2048, 2047, 1]


# --- item 3: unreadable slices are never dropped silently ----------------------------------------------


def test_unreadable_last_slice_is_an_error(tmp_path: Path, hu: np.ndarray) -> None:
    """The file of the last slice (highest position) damaged: named, not silently left out."""
    import pydicom

    write_ct_series(hu, tmp_path / "s")
    files = sorted((tmp_path / "s").iterdir(), key=lambda f: float(pydicom.dcmread(f).ImagePositionPatient[2]))
    last = files[-1]
    last.write_bytes(b"garbage, not a DICOM file any more" * 8)
    with pytest.raises(ImagingError, match=rf"{last.name}: not a DICOM file"):
        read_study(tmp_path / "s")


def test_last_slice_cut_in_its_header_is_an_error(tmp_path: Path, hu: np.ndarray) -> None:
    write_ct_series(hu, tmp_path / "s")
    last = sorted((tmp_path / "s").iterdir())[-1]
    last.write_bytes(last.read_bytes()[:400])
    with pytest.raises(ImagingError, match=rf"{last.name}: "):
        read_study(tmp_path / "s")


def test_files_that_are_not_dicom_are_ignored_with_a_note(tmp_path: Path, hu: np.ndarray) -> None:
    write_ct_series(hu, tmp_path / "s")
    (tmp_path / "s" / "notes.txt").write_text("scanned on Tuesday")
    vol = read_study(tmp_path / "s")
    assert vol.array.shape == hu.shape
    assert any("notes.txt" in a and "ignored" in a for a in vol.assumptions)


# --- item 3: spacing --------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [0.0, float("nan"), float("inf")])
def test_nifti_voxel_size_zero_or_not_finite_is_an_error(tmp_path: Path, bad: float) -> None:
    """nibabel turns a 0 voxel size into 1 mm when loading; the header as written is checked instead."""
    path = write_nifti_raw(tmp_path / "v.nii.gz", (4, 4, 4), zooms=(0.8, 0.8, bad))
    with pytest.raises(ImagingError, match=r"voxel size along axis k \(pixdim\) must be a positive number of mm"):
        read_study(path)


def _series_without_positions(folder: Path, hu: np.ndarray, **tags: object) -> None:
    """A series whose slices have InstanceNumber but no ImagePositionPatient."""
    from pydicom.uid import generate_uid

    series = generate_uid()
    for k, sl in enumerate(hu):
        ds = dicom_dataset(
            rows=sl.shape[0], columns=sl.shape[1], pixels=sl, SeriesInstanceUID=series, InstanceNumber=k + 1, **tags
        )
        save_dicom(ds, folder / f"{(k * 7) % 10:02d}.dcm")


def test_without_positions_slice_spacing_comes_from_slice_thickness(tmp_path: Path, hu: np.ndarray) -> None:
    """InstanceNumber steps are not millimetres: SliceThickness 2 mm is used and recorded."""
    _series_without_positions(tmp_path / "s", hu, SliceThickness=2.0)
    vol = read_study(tmp_path / "s")
    assert vol.spacing[0] == 2.0
    np.testing.assert_array_equal(vol.array, hu)
    assert any("taken from SliceThickness" in a for a in vol.assumptions)


def test_without_positions_spacing_between_slices_comes_first(tmp_path: Path, hu: np.ndarray) -> None:
    _series_without_positions(tmp_path / "s", hu, SliceThickness=2.0, SpacingBetweenSlices=1.5)
    vol = read_study(tmp_path / "s")
    assert vol.spacing[0] == 1.5
    assert any("taken from SpacingBetweenSlices" in a for a in vol.assumptions)


def test_without_positions_nor_thickness_is_an_error(tmp_path: Path, hu: np.ndarray) -> None:
    _series_without_positions(tmp_path / "s", hu, SliceThickness=None)
    with pytest.raises(ImagingError, match="neither SpacingBetweenSlices nor SliceThickness"):
        read_study(tmp_path / "s")


def test_single_ct_slice_without_thickness_is_an_error(tmp_path: Path) -> None:
    path = save_dicom(dicom_dataset(SliceThickness=None), tmp_path / "one.dcm")
    with pytest.raises(ImagingError, match="neither SpacingBetweenSlices nor SliceThickness"):
        read_study(path)


# --- item 3: NaN in values and parameters ------------------------------------------------------------


@pytest.mark.parametrize(("keyword", "value"), [("RescaleSlope", "nan"), ("RescaleIntercept", "inf")])
def test_rescale_not_finite_is_an_error(tmp_path: Path, keyword: str, value: str) -> None:
    path = save_dicom(dicom_dataset(**{keyword: value}), tmp_path / "r.dcm")
    with pytest.raises(ImagingError, match=rf"{keyword} must be a finite number"):
        read_study(path)


def test_rescale_nan_in_one_slice_of_a_series(tmp_path: Path, hu: np.ndarray) -> None:
    import pydicom

    write_ct_series(hu, tmp_path / "s")
    victim = sorted((tmp_path / "s").iterdir())[1]
    ds = pydicom.dcmread(victim)
    ds.RescaleSlope = float("nan")
    save_dicom(ds, victim)
    with pytest.raises(ImagingError, match=rf"{victim.name}: RescaleSlope must be a finite number"):
        read_study(tmp_path / "s")


def test_nan_voxels_are_masked_counted_and_recorded(tmp_path: Path) -> None:
    data = np.full((4, 4, 4), 40.0, dtype=np.float32)
    data[0, 0, :3] = np.nan
    data[1, 1, 1] = np.inf
    path = write_nifti_raw(tmp_path / "n.nii", data.shape, dtype=np.float32, data=data.tobytes(order="F"))
    vol = read_study(path)
    assert np.count_nonzero(vol.array == -1024) == 4
    assert any(a.startswith("4 voxels") and "NaN" in a for a in vol.assumptions)


def test_all_nan_voxels_is_an_error(tmp_path: Path) -> None:
    data = np.full((4, 4, 4), np.nan, dtype=np.float32)
    path = write_nifti_raw(tmp_path / "n.nii", data.shape, dtype=np.float32, data=data.tobytes(order="F"))
    with pytest.raises(ImagingError, match="no voxel holds a number"):
        read_study(path)


@pytest.mark.parametrize("threshold", [float("nan"), float("inf"), -float("inf"), -5000.0, 1e6])
def test_threshold_must_be_finite_and_in_range(threshold: float) -> None:
    volume = Volume(array=np.zeros((2, 8, 8), dtype=np.int16), spacing=(1.0, 1.0, 1.0), source="v")
    with pytest.raises(ImagingError, match=r"--threshold \(HU\) must be"):
        measure_ct(volume, threshold=threshold)


@pytest.mark.parametrize(
    "spacing", [(1.0, float("nan"), 1.0), (0.0, 1.0, 1.0), (1.0, 1.0, -1.0), (1.0, 1e300, 1.0), (1.0, 1e-300, 1.0)]
)
def test_measuring_refuses_volumes_with_impossible_spacing(spacing: tuple[float, float, float]) -> None:
    volume = Volume(array=np.zeros((2, 8, 8), dtype=np.int16), spacing=spacing, source="v")
    with pytest.raises(ImagingError, match="spacing"):
        measure_ct(volume)


def test_measuring_refuses_a_radiograph_with_nan_pixels() -> None:
    array = np.ones((1, 8, 8), dtype=np.float32)
    array[0, 2, 2] = np.nan
    volume = Volume(array=array, spacing=(0.0, 0.2, 0.2), modality="radiograph", source="rg")
    with pytest.raises(ImagingError, match="1 values are not finite"):
        measure_radiograph(volume)
