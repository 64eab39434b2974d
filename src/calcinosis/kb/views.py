"""Read-only views of the knowledge base for programs (the REST API), in one language.

Plain pydantic models of what ``calcinosis kb show`` and ``kb terms`` print, so that a client
can list the diagnoses, read one with every frequency, its basis and its references, and fill
pickers from the vocabulary. Nothing is computed here beyond likelihood ratios of the stored
frequencies against the feature's baseline, the engine's own (a low state's absence read given
its raised state's), exactly as ``kb show`` prints them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, Field

from calcinosis.kb.age import age_summary
from calcinosis.kb.model import Disease, KnowledgeBase
from calcinosis.kb.schema import AgeDistribution, FindingSpec
from calcinosis.kb.vocabulary import VOCABULARY_LISTS

__all__ = [
    "AgeBandView",
    "AgeView",
    "DiagnosisDetail",
    "DiagnosisSummary",
    "FrequencyView",
    "TermView",
    "age_view",
    "diagnosis_detail",
    "diagnosis_list",
    "vocabulary_list",
]


class DiagnosisSummary(BaseModel):
    """One diagnosis in the list."""

    id: str
    name: str
    category: str
    category_label: str
    group: str
    synonyms: list[str]


class FrequencyView(BaseModel):
    """P(feature | diagnosis) and what it rests on."""

    feature: str
    label: str
    frequency: float
    baseline: float
    lr_present: float
    lr_absent: float
    basis: str | None
    n: int | None = None
    total: int | None = None
    population: str | None = None
    references: list[str]
    estimate: str | None = None


class AgeBandView(BaseModel):
    """A diagnosis' share of one age band, as the engine scores it."""

    feature: str
    label: str
    frequency: float
    baseline: float
    lr: float


class AgeView(BaseModel):
    """The age at presentation a diagnosis states, in words, and what it gives each band."""

    summary: str
    basis: str
    n: int | None = None
    population: str | None = None
    references: list[str]
    estimate: str
    bands: list[AgeBandView]


class ReferenceView(BaseModel):
    """A reference as the reports cite it."""

    id: str
    citation: str


class FormView(BaseModel):
    """A form of a diagnosis (``kb.schema.DiseaseForm``): its share, age, own frequencies and
    defining features (those it does not state are its diagnosis')."""

    id: str
    name: str
    share: float
    basis: str
    reasoning: str
    references: list[str]
    defining_features: list[str] = Field(description="its own blocks' features, or its diagnosis' (inherited)")
    without_defining: str | None = None
    age: AgeView | None = None
    findings: list[FrequencyView]


class DiagnosisDetail(DiagnosisSummary):
    """One diagnosis with its definition, codes, prior, frequencies and references."""

    definition: str
    codes: dict[str, list[str]]
    prior: float
    prior_basis: str = Field(default="judgement", description="reported, derived or judgement (priors.yaml)")
    prior_reasoning: str = Field(
        default="", description="how the prior was set: the counts and computation, or the reasoning"
    )
    defining_features: list[str]
    setting_features: list[str] = Field(
        default=[], description="the second block of defining features: the setting the diagnosis arises in"
    )
    age: AgeView | None = None
    findings: list[FrequencyView]
    references: list[ReferenceView]
    last_reviewed: str
    main_form: str | None = Field(default=None, description="with forms: who its own findings describe")
    forms: list[FormView] = []


class TermView(BaseModel):
    """A vocabulary term with its label in one language and the spellings it is found by."""

    id: str
    label: str
    aliases: list[str]
    parent: str | None = None


def _category_label(kb: KnowledgeBase, category: str, lang: str) -> str:
    spec = kb.categories[category]
    return spec.fr if lang == "fr" else spec.en


def _summary(kb: KnowledgeBase, d: Disease, lang: str) -> dict[str, Any]:
    return {
        "id": d.id,
        "name": d.name(lang),
        "category": d.category,
        "category_label": _category_label(kb, d.category, lang),
        "group": d.group,
        "synonyms": list(d.synonyms),
    }


def diagnosis_list(kb: KnowledgeBase, lang: str) -> list[DiagnosisSummary]:
    """Every diagnosis, by category then name."""
    rows = [DiagnosisSummary(**_summary(kb, d, lang)) for d in kb.diseases]
    return sorted(rows, key=lambda r: (r.category, r.name.casefold()))


def diagnosis_detail(kb: KnowledgeBase, diagnosis_id: str, lang: str) -> DiagnosisDetail:
    """One diagnosis; raises UnknownEntityError (with close ids) when there is none."""
    d = kb.disease(diagnosis_id)
    refs = d.cited_references()
    return DiagnosisDetail(
        **_summary(kb, d, lang),
        definition=d.definition.get(lang),
        codes={k: v for k, v in d.codes.model_dump().items() if v},
        prior=math.exp(float(kb.log_prior[kb.disease_pos(d.id)])),
        prior_basis=d.prior_basis,
        prior_reasoning=d.prior_spec.reasoning if d.prior_spec else "",
        defining_features=list(d.defining.any_of) if d.defining else [],
        setting_features=list(d.setting.any_of) if d.setting else [],
        age=age_view(kb, d, lang),
        findings=_frequencies(kb, d.findings.values(), kb.disease_pos(d.id), lang),
        references=[ReferenceView(id=r, citation=kb.references[r].text(lang)) for r in refs if r in kb.references],
        last_reviewed=str(d.last_reviewed),
        main_form=d.main_form.get(lang) if d.main_form else None,
        forms=[_form_view(kb, d, r.row, lang) for r in kb.forms if kb.diseases[r.disease] is d],
    )


def _frequencies(kb: KnowledgeBase, entries: Iterable[FindingSpec], row: int, lang: str) -> list[FrequencyView]:
    """Stated frequencies of ``row`` (a diagnosis' main row or a form's), the most telling
    (largest LR when present) first. The LR absent is the one the engine scores
    (``kb.log_absent``): for a test's low state, given its raised state's absence
    (features.yaml opposite_states), not (1 - frequency) / (1 - baseline)."""
    out = []
    for f in sorted(entries, key=lambda f: -f.frequency / kb.features[f.feature].baseline):
        base = kb.features[f.feature].baseline
        pos = kb.feature_pos(f.feature)
        out.append(
            FrequencyView(
                feature=f.feature,
                label=kb.features[f.feature].label(lang),
                frequency=f.frequency,
                baseline=base,
                lr_present=f.frequency / base,
                lr_absent=math.exp(float(kb.log_absent[row, pos]) - math.log1p(-base)),
                basis=f.basis,
                n=f.n,
                total=f.total,
                population=f.population,
                references=list(f.references),
                estimate=f.estimate,
            )
        )
    return out


def _form_view(kb: KnowledgeBase, d: Disease, row: int, lang: str) -> FormView:
    form = kb.row_form(row)
    assert form is not None
    blocks = form.defining_blocks(d.defining_blocks)
    return FormView(
        id=form.id,
        name=form.names.get(lang),
        share=form.share,
        basis=form.basis,
        reasoning=form.reasoning,
        references=list(form.references),
        defining_features=[f for _, block in blocks for f in block.any_of],
        without_defining=form.without_defining,
        age=_age_view(kb, form.age or d.age, row, lang),
        findings=_frequencies(kb, form.findings, row, lang),
    )


def age_view(kb: KnowledgeBase, d: Disease, lang: str) -> AgeView | None:
    """The diagnosis' age at presentation and its share of each age band (None without one)."""
    return _age_view(kb, d.age, kb.disease_pos(d.id), lang)


def _age_view(kb: KnowledgeBase, age: AgeDistribution | None, di: int, lang: str) -> AgeView | None:
    """An age at presentation and what row ``di`` (a diagnosis or a form) gives each age band."""
    if age is None:
        return None
    bands = []
    for band in kb.age_bands:
        j = kb.feature_pos(band.feature)
        freq, base = float(kb.frequency[di, j]), float(kb.baseline[j])
        bands.append(
            AgeBandView(
                feature=band.feature,
                label=kb.features[band.feature].label(lang),
                frequency=freq,
                baseline=base,
                lr=freq / base,
            )
        )
    return AgeView(
        summary=age_summary(age, lang),
        basis=age.basis,
        n=age.n,
        population=age.population,
        references=list(age.references),
        estimate=age.estimate,
        bands=bands,
    )


def vocabulary_list(kb: KnowledgeBase, list_name: str, lang: str) -> list[TermView]:
    """The terms of one vocabulary list; raises KeyError for a list that does not exist."""
    if list_name not in VOCABULARY_LISTS:
        raise KeyError(list_name)
    terms = kb.vocabulary.lists[list_name]
    return sorted(
        (TermView(id=t.id, label=t.label(lang), aliases=list(t.aliases), parent=t.parent) for t in terms.values()),
        key=lambda t: t.label.casefold(),
    )
