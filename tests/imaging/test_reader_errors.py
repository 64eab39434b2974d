"""Broken and hostile studies: each is an ImagingError naming the file, what was expected and the
cause in plain words; never a traceback from pydicom, nibabel or Pillow (hardening issue, item 1)."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from calcinosis.errors import ImagingError
from calcinosis.imaging.io import read_study

from .builders import dicom_dataset, png_header_only, save_dicom, write_nifti_raw
from .test_reading import write_ct_series


@pytest.fixture
def hu() -> np.ndarray:
    rng = np.random.default_rng(3)
    return rng.integers(-1000, 1500, size=(6, 16, 16)).astype(np.int16)


def test_truncated_pixel_data_in_a_dicom_file(tmp_path: Path) -> None:
    """PixelData shorter than Rows x Columns x 2 bytes, whether written short or cut off the file's end."""
    ds = dicom_dataset(rows=32, columns=32)
    ds.PixelData = ds.PixelData[:100]
    path = save_dicom(ds, tmp_path / "short.dcm")
    with pytest.raises(ImagingError, match=r"short\.dcm: truncated pixel data: expected 2,048 bytes, found 100$"):
        read_study(path)
    whole = save_dicom(dicom_dataset(rows=32, columns=32), tmp_path / "cut.dcm")
    whole.write_bytes(whole.read_bytes()[:-300])
    with pytest.raises(ImagingError, match=r"cut\.dcm: truncated pixel data: expected 2,048 bytes, found 1,748"):
        read_study(whole)


def test_series_with_one_truncated_slice(tmp_path: Path, hu: np.ndarray) -> None:
    """The truncated slice is named, and found before any slice is decoded."""
    write_ct_series(hu, tmp_path / "s")
    victim = sorted((tmp_path / "s").iterdir())[2]
    victim.write_bytes(victim.read_bytes()[:-10])
    with pytest.raises(ImagingError, match=rf"{victim.name}: truncated pixel data: expected 512 bytes, found 502"):
        read_study(tmp_path / "s")


def test_series_with_one_slice_of_another_size(tmp_path: Path, hu: np.ndarray) -> None:
    """A slice of another image size is named with both sizes (instead of numpy's stack error)."""
    import pydicom

    write_ct_series(hu, tmp_path / "s")
    victim = sorted((tmp_path / "s").iterdir())[3]
    ds = pydicom.dcmread(victim)
    ds.Rows = ds.Columns = 8
    ds.PixelData = np.zeros((8, 8), dtype=np.int16).tobytes()
    save_dicom(ds, victim)
    with pytest.raises(
        ImagingError, match=rf"{victim.name}: an image of 8 x 8 pixels, but the other slices .* 16 x 16"
    ):
        read_study(tmp_path / "s")


@pytest.mark.parametrize("shape", [(4, 0, 4), (0, 4, 4), (4, 4, 0)])
def test_nifti_with_a_zero_size_dimension(tmp_path: Path, shape: tuple[int, int, int]) -> None:
    path = write_nifti_raw(tmp_path / "z.nii", shape)
    with pytest.raises(ImagingError, match=r"z\.nii: the header declares a dimension of size 0"):
        read_study(path)


@pytest.mark.parametrize(("modality", "limit"), [("CT", "250,000,000"), ("DX", "50,000,000")])
def test_dicom_rows_columns_65535_with_little_data(tmp_path: Path, modality: str, limit: str) -> None:
    """Refused from the header with the limit and the value, before pydicom is asked for the pixels."""
    ds = dicom_dataset(rows=65535, columns=65535, modality=modality, PixelData=b"\0" * 100)
    path = save_dicom(ds, tmp_path / "huge.dcm")
    with pytest.raises(ImagingError, match=rf"65535 x 65535 = 4,294,836,225 pixels is more than the limit of {limit}"):
        read_study(path)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf"), 0.0, -0.2, 1e9])
def test_pixel_spacing_parameter_must_be_a_positive_finite_number(tmp_path: Path, value: float) -> None:
    from PIL import Image

    Image.fromarray(np.full((20, 30), 200, dtype=np.uint8)).save(tmp_path / "r.png")
    with pytest.raises(ImagingError, match="--pixel-spacing"):
        read_study(tmp_path / "r.png", pixel_spacing_mm=value)
    with pytest.raises(ImagingError, match="--pixel-spacing"):  # refused for any study, not only a PNG
        read_study(tmp_path / "missing", pixel_spacing_mm=value)


def test_palette_png_is_read_as_its_grey_levels(tmp_path: Path) -> None:
    from PIL import Image

    grey = np.arange(64, dtype=np.uint8).reshape(8, 8) * 3
    Image.fromarray(grey).convert("P").save(tmp_path / "p.png")
    with Image.open(tmp_path / "p.png") as im:
        assert im.mode == "P"
    vol = read_study(tmp_path / "p.png", pixel_spacing_mm=0.2)
    np.testing.assert_array_equal(vol.array[0], grey)
    assert any("palette" in a for a in vol.assumptions)


def test_colour_png_is_converted_to_grey_with_a_note(tmp_path: Path) -> None:
    from PIL import Image

    rgb = np.zeros((8, 8, 3), dtype=np.uint8)
    rgb[..., 0] = 200
    Image.fromarray(rgb).save(tmp_path / "c.png")
    vol = read_study(tmp_path / "c.png", pixel_spacing_mm=0.2)
    assert vol.array.shape == (1, 8, 8)
    assert any("colour PNG" in a for a in vol.assumptions)


@pytest.mark.parametrize("modality", ["CT", "DX"])
@pytest.mark.parametrize(("spacing", "problem"), [(["0", "0"], "positive"), (["0.5"], "two numbers")])
def test_pixel_spacing_zero_or_one_value(tmp_path: Path, modality: str, spacing: list[str], problem: str) -> None:
    path = save_dicom(dicom_dataset(modality=modality, PixelSpacing=spacing), tmp_path / "x.dcm")
    with pytest.raises(ImagingError, match=rf"x\.dcm: PixelSpacing must be .*{problem}"):
        read_study(path)


def test_pixel_spacing_zero_in_a_series(tmp_path: Path, hu: np.ndarray) -> None:
    write_ct_series(hu, tmp_path / "s", px=0.0)
    with pytest.raises(ImagingError, match=r"PixelSpacing must be a positive number of mm, not 0\.0"):
        read_study(tmp_path / "s")


def test_undecodable_jpeg_2000(tmp_path: Path) -> None:
    """A JPEG 2000 transfer syntax with garbage data: the decoder's failure, named, in one line."""
    from pydicom.encaps import encapsulate
    from pydicom.uid import JPEG2000Lossless

    ds = dicom_dataset(
        rows=16, columns=16, transfer_syntax=JPEG2000Lossless, PixelData=encapsulate([b"not a codestream" * 4])
    )
    path = save_dicom(ds, tmp_path / "j2k.dcm")
    with pytest.raises(ImagingError, match=r"j2k\.dcm: cannot decode the pixel data \(JPEG 2000") as info:
        read_study(path)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("side", [15000, 9000])
def test_png_over_the_size_limit_is_refused_from_its_header(tmp_path: Path, side: int) -> None:
    """15000² is a decompression bomb for Pillow, 9000² is over our radiograph limit: both refused before decoding."""
    path = png_header_only(tmp_path / "big.png", side, side)
    assert path.stat().st_size < 1000
    with pytest.raises(ImagingError, match=r"big\.png: .*limit of 50,000,000 pixels"):
        read_study(path, pixel_spacing_mm=0.1)


def test_empty_dicom_file_says_empty(tmp_path: Path) -> None:
    (tmp_path / "e.dcm").write_bytes(b"")
    with pytest.raises(ImagingError, match=r"e\.dcm: empty file \(0 bytes\)") as info:
        read_study(tmp_path / "e.dcm")
    assert "force=True" not in str(info.value)


def test_file_that_is_not_dicom_says_so_without_pydicom_advice(tmp_path: Path) -> None:
    (tmp_path / "x.dcm").write_bytes(b"hello, not an image" * 20)
    with pytest.raises(ImagingError, match=r"x\.dcm: not a DICOM file \(no 'DICM' marker") as info:
        read_study(tmp_path / "x.dcm")
    assert "force=True" not in str(info.value)


@pytest.mark.parametrize("name", ["g.nii", "g.nii.gz"])
def test_unreadable_nifti_names_the_cause(tmp_path: Path, name: str) -> None:
    raw = bytes(range(256)) * 2
    (tmp_path / name).write_bytes(gzip.compress(raw) if name.endswith(".gz") else raw)
    with pytest.raises(ImagingError, match=r"not a readable NIfTI file: \S") as info:
        read_study(tmp_path / name)
    assert "()" not in str(info.value)


def test_truncated_nifti_data(tmp_path: Path) -> None:
    """An uncompressed NIfTI shorter than its header says: refused with both sizes, before reading."""
    path = write_nifti_raw(tmp_path / "t.nii", (8, 8, 8), data=b"\0" * 100)
    with pytest.raises(ImagingError, match=r"t\.nii: truncated image data: expected 1,024 bytes, found 100"):
        read_study(path)
    path = write_nifti_raw(tmp_path / "t.nii.gz", (8, 8, 8), data=b"\0" * 100)
    with pytest.raises(ImagingError, match=r"t\.nii\.gz: truncated image data: expected 1,024 bytes, found 100"):
        read_study(path)


def test_other_modalities_are_refused(tmp_path: Path) -> None:
    """An MR image is neither a CT nor a radiograph: refused instead of measured as one."""
    path = save_dicom(dicom_dataset(modality="MR"), tmp_path / "mr.dcm")
    with pytest.raises(ImagingError, match="a MR image; expected CT or a radiograph"):
        read_study(path)
