"""PA hand radiographs by region: every deposit in its region, areas within 5 %, density graded
against the cortex, follow-up classes with the cited thresholds, no invented score."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from calcinosis.cli.main import app
from calcinosis.errors import ImagingError
from calcinosis.imaging.compare import change_class, compare_results
from calcinosis.imaging.radiograph import quantify_radiograph
from calcinosis.imaging.volume import Volume

from .test_hand_phantom import PX, hand_phantom
from .test_radiograph import radiograph_phantom


def _match(result, y: float, x: float):  # type: ignore[no-untyped-def]
    return min(result.deposits, key=lambda d: (d.centroid_mm[1] - y) ** 2 + (d.centroid_mm[2] - x) ** 2)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_deposit_in_its_region_with_its_area(seed: int) -> None:
    """Each phantom deposit is found once, in its region, its area and its region's area within 5 %."""
    volume, truth = hand_phantom(seed=seed)
    result = quantify_radiograph(volume, hand=True)
    assert result.hand is not None
    assert len(result.deposits) == len(truth.deposits)
    for y, x, _, area, region in truth.deposits:
        d = _match(result, y, x)
        assert np.hypot(d.centroid_mm[1] - y, d.centroid_mm[2] - x) < 1.0
        assert d.region == region, (d.region, region)
        assert abs(d.volume_mm3 - area) / area <= 0.05, (region, d.volume_mm3, area)
    by_region = {r.region: r for r in result.hand.regions}
    for _, _, _, _, region in truth.deposits:
        measured = by_region[region].deposit_mm2
        assert abs(measured - truth.region_area(region)) / truth.region_area(region) <= 0.05
    assert sum(bool(r.deposits) for r in result.hand.regions) == len(truth.deposits)
    assert result.hand.outside_deposits == []


def test_bones_are_not_deposits() -> None:
    """The 19 shafts and 3 carpal bones are bone; no deposit lies on a bone."""
    volume, truth = hand_phantom()
    result = quantify_radiograph(volume, hand=True)
    assert result.bone_components == 22
    assert truth.bone is not None
    for d in result.deposits:
        iy, ix = round(d.centroid_mm[1] / PX), round(d.centroid_mm[2] / PX)
        assert not truth.bone[iy, ix]


def test_left_hand_thumb_on_the_other_side() -> None:
    """A mirrored (left) hand: the thumb is found on the other side and the fingers named from it."""
    volume, truth = hand_phantom()
    width = volume.array.shape[2] * PX
    mirrored = Volume(
        array=volume.array[:, :, ::-1].copy(), spacing=volume.spacing, modality="radiograph", source="left"
    )
    result = quantify_radiograph(mirrored, hand=True)
    for y, x, _, _, region in truth.deposits:
        assert _match(result, y, width - x - PX).region == region


def test_density_graded_against_the_cortex() -> None:
    """A faint deposit (half the contrast) is grade 1, a dense one grade 3, and the grade rises with the ratio."""
    volume, _ = hand_phantom()
    result = quantify_radiograph(volume, hand=True)
    assert result.hand is not None
    by_region = {r.region: r for r in result.hand.regions}
    assert by_region["little_proximal"].density_grade == 1  # +150 over soft tissue
    assert by_region["ring_distal"].density_grade == 3  # +500
    assert (
        by_region["little_proximal"].density_ratio
        < by_region["index_distal"].density_ratio
        < by_region["ring_distal"].density_ratio
    )


def test_no_invented_score() -> None:
    """The SCTC score is not computed (its rubric was not verified) and the result says so with its sources."""
    volume, _ = hand_phantom()
    result = quantify_radiograph(volume, hand=True)
    assert result.hand is not None and result.hand.score is None
    assert "not computed" in result.hand.score_note
    assert result.hand.references == ["chung2015", "valenzuela2022"]


def test_not_a_hand() -> None:
    """A radiograph without a hand: refused with --hand (saying what was found), plain measurement otherwise."""
    volume, _ = radiograph_phantom(1)
    with pytest.raises(ImagingError, match=r"not recognised as a PA hand radiograph \(0 bone shafts found"):
        quantify_radiograph(volume, hand=True)
    result = quantify_radiograph(volume, hand=None)
    assert result.hand is None and len(result.deposits) == 4
    assert any(a.startswith("not measured by hand region") for a in result.assumptions)


def test_missing_finger_is_not_guessed() -> None:
    """A hand with a ray missing its distal phalanx is not given regions by guess."""
    volume, _ = hand_phantom()
    arr = volume.array.copy()
    arr[0, int(36 / PX) : int(58 / PX), int(96 / PX) : int(108 / PX)] = arr[0, int(47 / PX), int(91 / PX)]
    cut = Volume(array=arr, spacing=volume.spacing, modality="radiograph", source="cut")
    with pytest.raises(ImagingError, match="5 rays of"):
        quantify_radiograph(cut, hand=True)


@pytest.mark.parametrize(
    "boundary", [(25.0, "stable"), (25.1, "progression"), (-25.0, "stable"), (-25.1, "improvement")]
)
def test_change_class_cut_offs(boundary: tuple[float, str]) -> None:
    """Valenzuela 2022: more than +25 % progression, more than -25 % improvement, stable between."""
    assert change_class(boundary[0]) == boundary[1]


def test_region_follow_up_classes() -> None:
    """+30 % of a region's deposit area is progression, -30 % improvement, +-10 % stable; the rule is cited."""
    before, _ = hand_phantom(seed=1)
    after, _ = hand_phantom(seed=2, scale={"index_distal": 1.3, "palm": 0.7, "middle_middle": 1.1, "thumb": 0.9})
    r1, r2 = quantify_radiograph(before, hand=True), quantify_radiograph(after, hand=True)
    cmp = compare_results(r1, r2)
    changes = {c.region: c for c in cmp.regions}
    assert changes["index_distal"].change == "progression" and 25 < changes["index_distal"].change_percent < 35  # type: ignore[operator]
    assert changes["palm"].change == "improvement" and -35 < changes["palm"].change_percent < -25  # type: ignore[operator]
    assert changes["middle_middle"].change == "stable"
    assert changes["thumb"].change == "stable"
    assert changes["ring_distal"].change == "stable" and abs(changes["ring_distal"].change_percent) < 5  # type: ignore[arg-type]
    assert changes["middle_distal"].change is None  # empty at both visits
    assert cmp.change_rule is not None and "10.1016/j.semarthrit.2022.151980" in cmp.change_rule
    assert "extrapolation" in cmp.change_rule


def test_new_region_is_progression() -> None:
    """A region empty before and holding a deposit after is a progression (no percentage)."""
    before, _ = hand_phantom(seed=1)
    after, _ = hand_phantom(seed=1, extra=[(60.0, 125.0 + 8.5, 2.0, "ring_middle")])
    cmp = compare_results(quantify_radiograph(before, hand=True), quantify_radiograph(after, hand=True))
    ring = next(c for c in cmp.regions if c.region == "ring_middle")
    assert ring.before_mm2 == 0 and ring.after_mm2 > 0 and ring.change_percent is None and ring.change == "progression"


def test_cli_region_table_in_french(tmp_path: Path) -> None:
    """A PNG hand radiograph: regions in the JSON, a French table on stderr with French typography."""
    import json

    from PIL import Image

    volume, truth = hand_phantom()
    Image.fromarray(np.clip(volume.array[0], 0, 65535).astype(np.uint16)).save(tmp_path / "hand.png")
    result = CliRunner().invoke(
        app, ["image", "quantify", str(tmp_path / "hand.png"), "--pixel-spacing", str(PX), "--hand", "--lang", "fr"]
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["hand"]["score"] is None
    assert {r["region"] for r in data["hand"]["regions"] if r["deposits"]} == {r for *_, r in truth.deposits}
    assert sorted(data["case_imaging"]["sites"]) == ["fingertips", "hand", "wrist"]
    assert "Dépôts par région de la main" in result.stderr
    assert "phalange" in result.stderr and "pouce" in result.stderr and "poignet" in result.stderr
    assert "Score SCTC non calculé\u00a0:" in result.stderr


def test_regions_named_by_one_study_only_are_not_compared() -> None:
    """Two results divided into different regions (another version of the method): the common
    regions are compared, the others left out, never a crash."""
    from calcinosis.imaging.compare import compare_regions

    before, _ = hand_phantom(seed=1)
    r1 = quantify_radiograph(before, hand=True)
    assert r1.hand is not None
    fewer = r1.model_copy(update={"hand": r1.hand.model_copy(update={"regions": r1.hand.regions[:-2]})})
    changes, _, _ = compare_regions(r1, fewer)
    assert [c.region for c in changes] == [r.region for r in r1.hand.regions[:-2]]


def test_cli_compare_prints_the_region_changes_in_french(tmp_path: Path) -> None:
    """image compare of two hand radiographs: the region changes on stderr, French classes and rule."""
    import json

    from PIL import Image

    before, _ = hand_phantom(seed=1)
    after, _ = hand_phantom(seed=2, scale={"index_distal": 1.3, "palm": 0.7})
    for name, volume in (("a.png", before), ("b.png", after)):
        Image.fromarray(np.clip(volume.array[0], 0, 65535).astype(np.uint16)).save(tmp_path / name)
    args = ["image", "compare", str(tmp_path / "a.png"), str(tmp_path / "b.png"), "--pixel-spacing", str(PX)]
    result = CliRunner().invoke(app, [*args, "--lang", "fr"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["regions"]
    err = " ".join(result.stderr.replace("\u00a0", " ").split())  # the table and the rule, unwrapped
    assert "Radiographies de la main" in err and "progression" in err and "amélioration" in err
    assert "main entière" in err and "Valenzuela 2022" in err and "extrapolation" in err
    assert "improvement" not in err  # no English on the French table
