"""The work-up still missing: general steps of workup.yaml, then diagnosis-specific steps of the
diagnoses at the top of the differential, each only when the case does not already answer it."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from calcinosis.case.model import Case
from calcinosis.engine.evidence import Evidence
from calcinosis.engine.results import WorkupItem
from calcinosis.i18n import lower_first, percent
from calcinosis.kb.model import KnowledgeBase
from calcinosis.kb.schema import WorkupStep

__all__ = ["metabolic_mass", "missing_workup"]

_REASONS = {
    "en": {
        "general": "general work-up of soft-tissue calcification",
        "metabolic": "to classify: the calcium-phosphate balance separates dystrophic from metabolic causes "
        "(metastatic, tumoral, calciphylaxis, iatrogenic: {mass} together; leading diagnosis {top})",
        "specific": "to confirm or exclude {name} ({probability})",
        "omitted": "Calcium-phosphate panel not proposed: {name} leads at {probability} and the metabolic causes "
        "hold {mass} together; order it if anything points elsewhere.",
    },
    "fr": {
        "general": "bilan général d'une calcification des tissus mous",
        "metabolic": "pour classer\u00a0: le bilan phosphocalcique sépare les causes dystrophiques des causes "
        "métaboliques (métastatique, tumorale, calciphylaxie, iatrogène\u00a0: {mass} ensemble\u202f; diagnostic en tête\u00a0: {top})",
        "specific": "pour confirmer ou écarter\u00a0: {name} ({probability})",
        "omitted": "Bilan phosphocalcique non proposé\u00a0: diagnostic en tête {name} ({probability}), causes "
        "métaboliques {mass} au total\u202f; à demander si un élément oriente ailleurs.",
    },
}
METABOLIC_CATEGORIES = ("metastatic", "tumoral", "calciphylaxis", "iatrogenic")


def _inline(name: str, lang: str) -> str:
    """A diagnosis named inside a French sentence starts with a small letter ('la sclérodermie')."""
    return lower_first(name) if lang == "fr" else name


def _metabolic_rows(kb: KnowledgeBase) -> np.ndarray:
    """Which diagnoses belong to a metabolic category (a boolean per row of the compiled arrays)."""
    metabolic = np.zeros(len(kb.category_names), dtype=bool)
    metabolic[[kb.category_names.index(c) for c in METABOLIC_CATEGORIES]] = True
    return metabolic[kb.disease_category]  # what np.isin gives, without its sorting


def metabolic_mass(kb: KnowledgeBase, posterior: np.ndarray) -> float:
    """P(metastatic, tumoral, calciphylaxis or iatrogenic): what a calcium-phosphate panel would separate."""
    return float(posterior[_metabolic_rows(kb)].sum())


class _Context:
    """What every step's condition reads, gathered once per case rather than once per step."""

    def __init__(self, case: Case, ev: Evidence, kb: KnowledgeBase, posterior: np.ndarray) -> None:
        self.case = case
        self.ev = ev
        self.kb = kb
        self.posterior = posterior
        self.tests = {lab.test for lab in case.labs}
        self.antibodies = {a.name for a in case.antibodies}
        self.modalities = {img.modality for img in case.imaging}
        self.top_probability = float(posterior.max())
        # the diagnoses at or above the work-up threshold (a handful), for group_in_top
        self.in_top = np.flatnonzero(posterior >= kb.workup.top_threshold).tolist()


def _holds(when: Mapping[str, object], ctx: _Context) -> bool:
    case, ev, kb, posterior = ctx.case, ctx.ev, ctx.kb, ctx.posterior
    tests, antibodies = ctx.tests, ctx.antibodies
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
        if key == "antibodies_missing" and any(a in antibodies for a in items):
            return False
        if key == "no_modality" and any(m in items for m in ctx.modalities):
            return False
        if key == "features_present_any" and not any(
            (o := ev.observations.get(str(f))) is not None and o.present for f in items
        ):
            return False
        if key == "group_in_top" and not any(kb.diseases[i].group in items for i in ctx.in_top):
            return False
        if key == "diagnosis_in_top" and not any(posterior[kb.disease_pos(str(d))] >= threshold for d in items):
            return False
        if key == "top_probability_below" and ctx.top_probability >= float(str(value)):
            return False
    return True


def _answered(step: WorkupStep, ev: Evidence) -> bool:
    return bool(step.answers) and all(a in ev.observations for a in step.answers)


def missing_workup(
    case: Case, ev: Evidence, kb: KnowledgeBase, posterior: np.ndarray, *, lang: str
) -> tuple[list[WorkupItem], list[str]]:
    """Work-up steps the case still lacks, most basic first, each with why it is asked; a step
    whose answers the case (or what it implies: dialysis answers kidney function) already gives
    is left out, and no step is listed twice. Second, what a proportionate work-up leaves out
    (the calcium-phosphate panel for a confident non-metabolic diagnosis), and why."""
    out: list[WorkupItem] = []
    ctx = _Context(case, ev, kb, posterior)
    top = int(np.argmax(posterior))
    mass = metabolic_mass(kb, posterior)
    panel_worth_it = mass >= kb.workup.metabolic_threshold or ctx.top_probability < kb.workup.confident_top
    panel_left_out = False
    metabolic_reason = ""  # written when a metabolic step is listed (percentages go through Babel)
    for step in kb.workup.steps:
        if not _holds(step.when, ctx) or _answered(step, ev):
            continue
        if step.when.get("metabolic") and not panel_worth_it:
            panel_left_out = True
            continue
        if step.when.get("metabolic") and not metabolic_reason:
            metabolic_reason = _REASONS[lang]["metabolic"].format(
                mass=percent(mass, lang),
                top=f"{_inline(kb.diseases[top].name(lang), lang)} {percent(float(posterior[top]), lang)}",
            )
        out.append(
            WorkupItem(
                id=step.id,
                text=step.fr if lang == "fr" else step.en,
                reason=metabolic_reason if step.when.get("metabolic") else _REASONS[lang]["general"],
                references=list(step.references),
            )
        )
    seen = {item.id for item in out}
    general_answers = {s.id: set(s.answers) for s in kb.workup.steps if s.answers and s.id in seen}
    for i in np.argsort(-posterior)[:3]:
        if posterior[i] < kb.workup.top_threshold:
            break
        disease = kb.diseases[i]
        reason = ""  # the same sentence for every step of this diagnosis, written once when needed
        for step in disease.workup:
            if step.id in seen or _answered(step, ev) or not _holds(step.when, ctx):
                continue
            answers = set(step.answers)
            if answers and any(answers <= listed for listed in general_answers.values()):
                continue  # a listed step already asks all of it
            # a specific step that asks most of what a general one does replaces it (one antibody panel, not two)
            replaced = next((gid for gid, listed in general_answers.items() if len(answers & listed) >= 2), None)
            seen.add(step.id)
            reason = reason or _REASONS[lang]["specific"].format(
                name=_inline(disease.name(lang), lang), probability=percent(float(posterior[i]), lang)
            )
            item = WorkupItem(
                id=step.id,
                text=step.fr if lang == "fr" else step.en,
                reason=reason,
                references=list(step.references or disease.references),
            )
            if replaced is not None:
                out[[w.id for w in out].index(replaced)] = item
                general_answers[step.id] = general_answers.pop(replaced) | answers
            else:
                out.append(item)
                if answers:
                    general_answers[step.id] = answers
    omitted = []
    if panel_left_out:
        omitted.append(
            _REASONS[lang]["omitted"].format(
                name=_inline(kb.diseases[top].name(lang), lang),
                probability=percent(float(posterior[top]), lang),
                mass=percent(mass, lang),
            )
        )
    return out, omitted
