"""Measurements feed the case: ``image quantify STUDY --case CASE -o CASE2`` writes the imaging entry
with its provenance, replaces an entry of the same study, never overwrites the input, and the
diagnosis names the measured study as the basis of the entry's items."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import yaml
from typer.testing import CliRunner

from calcinosis import __version__
from calcinosis.cli.main import app
from calcinosis.imaging.radiograph import quantify_radiograph
from calcinosis.imaging.to_case import case_with_measurement

from ..conftest import SHARED
from .builders import dicom_dataset, save_dicom
from .phantoms import limb_phantom
from .test_hand_phantom import PX, hand_phantom

CASES = SHARED / "cases"
CREST = CASES / "dev-003-crest-fingertips.yaml"
JDM = CASES / "dev-001-jdm-legs.yaml"


def _png(tmp_path: Path) -> Path:
    from PIL import Image

    volume, _ = hand_phantom()
    path = tmp_path / "hand.png"
    Image.fromarray(np.clip(volume.array[0], 0, 65535).astype(np.uint16)).save(path)
    return path


def _run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, ["image", "quantify", *args])


def test_hand_radiograph_into_a_dev_case(tmp_path: Path) -> None:
    """The entry is added after the clinician's, from the regions, with provenance; the input is untouched."""
    png = _png(tmp_path)
    before = CREST.read_bytes()
    out = tmp_path / "case2.yaml"
    result = _run(str(png), "--pixel-spacing", str(PX), "--case", str(CREST), "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert CREST.read_bytes() == before
    case = yaml.safe_load(out.read_text())
    assert len(case["imaging"]) == 2
    assert case["imaging"][0] == yaml.safe_load(before)["imaging"][0]  # the clinician's entry is kept
    entry = case["imaging"][1]
    assert entry["modality"] == "radiograph"
    assert entry["sites"] == ["fingertips", "hand", "wrist"]
    assert entry["patterns"] == ["nodular"]
    assert entry["distribution"] == "regional"  # the hand and the wrist: two areas of one limb
    assert abs(entry["size_cm"] - 0.62) < 0.03  # the 3 mm-radius deposits
    assert "tissues" not in entry
    assert entry["measured"]["study"] == str(png) and "date" not in entry["measured"]
    assert entry["measured"]["method"].startswith(f"calcinosis image quantify {__version__}: radiograph")
    assert "PA hand regions" in entry["measured"]["method"]
    assert "imaging[1] added" in result.stderr

    # measured again onto the new case: the entry of that study is replaced, not duplicated
    out3 = tmp_path / "case3.yaml"
    again = _run(str(png), "--pixel-spacing", str(PX), "--case", str(out), "-o", str(out3))
    assert again.exit_code == 0, again.stderr
    assert len(yaml.safe_load(out3.read_text())["imaging"]) == 2
    assert "imaging[1] replaced" in again.stderr

    diagnosis = CliRunner().invoke(app, ["diagnose", str(out3), "--json"])
    assert diagnosis.exit_code == 0, diagnosis.stderr
    text = json.dumps(json.loads(diagnosis.stdout), ensure_ascii=False)
    assert f"imaging[1].patterns[0] nodular (measured on {png})" in text
    french = CliRunner().invoke(app, ["diagnose", str(out3), "--json", "--lang", "fr"])
    assert f"(mesuré sur {png})" in french.stdout


def test_ct_into_a_dev_case(tmp_path: Path) -> None:
    """A CT (NIfTI) measured into dev-001: modality ct, the measured patterns and size, the CT rule."""
    import nibabel as nib

    volume, _ = limb_phantom()
    path = tmp_path / "limb.nii.gz"
    affine = np.diag([volume.spacing[2], volume.spacing[1], volume.spacing[0], 1.0])
    nib.save(nib.Nifti1Image(np.transpose(volume.array, (2, 1, 0)), affine), path)
    out = tmp_path / "jdm2.yaml"
    result = _run(str(path), "--case", str(JDM), "-o", str(out))
    assert result.exit_code == 0, result.stderr
    measured = json.loads(result.stdout)
    case = yaml.safe_load(out.read_text())
    entry = case["imaging"][-1]
    assert entry["modality"] == "ct"
    assert entry["patterns"] == measured["patterns"] and "sheet" in entry["patterns"]
    assert entry["size_cm"] == measured["case_imaging"]["size_cm"]
    assert "sites" not in entry  # a CT measurement names no anatomy
    assert (
        entry["measured"]["method"]
        == f"calcinosis image quantify {__version__}: CT, calcium threshold 130 HU, bone components removed"
    )
    diagnosis = CliRunner().invoke(app, ["diagnose", str(out), "--json"])
    assert f"(measured on {path})" in diagnosis.stdout


def test_dicom_study_date(tmp_path: Path) -> None:
    """A DICOM radiograph's StudyDate becomes the entry's ISO date; a StudyDate that is no date is said, not kept."""
    volume, _ = hand_phantom()
    pixels = np.clip(volume.array[0], 0, 65535).astype(np.uint16)
    for value, expected in (("20240315", "2024-03-15"), ("20241345", None)):
        ds = dicom_dataset(rows=pixels.shape[0], columns=pixels.shape[1], modality="DX", pixels=pixels,
                           PixelSpacing=[PX, PX], StudyDate=value)  # fmt: skip
        path = save_dicom(ds, tmp_path / f"{value}.dcm")
        out = tmp_path / f"{value}.yaml"
        result = _run(str(path), "--case", str(CREST), "-o", str(out))
        assert result.exit_code == 0, result.stderr
        measured = yaml.safe_load(out.read_text())["imaging"][-1]["measured"]
        assert measured.get("date") == expected
        if expected is None:
            assert "StudyDate '20241345' is not a date" in result.stderr


def test_refusals(tmp_path: Path) -> None:
    """--case without -o, -o without --case, -o onto the case, an existing -o without --force: refused before measuring."""
    png = _png(tmp_path)
    spacing = ["--pixel-spacing", str(PX)]
    r = _run(str(png), *spacing, "--case", str(CREST))
    assert r.exit_code == 2 and "--case needs -o/--output" in r.stderr
    r = _run(str(png), *spacing, "-o", str(tmp_path / "x.yaml"))
    assert r.exit_code == 2 and "give the case to update with --case" in r.stderr
    copy = tmp_path / "case.yaml"
    copy.write_bytes(CREST.read_bytes())
    r = _run(str(png), *spacing, "--case", str(copy), "-o", str(copy), "--force")
    assert r.exit_code == 2 and copy.read_bytes() == CREST.read_bytes()
    existing = tmp_path / "exists.yaml"
    existing.write_text("keep me")
    r = _run(str(png), *spacing, "--case", str(CREST), "-o", str(existing))
    assert r.exit_code == 2 and existing.read_text() == "keep me"
    r = _run(str(png), *spacing, "--case", str(CREST), "-o", str(existing), "--force")
    assert r.exit_code == 0 and yaml.safe_load(existing.read_text())["imaging"][-1]["measured"]["study"] == str(png)
    r = _run(str(png), *spacing, "--case", str(CREST), "-o", str(tmp_path / "fr.yaml"), "--lang", "fr")
    assert "cas écrit\u00a0:" in r.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("patient: {age: 40, sex: female}\nimaging: [{modality: xray_film}]\n")
    r = _run(str(png), *spacing, "--case", str(bad), "-o", str(tmp_path / "never.yaml"))
    assert r.exit_code == 2 and "imaging[0].modality" in r.stderr and not (tmp_path / "never.yaml").exists()


def test_python_api_replaces_the_same_study() -> None:
    """case_with_measurement: added when new, replaced in place for the same study, other entries kept."""
    from calcinosis.case.reader import read_case
    from calcinosis.kb.loader import load_kb

    case = read_case(CREST, load_kb())
    result = quantify_radiograph(hand_phantom()[0], hand=True)
    first, i, replaced = case_with_measurement(case, result, study="visit1.dcm", date="2024-03-15")
    assert (i, replaced) == (1, False)
    second, j, replaced = case_with_measurement(first, result, study="visit2.dcm", date=None)
    assert (j, replaced, len(second.imaging)) == (2, False, 3)
    third, k, replaced = case_with_measurement(second, result, study="visit1.dcm", date="2024-03-16")
    assert (k, replaced, len(third.imaging)) == (1, True, 3)
    assert third.imaging[1].measured is not None and third.imaging[1].measured.date == "2024-03-16"
    assert third.imaging[0] == case.imaging[0]
