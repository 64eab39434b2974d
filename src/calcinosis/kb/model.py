"""The compiled, immutable knowledge base: typed accessors plus the arrays the engine scores with."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from calcinosis.errors import UnknownEntityError
from calcinosis.issues import closest
from calcinosis.kb.schema import (
    Bilingual,
    CategoryModelFile,
    CategorySpec,
    Codes,
    ConstantsFile,
    DefiningFeatures,
    FindingSpec,
    FollowupFile,
    LeafletFile,
    LeafletVariantsFile,
    ManagementFile,
    ManifestFile,
    ReferenceSpec,
    StagingFile,
    TreatmentFile,
    WorkupFile,
    WorkupStep,
)
from calcinosis.kb.vocabulary import Vocabulary

__all__ = ["Disease", "Feature", "FrequencySource", "KnowledgeBase"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Feature:
    """A binary feature of a case that the engine reasons over."""

    id: str
    namespace: str
    term: str
    baseline: float
    group: str
    en: str
    fr: str
    question_en: str
    question_fr: str
    gender: str = "m"  # grammatical gender of the French label ("m" or "f")
    plural: bool = False  # the French label is plural

    def label(self, lang: str) -> str:
        """Readable name of the feature."""
        return self.fr if lang == "fr" else self.en

    def question(self, lang: str) -> str:
        """The question that would settle this feature."""
        return self.question_fr if lang == "fr" else self.question_en


@dataclass(frozen=True)
class FrequencySource:
    """Where a diagnosis' frequency for a feature comes from."""

    frequency: float
    origin: Literal["diagnosis", "category", "baseline"]
    references: tuple[str, ...]
    estimate: str | None
    note: str | None


@dataclass(frozen=True)
class Disease:
    """One diagnosis of the knowledge base."""

    id: str
    category: str
    group: str
    names: Bilingual
    synonyms: tuple[str, ...]
    definition: Bilingual
    codes: Codes
    references: tuple[str, ...]
    findings: Mapping[str, FindingSpec]
    workup: tuple[WorkupStep, ...]
    seed_facts: tuple[str, ...]
    prior: float
    last_reviewed: str
    defining: DefiningFeatures | None = None
    irrelevant: Mapping[str, str] | None = None

    def name(self, lang: str) -> str:
        """Name in ``lang``."""
        return self.names.get(lang)


@dataclass(frozen=True)
class KnowledgeBase:
    """Everything the engine knows, validated and compiled once.

    Build it with :func:`calcinosis.load_kb`; pass it explicitly to every call (no global).
    """

    version: str
    manifest: ManifestFile
    constants: ConstantsFile
    vocabulary: Vocabulary
    features: Mapping[str, Feature]
    feature_ids: tuple[str, ...]
    diseases: tuple[Disease, ...]
    categories: Mapping[str, CategorySpec]
    references: Mapping[str, ReferenceSpec]
    units: Mapping[str, Any]
    reference_ranges: Mapping[str, Any]
    workup: WorkupFile
    seed_fact_notes: Mapping[str, Any]
    non_discriminating: Mapping[str, str]
    not_scored: npt.NDArray[np.bool_]  # F: read from cases, never scored (features.yaml not_scored)
    implies: Mapping[str, tuple[str, ...]]  # feature -> features its presence implies (features.yaml)
    treatments: Mapping[str, TreatmentFile]
    staging: StagingFile
    followup: FollowupFile
    management: ManagementFile
    leaflet: LeafletFile
    # compiled arrays, D diagnoses x F features
    frequency: FloatArray
    log_present: FloatArray
    log_absent: FloatArray
    baseline: FloatArray
    log_prior: FloatArray
    group_index: npt.NDArray[np.int64]
    group_names: tuple[str, ...]
    askable: npt.NDArray[np.bool_]  # features worth asking about (not age, sex, distribution)
    # the category step (engine/category.py)
    category_model: CategoryModelFile
    leaflet_variants: LeafletVariantsFile
    must_not_miss: Mapping[str, Bilingual]  # diagnosis -> why it must not be missed
    must_not_miss_threshold: float
    category_names: tuple[str, ...]
    disease_category: npt.NDArray[np.int64]  # D: index into category_names
    log_category_prior: FloatArray  # C
    log_prior_within: FloatArray  # D: log prior of a diagnosis within its category
    _feature_pos: Mapping[str, int]
    _disease_pos: Mapping[str, int]
    _sources: Mapping[tuple[int, int], FrequencySource]
    root: Path | None = None  # the folder it was loaded from (codes.yaml and other side files live there)

    # ---- accessors -------------------------------------------------------------------
    @property
    def disease_ids(self) -> tuple[str, ...]:
        """Diagnosis ids in compiled order."""
        return tuple(d.id for d in self.diseases)

    def disease(self, disease_id: str) -> Disease:
        """The diagnosis ``disease_id``; raises UnknownEntityError with close ids."""
        pos = self._disease_pos.get(disease_id)
        if pos is None:
            raise UnknownEntityError(
                f"unknown diagnosis {disease_id!r}",
                entity_id=disease_id,
                close=closest(disease_id, self._disease_pos),
                kind="diagnosis",
            )
        return self.diseases[pos]

    def feature(self, feature_id: str) -> Feature:
        """The feature ``feature_id``; raises UnknownEntityError with close ids."""
        found = self.features.get(feature_id)
        if found is None:
            raise UnknownEntityError(
                f"unknown feature {feature_id!r}",
                entity_id=feature_id,
                close=closest(feature_id, self.features),
                kind="feature",
            )
        return found

    def feature_pos(self, feature_id: str) -> int:
        """Column of ``feature_id`` in the compiled arrays."""
        return self._feature_pos[feature_id]

    def disease_pos(self, disease_id: str) -> int:
        """Row of ``disease_id`` in the compiled arrays."""
        return self._disease_pos[disease_id]

    def source(self, disease_pos: int, feature_pos: int) -> FrequencySource:
        """Where the frequency of feature ``feature_pos`` in diagnosis ``disease_pos`` comes from."""
        found = self._sources.get((disease_pos, feature_pos))
        if found is not None:
            return found
        return FrequencySource(
            frequency=float(self.baseline[feature_pos]),
            origin="baseline",
            references=(),
            estimate=None,
            note=None,
        )

    def category_of(self, disease_id: str) -> str:
        """Category of a diagnosis."""
        return self.disease(disease_id).category

    def threshold(self, name: str) -> float:
        """A named threshold of constants.yaml."""
        return float(self.constants.thresholds[name])
