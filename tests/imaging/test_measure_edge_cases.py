"""Measuring degenerate but valid volumes (what the readers can return: a single voxel, a line of
voxels, a uniform image) gives a result in strict JSON, never an exception from a library."""

from __future__ import annotations

import json

import numpy as np
import pytest

from calcinosis.cli.image import _json
from calcinosis.imaging.ct import measure_ct
from calcinosis.imaging.radiograph import measure_radiograph
from calcinosis.imaging.volume import Volume


@pytest.mark.parametrize("shape", [(1, 1, 7), (1, 7, 1), (7, 1, 1), (1, 1, 3), (1, 1, 1), (2, 3, 1)])
def test_ct_lines_and_single_voxels(shape: tuple[int, int, int]) -> None:
    """A line of voxels with several separate deposits used to crash cc3d ("maximum length exception")."""
    array = np.full(shape, 40, dtype=np.int16)
    array.reshape(-1)[::2] = 500
    result, masks = measure_ct(Volume(array=array, spacing=(1.0, 0.5, 0.5), source="line"))
    assert len(masks) == len(result.deposits)
    json.loads(_json(result.model_dump(mode="json")))


@pytest.mark.parametrize("shape", [(1, 1, 1), (1, 1, 9), (1, 3, 3)])
@pytest.mark.parametrize("fill", ["uniform", "noise"])
def test_tiny_radiographs(shape: tuple[int, int, int], fill: str) -> None:
    rng = np.random.default_rng(0)
    array = np.full(shape, 100.0, dtype=np.float32)
    if fill == "noise":
        array += rng.normal(0, 30, shape).astype(np.float32)
    result, _ = measure_radiograph(Volume(array=array, spacing=(0.0, 0.2, 0.2), modality="radiograph", source="rg"))
    json.loads(_json(result.model_dump(mode="json")))
