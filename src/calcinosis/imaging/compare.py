"""Compare two studies of the same patient: match deposits, change in volume, new and vanished ones.

The studies are aligned by translating the second so that the centroids of the two body
outlines coincide (a rigid shift; rotation and deformation are not corrected, and the result
says so). Deposits are then matched greedily by nearest centroid, within a tolerance that grows
with the deposit's size.

Two studies are compared only when that can mean something: the same modality, neither of them
degenerate (at least ``MIN_COMPARE_PIXELS`` pixels along each in-plane axis, a body to align on),
and fields of view whose physical extent differs by at most ``MAX_EXTENT_RATIO`` along every
axis; otherwise deposits outside the smaller study would all be reported as vanished or new.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from calcinosis.errors import ImagingError
from calcinosis.imaging.results import ImagingResult
from calcinosis.imaging.texts import Numbers, Text, say
from calcinosis.imaging.volume import Volume

__all__ = [
    "CHANGE_CLASSES",
    "MAX_EXTENT_RATIO",
    "MIN_COMPARE_PIXELS",
    "Comparison",
    "DepositChange",
    "RegionChange",
    "body_centroid_mm",
    "change_class",
    "check_comparable",
    "compare_regions",
    "compare_results",
]

MATCH_TOLERANCE_MM = 10.0  # plus half the deposit's largest dimension
MAX_EXTENT_RATIO = 2.0  # fields of view (mm) may differ by at most this factor along any axis
MIN_COMPARE_PIXELS = 16  # a study with fewer pixels along an in-plane axis is degenerate


class DepositChange(BaseModel):
    """One deposit followed between two studies (absent ids: new or vanished)."""

    model_config = ConfigDict(allow_inf_nan=False)

    before_id: int | None
    after_id: int | None
    before_mm3: float
    after_mm3: float
    change_mm3: float
    change_percent: float | None
    status: str  # matched | new | vanished


CHANGE_CLASSES = ("progression", "stable", "improvement")


def change_class(percent: float) -> str:
    """Progression above +25 %, improvement below -25 %, stable between (both included).

    The cut-offs of the SCTC radiographic score over one year (Valenzuela et al., Semin Arthritis
    Rheum 2022;53:151980, doi:10.1016/j.semarthrit.2022.151980), read from
    ``knowledge/imaging_scores.yaml``. Applied by calcinosis to measured deposit areas, an
    extrapolation that every comparison states.

    .. versionadded:: 0.7.0
    """
    from calcinosis.imaging.hand import scores_knowledge

    rule = scores_knowledge()["change_rule"]
    if percent > float(rule["progression_above_percent"]):
        return "progression"
    if percent < float(rule["improvement_below_percent"]):
        return "improvement"
    return "stable"


class RegionChange(BaseModel):
    """Deposit area of one hand region at two visits, and its change class.

    .. versionadded:: 0.7.0
    """

    model_config = ConfigDict(allow_inf_nan=False)

    region: str
    before_mm2: float
    after_mm2: float
    change_percent: float | None = Field(description="None when the region held no deposit before")
    change: str | None = Field(description="progression | stable | improvement; None when the region is empty at both")


class Comparison(BaseModel):
    """Per-deposit and total change between two studies."""

    model_config = ConfigDict(allow_inf_nan=False)

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
    regions: list[RegionChange] = []
    hand_change_percent: float | None = None
    hand_change: str | None = None
    change_rule: str | None = None


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
        if volume.modality == "radiograph":
            raise ImagingError("err_no_body_radiograph", path=volume.source or None, source=volume.source)
        raise ImagingError("err_no_body_ct", path=volume.source or None, source=volume.source)
    dz, dy, dx = volume.spacing
    return (float(zz.mean() * dz), float(yy.mean() * 4 * dy), float(xx.mean() * 4 * dx))


def _geometry(study: ImagingResult | Volume) -> tuple[str, str, tuple[int, ...], tuple[float, float, float]]:
    if isinstance(study, Volume):
        return study.modality, study.source, tuple(study.array.shape), study.spacing
    return study.modality, study.source, tuple(study.shape), study.spacing_mm


def _extent_mm(modality: str, shape: tuple[int, ...], spacing: tuple[float, float, float]) -> list[tuple[str, float]]:
    nz, ny, nx = shape
    dz, dy, dx = spacing
    in_plane = [("rows", ny * dy), ("columns", nx * dx)]
    return in_plane if modality == "radiograph" else [("slices", nz * dz), *in_plane]


def check_comparable(before: ImagingResult | Volume, after: ImagingResult | Volume) -> None:
    """Refuse two studies (read or measured) whose comparison would be meaningless, saying why:
    different modalities, a degenerate study, or very different fields of view."""
    mod_b, src_b, shape_b, spacing_b = _geometry(before)
    mod_a, src_a, shape_a, spacing_a = _geometry(after)
    if mod_b != mod_a:
        raise ImagingError(
            "err_modalities_differ",
            path=src_a or None,
            source=src_a,
            after=_modality(mod_a),
            before=_modality(mod_b),
            other=src_b,
        )
    for source, shape in ((src_b, shape_b), (src_a, shape_a)):
        if len(shape) != 3 or min(shape[1:]) < MIN_COMPARE_PIXELS:
            raise ImagingError(
                "err_degenerate_study",
                path=source or None,
                source=source,
                shape=" x ".join(str(n) for n in shape),
                least=MIN_COMPARE_PIXELS,
            )
    extents_b, extents_a = _extent_mm(mod_b, shape_b, spacing_b), _extent_mm(mod_a, shape_a, spacing_a)
    for (axis, b), (_, a) in zip(extents_b, extents_a, strict=True):
        ratio = max(a, b) / min(a, b) if min(a, b) > 0 else float("inf")
        if ratio > MAX_EXTENT_RATIO:
            raise ImagingError(
                "err_fields_differ",
                path=src_a or None,
                source=src_a,
                other=src_b,
                before=Numbers(tuple(v for _, v in extents_b), spec=".1f", sep=" x "),
                after=Numbers(tuple(v for _, v in extents_a), spec=".1f", sep=" x "),
                axis=Text(f"axis_{axis}"),
                ratio=ratio,
                most=MAX_EXTENT_RATIO,
            )


def _modality(modality: str) -> str:
    """A modality as a message says it ('radiograph'; 'une radiographie' in French), any other as it is."""
    return Text(f"modality_{modality}") if modality in ("ct", "radiograph") else modality


def region_rule_text(lang: str) -> str:
    """The region change rule and its source, in ``lang`` (the thresholds from
    ``imaging_scores.yaml``): what ``image compare`` and the registry print under a region table."""
    from calcinosis.i18n import decimal, message
    from calcinosis.imaging.hand import scores_knowledge

    rule = scores_knowledge()["change_rule"]
    up = decimal(float(rule["progression_above_percent"]), lang, 1)
    down = decimal(abs(float(rule["improvement_below_percent"])), lang, 1)
    return message("reg_region_rule", lang, up=up, down=down)


def compare_regions(before: ImagingResult, after: ImagingResult) -> tuple[list[RegionChange], float | None, str | None]:
    """Per-region and whole-hand change of deposit area between two hand radiographs, classified
    by :func:`change_class`; a region empty before and holding deposits after is a progression,
    one emptied an improvement (-100 %). Only the regions both studies name are compared."""
    if before.hand is None or after.hand is None:
        return [], None, None
    by_after = {r.region: r for r in after.hand.regions}
    changes = []
    for rb in before.hand.regions:
        ra = by_after.get(rb.region)
        if ra is None:  # the two studies were divided differently (another method version): not compared
            continue
        b, a = rb.deposit_mm2, ra.deposit_mm2
        percent = round(100 * (a - b) / b, 1) if b > 0 else None
        if percent is not None:
            label: str | None = change_class(percent)
        else:
            label = "progression" if a > 0 else None
        changes.append(RegionChange(region=rb.region, before_mm2=b, after_mm2=a, change_percent=percent, change=label))
    tb, ta = before.hand.total_deposit_mm2, after.hand.total_deposit_mm2
    total = round(100 * (ta - tb) / tb, 1) if tb > 0 else None
    return changes, total, (change_class(total) if total is not None else ("progression" if ta > 0 else None))


def compare_results(
    before: ImagingResult,
    after: ImagingResult,
    *,
    shift_mm: tuple[float, float, float] = (0.0, 0.0, 0.0),
    lang: str = "en",
) -> Comparison:
    """Match the deposits of ``after`` (moved back by ``shift_mm``) to those of ``before``; the
    assumptions and the change rule in ``lang`` (en or fr).

    Raises :class:`ImagingError` when the two studies cannot be compared (:func:`check_comparable`)
    or the shift is not finite.
    """
    check_comparable(before, after)
    shift = np.array(shift_mm, dtype=float)
    if shift.shape != (3,) or not np.isfinite(shift).all():
        raise ImagingError("err_shift", shift=shift_mm)
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
    regions, hand_percent, hand_change = compare_regions(before, after)
    rule = None
    if before.hand is not None and after.hand is not None:
        rule = say("note_change_rule", lang)
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
        assumptions=[say("note_rigid_shift", lang), say("note_matching", lang, tolerance=MATCH_TOLERANCE_MM)],
        regions=regions,
        hand_change_percent=hand_percent,
        hand_change=hand_change,
        change_rule=rule,
    )
