"""Deposits followed across a patient's imaging studies, from the measurements the registry keeps.

Consecutive studies of the same modality are compared with :func:`calcinosis.imaging.compare.compare_results`
(the function behind ``calcinosis image compare``). The registry keeps measurements, not images,
so the two studies are not re-aligned on the body outline: deposits are matched in the scanner's
frame, and every comparison says so. Studies that cannot be compared (another modality, fields of
view too different) are listed with the reason.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel

from calcinosis.errors import ImagingError
from calcinosis.registry.models import Patient

__all__ = ["ImagingStep", "StudyRow", "imaging_course"]

NOT_ALIGNED = "compared from stored measurements, without re-aligning the two studies on the body outline"


class StudyRow(BaseModel):
    """One stored study."""

    date: dt.date
    modality: str
    deposits: int
    total_volume_mm3: float


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


def imaging_course(patient: Patient) -> tuple[list[StudyRow], list[ImagingStep]]:
    """The patient's studies in date order, and the change between consecutive comparable ones."""
    from calcinosis.imaging.compare import compare_results
    from calcinosis.imaging.results import ImagingResult

    studies = sorted(((v.date, s) for v in patient.visits for s in v.imaging), key=lambda pair: pair[0])
    rows = [
        StudyRow(date=d, modality=s.modality, deposits=s.deposits, total_volume_mm3=s.total_volume_mm3)
        for d, s in studies
    ]
    steps: list[ImagingStep] = []
    last: dict[str, tuple[dt.date, ImagingResult]] = {}
    for date, study in studies:
        result = ImagingResult.model_validate(study.result)
        previous = last.get(study.modality)
        last[study.modality] = (date, result)
        if previous is None:
            continue
        try:
            comparison = compare_results(previous[1], result)
        except ImagingError as exc:
            steps.append(
                ImagingStep(
                    start=previous[0],
                    end=date,
                    modality=study.modality,
                    note=f"not comparable: {str(exc).splitlines()[0]}",
                )
            )
            continue
        steps.append(
            ImagingStep(
                start=previous[0],
                end=date,
                modality=study.modality,
                total_change_percent=comparison.total_change_percent,
                matched=sum(c.status == "matched" for c in comparison.changes),
                new=comparison.new,
                vanished=comparison.vanished,
                note=NOT_ALIGNED,
            )
        )
    return rows, steps
