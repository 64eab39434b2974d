"""Pydantic models of the knowledge files (``src/calcinosis/knowledge``).

Every model forbids unknown keys, so a typo in a knowledge file is an error that names the
key, never a silently ignored field. See ``docs/authoring-knowledge.md`` for the format.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "CATEGORIES",
    "GROUPS",
    "Bilingual",
    "Category",
    "CategoryFile",
    "CategorySpec",
    "Codes",
    "ConstantsFile",
    "DiseaseFile",
    "FeaturesFile",
    "FindingSpec",
    "Group",
    "ManifestFile",
    "PriorsFile",
    "ReferenceSpec",
    "WorkupFile",
    "WorkupStep",
]

Category = Literal["dystrophic", "metastatic", "idiopathic", "iatrogenic", "tumoral", "calciphylaxis"]
Group = Literal[
    "connective_tissue",
    "crystal",
    "infection",
    "tumour",
    "necrosis_injury",
    "metabolic",
    "tumoral",
    "iatrogenic",
    "idiopathic",
    "calciphylaxis",
]
CATEGORIES: tuple[str, ...] = get_args(Category)
GROUPS: tuple[str, ...] = get_args(Group)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Bilingual(_Strict):
    """A text in English and French (both required: every user-facing string is bilingual)."""

    en: str = Field(min_length=1)
    fr: str = Field(min_length=1)

    def get(self, lang: str) -> str:
        """The text in ``lang`` ('en' or 'fr')."""
        return self.fr if lang == "fr" else self.en


class ReferenceSpec(_Strict):
    """One bibliographic reference."""

    id: str
    kind: Literal[
        "seed",
        "review",
        "cohort",
        "case_series",
        "case_report",
        "guideline",
        "registry",
        "textbook",
        "criteria",
    ]
    citation: str
    pmid: str | None = None
    doi: str | None = None
    url: str | None = None
    seed_file: str | None = None
    note: str | None = None


class Codes(_Strict):
    """Terminology codes of a diagnosis."""

    icd10: list[str] = []
    orpha: list[str] = []
    snomed: list[str] = []
    hpo: list[str] = []
    mondo: list[str] = []


class FindingSpec(_Strict):
    """P(feature present | diagnosis), with its source or the reasoning behind an estimate."""

    feature: str
    frequency: float = Field(gt=0, lt=1)
    references: list[str] = []
    estimate: str | None = None
    note: str | None = None


class WorkupStep(_Strict):
    """A work-up step: what to do, in both languages, and which features it settles."""

    id: str
    en: str
    fr: str
    answers: list[str] = []
    references: list[str] = []
    when: dict[str, object] = {}


class DiseaseFile(_Strict):
    """``diseases/<id>.yaml``: one diagnosis."""

    id: str
    category: Category
    group: Group
    names: Bilingual
    synonyms: list[str] = []
    definition: Bilingual
    codes: Codes = Codes()
    last_reviewed: dt.date
    references: list[str] = Field(min_length=1)
    findings: list[FindingSpec] = Field(min_length=1)
    workup: list[WorkupStep] = []
    seed_facts: list[str] = []


class CategoryDefault(_Strict):
    """A category-wide default frequency for one feature."""

    frequency: float = Field(gt=0, lt=1)
    estimate: str | None = None
    references: list[str] = []


class CategorySpec(_Strict):
    """One of the six categories and its classification rule."""

    en: str
    fr: str
    definition: Bilingual
    rule: Bilingual
    phosphocalcic: Literal["normal", "deranged", "either"]
    references: list[str] = Field(min_length=1)
    seed_facts: list[str] = []
    defaults: dict[str, CategoryDefault] = {}


CategoryFile = dict[str, CategorySpec]


class NamespaceSpec(_Strict):
    """Default baseline and question template of a feature namespace."""

    baseline: float = Field(gt=0, lt=1)
    question: Bilingual


class DerivedFeatureSpec(_Strict):
    """A feature outside the vocabulary lists (lab states, imaging flags, patient, course)."""

    baseline: float = Field(gt=0, lt=1)
    en: str
    fr: str
    question_en: str | None = None
    question_fr: str | None = None


class FeaturesFile(_Strict):
    """``features.yaml``."""

    last_reviewed: dt.date
    references: list[str]
    namespaces: dict[str, NamespaceSpec]
    derived: dict[str, DerivedFeatureSpec]
    baselines: dict[str, float]
    groups: dict[str, list[str]]
    non_discriminating: dict[str, str] = {}


class PriorsFile(_Strict):
    """``priors.yaml``."""

    last_reviewed: dt.date
    references: list[str]
    priors: dict[str, float]


class Constant(_Strict):
    """A model constant and why it has its value."""

    value: float
    estimate: str | None = None
    references: list[str] = []


class ConstantsFile(_Strict):
    """``constants.yaml``."""

    dependency_damping: Constant
    frequency_floor: Constant
    frequency_ceiling: Constant
    differential_min_probability: Constant
    next_questions: Constant
    next_question_min_gain_bits: Constant
    thresholds: dict[str, float]
    thresholds_reference: list[str]


class WorkupFile(_Strict):
    """``workup.yaml``."""

    top_threshold: float
    references: list[str]
    steps: list[WorkupStep]


class ChangelogEntry(_Strict):
    """One knowledge release."""

    version: str
    date: dt.date
    changes: list[str]


class ManifestFile(_Strict):
    """``MANIFEST.yaml``."""

    kb_version: str
    released: dt.date
    case_format_version: int
    changelog: list[ChangelogEntry]
