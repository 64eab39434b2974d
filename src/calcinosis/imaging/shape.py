"""Shape measures shared by the CT and radiograph methods: principal lengths, distribution, ranking."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from calcinosis.imaging.results import Deposit

__all__ = ["distribution", "principal_lengths", "rank_deposits"]

M = TypeVar("M")


def principal_lengths(coords_mm: npt.NDArray[np.float64], voxel_mm: float) -> tuple[float, float, float]:
    """Extents (mm) along the principal axes of a set of points, longest first (at least one voxel)."""
    if len(coords_mm) < 2:
        return voxel_mm, voxel_mm, voxel_mm
    centred = coords_mm - coords_mm.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    proj = centred @ vt.T
    lengths: list[float] = (proj.max(axis=0) - proj.min(axis=0) + voxel_mm).tolist()
    lengths += [voxel_mm] * (3 - len(lengths))  # two points: no third axis
    lengths.sort(reverse=True)  # called for every deposit: plain floats, no small-array overhead
    return lengths[0], lengths[1], lengths[2]


LOCALIZED_SPAN_MM = 150.0  # several deposits within about one limb segment or joint area (estimate)
REGIONAL_SPAN_MM = 400.0  # within about one limb or body region (estimate)


def distribution(centroids: list[tuple[float, float, float]]) -> str | None:
    """Case-format distribution from how far apart the deposits lie (a proxy for anatomical areas)."""
    if not centroids:
        return None
    if len(centroids) == 1:
        return "single"
    c = np.array(centroids)
    span = float(np.linalg.norm(c.max(axis=0) - c.min(axis=0)))  # extent of the deposits, O(n)
    if span <= LOCALIZED_SPAN_MM:
        return "multiple_localized"
    return "regional" if span <= REGIONAL_SPAN_MM else "widespread"


def rank_deposits(deposits: Sequence[Deposit], masks: Sequence[M]) -> tuple[list[Deposit], list[M], list[str]]:
    """Deposits (and their masks) largest first, numbered from 1; patterns ordered by the volume they hold."""
    order = sorted(range(len(deposits)), key=lambda i: -deposits[i].volume_mm3)
    ranked = [deposits[i] for i in order]
    for i, d in enumerate(ranked, start=1):
        d.id = i
    volume_by_pattern: dict[str, float] = {}
    for d in ranked:
        volume_by_pattern[d.pattern] = volume_by_pattern.get(d.pattern, 0.0) + d.volume_mm3
    patterns = sorted(volume_by_pattern, key=lambda p: -volume_by_pattern[p])
    return ranked, [masks[i] for i in order], patterns
