"""`calcinosis image quantify`: JSON result, overlays a person can look at, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from calcinosis.cli.main import app

from .phantoms import limb_phantom
from .test_reading import write_ct_series

runner = CliRunner()


def test_quantify_series_writes_result_and_overlays(tmp_path: Path) -> None:
    """A DICOM phantom series: 12 deposits, 2 bones, result.json and two PNG MIPs."""
    volume, _ = limb_phantom()
    write_ct_series(volume.array, tmp_path / "series", px=0.5, dz=1.0)
    result = runner.invoke(app, ["image", "quantify", str(tmp_path / "series"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert len(data["deposits"]) == 12 and data["bone_components"] == 2
    assert data["case_imaging"]["distribution"] == "multiple_localized"
    assert "clinician must check" in data["disclaimer"]
    assert json.loads((tmp_path / "out" / "result.json").read_text()) == data
    pngs = sorted((tmp_path / "out").glob("*.png"))
    assert [p.name for p in pngs] == ["series-axial.png", "series-coronal.png"]
    assert all(p.read_bytes()[:4] == b"\x89PNG" for p in pngs)


def test_quantify_errors(tmp_path: Path) -> None:
    """A missing study and an empty folder exit 2 with the reason."""
    result = runner.invoke(app, ["image", "quantify", str(tmp_path / "none")])
    assert result.exit_code == 2 and "no such file" in result.stderr
    (tmp_path / "empty").mkdir()
    result = runner.invoke(app, ["image", "quantify", str(tmp_path / "empty")])
    assert result.exit_code == 2 and "no DICOM image" in result.stderr


def test_batch_measures_each_study_and_reports_failures(tmp_path: Path) -> None:
    """Two good studies and one broken folder: two JSON files and a summary with the failure."""
    import csv

    volume, _ = limb_phantom(shape=(20, 320, 320))
    write_ct_series(volume.array, tmp_path / "studies" / "p1", px=0.5, dz=1.0)
    write_ct_series(volume.array[:10], tmp_path / "studies" / "p2", px=0.5, dz=1.0)
    (tmp_path / "studies" / "broken").mkdir()
    result = runner.invoke(app, ["image", "batch", str(tmp_path / "studies"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.stderr
    assert "2 studies measured, 1 failed" in result.stdout
    rows = list(csv.DictReader((tmp_path / "out" / "summary.csv").read_text().splitlines()))
    assert [r["status"] for r in rows] == ["error", "ok", "ok"]
    assert "no DICOM image" in rows[0]["error"]
    assert (tmp_path / "out" / "p1.json").is_file()


def test_bone_mask_option(tmp_path: Path) -> None:
    """A user bone mask (NIfTI, same grid) marks the skeleton; a wrong-shaped mask is refused."""
    import nibabel as nib
    import numpy as np

    volume, truth = limb_phantom(shape=(30, 320, 320))
    write_ct_series(volume.array, tmp_path / "series", px=0.5, dz=1.0)
    assert truth.bone is not None
    mask = np.transpose(truth.bone, (2, 1, 0)).astype(np.uint8)
    nib.save(nib.Nifti1Image(mask, np.diag([0.5, 0.5, 1.0, 1.0])), tmp_path / "bone.nii.gz")
    result = runner.invoke(
        app, ["image", "quantify", str(tmp_path / "series"), "--bone-mask", str(tmp_path / "bone.nii.gz")]
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["bone_components"] == 2
    nib.save(nib.Nifti1Image(mask[:, :, :10], np.eye(4)), tmp_path / "small.nii.gz")
    result = runner.invoke(
        app, ["image", "quantify", str(tmp_path / "series"), "--bone-mask", str(tmp_path / "small.nii.gz")]
    )
    assert result.exit_code == 2 and "differs from the study" in result.stderr
