"""The image commands on hostile input: exit 2 with the reason (never a traceback), safe outputs
with --force, a batch that survives any failing study, strict JSON, and compare refusing what
cannot be compared."""

from __future__ import annotations

import csv
import json
import math
import os
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from calcinosis.cli.main import app
from calcinosis.errors import ImagingError

from .builders import dicom_dataset, save_dicom, write_nifti_raw
from .phantoms import limb_phantom
from .test_reading import write_ct_series

runner = CliRunner()


def _strict_json(text: str) -> object:
    def refuse(constant: str) -> object:
        raise AssertionError(f"non-standard JSON constant {constant}")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture(scope="module")
def small_series(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 20-slice limb phantom as a DICOM series (0.5 mm pixels, 1 mm slices)."""
    volume, _ = limb_phantom(shape=(20, 320, 320))
    folder = tmp_path_factory.mktemp("series") / "limb"
    write_ct_series(volume.array, folder, px=0.5, dz=1.0)
    return folder


def _png(path: Path, side: int = 64) -> Path:
    from PIL import Image

    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(900, 1100, size=(side, side)).astype(np.uint16)).save(path)
    return path


# --- exit 2, never a traceback ----------------------------------------------------------------------


@pytest.mark.parametrize("value", ["nan", "inf", "0", "-0.5"])
def test_pixel_spacing_option_not_a_positive_number(tmp_path: Path, value: str) -> None:
    result = runner.invoke(app, ["image", "quantify", str(_png(tmp_path / "r.png")), "--pixel-spacing", value])
    assert result.exit_code == 2, result.output
    assert "--pixel-spacing must be" in result.stderr


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
@pytest.mark.parametrize("command", ["quantify", "compare", "batch"])
def test_threshold_option_not_finite(tmp_path: Path, small_series: Path, value: str, command: str) -> None:
    """--threshold nan used to give 0 deposits without a word; now every command refuses it first."""
    args = {
        "quantify": ["image", "quantify", str(small_series)],
        "compare": ["image", "compare", str(small_series), str(small_series)],
        "batch": ["image", "batch", str(small_series.parent), "--out", str(tmp_path / "out")],
    }[command]
    result = runner.invoke(app, [*args, "--threshold", value])
    assert result.exit_code == 2, result.output
    assert "--threshold (HU) must be a finite number" in result.stderr


def test_broken_inputs_exit_2_with_the_file_named(tmp_path: Path) -> None:
    cases = {
        "empty.dcm": b"",
        "short.dcm": None,
        "zero.nii": None,
    }
    ds = dicom_dataset(rows=32, columns=32)
    ds.PixelData = ds.PixelData[:10]
    save_dicom(ds, tmp_path / "short.dcm")
    (tmp_path / "empty.dcm").write_bytes(b"")
    write_nifti_raw(tmp_path / "zero.nii", (4, 0, 4))
    for name in cases:
        result = runner.invoke(app, ["image", "quantify", str(tmp_path / name)])
        assert result.exit_code == 2, (name, result.output)
        assert result.stderr.startswith(f"error: {tmp_path / name}: ")
        assert "Traceback" not in result.output


# --- outputs ---------------------------------------------------------------------------------------


def test_out_that_is_an_existing_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "out").write_text("not a folder")
    png = _png(tmp_path / "r.png")
    result = runner.invoke(
        app, ["image", "quantify", str(png), "--pixel-spacing", "0.2", "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 2, result.output
    assert "exists and is not a folder" in result.stderr
    assert (tmp_path / "out").read_text() == "not a folder"


@pytest.mark.skipif(not Path("/proc/1").is_dir(), reason="needs Linux's /proc")
def test_out_that_is_a_read_only_folder_is_refused(tmp_path: Path) -> None:
    """A folder the user cannot write in is refused before anything is measured. Root writes in
    any folder whose mode says read-only, so as root (CI) the folder is one the kernel keeps
    read-only for everyone: a process's folder in /proc."""
    as_root = os.geteuid() == 0
    out = Path("/proc/1") if as_root else tmp_path / "ro"
    if not as_root:
        out.mkdir()
        out.chmod(0o555)
    try:
        png = _png(tmp_path / "r.png")
        result = runner.invoke(app, ["image", "quantify", str(png), "--pixel-spacing", "0.2", "--out", str(out)])
        assert result.exit_code == 2, result.output
        assert "not writable" in result.stderr
    finally:
        if not as_root:
            out.chmod(0o755)


def test_quantify_refuses_to_replace_results_without_force(tmp_path: Path) -> None:
    png = _png(tmp_path / "r.png")
    args = ["image", "quantify", str(png), "--pixel-spacing", "0.2", "--out", str(tmp_path / "out")]
    assert runner.invoke(app, args).exit_code == 0
    (tmp_path / "out" / "result.json").write_text("kept")
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and "already exists" in result.stderr and "--force" in result.stderr
    assert (tmp_path / "out" / "result.json").read_text() == "kept"
    result = runner.invoke(app, [*args, "--force"])
    assert result.exit_code == 0, result.output
    assert _strict_json((tmp_path / "out" / "result.json").read_text())


def test_compare_refuses_to_replace_results_without_force(tmp_path: Path) -> None:
    a, b = _png(tmp_path / "a.png"), _png(tmp_path / "b.png")
    args = ["image", "compare", str(a), str(b), "--pixel-spacing", "0.2", "--out", str(tmp_path / "out")]
    assert runner.invoke(app, args).exit_code == 0
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and "comparison.json: already exists" in result.stderr
    assert runner.invoke(app, [*args, "--force"]).exit_code == 0


# --- batch -------------------------------------------------------------------------------------------


def _rows(out: Path) -> list[dict[str, str]]:
    return list(csv.DictReader((out / "summary.csv").read_text(encoding="utf-8").splitlines()))


def test_batch_reports_any_exception_as_a_row_and_goes_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A study failing with an unexpected error (not an ImagingError) is a row; the next ones are measured."""
    from calcinosis.cli import image as image_cli

    studies = tmp_path / "studies"
    studies.mkdir()
    for name in ("a.nii", "b.nii", "c.nii"):
        write_nifti_raw(studies / name, (8, 32, 32))
    real = image_cli._measure

    def flaky(study: Path, **kwargs: object) -> object:
        if study.name == "b.nii":
            raise RuntimeError("reader crashed")
        return real(study, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(image_cli, "_measure", flaky)
    result = runner.invoke(app, ["image", "batch", str(studies), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    rows = _rows(tmp_path / "out")
    assert [(r["study"], r["status"]) for r in rows] == [("a.nii", "ok"), ("b.nii", "error"), ("c.nii", "ok")]
    assert rows[1]["error"] == "RuntimeError: reader crashed" and rows[1]["output"] == ""
    assert "2 studies measured, 1 failed" in result.stdout


def test_batch_never_swallows_keyboard_interrupt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from calcinosis.cli import image as image_cli

    studies = tmp_path / "studies"
    studies.mkdir()
    for name in ("a.nii", "b.nii"):
        write_nifti_raw(studies / name, (8, 32, 32))
    seen: list[str] = []

    def interrupted(study: Path, **kwargs: object) -> object:
        seen.append(study.name)
        raise KeyboardInterrupt

    monkeypatch.setattr(image_cli, "_measure", interrupted)
    result = runner.invoke(app, ["image", "batch", str(studies), "--out", str(tmp_path / "out")])
    assert result.exit_code != 0
    assert seen == ["a.nii"]
    assert not (tmp_path / "out" / "summary.csv").exists()


def test_batch_output_names_never_collide(tmp_path: Path) -> None:
    """scan/, scan.nii and scan.nii.gz used to all write scan.json; each now has its own file, named in summary.csv."""
    import nibabel as nib

    studies = tmp_path / "studies"
    rng = np.random.default_rng(2)
    hu = rng.integers(-1000, 1500, size=(4, 32, 32)).astype(np.int16)
    write_ct_series(hu, studies / "scan")
    for name, k in (("scan.nii", 1), ("scan.nii.gz", 2)):
        data = np.transpose(hu + k, (2, 1, 0))
        nib.save(nib.Nifti1Image(data, np.diag([0.7, 0.7, 2.5, 1.0])), studies / name)
    result = runner.invoke(app, ["image", "batch", str(studies), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    rows = _rows(tmp_path / "out")
    assert {r["study"]: r["output"] for r in rows} == {
        "scan": "scan.json",
        "scan.nii": "scan.nii.json",
        "scan.nii.gz": "scan.nii.gz.json",
    }
    sources = {json.loads((tmp_path / "out" / r["output"]).read_text())["source"] for r in rows}
    assert sources == {str(studies / r["study"]) for r in rows}


def test_batch_summary_is_written_when_every_study_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from calcinosis.cli import image as image_cli

    studies = tmp_path / "studies"
    (studies / "empty").mkdir(parents=True)
    (studies / "bad.dcm").write_bytes(b"")
    write_nifti_raw(studies / "zero.nii", (4, 0, 4))
    write_nifti_raw(studies / "crash.nii", (4, 4, 4))
    real = image_cli._measure

    def crash(study: Path, **kwargs: object) -> object:
        if study.name == "crash.nii":
            raise MemoryError
        return real(study, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(image_cli, "_measure", crash)
    result = runner.invoke(app, ["image", "batch", str(studies), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    rows = _rows(tmp_path / "out")
    assert [r["status"] for r in rows] == ["error"] * 4
    by_study = {r["study"]: r["error"] for r in rows}
    assert "empty file" in by_study["bad.dcm"]
    assert by_study["crash.nii"] == "MemoryError"
    assert "dimension of size 0" in by_study["zero.nii"]
    assert "0 studies measured, 4 failed" in result.stdout


def test_batch_refuses_existing_results_without_force(tmp_path: Path) -> None:
    studies = tmp_path / "studies"
    studies.mkdir()
    write_nifti_raw(studies / "a.nii", (4, 32, 32))
    args = ["image", "batch", str(studies), "--out", str(tmp_path / "out")]
    assert runner.invoke(app, args).exit_code == 0
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and "already exists" in result.stderr
    assert runner.invoke(app, [*args, "--force"]).exit_code == 0


def test_batch_out_folder_inside_the_studies_folder_is_not_a_study(tmp_path: Path) -> None:
    studies = tmp_path / "studies"
    studies.mkdir()
    write_nifti_raw(studies / "a.nii", (4, 32, 32))
    out = studies / "results"
    args = ["image", "batch", str(studies), "--out", str(out)]
    assert runner.invoke(app, args).exit_code == 0
    assert runner.invoke(app, [*args, "--force"]).exit_code == 0
    assert [r["study"] for r in _rows(out)] == ["a.nii"]


# --- strict JSON ----------------------------------------------------------------------------------------


def test_results_are_serialised_as_strict_json() -> None:
    from calcinosis.cli.image import _json

    assert _json({"x": 1.5}) == '{\n  "x": 1.5\n}'
    with pytest.raises(ImagingError, match="not finite"):
        _json({"x": math.nan})
    with pytest.raises(ImagingError, match="not finite"):
        _json({"x": [math.inf]})


def test_result_models_refuse_nan() -> None:
    from pydantic import ValidationError

    from calcinosis.imaging.compare import DepositChange

    with pytest.raises(ValidationError):
        DepositChange(
            before_id=1,
            after_id=1,
            before_mm3=1.0,
            after_mm3=math.nan,
            change_mm3=0.0,
            change_percent=None,
            status="matched",
        )


def test_huge_pixel_spacing_never_reaches_the_json(tmp_path: Path) -> None:
    """PixelSpacing 1e300 mm used to give Infinity areas in the JSON; it is refused as implausible."""
    path = save_dicom(
        dicom_dataset(rows=32, columns=32, modality="DX", PixelSpacing=[1e300, 1e300]), tmp_path / "r.dcm"
    )
    result = runner.invoke(app, ["image", "quantify", str(path)])
    assert result.exit_code == 2, result.output
    assert "outside the plausible range" in result.stderr


def test_quantify_output_is_strict_json(tmp_path: Path, small_series: Path) -> None:
    result = runner.invoke(app, ["image", "quantify", str(small_series)])
    assert result.exit_code == 0, result.output
    data = _strict_json(result.stdout)
    assert isinstance(data, dict) and data["deposits"]


# --- compare --------------------------------------------------------------------------------------------


def test_compare_refuses_a_series_against_a_1x1_image(tmp_path: Path, small_series: Path) -> None:
    """Used to report every deposit "vanished, -100 %"."""
    tiny = write_nifti_raw(tmp_path / "tiny.nii", (1, 1, 1))
    result = runner.invoke(app, ["image", "compare", str(small_series), str(tiny)])
    assert result.exit_code == 2, result.output
    assert "degenerate study (1 x 1 x 1 pixels)" in result.stderr


def test_compare_refuses_very_different_fields_of_view(tmp_path: Path, small_series: Path) -> None:
    """The phantom is 160 x 160 mm in plane; a 48 x 48 mm crop cannot be compared with it."""
    import nibabel as nib

    crop = np.full((96, 96, 20), 40, dtype=np.int16)
    nib.save(nib.Nifti1Image(crop, np.diag([0.5, 0.5, 1.0, 1.0])), tmp_path / "crop.nii.gz")
    result = runner.invoke(app, ["image", "compare", str(small_series), str(tmp_path / "crop.nii.gz")])
    assert result.exit_code == 2, result.output
    assert "fields of view differ too much" in result.stderr and "factor 3.33" in result.stderr


def test_compare_refuses_ct_against_radiograph(tmp_path: Path, small_series: Path) -> None:
    result = runner.invoke(
        app, ["image", "compare", str(small_series), str(_png(tmp_path / "r.png")), "--pixel-spacing", "0.2"]
    )
    assert result.exit_code == 2 and "a radiograph cannot be compared with a ct" in result.stderr


def test_compare_results_refuses_degenerate_results_from_the_api() -> None:
    from calcinosis.imaging.compare import compare_results
    from calcinosis.imaging.ct import quantify_ct
    from calcinosis.imaging.volume import Volume

    big, _ = limb_phantom(shape=(20, 320, 320))
    tiny = Volume(array=np.full((1, 1, 1), 40, dtype=np.int16), spacing=(1.0, 1.0, 1.0), source="tiny")
    with pytest.raises(ImagingError, match="degenerate study"):
        compare_results(quantify_ct(big), quantify_ct(tiny))


def test_compare_refuses_a_study_without_a_body(tmp_path: Path) -> None:
    """Nothing above -300 HU: no body to align on, so no shift can be computed."""
    import nibabel as nib

    for name in ("a", "b"):
        nib.save(nib.Nifti1Image(np.full((64, 64, 8), -1000, dtype=np.int16), np.eye(4)), tmp_path / f"{name}.nii")
    result = runner.invoke(app, ["image", "compare", str(tmp_path / "a.nii"), str(tmp_path / "b.nii")])
    assert result.exit_code == 2 and "no body found" in result.stderr
