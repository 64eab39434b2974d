"""The work-up still missing: general steps of workup.yaml, then diagnosis-specific steps of the
diagnoses at the top of the differential, each only when the case does not already answer it."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from calcinosis.case.model import Case
from calcinosis.engine.evidence import Evidence
from calcinosis.engine.results import WorkupItem
from calcinosis.kb.model import KnowledgeBase
from calcinosis.kb.schema import WorkupStep

__all__ = ["missing_workup"]

_REASONS = {
    "en": {
        "general": "general work-up of soft-tissue calcification",
        "specific": "to confirm or exclude {name} ({probability:.0%})",
    },
    "fr": {
        "general": "bilan général d'une calcification des tissus mous",
        "specific": "pour confirmer ou écarter : {name} ({probability:.0%})",
    },
}


def _holds(when: Mapping[str, object], case: Case, ev: Evidence, kb: KnowledgeBase, posterior: np.ndarray) -> bool:
    tests = {lab.test for lab in case.labs}
    antibodies = {a.name for a in case.antibodies}
    threshold = kb.workup.top_threshold
    for key, value in when.items():
        items = list(value) if isinstance(value, list) else []
        if key == "no_imaging" and bool(case.imaging) == bool(value):
            return False
        if key == "labs_missing" and any(t in tests for t in items):
            return False
        if key == "labs_missing_any" and all(t in tests for t in items):
            return False
        if key == "labs_present_any" and not any(t in tests for t in items):
            return False
        if key == "antibodies_missing_any" and all(a in antibodies for a in items):
            return False
        if key == "features_present_any" and not any(
            (o := ev.observations.get(str(f))) is not None and o.present for f in items
        ):
            return False
        if key == "group_in_top" and not any(
            d.group in items and posterior[i] >= threshold for i, d in enumerate(kb.diseases)
        ):
            return False
        if key == "diagnosis_in_top" and not any(posterior[kb.disease_pos(str(d))] >= threshold for d in items):
            return False
        if key == "top_probability_below" and float(posterior.max()) >= float(str(value)):
            return False
    return True


def _answered(step: WorkupStep, ev: Evidence) -> bool:
    return bool(step.answers) and all(a in ev.observations for a in step.answers)


def missing_workup(
    case: Case, ev: Evidence, kb: KnowledgeBase, posterior: np.ndarray, *, lang: str
) -> list[WorkupItem]:
    """Work-up steps the case still lacks, most basic first."""
    out: list[WorkupItem] = []
    for step in kb.workup.steps:
        if _holds(step.when, case, ev, kb, posterior) and not _answered(step, ev):
            out.append(
                WorkupItem(
                    id=step.id,
                    text=step.fr if lang == "fr" else step.en,
                    reason=_REASONS[lang]["general"],
                    references=list(step.references),
                )
            )
    seen = {item.id for item in out}
    for i in np.argsort(-posterior)[:3]:
        if posterior[i] < kb.workup.top_threshold:
            break
        disease = kb.diseases[i]
        for step in disease.workup:
            if step.id in seen or _answered(step, ev):
                continue
            seen.add(step.id)
            out.append(
                WorkupItem(
                    id=step.id,
                    text=step.fr if lang == "fr" else step.en,
                    reason=_REASONS[lang]["specific"].format(name=disease.name(lang), probability=float(posterior[i])),
                    references=list(step.references or disease.references),
                )
            )
    return out
