"""Comparing two visits: a shifted follow-up where one deposit grew, one vanished and one is new."""

from __future__ import annotations

import numpy as np

from calcinosis.imaging.compare import body_centroid_mm, compare_results
from calcinosis.imaging.ct import quantify_ct
from calcinosis.imaging.volume import Volume

from .phantoms import limb_phantom


def test_follow_up_changes() -> None:
    """Shift by 3 slices and 5 mm sideways; the sheet is removed, a new nodule appears, the others are unchanged."""
    before, truth = limb_phantom()
    arr = before.array.copy()
    arr[truth.deposits["sheet"]] = 40
    new = np.zeros_like(truth.deposits["sheet"])
    new[70:74, 60:68, 250:258] = True
    arr[new] = 500
    after = Volume(array=np.roll(np.roll(arr, 3, axis=0), 10, axis=2), spacing=before.spacing, source="after")
    r1, r2 = quantify_ct(before), quantify_ct(after)
    shift = tuple(float(x) for x in np.subtract(body_centroid_mm(after), body_centroid_mm(before)))
    assert abs(shift[2] - 5.0) < 1.0  # the body outline moved 10 voxels of 0.5 mm
    cmp = compare_results(r1, r2, shift_mm=shift)  # type: ignore[arg-type]
    assert cmp.vanished == 1 and cmp.new == 1
    matched = [c for c in cmp.changes if c.status == "matched"]
    assert len(matched) == len(r1.deposits) - 1
    assert all(abs(c.change_mm3) < 1e-6 for c in matched)
    gone = next(c for c in cmp.changes if c.status == "vanished")
    assert abs(gone.before_mm3 - truth.deposits["sheet"].sum() * before.voxel_volume_mm3) < 1e-6
    assert cmp.total_change_percent is not None and cmp.total_change_percent < 0
