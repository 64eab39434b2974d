"""Response over time, per lesion and per patient, and who is due for review or imaging.

The response class follows the Scleroderma Clinical Trials Consortium's radiographic calcinosis
score work (Valenzuela A, et al. Change in calcinosis over 1 year using the SCTC radiologic
scoring system for calcinosis of the hands in patients with systemic sclerosis. Semin Arthritis
Rheum 2022;53:151980, doi:10.1016/j.semarthrit.2022.151980): more than 25 % increase from
baseline is *progression*, more than 25 % decrease *improvement*, in between *stable*. The
thresholds were defined on a hand radiograph score over one year; applying them to one lesion's
measured size (area, else volume, else largest dimension: the same measure at both visits) is
this module's extrapolation, stated in every result. Each interval between two visits lists the
treatments whose periods overlap it, so a change can be read against what was given then.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from calcinosis.kb.model import KnowledgeBase
from calcinosis.kb.schema import form_key
from calcinosis.registry.models import ImagingStudy, Lesion, LesionMeasurement, Patient, Treatment, Visit

__all__ = ["DueItem", "LesionResponse", "PatientResponse", "cohort_summary", "due", "patient_response", "with_history"]

THRESHOLD = 0.25
BASIS = (
    "Response class: more than 25 % change from baseline is progression or improvement, within 25 % stable "
    "(SCTC radiographic calcinosis score over one year, Valenzuela 2022, doi:10.1016/j.semarthrit.2022.151980; "
    "applied here to the lesion's measured size, an extrapolation)."
)
ResponseClass = Literal["improved", "stable", "progression", "not_measurable"]
SIZE_FIELDS = ("area_cm2", "volume_mm3", "largest_dimension_mm")


class Interval(BaseModel):
    """From one visit to the next."""

    start: dt.date
    end: dt.date
    size_change: float | None
    vas_change: float | None
    treatments: list[str]


class LesionResponse(BaseModel):
    """One lesion from its first to its last measurement."""

    label: str
    site: str
    measure: str | None
    baseline: float | None
    latest: float | None
    change_from_baseline: float | None
    change_from_previous: float | None
    vas_baseline: float | None
    vas_latest: float | None
    ulcer: Literal["new", "healed", "persistent", "none", "unknown"]
    response: ResponseClass
    intervals: list[Interval]


class PatientResponse(BaseModel):
    """All lesions of a patient, and the patient's class from their summed size."""

    patient: str
    visits: int
    lesions: list[LesionResponse]
    total_change_from_baseline: float | None
    response: ResponseClass
    basis: str = BASIS


def classify(change: float | None) -> ResponseClass:
    """The class of a relative change (``None``: not measurable)."""
    if change is None:
        return "not_measurable"
    if change > THRESHOLD:
        return "progression"
    if change < -THRESHOLD:
        return "improved"
    return "stable"


def _relative(before: float | None, after: float | None) -> float | None:
    if before is None or after is None or before <= 0:
        return None
    return (after - before) / before


def _measure(points: list[Point]) -> str | None:
    """The size measure present at the first and the last measurement (area first)."""
    for name in SIZE_FIELDS:
        if getattr(points[0], name) is not None and getattr(points[-1], name) is not None:
            return name
    return None


@dataclass(frozen=True)
class Point:
    """A lesion at one visit, as the response needs it (from ORM objects or from plain rows)."""

    date: dt.date
    area_cm2: float | None
    volume_mm3: float | None
    largest_dimension_mm: float | None
    pain_vas: float | None
    ulcerated: bool | None


Period = tuple[str, dt.date, dt.date | None]  # treatment, start, stop


def _treatments_over(treatments: list[Period], start: dt.date, end: dt.date) -> list[str]:
    return sorted({name for name, a, b in treatments if a <= end and (b is None or b >= start)})


def _ulcer(first: bool | None, last: bool | None) -> Literal["new", "healed", "persistent", "none", "unknown"]:
    if first is None or last is None:
        return "unknown"
    if first and last:
        return "persistent"
    if first:
        return "healed"
    return "new" if last else "none"


def lesion_from_points(label: str, site: str, points: list[Point], treatments: list[Period]) -> LesionResponse:
    """The response of one lesion from its measurements (any order)."""
    points = sorted(points, key=lambda p: p.date)
    measure = _measure(points) if points else None
    size = [getattr(p, measure) if measure else None for p in points]
    intervals = []
    for i in range(1, len(points)):
        a, b = points[i - 1].date, points[i].date
        before, after = points[i - 1].pain_vas, points[i].pain_vas
        vas = after - before if before is not None and after is not None else None
        intervals.append(
            Interval(
                start=a,
                end=b,
                size_change=_relative(size[i - 1], size[i]),
                vas_change=vas,
                treatments=_treatments_over(treatments, a, b),
            )
        )
    change = _relative(size[0], size[-1]) if len(points) > 1 else None
    return LesionResponse(
        label=label,
        site=site,
        measure=measure,
        baseline=size[0] if size else None,
        latest=size[-1] if size else None,
        change_from_baseline=change,
        change_from_previous=intervals[-1].size_change if intervals else None,
        vas_baseline=points[0].pain_vas if points else None,
        vas_latest=points[-1].pain_vas if points else None,
        ulcer=_ulcer(points[0].ulcerated, points[-1].ulcerated) if len(points) > 1 else "unknown",
        response=classify(change),
        intervals=intervals,
    )


def lesion_response(lesion: Lesion, dates: dict[int, dt.date], treatments: list[Treatment]) -> LesionResponse:
    """The response of one lesion from its recorded measurements."""
    points = [
        Point(dates[m.visit_id], m.area_cm2, m.volume_mm3, m.largest_dimension_mm, m.pain_vas, m.ulcerated)
        for m in lesion.measurements
    ]
    return lesion_from_points(lesion.label, lesion.site, points, [(t.treatment, t.start, t.stop) for t in treatments])


def total_change(lesions: list[LesionResponse]) -> float | None:
    """The patient's change: the summed size of the lesions measured the same way at their first
    and last visits (the measure most lesions share, area first)."""
    by_measure: dict[str, tuple[float, float]] = {}
    for r in lesions:
        if r.measure and r.baseline is not None and r.latest is not None and r.change_from_baseline is not None:
            before, after = by_measure.get(r.measure, (0.0, 0.0))
            by_measure[r.measure] = (before + r.baseline, after + r.latest)
    for name in SIZE_FIELDS:
        if name in by_measure:
            return _relative(*by_measure[name])
    return None


def patient_response(session: Session, patient: Patient) -> PatientResponse:
    """Every lesion's response and the patient's (:func:`total_change`)."""
    dates = {v.id: v.date for v in patient.visits}
    lesions = [
        lesion_response(lesion, dates, list(patient.treatments))
        for lesion in sorted(patient.lesions, key=lambda x: x.label)
    ]
    total = total_change(lesions)
    return PatientResponse(
        patient=patient.code,
        visits=len(patient.visits),
        lesions=lesions,
        total_change_from_baseline=total,
        response=classify(total),
    )


class DueItem(BaseModel):
    """A check (from the follow-up plan) for one patient: when it was last done and when it is due."""

    patient: str
    check: str
    every: str
    last: dt.date | None
    due: dt.date | None
    status: Literal["due", "overdue", "not_yet", "never_done"]


def due(
    session: Session, kb: KnowledgeBase, today: dt.date, *, lang: str = "en", team: str | None = None
) -> list[DueItem]:
    """Who is due for clinical review or imaging (intervals of followup.yaml), overdue first
    (the patients of ``team`` when given). A patient whose latest visit's leading diagnosis has
    a follow-up of its own, in the form it was read in (followup.yaml by_form: a newborn with
    subcutaneous fat necrosis) or as a diagnosis (by_diagnosis: a deposit after a calcium
    infusion), is due for those checks instead, or as well, each counted from the last visit."""
    plan = {item.id: item for item in kb.followup.schedule}
    calciphylaxis = {item.id: item for item in kb.followup.by_category.get("calciphylaxis", [])}
    for own_plan in [*kb.followup.by_form.values(), *kb.followup.by_diagnosis.values()]:
        plan.update({item.id: item for item in own_plan.schedule})

    def of_team(query: Any) -> Any:  # the visits of the team's patients only
        return (
            query.join(Patient, Patient.id == Visit.patient_id).where(Patient.team == team)
            if team is not None
            else query
        )

    last_visit = dict(
        session.execute(of_team(select(Visit.patient_id, func.max(Visit.date))).group_by(Visit.patient_id)).all()
    )
    last_imaging = dict(
        session.execute(
            of_team(select(Visit.patient_id, func.max(Visit.date)).join(ImagingStudy)).group_by(Visit.patient_id)
        ).all()
    )
    latest_category: dict[int, str | None] = {}  # the category of each patient's latest visit
    latest_visit: dict[int, tuple[int, str | None]] = {}  # and its id and leading diagnosis
    for pid, category, vid, leading in session.execute(
        of_team(select(Visit.patient_id, Visit.category, Visit.id, Visit.leading_diagnosis)).order_by(Visit.date)
    ).all():
        latest_category[pid] = category
        latest_visit[pid] = (vid, leading)
    forms = _latest_forms(session, kb, latest_visit)
    rows: list[DueItem] = []
    patients = select(Patient.id, Patient.code).order_by(Patient.code)
    for pid, code in session.execute(patients.where(Patient.team == team) if team is not None else patients).all():
        checks = [("clinical_review", last_visit.get(pid)), ("imaging", last_imaging.get(pid))]
        if latest_category.get(pid) == "calciphylaxis" and "wound_review" in calciphylaxis:
            replaced = set(calciphylaxis["wound_review"].replaces)  # the weekly review stands for them
            checks = [("wound_review", last_visit.get(pid)), *(c for c in checks if c[0] not in replaced)]
        form_plan = kb.followup.own(forms.get(pid), latest_visit.get(pid, (0, None))[1])
        if form_plan is not None:  # the form's own timed checks, instead of the general ones or with them
            own = [(item.id, last_visit.get(pid)) for item in form_plan.schedule if item.interval_days is not None]
            checks = own if form_plan.replaces_general else [*own, *checks]
        for check, last in checks:
            item = plan.get(check) or calciphylaxis[check]
            assert item.interval_days is not None
            due_after, overdue_after = item.interval_days
            if last is None:
                rows.append(
                    DueItem(
                        patient=code, check=check, every=item.every.get(lang), last=None, due=None, status="never_done"
                    )
                )
                continue
            age = (today - last).days
            status: Literal["due", "overdue", "not_yet"] = (
                "overdue" if age > overdue_after else "due" if age >= due_after else "not_yet"
            )
            rows.append(
                DueItem(
                    patient=code,
                    check=check,
                    every=item.every.get(lang),
                    last=last,
                    due=last + dt.timedelta(days=due_after),
                    status=status,
                )
            )
    order = {"overdue": 0, "never_done": 1, "due": 2, "not_yet": 3}
    return sorted(rows, key=lambda r: (order[r.status], r.patient, r.check))


def _latest_forms(session: Session, kb: KnowledgeBase, latest: dict[int, tuple[int, str | None]]) -> dict[int, str]:
    """Patient -> 'diagnosis/form' when the latest visit read its leading diagnosis in a form
    (DiagnosisResult.form), read from the stored result of those visits only whose leading
    diagnosis has forms (the result is large and loaded only when read)."""
    with_forms = {d.id for d in kb.diseases if d.forms}
    wanted = {vid: (pid, leading) for pid, (vid, leading) in latest.items() if leading in with_forms}
    if not wanted:
        return {}
    out: dict[int, str] = {}
    for vid, result in session.execute(select(Visit.id, Visit.result).where(Visit.id.in_(wanted))).all():
        pid, leading = wanted[vid]
        lead = ((result or {}).get("differential") or [{}])[0]
        form = lead.get("form") or {}
        if lead.get("diagnosis") == leading and form.get("id") not in (None, "main"):
            out[pid] = form_key(leading, form["id"])
    return out


def with_history() -> list[Any]:
    """Loader options that fetch a patient's visits, lesions with measurements and treatments in a
    few queries instead of one per patient (the cohort summary and the list pages)."""
    from sqlalchemy.orm import selectinload

    return [
        selectinload(Patient.visits),
        selectinload(Patient.lesions).selectinload(Lesion.measurements),
        selectinload(Patient.treatments),
    ]


CLASSES: tuple[ResponseClass, ...] = ("improved", "stable", "progression", "not_measurable")


def cohort_summary(session: Session, team: str | None = None) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
    """Patients per response class, overall and among those who received each treatment (of ``team`` when given).

    Read as plain rows (one query for the measurements, one for the treatments) rather than as
    ORM objects: the same response functions, without building an object per measurement.
    """
    rows = session.execute(
        select(
            Lesion.patient_id,
            Lesion.id,
            Lesion.label,
            Lesion.site,
            Visit.date,
            LesionMeasurement.area_cm2,
            LesionMeasurement.volume_mm3,
            LesionMeasurement.largest_dimension_mm,
            LesionMeasurement.pain_vas,
            LesionMeasurement.ulcerated,
        )
        .join(LesionMeasurement, LesionMeasurement.lesion_id == Lesion.id)
        .join(Visit, Visit.id == LesionMeasurement.visit_id)
    ).all()
    lesions: dict[int, dict[int, tuple[str, str, list[Point]]]] = {}
    for pid, lid, label, site, date, area, volume, size, vas, ulcer in rows:
        entry = lesions.setdefault(pid, {}).setdefault(lid, (label, site, []))
        entry[2].append(Point(date, area, volume, size, vas, ulcer))
    treatments: dict[int, set[str]] = {}
    for pid, name in session.execute(select(Treatment.patient_id, Treatment.treatment)).all():
        treatments.setdefault(pid, set()).add(name)
    overall: dict[str, int] = dict.fromkeys(CLASSES, 0)
    by_treatment: dict[str, dict[str, int]] = {}
    ids = select(Patient.id)
    for pid in session.scalars(ids.where(Patient.team == team) if team is not None else ids):
        results = [lesion_from_points(label, site, points, []) for label, site, points in lesions.get(pid, {}).values()]
        result = classify(total_change(results))
        overall[result] += 1
        for name in treatments.get(pid, set()):
            by_treatment.setdefault(name, dict.fromkeys(CLASSES, 0))[result] += 1
    return overall, dict(sorted(by_treatment.items()))
