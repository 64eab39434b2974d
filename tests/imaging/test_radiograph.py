"""Radiographs: area of deposits on a synthetic radiograph with soft-tissue gradient, bone shafts and noise."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from calcinosis.cli.main import app
from calcinosis.imaging.radiograph import quantify_radiograph
from calcinosis.imaging.volume import Volume

PX = 0.2  # mm at the patient


def radiograph_phantom(seed: int) -> tuple[Volume, list[tuple[float, float, float]]]:
    """600x400 radiograph: soft tissue with gradients, two bone shafts with brighter cortex, four disks."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:600, :400]
    img = 1000 + 200 * np.sin(yy / 600 * np.pi) + 100 * (xx / 400)
    for bx in (120, 280):
        d = np.abs(xx - bx) * PX
        img += np.where(d <= 8, 400 + 300 * (d >= 6), 0)
    truth = []
    for cy, cx, r in [(100, 200, 5.0), (250, 40, 3.0), (400, 200, 2.0), (500, 350, 1.5)]:
        disk = ((yy - cy) * PX) ** 2 + ((xx - cx) * PX) ** 2 <= r * r
        img[disk] += 350
        truth.append((disk.sum() * PX * PX, cy * PX, cx * PX))
    img += rng.normal(0, 10, img.shape)
    return Volume(array=img.astype(np.int16)[None], spacing=(0.0, PX, PX), modality="radiograph", source="rg"), truth


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_areas_within_5_percent_and_bones_not_counted(seed: int) -> None:
    """Every disk is found, its area within 5 %, and no bone shaft or cortex line is a deposit."""
    volume, truth = radiograph_phantom(seed)
    result = quantify_radiograph(volume)
    assert len(result.deposits) == len(truth)
    for area, cy, cx in truth:
        d = min(result.deposits, key=lambda d: (d.centroid_mm[1] - cy) ** 2 + (d.centroid_mm[2] - cx) ** 2)
        assert np.hypot(d.centroid_mm[1] - cy, d.centroid_mm[2] - cx) < 1.0
        assert abs(d.volume_mm3 - area) / area <= 0.05, (d.volume_mm3, area)
        assert d.pattern == "nodular"
    assert any("projection" in a for a in result.assumptions)


def test_png_radiograph_through_the_cli(tmp_path: Path) -> None:
    """A PNG radiograph with --pixel-spacing: areas in the JSON, one overlay image."""
    import json

    from PIL import Image

    volume, truth = radiograph_phantom(1)
    Image.fromarray(volume.array[0].astype(np.uint16)).save(tmp_path / "rg.png")
    result = CliRunner().invoke(
        app, ["image", "quantify", str(tmp_path / "rg.png"), "--pixel-spacing", str(PX), "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["modality"] == "radiograph" and len(data["deposits"]) == 4
    assert abs(data["total_volume_mm3"] - sum(a for a, _, _ in truth)) / sum(a for a, _, _ in truth) < 0.05
    assert (tmp_path / "out" / "rg.png-radiograph.png").is_file()


def test_compare_two_radiographs(tmp_path: Path) -> None:
    """Follow-up radiograph where the largest deposit grew: matched, with a positive change."""
    import json

    from PIL import Image

    before, _ = radiograph_phantom(1)
    after_arr = before.array[0].copy()
    yy, xx = np.mgrid[:600, :400]
    grown = ((yy - 100) * PX) ** 2 + ((xx - 200) * PX) ** 2 <= 6.0**2
    after_arr[grown] = np.maximum(after_arr[grown], before.array[0][grown] + 350)
    Image.fromarray(before.array[0].astype(np.uint16)).save(tmp_path / "b.png")
    Image.fromarray(after_arr.astype(np.uint16)).save(tmp_path / "a.png")
    result = CliRunner().invoke(
        app, ["image", "compare", str(tmp_path / "b.png"), str(tmp_path / "a.png"), "--pixel-spacing", str(PX)]
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["new"] == 0 and data["vanished"] == 0
    biggest = max(data["changes"], key=lambda c: c["after_mm3"])
    assert 35 < biggest["change_percent"] < 55  # 5 mm -> 6 mm radius: +44 % area
