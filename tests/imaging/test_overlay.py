"""Overlays a clinician can check: at least 1024 px, a scale bar drawn from the real spacing, the
orientation letters of the study (or "orientation unknown"), a legend of every deposit, a title."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from calcinosis.imaging.io import read_study
from calcinosis.imaging.measure import measure_volume
from calcinosis.imaging.overlay import (
    MIN_LONG_SIDE,
    Overlay,
    deposit_colour,
    direction_letters,
    legend_entries,
    render_overlays,
    scale_bar_length,
    write_overlays,
)

from .builders import dicom_dataset, save_dicom
from .dicom_series import nodules, write_patient_series


def _overlays(study: Path, **read: float) -> tuple[list[Overlay], object]:
    volume = read_study(study, **read)
    result, masks = measure_volume(volume, threshold=130.0)
    return render_overlays(volume, result, masks), result


def _where(overlay: Overlay, colour: tuple[int, int, int]) -> tuple[float, float]:
    """Mean (x, y) of the pixels of ``colour`` in the projection, as fractions of its width and height."""
    x0, y0, x1, y1 = overlay.picture_box
    picture = np.asarray(overlay.image)[y0:y1, x0:x1]
    ys, xs = np.nonzero((picture == colour).all(axis=-1))
    assert len(xs), f"no pixel of colour {colour}"
    return float(xs.mean()) / (x1 - x0), float(ys.mean()) / (y1 - y0)


@pytest.mark.parametrize(("px", "dz"), [(0.5, 1.0), (0.7, 2.5)])
def test_small_study_enlarged_with_square_pixels_and_a_true_scale_bar(tmp_path: Path, px: float, dz: float) -> None:
    """64 x 64 slices become at least 1024 px; the bar is a round length whose pixels match the spacing, drawn in the PNG."""
    write_patient_series(nodules(), tmp_path / "s", px=px, dz=dz)
    overlays, _ = _overlays(tmp_path / "s")
    assert [o.name for o in overlays] == ["axial", "coronal"]
    for overlay in overlays:
        assert max(overlay.image.size) >= MIN_LONG_SIDE
        x0, y0, x1, y1 = overlay.picture_box
        width, height = x1 - x0, y1 - y0
        rows, row_mm = (64, px) if overlay.name == "axial" else (8, dz)
        factor = width // 64
        assert width == 64 * factor and max(width, height) >= MIN_LONG_SIDE  # a whole enlargement factor
        assert height == round(rows * row_mm / px * factor)  # square pixels: rows stretched to the physical aspect
        bar = overlay.scale_bar
        assert bar.mm_per_px == pytest.approx(64 * px / width)
        assert bar.length_px == round(bar.length_mm / bar.mm_per_px)
        mantissa = bar.length_mm / 10 ** math.floor(math.log10(bar.length_mm))
        assert round(mantissa, 6) in (1.0, 2.0, 5.0)
        width_mm = 64 * px
        assert bar.length_mm <= width_mm / 4 < 2.5 * bar.length_mm  # the largest round length in a quarter width
        png = np.asarray(overlay.image)
        middle = bar.y0 + bar.thickness // 2
        assert (png[middle, bar.x0 : bar.x0 + bar.length_px] == 255).all()
        assert not (png[middle, bar.x0 + bar.length_px + 1] == 255).all()
        assert not (png[middle, bar.x0 - 1] == 255).all()


def test_overlay_files_are_large_pngs(tmp_path: Path) -> None:
    """write_overlays writes the rendered images as PNG files of at least 1024 px on the long side."""
    from PIL import Image

    write_patient_series(nodules(), tmp_path / "s")
    volume = read_study(tmp_path / "s")
    result, masks = measure_volume(volume, threshold=130.0)
    for path in write_overlays(volume, result, masks, tmp_path / "out"):
        with Image.open(path) as im:
            assert im.format == "PNG" and max(im.size) >= MIN_LONG_SIDE


def test_legend_lists_every_deposit_with_its_volume(tmp_path: Path) -> None:
    """One legend entry per deposit, in order, with the volume of the result; the title names study, slices, threshold."""
    centres = tuple((4, 8 + 12 * k, 10 + 11 * k, 1.5 + 0.5 * k) for k in range(5))
    write_patient_series(nodules((8, 72, 72), centres), tmp_path / "study")
    overlays, result = _overlays(tmp_path / "study")
    deposits = result.deposits  # type: ignore[attr-defined]
    assert len(deposits) == 5
    for overlay in overlays:
        assert overlay.legend == [f"{d.id}: {d.volume_mm3:.2f} mm³" for d in deposits]
        assert [int(e.split(":")[0]) for e in overlay.legend] == [1, 2, 3, 4, 5]
        assert "study" in overlay.title[0] and "8 slices" in overlay.title[0]
        assert overlay.title[1].startswith("threshold 130 HU · 5 deposits")
        for d in deposits:  # each deposit's colour is on the projection and on its legend swatch
            _where(overlay, deposit_colour(d.id))
    assert legend_entries(result) == overlays[0].legend  # type: ignore[arg-type]


def test_dicom_axial_letters_and_display(tmp_path: Path) -> None:
    """Axial DICOM: R left, A top; coronal S top. A nodule at high x (patient's left) and high z (head) shows right and up."""
    write_patient_series(nodules((12, 64, 64), ((9, 32, 52, 4.0),)), tmp_path / "s")
    axial, coronal = _overlays(tmp_path / "s")[0]
    assert axial.letters == {"left": "R", "right": "L", "top": "A", "bottom": "P"}
    assert coronal.letters == {"left": "R", "right": "L", "top": "S", "bottom": "I"}
    assert "axial MIP" in axial.title[0] and "coronal MIP" in coronal.title[0]
    x, _ = _where(axial, deposit_colour(1))
    assert x > 0.7
    x, y = _where(coronal, deposit_colour(1))
    assert x > 0.7 and y < 0.4  # superior is up: the slice axis was flipped for display


def test_nifti_ras_shown_radiologically(tmp_path: Path) -> None:
    """A RAS NIfTI (x towards the patient's right) is flipped so that the patient's right is on the left."""
    import nibabel as nib

    hu = nodules((12, 64, 64), ((6, 32, 52, 4.0),))  # high x index: the patient's right in RAS
    nib.save(nib.Nifti1Image(np.transpose(hu, (2, 1, 0)), np.diag([0.5, 0.5, 1.0, 1.0])), tmp_path / "ct.nii.gz")
    axial, _ = _overlays(tmp_path / "ct.nii.gz")[0]
    assert axial.letters == {"left": "R", "right": "L", "top": "A", "bottom": "P"}
    x, _ = _where(axial, deposit_colour(1))
    assert x < 0.3


def test_orientation_unknown_is_said_not_guessed(tmp_path: Path) -> None:
    """A CT file without ImageOrientationPatient: no letters, no flip, and the title says the orientation is unknown."""
    hu = nodules((1, 64, 64), ((0, 32, 52, 5.0),))
    study = save_dicom(dicom_dataset(rows=64, columns=64, pixels=hu[0]), tmp_path / "ct.dcm")
    axial, coronal = _overlays(study)[0]
    assert axial.letters is None and coronal.letters is None
    assert "orientation unknown" in axial.title[0] and "orientation unknown" in coronal.title[0]
    x, _ = _where(axial, deposit_colour(1))
    assert x > 0.7  # as stored


def test_radiograph_letters_from_patient_orientation(tmp_path: Path) -> None:
    """A DX radiograph's PatientOrientation (L, F) gives L right, F bottom; a PNG has none; areas in mm²."""
    from PIL import Image

    from .test_radiograph import radiograph_phantom

    volume, _ = radiograph_phantom(1)
    pixels = volume.array[0].astype(np.uint16)
    ds = dicom_dataset(
        rows=600, columns=400, modality="DX", pixels=pixels, PixelSpacing=[0.2, 0.2], PatientOrientation=["L", "F"]
    )
    (overlay,), result = _overlays(save_dicom(ds, tmp_path / "rg.dcm"))
    assert overlay.letters == {"left": "R", "right": "L", "top": "H", "bottom": "F"}
    assert overlay.legend[0] == f"1: {result.deposits[0].volume_mm3:.2f} mm²"  # type: ignore[attr-defined]
    assert overlay.scale_bar.mm_per_px == pytest.approx(0.2 * 400 / (overlay.picture_box[2] - overlay.picture_box[0]))
    Image.fromarray(pixels).save(tmp_path / "rg.png")
    (overlay,), _ = _overlays(tmp_path / "rg.png", pixel_spacing_mm=0.2)
    assert overlay.letters is None and max(overlay.image.size) >= MIN_LONG_SIDE


@pytest.mark.parametrize(
    ("width", "mm_per_px", "length_mm", "length_px"),
    [(1000, 0.1, 20.0, 200), (1024, 0.03125, 5.0, 160), (500, 2.0, 200.0, 100), (1280, 0.0004, 0.1, 250)],
)
def test_scale_bar_length(width: int, mm_per_px: float, length_mm: float, length_px: int) -> None:
    """The longest 1, 2 or 5 x 10^k mm within a quarter of the width, and its pixels."""
    assert scale_bar_length(width, mm_per_px) == (pytest.approx(length_mm), length_px)


def test_direction_letters() -> None:
    """RAS+ directions to letters, strongest component first; an oblique axis gets two."""
    assert direction_letters([1, 0, 0]) == "R" and direction_letters([-1, 0, 0]) == "L"
    assert direction_letters([0, 0, -1]) == "I" and direction_letters([0, 1, 0]) == "A"
    assert direction_letters([-0.8, -0.6, 0.0]) == "LP"
    assert direction_letters([0.05, 0.0, 1.0]) == "S"
