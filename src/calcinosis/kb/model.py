"""The compiled, immutable knowledge base: typed accessors plus the arrays the engine scores with."""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

import numpy as np

from calcinosis.errors import UnknownEntityError
from calcinosis.i18n import english_inline, lower_first
from calcinosis.issues import closest
from calcinosis.kb.schema import (
    AgeDistribution,
    Bilingual,
    BlockName,
    CategoryModelFile,
    CategorySpec,
    Codes,
    ConstantsFile,
    DefiningFeatures,
    DiagnosisPrior,
    DiseaseForm,
    FindingSpec,
    KnownAlert,
    ManagedAs,
    ManifestFile,
    PatientAlert,
    StagingFile,
    UnshownWithFindings,
    VitaminDDriven,
    WorkupFile,
    WorkupStep,
    named_blocks,
)
from calcinosis.kb.vocabulary import Vocabulary

__all__ = ["DeferredParts", "Disease", "Feature", "FrequencySource", "KnowledgeBase", "LazyParts", "NotAsked"]

if TYPE_CHECKING:  # annotations only: numpy.typing and the deferred knowledge's models are not imported at run time
    import numpy.typing as npt

    from calcinosis.kb.age import AgeBand
    from calcinosis.kb.deferred_schema import (
        FollowupFile,
        LeafletFile,
        LeafletVariantsFile,
        ManagementFile,
        ReferenceSpec,
        TreatmentFile,
    )

    FloatArray = npt.NDArray[np.float64]


class NotAsked(NamedTuple):
    """When a feature is not asked as a next question (features.yaml ``not_asked_with``): one of
    ``when_any`` reported present or one of ``when_absent`` reported absent, and, when
    ``and_any`` is given, one of those reported present too (a swelling *at a joint* answers
    'is there a periarticular mass?'; a swelling alone, or a joint site alone, does not)."""

    when_any: tuple[str, ...]
    when_absent: tuple[str, ...]
    and_any: tuple[str, ...] = ()


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
    absent_en: str | None = None  # a case attribute said absent ("Present for less than 12 months")
    absent_fr: str | None = None

    def label(self, lang: str) -> str:
        """Readable name of the feature."""
        return self.fr if lang == "fr" else self.en

    @property
    def attribute(self) -> bool:
        """A case attribute (sex, menopause, age, duration, onset) rather than a finding: said by
        itself when present and by its absent wording when absent."""
        return self.namespace in ("patient", "course")

    def absent_label(self, lang: str) -> str | None:
        """The feature said absent, when it is a case attribute that has such a wording."""
        return self.absent_fr if lang == "fr" else self.absent_en

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
    last_reviewed: str
    defining: DefiningFeatures | None = None
    irrelevant: Mapping[str, str] | None = None
    age: AgeDistribution | None = None  # the age at presentation, when the knowledge gives it
    setting: DefiningFeatures | None = None  # a second defining block: the setting, when `defining` is the lesion
    main_form: Bilingual | None = None  # with forms: who its own findings describe
    forms: tuple[DiseaseForm, ...] = ()  # its other forms (kb.schema.DiseaseForm), each a row of its own
    prior_spec: DiagnosisPrior | None = None  # its prior: value, basis, reasoning, references (priors.yaml)
    managed_as: ManagedAs | None = None  # cared for as the disease it is a sign of, not as calcinosis
    vitamin_d: VitaminDDriven | None = None  # vitamin D drives its calcium (kb.schema.VitaminDDriven)

    @property
    def prior(self) -> float:
        """Its prior as priors.yaml gives it, before normalisation (1e-4 while a knowledge base
        that gives it none is being checked: the loader then refuses it)."""
        return self.prior_spec.value if self.prior_spec is not None else 1e-4

    @property
    def prior_basis(self) -> str:
        """How its prior was set: reported, derived or judgement (judgement when none is given)."""
        return self.prior_spec.basis if self.prior_spec is not None else "judgement"

    @property
    def main_share(self) -> float:
        """The share of its main form (1 without forms)."""
        return 1.0 - sum(f.share for f in self.forms)

    @property
    def defining_blocks(self) -> tuple[tuple[BlockName, DefiningFeatures], ...]:
        """Its blocks of defining features by name (:func:`calcinosis.kb.schema.named_blocks`)."""
        return named_blocks(self.defining, self.setting)

    def cited_references(self) -> list[str]:
        """Every reference its knowledge cites, each once: its own, then its frequencies', its age's
        and its defining blocks' (what ``kb show`` and the knowledge API list)."""
        refs = dict.fromkeys(self.references)
        for f in self.findings.values():
            refs.update(dict.fromkeys(f.references))
        if self.age is not None:
            refs.update(dict.fromkeys(self.age.references))
        for _, block in self.defining_blocks:
            refs.update(dict.fromkeys(block.references))
        if self.prior_spec is not None:
            refs.update(dict.fromkeys(self.prior_spec.references))
        for form in self.forms:
            refs.update(dict.fromkeys(form.references))
            for f in form.findings:
                refs.update(dict.fromkeys(f.references))
            if form.age is not None:
                refs.update(dict.fromkeys(form.age.references))
            for _, block in form.defining_blocks(()):
                refs.update(dict.fromkeys(block.references))
        return list(refs)

    def name(self, lang: str) -> str:
        """Name in ``lang``."""
        return self.names.get(lang)


@dataclass(frozen=True)
class FormRow:
    """A form of a diagnosis as compiled: its own row of the arrays, after the D diagnoses' rows.

    Row ``d`` (below D) is diagnosis ``d``'s main form, its file's own findings; a form's row
    starts as a copy of it with the form's findings, age and defining blocks put in.
    """

    disease: int  # the diagnosis (index into KnowledgeBase.diseases)
    form: DiseaseForm
    row: int  # its row of frequency, log_present, log_absent (D + its place among the forms)
    key: str  # 'diagnosis/form' (kb.schema.form_key), as the management knowledge names it


@dataclass(frozen=True)
class DeferredParts:
    """The knowledge a diagnosis does not read: references, treatments, management, follow-up, leaflets.

    Kept apart so that ``calcinosis diagnose`` does not validate (nor build the schemas of)
    half a megabyte of knowledge it never shows; see :class:`LazyParts`.
    """

    references: Mapping[str, ReferenceSpec]
    treatments: Mapping[str, TreatmentFile]
    followup: FollowupFile
    management: ManagementFile
    leaflet: LeafletFile
    leaflet_variants: LeafletVariantsFile


class LazyParts:
    """:class:`DeferredParts` built by ``build`` on first use, once, under a lock (the web app
    serves from threads).

    The loader gives an already built one when it read the YAML files (every check then runs
    at load, as before), and a pending one when it read its checksummed cache: those parts were
    validated when the cache was written, and are validated again by the schemas the first
    time they are used. Pickled as the built parts (a worker process gets plain data).
    """

    def __init__(self, build: Callable[[], DeferredParts] | None = None, *, parts: DeferredParts | None = None) -> None:
        if build is None and parts is None:
            raise ValueError("LazyParts needs a build function or the parts")
        self._build = build
        self._parts = parts
        self._lock = threading.Lock()

    @property
    def built(self) -> bool:
        """Whether the parts have been built (validated) yet."""
        return self._parts is not None

    def get(self) -> DeferredParts:
        """The parts, built on the first call; raises KnowledgeBaseError when they do not validate."""
        parts = self._parts
        if parts is not None:
            return parts
        with self._lock:
            if self._parts is None:
                assert self._build is not None
                self._parts = self._build()
                self._build = None
            return self._parts

    def __reduce__(self) -> tuple[Any, ...]:
        return (_built_parts, (self.get(),))


def _built_parts(parts: DeferredParts) -> LazyParts:
    return LazyParts(parts=parts)


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
    units: Mapping[str, Any]
    reference_ranges: Mapping[str, Any]
    workup: WorkupFile
    seed_fact_notes: Mapping[str, Any]
    non_discriminating: Mapping[str, str]
    not_scored: npt.NDArray[np.bool_]  # F: read from cases, never scored (features.yaml not_scored)
    implies: Mapping[str, tuple[str, ...]]  # feature -> features its presence implies (features.yaml)
    # feature -> features whose presence explains it: read, not scored (features.yaml explained_by)
    explained_by: Mapping[str, tuple[str, ...]]
    # feature -> the features whose presence or absence leaves it unasked (features.yaml)
    not_asked_with: Mapping[str, NotAsked]
    # feature -> the features whose reported absence says it is absent too (features.yaml implies
    # and same_state, read backwards): not asked then (kb.loader._settled_by_absence)
    settled_by_absence: Mapping[str, tuple[str, ...]]
    # features whose question needs the patient's own words, not asked below an age (features.yaml self_reported)
    self_reported: frozenset[str]
    self_report_min_age: float
    exclusive: frozenset[str]  # members of sets of which one and only one describes a case (features.yaml exclusive)
    opposite_states: Mapping[str, str]  # the raised state of a test -> its low state (features.yaml opposite_states)
    staging: StagingFile
    age_bands: tuple[AgeBand, ...]  # youngest first: each band's feature and [low, high) in years
    # compiled arrays, R rows x F features: the D diagnoses (their main form), then their
    # other forms (``forms``; R = D without any)
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
    must_not_miss: Mapping[str, Bilingual]  # diagnosis -> why it must not be missed
    must_not_miss_threshold: float
    must_not_miss_workup: Mapping[str, tuple[str, ...]]  # diagnosis -> its steps asked whenever its alert shows
    must_not_miss_signs: Mapping[str, Bilingual]  # diagnosis -> what a patient watches for while it is possible
    followed_until_excluded: frozenset[str]  # must_not_miss.yaml: followed on their own schedule while possible
    must_not_miss_unshown: Mapping[str, Bilingual]  # diagnosis -> its alert while no defining feature is reported
    must_not_miss_known: Mapping[str, KnownAlert]  # diagnosis -> its alert when the case states what it looks for
    category_names: tuple[str, ...]
    disease_category: npt.NDArray[np.int64]  # D: index into category_names
    log_category_prior: FloatArray  # C
    log_prior_within: FloatArray  # D: log prior of a diagnosis within its category
    _feature_pos: Mapping[str, int]
    _disease_pos: Mapping[str, int]
    _sources: Mapping[tuple[int, int], FrequencySource]
    # references, treatments, management, follow-up, leaflets: validated on first use (LazyParts)
    _deferred: LazyParts
    root: Path | None = None  # the folder it was loaded from (codes.yaml and other side files live there)
    forms: tuple[FormRow, ...] = ()  # the forms' rows, in row order
    # diagnosis -> its alert while no defining feature is reported but a finding that may be its
    # early lesion is (must_not_miss.yaml while_unshown_with)
    must_not_miss_unshown_with: Mapping[str, UnshownWithFindings] = field(default_factory=dict)
    # diagnosis -> its alerts for some patients, in place of the general one (must_not_miss.yaml
    # for_patients: a child's underlying cancer is not a myeloma)
    must_not_miss_for_patients: Mapping[str, tuple[PatientAlert, ...]] = field(default_factory=dict)

    def must_not_miss_reason(self, diagnosis: str, shown: bool, present: frozenset[str] = frozenset()) -> Bilingual:
        """Why ``diagnosis`` must not be missed (must_not_miss.yaml), or, when none of its defining
        features is reported (``shown`` False) and the file says it, what to watch for instead:
        what to examine now when a finding that may be its early lesion is among ``present`` (the
        features the case reports present, the patient's among them), what to watch for otherwise.
        The general alert is the one written for the patient when there is one (for_patients: a
        child's cancer to look for is a leukaemia or a solid tumour, not a myeloma)."""
        general: Bilingual = next(
            (a for a in self.must_not_miss_for_patients.get(diagnosis, ()) if present & set(a.features)),
            self.must_not_miss[diagnosis],
        )
        if shown:
            return general
        lesion = self.must_not_miss_unshown_with.get(diagnosis)
        if (
            lesion is not None
            and present & set(lesion.when)
            and (not lesion.with_any or present & set(lesion.with_any))
        ):
            return lesion
        return self.must_not_miss_unshown.get(diagnosis) or general

    def must_not_miss_known_reason(self, diagnosis: str, stated: Collection[str], lang: str) -> str | None:
        """What the alert of ``diagnosis`` says when ``stated`` (the case's history, exposures and
        findings as feature ids) holds what it asks to look for (must_not_miss.yaml while_known: a
        known breast cancer read 'an underlying cancer ...: look for it', a clinical review), the
        stated features named in the case's order; None when it holds none of them."""
        alert = self.must_not_miss_known.get(diagnosis)
        if alert is None:
            return None
        named = [f for f in stated if f in alert.features]
        if not named:
            return None
        labels = [self.features[f].label(lang) for f in dict.fromkeys(named)]
        inside = [lower_first(x) if lang == "fr" else english_inline(x) for x in labels]
        return alert.get(lang).replace("{known}", ", ".join(inside))

    def cancer_to_exclude(self, diagnosis: str) -> bool:
        """Whether ``diagnosis`` is a cancer that must not be missed and is cared for as a cancer
        (a sarcoma): while possible, procedures on the mass wait and the leaflet does not name it
        (one definition for the work-up, management and the leaflet: a code review found five)."""
        d = self.disease(diagnosis)
        return diagnosis in self.must_not_miss and d.managed_as is not None and d.group == "tumour"

    def row_disease(self, row: int) -> int:
        """The diagnosis of a row of the compiled arrays (a diagnosis' main form or one of its forms)."""
        return row if row < len(self.diseases) else self.forms[row - len(self.diseases)].disease

    def row_form(self, row: int) -> DiseaseForm | None:
        """The form of a row (None: a diagnosis' main form)."""
        return None if row < len(self.diseases) else self.forms[row - len(self.diseases)].form

    def form_row(self, key: str) -> FormRow | None:
        """The form named 'diagnosis/form' (kb.schema.form_key), None when there is none."""
        return next((r for r in self.forms if r.key == key), None)

    def row_name(self, row: int, lang: str) -> str:
        """Who a row's frequencies describe: the diagnosis, its main form ('Fat necrosis (adults)')
        or one of its forms (the form's name)."""
        disease = self.diseases[self.row_disease(row)]
        form = self.row_form(row)
        if form is not None:
            return form.names.get(lang)
        if disease.main_form is not None:
            return f"{disease.name(lang)} ({disease.main_form.get(lang)})"
        return disease.name(lang)

    # ---- knowledge a diagnosis does not need, validated on first use --------------------
    @property
    def references(self) -> Mapping[str, ReferenceSpec]:
        """Every reference of the knowledge, by id."""
        return self._deferred.get().references

    @property
    def treatments(self) -> Mapping[str, TreatmentFile]:
        """Treatments as data (``treatments/*.yaml``), by id."""
        return self._deferred.get().treatments

    @property
    def followup(self) -> FollowupFile:
        """The follow-up plan and warning signs (``followup.yaml``)."""
        return self._deferred.get().followup

    @property
    def management(self) -> ManagementFile:
        """Principles of management (``management.yaml``)."""
        return self._deferred.get().management

    @property
    def leaflet(self) -> LeafletFile:
        """Sections of the patient leaflet (``leaflet.yaml``)."""
        return self._deferred.get().leaflet

    @property
    def leaflet_variants(self) -> LeafletVariantsFile:
        """Leaflet sections written for a condition (``leaflet_by_condition.yaml``)."""
        return self._deferred.get().leaflet_variants

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
