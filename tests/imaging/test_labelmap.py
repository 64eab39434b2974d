"""`--labels`: a label map (voxel value = deposit number) on the study's own grid, read back with nibabel
(NIfTI) or Pillow (radiograph PNG) and compared with the calcium voxels and the measured deposits."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from calcinosis.cli.main import app
from calcinosis.errors import ImagingError
from calcinosis.imaging import labelmap
from calcinosis.imaging.io import read_study
from calcinosis.imaging.measure import measure_volume

from .dicom_series import nodules, write_patient_series

runner = CliRunner()

# (affine, qform_code, sform_code) of NIfTI inputs: RAS, LPS (DICOM-like), axes swapped, and no orientation at all
_AFFINES = {
    "ras": (np.array([[0.5, 0, 0, -16], [0, 0.5, 0, 20], [0, 0, 1.0, -3], [0, 0, 0, 1]]), 0, 2),
    "lps": (np.array([[-0.5, 0, 0, 16], [0, -0.5, 0, 20], [0, 0, 1.0, -3], [0, 0, 0, 1]]), 1, 1),
    "swapped": (np.array([[0, -0.5, 0, 10], [0.5, 0, 0, -20], [0, 0, 1.0, 5], [0, 0, 0, 1]]), 1, 0),
    "unknown": (np.diag([0.5, 0.5, 1.0, 1.0]), 0, 0),
}


def _expected(study: Path, **read: float) -> tuple[np.ndarray, list[dict[str, object]]]:
    """The measured deposits' voxels numbered by deposit, in the (z, y, x) order of the volume read."""
    volume = read_study(study, **read)
    result, masks = measure_volume(volume, threshold=130.0)
    out = np.zeros(volume.array.shape, dtype=np.int32)
    for deposit, (box, part) in zip(result.deposits, masks, strict=True):
        out[box][part] = deposit.id
    return out, [d.model_dump() for d in result.deposits]


@pytest.mark.parametrize("name", sorted(_AFFINES))
def test_nifti_label_map_is_on_the_input_grid(tmp_path: Path, name: str) -> None:
    """Same shape, affine and codes as the input; the labelled voxels are exactly the calcium voxels, numbered as the result."""
    import nibabel as nib

    affine, qform_code, sform_code = _AFFINES[name]
    data = np.ascontiguousarray(np.transpose(nodules(), (2, 1, 0)))  # file order (i, j, k)
    header = nib.Nifti1Header()
    header.set_data_shape(data.shape)
    header.set_data_dtype(data.dtype)
    header.set_qform(affine, code=qform_code)
    header.set_sform(affine, code=sform_code)
    nib.save(nib.Nifti1Image(data, None, header=header), tmp_path / "ct.nii.gz")  # no image affine: codes kept
    source = nib.load(tmp_path / "ct.nii.gz")
    assert (int(source.header["qform_code"]), int(source.header["sform_code"])) == (qform_code, sform_code)
    result = runner.invoke(
        app, ["image", "quantify", str(tmp_path / "ct.nii.gz"), "--labels", str(tmp_path / "labels.nii.gz")]
    )
    assert result.exit_code == 0, result.stderr
    deposits = json.loads(result.stdout)["deposits"]
    assert len(deposits) == 2
    labels = nib.load(tmp_path / "labels.nii.gz")
    values = np.asarray(labels.dataobj)
    assert values.dtype == np.uint16 and values.shape == data.shape
    np.testing.assert_allclose(labels.affine, source.affine, atol=1e-6)
    assert (int(labels.header["qform_code"]), int(labels.header["sform_code"])) == (qform_code, sform_code)
    np.testing.assert_array_equal(values > 0, data >= 130)
    for deposit in deposits:
        assert int(np.count_nonzero(values == deposit["id"])) == deposit["voxels"]
    assert values[44, 20, 3] == 1 and values[16, 44, 5] == 2  # the larger nodule is deposit 1


def test_dicom_series_label_map_has_the_scanner_affine(tmp_path: Path) -> None:
    """A coronal series away from the origin: each voxel's RAS position is its DICOM position; labels equal the deposits."""
    import nibabel as nib

    hu = nodules()
    orientation = (1.0, 0.0, 0.0, 0.0, 0.0, -1.0)  # rows along L, columns towards the feet: slices stack posteriorly
    info = write_patient_series(hu, tmp_path / "series", px=0.5, dz=1.0, orientation=orientation)
    result = runner.invoke(app, ["image", "quantify", str(tmp_path / "series"), "--labels", str(tmp_path / "l.nii")])
    assert result.exit_code == 0, result.stderr
    labels = nib.load(tmp_path / "l.nii")
    assert (int(labels.header["qform_code"]), int(labels.header["sform_code"])) == (1, 1)
    row, col = np.array(orientation[:3]), np.array(orientation[3:])
    for i, j, k in [(0, 0, 0), (63, 0, 0), (0, 63, 0), (5, 17, 7), (63, 63, 7)]:
        lps = np.array(info.positions[k]) + i * 0.5 * row + j * 0.5 * col
        ras = labels.affine @ [i, j, k, 1]
        np.testing.assert_allclose(ras[:3], lps * [-1, -1, 1], atol=1e-4)
    expected, _ = _expected(tmp_path / "series")
    np.testing.assert_array_equal(np.transpose(np.asarray(labels.dataobj), (2, 1, 0)), expected)
    np.testing.assert_array_equal(expected > 0, hu >= 130)


def test_radiograph_label_png(tmp_path: Path) -> None:
    """A radiograph's label map as a 16-bit PNG of its size; each deposit's pixels hold its number."""
    from PIL import Image

    from .test_radiograph import radiograph_phantom

    volume, _ = radiograph_phantom(1)
    Image.fromarray(volume.array[0].astype(np.uint16)).save(tmp_path / "rg.png")
    args = ["image", "quantify", str(tmp_path / "rg.png"), "--pixel-spacing", "0.2"]
    result = runner.invoke(app, [*args, "--labels", str(tmp_path / "labels.png")])
    assert result.exit_code == 0, result.stderr
    with Image.open(tmp_path / "labels.png") as im:
        assert im.mode.startswith("I") and im.size == (400, 600)
        values = np.asarray(im)
    expected, deposits = _expected(tmp_path / "rg.png", pixel_spacing_mm=0.2)
    assert len(deposits) == 4
    np.testing.assert_array_equal(values, expected[0])


def test_label_map_refusals(tmp_path: Path) -> None:
    """A PNG for a CT, an unknown suffix and an existing file without --force exit 2 with the reason."""
    from .test_reading import write_ct_series

    write_ct_series(nodules(), tmp_path / "series", px=0.5, dz=1.0)
    study = str(tmp_path / "series")
    result = runner.invoke(app, ["image", "quantify", study, "--labels", str(tmp_path / "l.png")])
    assert result.exit_code == 2 and "a CT label map is 3-D" in result.stderr
    result = runner.invoke(app, ["image", "quantify", str(tmp_path / "missing"), "--labels", str(tmp_path / "l.mha")])
    assert result.exit_code == 2 and "--labels must end with .nii.gz or .nii" in result.stderr  # before reading
    (tmp_path / "l.nii.gz").write_bytes(b"old")
    result = runner.invoke(app, ["image", "quantify", study, "--labels", str(tmp_path / "l.nii.gz")])
    assert result.exit_code == 2 and "already exists; pass --force" in result.stderr
    assert (tmp_path / "l.nii.gz").read_bytes() == b"old"


def test_label_map_input_is_never_overwritten(tmp_path: Path) -> None:
    """--labels naming the NIfTI input is refused even with --force."""
    import nibabel as nib

    nib.save(nib.Nifti1Image(np.transpose(nodules(), (2, 1, 0)), np.eye(4)), tmp_path / "ct.nii.gz")
    before = (tmp_path / "ct.nii.gz").read_bytes()
    result = runner.invoke(
        app, ["image", "quantify", str(tmp_path / "ct.nii.gz"), "--labels", str(tmp_path / "ct.nii.gz"), "--force"]
    )
    assert result.exit_code == 2 and "is an input of this command" in result.stderr
    assert (tmp_path / "ct.nii.gz").read_bytes() == before


def test_too_many_deposits_for_a_label_map(monkeypatch: pytest.MonkeyPatch) -> None:
    """More deposits than the label type can number is an error, not a wrapped-around label."""
    from calcinosis.imaging.volume import Volume

    volume = Volume(array=nodules(), spacing=(1.0, 0.5, 0.5), source="two")
    result, masks = measure_volume(volume, threshold=130.0)
    monkeypatch.setattr(labelmap, "MAX_LABEL", 1)
    with pytest.raises(ImagingError, match="2 deposits is more than a 16-bit label map can number"):
        labelmap.label_volume(volume.array.shape, result, masks)
