"""Deposits followed across a patient's imaging studies, from the measurements the registry keeps.

Consecutive studies of the same modality are compared with :func:`calcinosis.imaging.compare.compare_results`
(the function behind ``calcinosis image compare``). The registry keeps measurements, not images,
so the two studies are not re-aligned on the body outline: deposits are matched in the scanner's
frame, and every comparison says so. Studies that cannot be compared (another modality, fields of
view too different) are listed with the reason.

Hand radiographs measured by region (``ImagingResult.hand``) are also followed region by region
(:func:`calcinosis.imaging.compare.compare_regions`): a region is anatomical, so its deposit area
needs no re-alignment. :func:`hand_course` turns the studies and steps into the table and chart
lines of the patient's page: the area of each region that ever held a deposit, at each hand
radiograph, and the change class of the last step (Valenzuela 2022's whole-hand cut-offs, applied
per region: an extrapolation, said with every table).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from pydantic import BaseModel, ValidationError

from calcinosis.errors import ImagingError
from calcinosis.registry.models import Patient

__all__ = [
    "NOT_ALIGNED",
    "HandCourse",
    "ImagingStep",
    "RegionCourse",
    "RegionStep",
    "StudyRegion",
    "StudyRow",
    "hand_course",
    "hand_rows",
    "imaging_course",
    "region_name",
    "region_rule",
]

NOT_ALIGNED = "compared from stored measurements, without re-aligning the two studies on the body outline"


class StudyRegion(BaseModel):
    """One region of a hand radiograph as stored: its deposit area and coverage."""

    region: str
    deposit_mm2: float
    coverage_percent: float
    density_grade: int | None = None


class StudyRow(BaseModel):
    """One stored study."""

    date: dt.date
    modality: str
    deposits: int
    total_volume_mm3: float
    hand: list[StudyRegion] | None = None  # a PA hand radiograph measured by region
    hand_total_mm2: float | None = None
    unreadable: str | None = None  # why the stored result could not be read (then not compared)


class RegionStep(BaseModel):
    """One hand region from one radiograph to the next: area, coverage and change class.

    Mirrors :class:`calcinosis.imaging.compare.RegionChange` with the coverage added (the registry
    module does not import the imaging package until a study is read).
    """

    region: str
    before_mm2: float
    after_mm2: float
    before_coverage_percent: float
    after_coverage_percent: float
    change_percent: float | None  # None when the region held no deposit before
    change: str | None  # progression | stable | improvement; None when empty at both


class ImagingStep(BaseModel):
    """From one study to the next of the same modality."""

    start: dt.date
    end: dt.date
    modality: str
    total_change_percent: float | None = None
    matched: int = 0
    new: int = 0
    vanished: int = 0
    note: str
    regions: list[RegionStep] = []  # both studies hand radiographs measured by region
    hand_change_percent: float | None = None
    hand_change: str | None = None
    change_rule: str | None = None


class RegionCourse(BaseModel):
    """One hand region over the patient's hand radiographs."""

    region: str
    area_mm2: list[float | None]  # one per hand radiograph, in date order; None: not in that result's regions
    coverage_percent: list[float | None]
    change_percent: float | None = None  # of the last step; None when empty before it, or no last step
    change: str | None = None


class HandCourse(BaseModel):
    """The hand radiographs of a patient by region: what the page's table and chart show."""

    dates: list[dt.date]
    regions: list[RegionCourse]  # the regions holding a deposit on at least one radiograph
    total_mm2: list[float]
    last_step: tuple[dt.date, dt.date] | None = None
    hand_change_percent: float | None = None
    hand_change: str | None = None
    change_rule: str | None = None
    note: str | None = None  # why the last radiograph has no region change (said, never guessed)


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0]


def _unreadable(exc: ValidationError) -> str:
    """The first problem of a stored result that is not an ImagingResult, located."""
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "the result"
    return f"not an `image quantify` result ({exc.error_count()} problems; first at {where}: {err['msg']})"


def imaging_course(patient: Patient) -> tuple[list[StudyRow], list[ImagingStep]]:
    """The patient's studies in date order, and the change between consecutive comparable ones."""
    from calcinosis.imaging.compare import compare_results
    from calcinosis.imaging.results import ImagingResult

    studies = sorted(((v.date, s) for v in patient.visits for s in v.imaging), key=lambda pair: pair[0])
    rows: list[StudyRow] = []
    results: list[ImagingResult | None] = []
    for d, s in studies:
        row = StudyRow(date=d, modality=s.modality, deposits=s.deposits, total_volume_mm3=s.total_volume_mm3)
        try:
            result: ImagingResult | None = ImagingResult.model_validate(s.result)
        except ValidationError as exc:
            result, row.unreadable = None, _unreadable(exc)
        if result is not None and result.hand is not None:
            row.hand = [
                StudyRegion(
                    region=r.region,
                    deposit_mm2=r.deposit_mm2,
                    coverage_percent=r.coverage_percent,
                    density_grade=r.density_grade,
                )
                for r in result.hand.regions
            ]
            row.hand_total_mm2 = result.hand.total_deposit_mm2
        rows.append(row)
        results.append(result)
    # two hand radiographs on one date are both hands (the result does not say which): their
    # regions cannot be followed hand by hand, so no region change touches that date
    hands_on = Counter(row.date for row in rows if row.hand is not None)
    steps: list[ImagingStep] = []
    last: dict[str, tuple[dt.date, ImagingResult]] = {}
    for (date, study), result in zip(studies, results, strict=True):
        if result is None:
            continue
        previous = last.get(study.modality)
        last[study.modality] = (date, result)
        if previous is None:
            continue
        before, after = previous[1], result
        if _region_names(before) != _region_names(after) and before.hand and after.hand:
            # regions of two versions of the method: compare_regions needs the same regions at both
            before, after = before.model_copy(update={"hand": None}), after.model_copy(update={"hand": None})
        try:
            comparison = compare_results(before, after)
        except ImagingError as exc:
            note = f"not comparable: {_first_line(exc)}"
            steps.append(ImagingStep(start=previous[0], end=date, modality=study.modality, note=note))
            continue
        step = ImagingStep(
            start=previous[0],
            end=date,
            modality=study.modality,
            total_change_percent=comparison.total_change_percent,
            matched=sum(c.status == "matched" for c in comparison.changes),
            new=comparison.new,
            vanished=comparison.vanished,
            note=NOT_ALIGNED,
        )
        if comparison.regions and hands_on[previous[0]] == 1 and hands_on[date] == 1:
            step.regions = _region_steps(comparison.regions, previous[1], result)
            step.hand_change_percent = comparison.hand_change_percent
            step.hand_change = comparison.hand_change
            step.change_rule = comparison.change_rule
        steps.append(step)
    return rows, steps


def _region_names(result: Any) -> list[str] | None:
    return None if result.hand is None else [r.region for r in result.hand.regions]


def _region_steps(changes: list[Any], before: Any, after: Any) -> list[RegionStep]:
    """``compare_regions``'s changes with each region's coverage at both radiographs."""
    cover_b = {r.region: r.coverage_percent for r in before.hand.regions}
    cover_a = {r.region: r.coverage_percent for r in after.hand.regions}
    return [
        RegionStep(
            region=c.region,
            before_mm2=c.before_mm2,
            after_mm2=c.after_mm2,
            before_coverage_percent=cover_b[c.region],
            after_coverage_percent=cover_a[c.region],
            change_percent=c.change_percent,
            change=c.change,
        )
        for c in changes
    ]


def hand_course(rows: list[StudyRow], steps: list[ImagingStep]) -> HandCourse | None:
    """The per-region table over the hand radiographs of :func:`imaging_course`, or None without one."""
    hands = [row for row in rows if row.hand is not None]
    if not hands:
        return None
    order: list[str] = []
    for row in hands:
        order += [r.region for r in row.hand or [] if r.region not in order]
    values = [{r.region: r for r in row.hand or []} for row in hands]
    ever = [name for name in order if any(v[name].deposit_mm2 > 0 for v in values if name in v)]
    course = HandCourse(
        dates=[row.date for row in hands],
        regions=[
            RegionCourse(
                region=name,
                area_mm2=[v[name].deposit_mm2 if name in v else None for v in values],
                coverage_percent=[v[name].coverage_percent if name in v else None for v in values],
            )
            for name in ever
        ],
        total_mm2=[row.hand_total_mm2 or 0.0 for row in hands],
    )
    if len(hands) < 2:
        return course
    end = hands[-1].date
    step = next((s for s in reversed(steps) if s.end == end and s.regions), None)
    if step is None:
        if Counter(row.date for row in hands)[end] > 1 or Counter(row.date for row in hands)[hands[-2].date] > 1:
            course.note = "several hand radiographs on one date (both hands?): regions not followed hand by hand"
        else:
            course.note = "the last hand radiograph was not compared with the one before it (see the imaging steps)"
        return course
    by_region = {c.region: c for c in step.regions}
    for r in course.regions:
        change = by_region.get(r.region)
        if change is not None:
            r.change_percent, r.change = change.change_percent, change.change
    course.last_step = (step.start, step.end)
    course.hand_change_percent, course.hand_change = step.hand_change_percent, step.hand_change
    course.change_rule = step.change_rule
    return course


def _signed_percent(x: float, lang: str) -> str:
    from calcinosis.i18n import decimal

    rounded = round(x)
    sign = "+" if rounded > 0 else "-" if rounded < 0 else ""
    return f"{sign}{decimal(abs(rounded), lang, 0)}\u00a0%"


def _change_text(percent: float | None, change: str | None, lang: str) -> tuple[str, str]:
    from calcinosis.i18n import message

    if change is None:
        return "—", "—"
    shown = message("reg_region_new", lang) if percent is None else _signed_percent(percent, lang)
    return shown, message(f"reg_region_class_{change}", lang)


def region_name(region: str, lang: str) -> str:
    """A hand region in words (``index_distal`` -> 'index, distal phalanx'); a region of another
    version of the method that has no words is shown as stored."""
    from calcinosis.imaging.to_case import region_label

    try:
        return region_label(region, lang)
    except KeyError:
        return region


def hand_rows(course: HandCourse, lang: str) -> list[dict[str, Any]]:
    """The table's rows in ``lang``: region name, area at each date, change and class of the last step."""
    from calcinosis.i18n import message

    out: list[dict[str, Any]] = []
    for r in course.regions:
        change, cls = _change_text(r.change_percent, r.change, lang)
        out.append({"region": r.region, "label": region_name(r.region, lang), "areas": r.area_mm2,
                    "change": change, "class": cls})  # fmt: skip
    change, cls = _change_text(course.hand_change_percent, course.hand_change, lang)
    out.append({"region": "total", "label": message("reg_region_total", lang), "areas": course.total_mm2,
                "change": change, "class": cls})  # fmt: skip
    return out


def region_rule(course: HandCourse, lang: str) -> str:
    """The change rule and its source in ``lang`` (thresholds from ``imaging_scores.yaml``) when the
    table classes a last step, and why it does not when it could have; empty otherwise."""
    from calcinosis.i18n import message
    from calcinosis.imaging.compare import region_rule_text

    if course.note is not None:
        return message("reg_region_same_date" if course.note.startswith("several") else "reg_region_not_compared", lang)
    if course.last_step is None:
        return ""
    return region_rule_text(lang)
