"""Compare two studies of the same patient: match deposits, change in volume, new and vanished ones.

The studies are aligned by translating the second so that the centroids of the two body
outlines coincide (a rigid shift; rotation and deformation are not corrected, and the result
says so). Deposits are then matched greedily by nearest centroid, within a tolerance that grows
with the deposit's size.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel

from calcinosis.imaging.results import ImagingResult
from calcinosis.imaging.volume import Volume

__all__ = ["Comparison", "DepositChange", "body_centroid_mm", "compare_results"]

MATCH_TOLERANCE_MM = 10.0  # plus half the deposit's largest dimension


class DepositChange(BaseModel):
    """One deposit followed between two studies (absent ids: new or vanished)."""

    before_id: int | None
    after_id: int | None
    before_mm3: float
    after_mm3: float
    change_mm3: float
    change_percent: float | None
    status: str  # matched | new | vanished


class Comparison(BaseModel):
    """Per-deposit and total change between two studies."""

    before: str
    after: str
    shift_mm: tuple[float, float, float]
    changes: list[DepositChange]
    total_before_mm3: float
    total_after_mm3: float
    total_change_percent: float | None
    new: int
    vanished: int
    assumptions: list[str]


def body_centroid_mm(volume: Volume) -> tuple[float, float, float]:
    """Centroid of the body in mm, at quarter in-plane resolution: voxels above -300 HU on CT,
    pixels above the image's midpoint between its 1st and 99th percentiles on a radiograph."""
    if volume.modality == "radiograph":
        lo, hi = np.percentile(volume.array, [1, 99])
        small = volume.array[:, ::4, ::4] > (lo + hi) / 2
    else:
        small = volume.array[:, ::4, ::4] > -300
    zz, yy, xx = np.nonzero(small)
    if not len(zz):
        return (0.0, 0.0, 0.0)
    dz, dy, dx = volume.spacing
    return (float(zz.mean() * dz), float(yy.mean() * 4 * dy), float(xx.mean() * 4 * dx))


def compare_results(
    before: ImagingResult,
    after: ImagingResult,
    *,
    shift_mm: tuple[float, float, float] = (0.0, 0.0, 0.0),
) -> Comparison:
    """Match the deposits of ``after`` (moved back by ``shift_mm``) to those of ``before``."""
    shift = np.array(shift_mm)
    pairs = []
    for b in before.deposits:
        for a in after.deposits:
            dist = float(np.linalg.norm(np.array(a.centroid_mm) - shift - np.array(b.centroid_mm)))
            tolerance = MATCH_TOLERANCE_MM + max(b.largest_dimension_mm, a.largest_dimension_mm) / 2
            if dist <= tolerance:
                pairs.append((dist, b.id, a.id))
    pairs.sort()
    used_b: set[int] = set()
    used_a: set[int] = set()
    by_b = {d.id: d for d in before.deposits}
    by_a = {d.id: d for d in after.deposits}
    changes: list[DepositChange] = []
    for _, bid, aid in pairs:
        if bid in used_b or aid in used_a:
            continue
        used_b.add(bid)
        used_a.add(aid)
        vb, va = by_b[bid].volume_mm3, by_a[aid].volume_mm3
        changes.append(
            DepositChange(
                before_id=bid, after_id=aid, before_mm3=vb, after_mm3=va, change_mm3=round(va - vb, 2),
                change_percent=round(100 * (va - vb) / vb, 1) if vb else None, status="matched",
            )
        )  # fmt: skip
    for d in before.deposits:
        if d.id not in used_b:
            changes.append(
                DepositChange(
                    before_id=d.id,
                    after_id=None,
                    before_mm3=d.volume_mm3,
                    after_mm3=0.0,
                    change_mm3=-d.volume_mm3,
                    change_percent=-100.0,
                    status="vanished",
                )
            )
    for d in after.deposits:
        if d.id not in used_a:
            changes.append(
                DepositChange(
                    before_id=None,
                    after_id=d.id,
                    before_mm3=0.0,
                    after_mm3=d.volume_mm3,
                    change_mm3=d.volume_mm3,
                    change_percent=None,
                    status="new",
                )
            )
    tb, ta = before.total_volume_mm3, after.total_volume_mm3
    return Comparison(
        before=before.source,
        after=after.source,
        shift_mm=(round(float(shift[0]), 2), round(float(shift[1]), 2), round(float(shift[2]), 2)),
        changes=changes,
        total_before_mm3=tb,
        total_after_mm3=ta,
        total_change_percent=round(100 * (ta - tb) / tb, 1) if tb else None,
        new=sum(c.status == "new" for c in changes),
        vanished=sum(c.status == "vanished" for c in changes),
        assumptions=[
            "studies aligned by a rigid shift of the body-outline centroids; rotation and deformation not corrected",
            f"deposits matched by nearest centroid within {MATCH_TOLERANCE_MM:g} mm plus half their largest dimension",
        ],
    )
