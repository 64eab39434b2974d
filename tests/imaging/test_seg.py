"""`--seg`: the deposits as a DICOM Segmentation that references the source series, read back with
highdicom and with pydicom alone and compared voxel by voxel with the measured deposits."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from calcinosis.cli.main import app
from calcinosis.imaging import seg as seg_module
from calcinosis.imaging.io import read_study
from calcinosis.imaging.measure import measure_volume
from calcinosis.imaging.overlay import deposit_colour

from .builders import dicom_dataset, save_dicom
from .dicom_series import SeriesInfo, nodules, write_patient_series
from .phantoms import limb_phantom
from .test_reading import write_ct_series

runner = CliRunner()


def _expected_labels(study: Path, threshold: float = 130.0) -> tuple[np.ndarray, Any]:
    """The measured deposits' voxels numbered by deposit, built here from the masks the measurement returns."""
    volume = read_study(study)
    result, masks = measure_volume(volume, threshold=threshold)
    expected = np.zeros(volume.array.shape, dtype=np.int32)
    for deposit, (box, part) in zip(result.deposits, masks, strict=True):
        region = expected[box]
        assert not region[part].any(), "deposits overlap"
        region[part] = deposit.id
    return expected, result


def _pydicom_labels(path: Path, sop_uids: list[str], shape: tuple[int, int, int]) -> np.ndarray:
    """Decode a BINARY SEG with pydicom alone: each frame's source image and segment number place it."""
    import pydicom

    ds = pydicom.dcmread(path)
    frames = ds.pixel_array.reshape(int(ds.NumberOfFrames), int(ds.Rows), int(ds.Columns))
    out = np.zeros(shape, dtype=np.int32)
    for frame, item in zip(frames, ds.PerFrameFunctionalGroupsSequence, strict=True):
        source = item.DerivationImageSequence[0].SourceImageSequence[0].ReferencedSOPInstanceUID
        number = int(item.SegmentIdentificationSequence[0].ReferencedSegmentNumber)
        k = sop_uids.index(source)
        assert not (out[k][frame > 0]).any(), "a voxel in two segments"
        out[k][frame > 0] = number
    return out


@pytest.fixture(scope="module")
def limb_seg(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SeriesInfo, Path, dict[str, Any]]:
    """A 20-slice limb phantom written as a scanner's series, quantified with --seg."""
    root = tmp_path_factory.mktemp("seg")
    volume, _ = limb_phantom(shape=(20, 320, 320))
    info = write_patient_series(volume.array, root / "series", px=0.5, dz=1.0)
    result = runner.invoke(app, ["image", "quantify", str(root / "series"), "--seg", str(root / "deposits.dcm")])
    assert result.exit_code == 0, result.stderr
    assert "DICOM SEG:" in result.stderr
    return root / "series", info, root / "deposits.dcm", json.loads(result.stdout)


def test_seg_read_back_with_highdicom_equals_the_deposits(
    limb_seg: tuple[Path, SeriesInfo, Path, dict[str, Any]],
) -> None:
    """highdicom reads the SEG; its label volume over the source slices equals the measured deposits voxel by voxel."""
    import highdicom as hd

    series, info, path, data = limb_seg
    expected, result = _expected_labels(series)
    assert len(result.deposits) == len(data["deposits"]) >= 8
    seg = hd.seg.segread(path)
    assert seg.SegmentationType == "BINARY"
    assert seg.number_of_segments == len(result.deposits)
    pixels = seg.get_pixels_by_source_instance(
        source_sop_instance_uids=info.sop_uids, combine_segments=True, skip_overlap_checks=True
    )
    np.testing.assert_array_equal(pixels, expected)
    for deposit in result.deposits:
        description = seg.get_segment_description(deposit.id)
        assert description.segment_label == f"Deposit {deposit.id}"
        assert int(np.count_nonzero(pixels == deposit.id)) == deposit.voxels


def test_seg_read_back_with_pydicom_references_the_series(
    limb_seg: tuple[Path, SeriesInfo, Path, dict[str, Any]],
) -> None:
    """pydicom alone: same voxels; study, series, frame of reference and patient are the source's; codes and texts."""
    import pydicom

    series, info, path, data = limb_seg
    expected, _ = _expected_labels(series)
    np.testing.assert_array_equal(_pydicom_labels(path, info.sop_uids, expected.shape), expected)
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    assert ds.Modality == "SEG" and ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.66.4"
    assert ds.StudyInstanceUID == info.study_uid
    assert ds.FrameOfReferenceUID == info.frame_of_reference_uid
    assert ds.SeriesInstanceUID != info.series_uid
    assert (ds.PatientID, str(ds.PatientName)) == ("SYNTH-SEG", "Synthetic^Limb")
    (referenced,) = ds.ReferencedSeriesSequence
    assert referenced.SeriesInstanceUID == info.series_uid
    assert {item.ReferencedSOPInstanceUID for item in referenced.ReferencedInstanceSequence} <= set(info.sop_uids)
    segments = ds.SegmentSequence
    assert [item.SegmentLabel for item in segments] == [f"Deposit {d['id']}" for d in data["deposits"]]
    for item, deposit in zip(segments, data["deposits"], strict=True):
        assert item.SegmentDescription.startswith(f"volume {deposit['volume_mm3']:.2f} mm3")
        category, kind = item.SegmentedPropertyCategoryCodeSequence[0], item.SegmentedPropertyTypeCodeSequence[0]
        assert (category.CodingSchemeDesignator, category.CodeValue) == ("SCT", "49755003")
        assert (kind.CodingSchemeDesignator, kind.CodeValue) == ("SCT", "18115005")
        assert item.SegmentAlgorithmType == "AUTOMATIC"


def test_seg_colours_are_the_overlay_colours(limb_seg: tuple[Path, SeriesInfo, Path, dict[str, Any]]) -> None:
    """Each segment's display colour is its deposit's colour on the overlays (within CIELab rounding)."""
    import highdicom as hd
    import pydicom

    _, _, path, _ = limb_seg
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    for item in ds.SegmentSequence:
        rgb = hd.color.CIELabColor.from_dicom_value(tuple(item.RecommendedDisplayCIELabValue)).to_rgb()
        assert np.abs(np.subtract(rgb, deposit_colour(int(item.SegmentNumber)))).max() <= 2


def test_seg_of_a_single_dicom_file(tmp_path: Path) -> None:
    """A single CT file is the SEG's one source image."""
    import highdicom as hd

    hu = nodules((1, 64, 64), ((0, 20, 44, 5.0), (0, 44, 16, 3.0)))
    ds = dicom_dataset(
        rows=64, columns=64, pixels=hu[0], StudyInstanceUID="1.2.826.0.1.3680043.10.1.1", FrameOfReferenceUID="1.2.826.0.1.3680043.10.1.2",
        ImagePositionPatient=[0, 0, 0], ImageOrientationPatient=[1, 0, 0, 0, 1, 0],
    )  # fmt: skip
    study = save_dicom(ds, tmp_path / "ct.dcm")
    result = runner.invoke(app, ["image", "quantify", str(study), "--seg", str(tmp_path / "seg.dcm")])
    assert result.exit_code == 0, result.stderr
    expected, measured = _expected_labels(study)
    assert len(measured.deposits) == 2
    seg = hd.seg.segread(tmp_path / "seg.dcm")
    pixels = seg.get_pixels_by_source_instance(source_sop_instance_uids=[ds.SOPInstanceUID], combine_segments=True)
    np.testing.assert_array_equal(pixels, expected)
    assert "left empty in the SEG" in result.stderr  # the builder's file has no patient module


def test_seg_of_a_dicom_radiograph(tmp_path: Path) -> None:
    """A DX radiograph: one frame per deposit, each referencing the radiograph, holding the deposit's area."""
    import pydicom

    from .test_radiograph import radiograph_phantom

    volume, _ = radiograph_phantom(1)
    pixels = volume.array[0].astype(np.uint16)
    ds = dicom_dataset(
        rows=pixels.shape[0], columns=pixels.shape[1], modality="DX", pixels=pixels, PixelSpacing=[0.2, 0.2],
        PatientOrientation=["L", "F"], StudyInstanceUID="1.2.826.0.1.3680043.10.1.3",
    )  # fmt: skip
    study = save_dicom(ds, tmp_path / "rg.dcm")
    result = runner.invoke(app, ["image", "quantify", str(study), "--seg", str(tmp_path / "seg.dcm")])
    assert result.exit_code == 0, result.stderr
    expected, measured = _expected_labels(study)
    assert len(measured.deposits) == 4
    np.testing.assert_array_equal(_pydicom_labels(tmp_path / "seg.dcm", [ds.SOPInstanceUID], expected.shape), expected)
    seg = pydicom.dcmread(tmp_path / "seg.dcm", stop_before_pixels=True)
    assert seg.SegmentSequence[0].SegmentDescription.startswith(f"area {measured.deposits[0].volume_mm3:.2f} mm2")


def test_more_deposits_than_segments_makes_one_segment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Over MAX_SEG_SEGMENTS deposits the SEG holds one 'Calcified deposits' segment with every deposit voxel."""
    import highdicom as hd

    monkeypatch.setattr(seg_module, "MAX_SEG_SEGMENTS", 1)
    info = write_patient_series(nodules(), tmp_path / "series")
    result = runner.invoke(app, ["image", "quantify", str(tmp_path / "series"), "--seg", str(tmp_path / "seg.dcm")])
    assert result.exit_code == 0, result.stderr
    assert "2 deposits is more than 1 segments" in result.stderr
    expected, _ = _expected_labels(tmp_path / "series")
    seg = hd.seg.segread(tmp_path / "seg.dcm")
    assert seg.number_of_segments == 1 and seg.get_segment_description(1).segment_label == "Calcified deposits"
    pixels = seg.get_pixels_by_source_instance(source_sop_instance_uids=info.sop_uids, combine_segments=True)
    np.testing.assert_array_equal(pixels > 0, expected > 0)


def test_no_deposit_makes_one_empty_segment(tmp_path: Path) -> None:
    """A study without deposits: one empty segment saying none was found at the threshold."""
    import pydicom

    write_patient_series(np.full((4, 32, 32), 40, dtype=np.int16), tmp_path / "series")
    result = runner.invoke(app, ["image", "quantify", str(tmp_path / "series"), "--seg", str(tmp_path / "seg.dcm")])
    assert result.exit_code == 0, result.stderr
    ds = pydicom.dcmread(tmp_path / "seg.dcm")
    assert len(ds.SegmentSequence) == 1
    assert ds.SegmentSequence[0].SegmentDescription == "no deposit found (threshold 130 HU)"
    assert not ds.pixel_array.any()


# --- refusals -----------------------------------------------------------------------------------


def test_seg_refused_for_nifti_with_a_pointer_to_labels(tmp_path: Path) -> None:
    """NIfTI has no DICOM images to reference: exit 2 before measuring, naming --labels; nothing written."""
    import nibabel as nib

    nib.save(nib.Nifti1Image(np.transpose(nodules(), (2, 1, 0)), np.diag([0.5, 0.5, 1.0, 1.0])), tmp_path / "ct.nii.gz")
    result = runner.invoke(app, ["image", "quantify", str(tmp_path / "ct.nii.gz"), "--seg", str(tmp_path / "seg.dcm")])
    assert result.exit_code == 2
    assert "--seg needs a DICOM study" in result.stderr and "--labels deposits.nii.gz" in result.stderr
    assert "Traceback" not in result.output and not (tmp_path / "seg.dcm").exists()


def test_seg_refused_for_png(tmp_path: Path) -> None:
    """A PNG radiograph has no DICOM source either."""
    from PIL import Image

    from .test_radiograph import radiograph_phantom

    volume, _ = radiograph_phantom(1)
    Image.fromarray(volume.array[0].astype(np.uint16)).save(tmp_path / "rg.png")
    result = runner.invoke(
        app, ["image", "quantify", str(tmp_path / "rg.png"), "--pixel-spacing", "0.2", "--seg", str(tmp_path / "s.dcm")]
    )
    assert result.exit_code == 2 and "a PNG has none" in result.stderr


def test_existing_seg_needs_force(tmp_path: Path) -> None:
    """An existing SEG is refused before measuring, and replaced with --force."""
    write_ct_series(nodules(), tmp_path / "series", px=0.5, dz=1.0)
    target = tmp_path / "seg.dcm"
    target.write_bytes(b"keep me")
    args = ["image", "quantify", str(tmp_path / "series"), "--seg", str(target)]
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and "already exists; pass --force" in result.stderr
    assert target.read_bytes() == b"keep me"
    result = runner.invoke(app, [*args, "--force"])
    assert result.exit_code == 0, result.stderr
    assert target.read_bytes()[128:132] == b"DICM"


def test_seg_never_written_over_or_into_the_input(tmp_path: Path) -> None:
    """The input file itself, a path inside the input series folder, and one path for --seg and --labels are refused."""
    ct = save_dicom(
        dicom_dataset(rows=32, columns=32, pixels=nodules((1, 32, 32), ((0, 16, 16, 4.0),))[0]), tmp_path / "ct.dcm"
    )
    before = ct.read_bytes()
    result = runner.invoke(app, ["image", "quantify", str(ct), "--seg", str(ct), "--force"])
    assert result.exit_code == 2 and "is an input of this command" in result.stderr
    assert ct.read_bytes() == before
    write_ct_series(nodules(), tmp_path / "series", px=0.5, dz=1.0)
    result = runner.invoke(
        app, ["image", "quantify", str(tmp_path / "series"), "--seg", str(tmp_path / "series" / "seg.dcm")]
    )
    assert result.exit_code == 2 and "is inside the input folder" in result.stderr
    assert not (tmp_path / "series" / "seg.dcm").exists()
    same = str(tmp_path / "out.nii.gz")
    result = runner.invoke(app, ["image", "quantify", str(tmp_path / "series"), "--seg", same, "--labels", same])
    assert result.exit_code == 2 and "given for two outputs" in result.stderr
