"""Regions of a PA hand radiograph, from the bone shafts, and the deposits of each region.

Trials in systemic sclerosis follow hand calcinosis with the SCTC radiographic score, which
accounts for the area coverage, density and anatomic location of the deposits (Chung et al.,
Arthritis Care Res 2015;67:425, doi:10.1002/acr.22434). Its scoring sheet (the regions, the
grades and how they combine) was not available to check, so this module never computes that
score: it reports the components it can measure under its own names (knowledge file
``imaging_scores.yaml`` says what was and was not verified).

Method:

1. *Bones.* Among the bright components the radiograph method finds, a bone is one with a
   cortex: across the middle half of its length, brighter near its edges than along its axis
   (a tube seen side-on: the beam crosses the most cortex near the edges; a deposit has no
   cortex and is brightest in its middle or uniform), of at least ``BONE_MIN_MM2`` and, for
   the shafts of the rays, elongated.
2. *Rays.* Bones are chained end to end along their long axes (joint gaps up to
   ``MAX_JOINT_GAP_MM``) into rays. A PA hand has five: four fingers of four bones (distal,
   middle, proximal phalanx, metacarpal) and a thumb of three, at one side. The distal end of
   a ray is where its bones get shorter. Anything else is not recognised as a hand, and the
   result says what was found rather than guessing.
3. *Regions.* Each point belongs to the bone whose axis segment is nearest, within
   ``REGION_REACH_MM``: the phalanges of each finger (``index_distal`` ... ``little_proximal``),
   the thumb (both phalanges), the palm (the five metacarpals), and the wrist (up to
   ``WRIST_DEPTH_MM`` proximal to the bases of the finger metacarpals).
4. *Per region:* the deposit area (each pixel counted in the region it lies in), the region's
   area and the coverage in per cent, and a density ratio: a deposit's mean brightness above the
   local soft tissue divided by that of the nearest bone's cortex (90th percentile), graded 1-3
   at 0.5 and 1 (calcinosis's own grade, not the SCTC one).

.. versionadded:: 0.7.0
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt
import yaml

from calcinosis.imaging.results import Deposit, HandRegion, HandResult
from calcinosis.imaging.texts import Text, say

__all__ = [
    "BONE_MIN_MM2",
    "FINGERS",
    "MAX_JOINT_GAP_MM",
    "REGIONS",
    "REGION_REACH_MM",
    "WRIST_DEPTH_MM",
    "Component",
    "HandLayout",
    "density_grade",
    "find_hand",
    "hand_regions",
    "scores_knowledge",
]

BONE_MIN_MM2 = 30.0  # a distal phalanx of a small adult hand is about 12 x 5 mm seen side-on
BONE_MIN_ELONGATION = 1.3
RIM_MIN_RATIO = 1.15  # mean brightness at 0.5-0.85 of the half-width over the central 0.3, mid-shaft
MAX_JOINT_GAP_MM = 10.0
MAX_RAY_ANGLE_DEG = 30.0
REGION_REACH_MM = 15.0  # about a finger's half-width plus the pulp beyond the tuft
WRIST_DEPTH_MM = 40.0
WRIST_SIDE_MM = 10.0
FINGERS = ("index", "middle", "ring", "little")
PHALANGES = ("distal", "middle", "proximal")
REGIONS = (*(f"{f}_{p}" for f in FINGERS for p in PHALANGES), "thumb", "palm", "wrist")
LAYOUT = "PA hand: four fingers of four bones and a thumb of three at one side"


@cache
def scores_knowledge() -> dict[str, Any]:
    """The sources, the change rule and the density bounds (``knowledge/imaging_scores.yaml``)."""
    text = (resources.files("calcinosis") / "knowledge" / "imaging_scores.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def density_grade(ratio: float) -> int:
    """Grade 1-3 of a density ratio at the bounds of ``imaging_scores.yaml`` (calcinosis's own grade)."""
    low, high = (float(b) for b in scores_knowledge()["density_grade"]["bounds"])
    return 1 if ratio < low else 2 if ratio < high else 3


@dataclass
class Component:
    """A bright component of a radiograph with the shape measures the hand needs (mm, (y, x))."""

    index: int
    box: tuple[slice, slice]
    part: npt.NDArray[np.bool_]
    area_mm2: float
    centroid: npt.NDArray[np.float64]
    axis: npt.NDArray[np.float64]
    length_mm: float
    width_mm: float
    rim_ratio: float
    cortex: float


def describe(
    index: int,
    box: tuple[slice, slice],
    part: npt.NDArray[np.bool_],
    residual: npt.NDArray[np.float32],
    spacing: tuple[float, float],
) -> Component:
    """Shape, rim-to-core brightness and cortex level of one component."""
    dy, dx = spacing
    yy, xx = np.nonzero(part)
    coords = np.column_stack([(yy + box[0].start) * dy, (xx + box[1].start) * dx])
    centroid = coords.mean(axis=0)
    centred = coords - centroid
    if len(coords) >= 2:
        _, _, vt = np.linalg.svd(centred, full_matrices=False)
        axis = vt[0]
        proj = centred @ vt.T
        extents = proj.max(axis=0) - proj.min(axis=0) + min(dy, dx)
        length, width = float(extents[0]), float(extents[1]) if len(extents) > 1 else min(dy, dx)
    else:
        axis, length, width = np.array([1.0, 0.0]), min(dy, dx), min(dy, dx)
        centred = np.zeros((1, 2))
    values = residual[box][part]
    # across the middle half of the length (the diaphysis): a tube seen side-on is brighter
    # where the beam crosses the most cortex, near its edges, than along its axis
    s = centred @ axis
    q = np.abs(centred @ np.array([-axis[1], axis[0]]))
    half = max(width, min(dy, dx)) / 2
    mid = np.abs(s) <= length / 4
    rim = values[mid & (q >= 0.5 * half) & (q <= 0.85 * half)]
    core = values[mid & (q <= 0.3 * half)]
    core_mean = float(core.mean()) if len(core) else 0.0
    ratio = float(rim.mean()) / core_mean if core_mean > 0 and len(rim) else 0.0
    return Component(
        index=index,
        box=box,
        part=part,
        area_mm2=float(len(coords) * dy * dx),
        centroid=centroid,
        axis=axis / np.linalg.norm(axis),
        length_mm=length,
        width_mm=max(width, min(dy, dx)),
        rim_ratio=ratio,
        cortex=float(np.percentile(values, 90)),
    )


def is_bone(c: Component, *, shaft: bool = True) -> bool:
    """A bone: a cortex (rim brighter than core) and large enough; a shaft is also elongated
    (``shaft=False`` accepts the round carpal bones too)."""
    return (
        c.area_mm2 >= BONE_MIN_MM2
        and c.rim_ratio >= RIM_MIN_RATIO
        and (not shaft or c.length_mm / c.width_mm >= BONE_MIN_ELONGATION)
    )


@dataclass
class _Bone:
    comp: Component
    region: str
    proximal: npt.NDArray[np.float64]
    distal: npt.NDArray[np.float64]


@dataclass
class HandLayout:
    """The bones of a recognised PA hand, each with its region, and the wrist's place."""

    bones: list[_Bone]
    axis: npt.NDArray[np.float64]  # proximal -> distal, unit (y, x)
    base_line: float  # mean position of the finger metacarpal bases along ``axis`` (mm)
    across: tuple[float, float]  # extent of the metacarpal bases across the hand (mm)
    bone_indices: set[int] = field(default_factory=set)

    def labels(self, points: npt.NDArray[np.float64]) -> npt.NDArray[np.int_]:
        """Index into :data:`REGIONS` of each point (N x 2, mm), or -1 beyond every region."""
        a = np.array([b.proximal for b in self.bones])
        b = np.array([b.distal for b in self.bones])
        seg = b - a
        length2 = np.maximum((seg**2).sum(axis=1), 1e-9)
        out = np.full(len(points), -1, dtype=int)
        best = np.full(len(points), np.inf)
        which = np.zeros(len(points), dtype=int)
        for k in range(len(self.bones)):
            t = np.clip(((points - a[k]) @ seg[k]) / length2[k], 0.0, 1.0)
            d = np.hypot(*(points - (a[k] + t[:, None] * seg[k])).T)
            closer = d < best
            best[closer] = d[closer]
            which[closer] = k
        codes = np.array([REGIONS.index(bone.region) for bone in self.bones])
        near = best <= REGION_REACH_MM
        out[near] = codes[which[near]]
        s = points @ self.axis
        normal = np.array([-self.axis[1], self.axis[0]])
        q = points @ normal
        wrist = (
            (s < self.base_line)
            & (s >= self.base_line - WRIST_DEPTH_MM)
            & (q >= self.across[0] - WRIST_SIDE_MM)
            & (q <= self.across[1] + WRIST_SIDE_MM)
        )
        # proximal to the finger metacarpal bases is wrist, whatever bone is nearest
        out[wrist] = REGIONS.index("wrist")
        return out


def _rays(bones: list[Component]) -> list[list[Component]]:
    """Bones chained end to end along their axes; groups of two or more."""
    parent = list(range(len(bones)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    cos_max = np.cos(np.radians(MAX_RAY_ANGLE_DEG))
    for i, bi in enumerate(bones):
        for j in range(i + 1, len(bones)):
            bj = bones[j]
            if abs(float(bi.axis @ bj.axis)) < cos_max:
                continue
            d = bj.centroid - bi.centroid
            t = float(d @ bi.axis)
            perp = float(np.linalg.norm(d - t * bi.axis))
            gap = abs(t) - (bi.length_mm + bj.length_mm) / 2
            if perp <= 0.6 * max(bi.width_mm, bj.width_mm) + 2.0 and -2.0 <= gap <= MAX_JOINT_GAP_MM:
                parent[root(j)] = root(i)
    groups: dict[int, list[Component]] = {}
    for i, bone in enumerate(bones):
        groups.setdefault(root(i), []).append(bone)
    return [g for g in groups.values() if len(g) >= 2]


def find_hand(components: list[Component]) -> tuple[HandLayout | None, str]:
    """The hand's bones and regions, or None and what was found instead (said, never guessed: a
    :class:`~calcinosis.imaging.texts.Text`, English as a string, said in any language)."""
    bones = [c for c in components if is_bone(c)]
    rays = _rays(bones)
    if len(rays) != 5:
        sizes = sorted((len(r) for r in rays), reverse=True)
        if sizes:
            shown = ", ".join(str(n) for n in sizes)
            return None, Text(
                "why_rays_sizes", bones=len(bones), rays=len(rays), sizes=shown, layout=Text("hand_layout")
            )
        return None, Text("why_rays", bones=len(bones), rays=len(rays), layout=Text("hand_layout"))
    ordered: list[tuple[list[Component], npt.NDArray[np.float64]]] = []
    for ray in rays:
        signed = np.array([(np.sign(float(b.axis @ ray[0].axis)) or 1.0) * b.axis for b in ray])
        direction: npt.NDArray[np.float64] = signed.sum(axis=0) / np.linalg.norm(signed.sum(axis=0))
        ray = sorted(ray, key=lambda b: float(b.centroid @ direction))
        pos = np.array([float(b.centroid @ direction) for b in ray])
        lengths = np.array([b.length_mm for b in ray])
        if float(np.cov(pos, lengths)[0, 1]) > 0:  # bones shorten distally: make ``direction`` point there
            direction, ray = -direction, ray[::-1]
        ordered.append((ray, direction))  # proximal first
    total = np.array([d for _, d in ordered]).sum(axis=0)
    axis: npt.NDArray[np.float64] = total / np.linalg.norm(total)
    normal = np.array([-axis[1], axis[0]])
    ordered.sort(key=lambda rd: float(np.mean([b.centroid @ normal for b in rd[0]])))
    counts = [len(r) for r, _ in ordered]
    if counts[0] == 3 and counts[1:] == [4, 4, 4, 4]:
        thumb, fingers = ordered[0], ordered[1:]
    elif counts[-1] == 3 and counts[:-1] == [4, 4, 4, 4]:
        thumb, fingers = ordered[-1], ordered[:-1][::-1]
    else:
        shown = ", ".join(str(n) for n in counts)
        return None, Text("why_ray_counts", counts=shown, layout=Text("hand_layout"))
    layout_bones: list[_Bone] = []

    def add(comp: Component, region: str, direction: npt.NDArray[np.float64]) -> None:
        half = comp.length_mm / 2 * direction
        layout_bones.append(_Bone(comp, region, comp.centroid - half, comp.centroid + half))

    for name, (ray, direction) in zip(FINGERS, fingers, strict=True):
        metacarpal, proximal, middle, distal = ray
        add(metacarpal, "palm", direction)
        for comp, part in ((proximal, "proximal"), (middle, "middle"), (distal, "distal")):
            add(comp, f"{name}_{part}", direction)
    t_meta, t_prox, t_dist = thumb[0]
    add(t_meta, "palm", thumb[1])
    add(t_prox, "thumb", thumb[1])
    add(t_dist, "thumb", thumb[1])
    bases = [b.proximal for b in layout_bones if b.region == "palm"][:4]  # the finger metacarpals
    across = [float(p @ normal) for p in bases]
    layout = HandLayout(
        bones=layout_bones,
        axis=axis,
        base_line=float(np.mean([p @ axis for p in bases])),
        across=(min(across), max(across)),
        bone_indices={b.comp.index for b in layout_bones},
    )
    return layout, LAYOUT


def _site(region: str) -> str:
    if region.endswith("_distal"):
        return "fingertips"
    return "wrist" if region == "wrist" else "hand"


def hand_regions(
    layout: HandLayout,
    deposits: list[Deposit],
    masks: list[tuple[tuple[slice, slice, slice], npt.NDArray[np.bool_]]],
    residual: npt.NDArray[np.float32],
    spacing: tuple[float, float],
    *,
    lang: str = "en",
) -> HandResult:
    """Per-region deposit area, coverage and density; sets each deposit's region and density ratio
    (the note on the SCTC score in ``lang``, en or fr)."""
    dy, dx = spacing
    ny, nx = residual.shape
    stride = max(1, round(1.0 / min(dy, dx)))  # region areas on a grid of about 1 mm
    gy, gx = np.mgrid[0:ny:stride, 0:nx:stride]
    grid = np.column_stack([gy.ravel() * dy, gx.ravel() * dx])
    counts = np.bincount(layout.labels(grid) + 1, minlength=len(REGIONS) + 1)[1:]
    region_mm2 = counts * (stride * dy) * (stride * dx)
    deposit_mm2 = np.zeros(len(REGIONS))
    weighted = np.zeros(len(REGIONS))
    members: dict[int, list[int]] = {}
    outside_mm2 = 0.0
    outside: list[int] = []
    metacarpals = [b for b in layout.bones if b.region == "palm"]
    for deposit, (box, part) in zip(deposits, masks, strict=True):
        yy, xx = np.nonzero(part[0])
        yy, xx = yy + box[1].start, xx + box[2].start
        pixels = np.column_stack([yy * dy, xx * dx])
        labels = layout.labels(pixels)
        centre = np.array([deposit.centroid_mm[1], deposit.centroid_mm[2]])
        nearest = min(
            layout.bones if REGIONS[int(layout.labels(centre[None])[0])] != "wrist" else metacarpals,
            key=lambda b: _segment_distance(centre, b.proximal, b.distal),
        )
        contrast = float(residual[yy, xx].mean())
        ratio = round(contrast / nearest.comp.cortex, 3) if nearest.comp.cortex > 0 else None
        deposit.density_ratio = ratio
        code = int(layout.labels(centre[None])[0])
        deposit.region = REGIONS[code] if code >= 0 else None
        if code >= 0:
            members.setdefault(code, []).append(deposit.id)
        else:
            outside.append(deposit.id)
        per = np.bincount(labels + 1, minlength=len(REGIONS) + 1)
        outside_mm2 += float(per[0]) * dy * dx
        area = per[1:] * dy * dx
        deposit_mm2 += area
        if ratio is not None:
            weighted += area * ratio
    regions = []
    for k, name in enumerate(REGIONS):
        dens = float(weighted[k] / deposit_mm2[k]) if deposit_mm2[k] > 0 else None
        regions.append(
            HandRegion(
                region=name,
                site=_site(name),
                region_mm2=round(float(region_mm2[k]), 1),
                deposit_mm2=round(float(deposit_mm2[k]), 2),
                coverage_percent=round(100 * float(deposit_mm2[k]) / float(region_mm2[k]), 2)
                if region_mm2[k] > 0
                else 0.0,
                deposits=sorted(members.get(k, [])),
                density_ratio=round(dens, 3) if dens is not None else None,
                density_grade=density_grade(dens) if dens is not None else None,
            )
        )
    return HandResult(
        layout=LAYOUT,
        regions=regions,
        outside_mm2=round(outside_mm2, 2),
        outside_deposits=outside,
        total_deposit_mm2=round(float(deposit_mm2.sum()) + outside_mm2, 2),
        score=None,
        score_note=say("note_sctc_score", lang),
        references=["chung2015", "valenzuela2022"],
    )


def _segment_distance(p: npt.NDArray[np.float64], a: npt.NDArray[np.float64], b: npt.NDArray[np.float64]) -> float:
    seg = b - a
    t = float(np.clip((p - a) @ seg / max(float(seg @ seg), 1e-9), 0.0, 1.0))
    return float(np.linalg.norm(p - (a + t * seg)))
