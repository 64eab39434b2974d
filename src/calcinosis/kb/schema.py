"""Pydantic models of the knowledge files (``src/calcinosis/knowledge``).

Every model forbids unknown keys, so a typo in a knowledge file is an error that names the
key, never a silently ignored field. See ``docs/authoring-knowledge.md`` for the format.

The models of the knowledge a diagnosis does not read (references, treatments, management,
follow-up, leaflets) live in :mod:`calcinosis.kb.deferred_schema`, defined only when that
knowledge is first validated; they are still importable from here.

The annotations are evaluated as the classes are defined (no ``from __future__ import
annotations``): pydantic then reads them as they are instead of evaluating fifty models' worth
of annotation strings, a quarter of this module's import on every start (issue #17).
"""

import datetime as dt
from collections.abc import Collection
from typing import TYPE_CHECKING, Any, Literal, Self, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

if TYPE_CHECKING:
    from calcinosis.kb.deferred_schema import (
        FollowupFile,
        FollowupItem,
        LeafletFile,
        LeafletLine,
        LeafletSection,
        LeafletVariant,
        LeafletVariantsFile,
        ManagementFile,
        ManagementStatement,
        ReferenceSpec,
        StatementCondition,
        TreatmentCaution,
        TreatmentDoseFor,
        TreatmentEvidence,
        TreatmentFile,
        TreatmentIndication,
        WarningSign,
    )

__all__ = [
    "CATEGORIES",
    "GROUPS",
    "Bilingual",
    "Category",
    "CategoryFile",
    "CategorySpec",
    "CeapClass",
    "CeapSpec",
    "Codes",
    "ConstantsFile",
    "DiseaseFile",
    "FeaturesFile",
    "FindingSpec",
    "FollowupFile",
    "FollowupItem",
    "Group",
    "LeafletFile",
    "LeafletLine",
    "LeafletSection",
    "LeafletVariant",
    "LeafletVariantsFile",
    "ManagedAs",
    "ManagementFile",
    "ManagementStatement",
    "ManifestFile",
    "PorterSpec",
    "PorterStage",
    "PriorsFile",
    "ReferenceSpec",
    "StagingCriterion",
    "StagingFile",
    "StagingRelevance",
    "StatementCondition",
    "TreatmentCaution",
    "TreatmentDoseFor",
    "TreatmentEvidence",
    "TreatmentFile",
    "TreatmentIndication",
    "WarningSign",
    "WorkupFile",
    "WorkupPart",
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
    # defer_build: a model's validator is built when first used, not at import, so a command
    # pays only for the knowledge it reads (diagnose never builds the treatment or leaflet models)
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Bilingual(_Strict):
    """A text in English and French (both required: every user-facing string is bilingual)."""

    en: str = Field(min_length=1)
    fr: str = Field(min_length=1)

    def get(self, lang: str) -> str:
        """The text in ``lang`` ('en' or 'fr')."""
        return self.fr if lang == "fr" else self.en


class Codes(_Strict):
    """Terminology codes of a diagnosis."""

    icd10: list[str] = []
    orpha: list[str] = []
    snomed: list[str] = []
    hpo: list[str] = []
    mondo: list[str] = []


class FindingSpec(_Strict):
    """P(feature present | diagnosis), with its basis.

    ``basis`` says what the number is: ``reported`` (a source gives it: ``n`` of ``total``
    patients of ``population``, in ``references``), ``derived`` (computed from cited data:
    ``estimate`` shows how) or ``judgement`` (``estimate`` gives the reasoning).
    """

    feature: str
    frequency: float = Field(gt=0, lt=1)
    basis: Literal["reported", "derived", "judgement"] | None = None
    n: int | None = Field(default=None, ge=0)
    total: int | None = Field(default=None, gt=0)
    population: str | None = None
    references: list[str] = []
    estimate: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _basis_complete(self) -> Self:
        if self.basis == "reported":
            if self.n is None or self.total is None or not self.population or not self.references:
                raise ValueError("a reported frequency needs n, total, population and references")
            if self.n > self.total:
                raise ValueError(f"n ({self.n}) exceeds total ({self.total})")
        elif self.basis == "derived" and not (self.references and self.estimate):
            raise ValueError(
                "a derived frequency needs the references it is computed from and the computation (estimate)"
            )
        elif self.basis == "judgement" and not self.estimate:
            raise ValueError("a judgement needs its reasoning (estimate)")
        return self


class ManagedAs(_Strict):
    """How a diagnosis whose calcification is a sign of another disease is cared for: that
    disease's own care (a sarcoma is referred, not injected; a calcified dead parasite needs
    nothing), in place of calcinosis treatment. ``calcinosis manage`` states it when the
    diagnosis is likely and leaves its probability out of the category-wide treatment options."""

    en: str = Field(min_length=20)
    fr: str = Field(min_length=20)
    references: list[str] = Field(min_length=1)
    # the treatments of this knowledge that are that disease's own care (a pilomatricoma's
    # excision): while it leads, they are not listed as calcinosis treatments waiting for it to be
    # excluded, which would contradict the care this states
    own_care: list[str] = []


class VitaminDDriven(_Strict):
    """Why vitamin D drives this diagnosis' calcium: vitamin D taken (an intoxication) or made in
    excess by the body (granulomas' 1-alpha-hydroxylase, an impaired breakdown). While such a
    diagnosis leads, the patient leaflet does not tell a child's parents to keep the usual
    vitamin D drops, and tells them to give none until the doctor says so."""

    basis: Literal["reported", "derived", "judgement"]
    reasoning: str = Field(min_length=20)
    references: list[str] = Field(min_length=1)


# The conditions a work-up step can hold (workup.yaml's header says what each means); the
# engine reads them in engine/workup.py. A key outside this list is refused, not ignored.
WORKUP_CONDITIONS = (
    "no_imaging",
    "metabolic",
    "labs_missing",
    "labs_missing_any",
    "labs_present_any",
    "antibodies_missing",
    "antibodies_missing_any",
    "no_modality",
    "group_in_top",
    "diagnosis_in_top_none",
    "diagnosis_in_top",
    "features_present_any",
    "and_features_present_any",
    "features_present_none",
    "top_probability_below",
    "lesion_reported",
    "leading_none",
    "in_tissues_any",
    "leading_unconfirmed",
    "modality_any",
    "deposit_within_reach",
)


# the conditions of WORKUP_CONDITIONS that name features: the loader checks their ids and the
# work-up reads them as sets of features (one table, so that a new key is checked too: a code
# review found and_features_present_any read but never checked)
WORKUP_FEATURE_CONDITIONS = (
    "features_present_any",
    "and_features_present_any",
    "features_present_none",
    "in_tissues_any",
)

# the conditions of WORKUP_CONDITIONS that take a list (the others a true/false, and
# top_probability_below a number)
WORKUP_LIST_CONDITIONS = frozenset(WORKUP_CONDITIONS) - {
    "no_imaging",
    "metabolic",
    "top_probability_below",
    "lesion_reported",
    "leading_unconfirmed",
    "deposit_within_reach",
}


class ExplainedBy(_Strict):
    """A treatment the case reports with an indication of its own: given for that indication, it
    says nothing of the other diseases it is also given for, and is read, not scored."""

    by: list[str] = Field(min_length=1)  # present, one of these explains it
    why: str


class NotAskedWith(_Strict):
    """A feature not asked when the case already says something that makes its answer
    uninformative (a PTH of a dialysis patient), and why."""

    when_any: list[str] = []  # not asked when one of these is reported present
    when_absent: list[str] = []  # ... or when one of these is reported absent (an eGFR of 69: not on dialysis)
    # ... and, when given, one of these is reported present too: two findings that together answer
    # the question, neither alone (a swelling at a joint: 'is there a periarticular mass?')
    and_any: list[str] = []
    why: str

    @model_validator(mode="after")
    def _says_when(self) -> Self:
        if not (self.when_any or self.when_absent):
            raise ValueError("give when_any or when_absent (or both)")
        return self


class WorkupWhy(_Strict):
    """A sentence of a work-up step that says why it is asked for some diagnoses only: said when
    one of the diagnoses it names (by id, group or category) is among those that motivate the
    work-up of the case (``workup.top_threshold`` or above). Plain radiographs detected the
    calcinosis of connective tissue disease in nearly all patients (Shahi 2014): a reason for a
    scleroderma, not for a dialysis patient's tumoral calcinosis (a clinical review)."""

    diagnoses: list[str] = []
    groups: list[Group] = []
    categories: list[Category] = []
    en: str = Field(min_length=10)
    fr: str = Field(min_length=10)
    references: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _names_whom(self) -> Self:
        if not (self.diagnoses or self.groups or self.categories):
            raise ValueError("a why_for sentence names the diagnoses, groups or categories it is said for")
        return self


def _checked_conditions(when: dict[str, object]) -> None:
    """Refuse a work-up condition that is unknown, or given a value of the wrong kind: a step's
    and a part's ``when`` read the same conditions."""
    unknown = [k for k in when if k not in WORKUP_CONDITIONS]
    if unknown:
        from difflib import get_close_matches

        close = {k: get_close_matches(k, WORKUP_CONDITIONS, n=1) for k in unknown}
        said = ", ".join(f"{k!r}" + (f" (did you mean {c[0]!r}?)" if c else "") for k, c in close.items())
        raise ValueError(f"unknown condition {said}; expected one of {', '.join(WORKUP_CONDITIONS)}")
    # a list condition given as one value held nothing, silently (leading_none: calciphylaxis
    # turned the exclusion off: a code review)
    not_lists = [k for k in when if k in WORKUP_LIST_CONDITIONS and not isinstance(when[k], list)]
    if not_lists:
        raise ValueError(f"condition {', '.join(map(repr, not_lists))} takes a list, e.g. [{when[not_lists[0]]}]")
    flags = [
        k
        for k in when
        if k not in WORKUP_LIST_CONDITIONS and k != "top_probability_below" and not isinstance(when[k], bool)
    ]
    if flags:
        raise ValueError(f"condition {', '.join(map(repr, flags))} takes true or false")


class WorkupPart(_Strict):
    """A sentence of a work-up step said only when its own conditions hold (the step's
    conditions): what the case already has is not asked again (a clinical review: a chest CT
    asked beside the CT that showed the lung deposits, 'from school age' to a woman of 45, 'the
    kidney function' of a dialysis patient)."""

    en: str = Field(min_length=3)
    fr: str = Field(min_length=3)
    when: dict[str, object] = {}

    @model_validator(mode="after")
    def _known_conditions(self) -> Self:
        _checked_conditions(self.when)
        return self


class WorkupStep(_Strict):
    """A work-up step: what to do, in both languages, and which features it settles."""

    id: str
    en: str
    fr: str
    answers: list[str] = []
    # a needle or a knife into the lesion (an aspiration, a biopsy): while a sarcoma is possible it
    # is done only in the sarcoma centre, after the MRI (an unplanned biopsy seeds the tract)
    on_the_mass: bool = False
    # a diagnosis' step that comes before the general ones when that diagnosis leads the case:
    # what changes its care now (a calciphylaxis' drugs to stop, a Fournier's gangrene to exclude)
    # before a vitamin D level (an English clinical review)
    first: bool = False
    references: list[str] = []
    when: dict[str, object] = {}
    # why it is asked, for some diagnoses only (WorkupWhy), after the step's own text
    why_for: list[WorkupWhy] = []
    # sentences after the step's own text, each said when its own conditions hold (WorkupPart);
    # a step whose text is empty and none of whose parts hold is not listed
    parts: list[WorkupPart] = []

    @model_validator(mode="after")
    def _known_conditions(self) -> Self:
        _checked_conditions(self.when)
        if not (self.en or self.parts) or not (self.fr or self.parts):
            raise ValueError("a work-up step says something: its own text, or parts")
        return self


class DefiningFeatures(_Strict):
    """What a clinician would need before holding a diagnosis, and how often a referral omits it.

    When none of ``any_of`` is reported present, the diagnosis' likelihood is multiplied by
    ``unreported_probability``: the probability that a referral of a patient who has this
    diagnosis mentions none of them. Treating "not reported" as "no information" is right
    for an ordinary finding, wrong for the cause that defines a diagnosis.
    """

    any_of: list[str] = Field(min_length=1)
    unreported_probability: float = Field(gt=0, le=1)
    basis: Literal["reported", "derived", "judgement"]
    reasoning: str = Field(min_length=20)
    references: list[str] = []
    confirms: bool = Field(
        default=False,
        description=(
            "a setting block only: a feature of it reported present confirms the diagnosis for management "
            "as a defining feature does (the hyperphosphataemia that defines a familial tumoral calcinosis), "
            "not when it is a common background (a kidney failure for calciphylaxis)"
        ),
    )
    widens: bool = Field(
        default=False,
        description=(
            "a setting block only: the defining block widened rather than an independent one. A feature "
            "of the defining block reported present satisfies it too, and its unreported probability is "
            "read among the referrals that leave the defining block unsaid (CKD-MBD: the kidney disease "
            "named, or else at least shown by a creatinine or urea). Its own features' denials count for it alone"
        ),
    )


class AgeSummary(_Strict):
    """One summary of an age: ``median`` with ``iqr`` (first and third quartile), ``mean``
    with ``sd``, or ``median`` with ``range`` (youngest and oldest patient); in ``unit``.
    ``weight``: its share when it is one part of a mixture (newborns and adults)."""

    median: float | None = Field(default=None, ge=0)
    iqr: tuple[float, float] | None = None
    range: tuple[float, float] | None = None
    mean: float | None = Field(default=None, ge=0)
    sd: float | None = Field(default=None, gt=0)
    unit: Literal["years", "months", "days"] = "years"
    weight: float = Field(default=1.0, gt=0, le=1)

    def _summary_errors(self) -> list[str]:
        shapes = (
            self.median is not None and self.iqr is not None,
            self.median is not None and self.range is not None,
            self.mean is not None and self.sd is not None,
        )
        given = [k for k in ("median", "iqr", "range", "mean", "sd") if getattr(self, k) is not None]
        if sum(shapes) != 1 or len(given) != 2:
            return [
                "give one summary of the age: median with iqr, median with range, or mean with sd "
                f"(given: {', '.join(given) or 'none'})"
            ]
        errors = []
        for name in ("iqr", "range"):
            pair = getattr(self, name)
            if pair is not None:
                low, high = pair
                if not (0 <= low <= (self.median or 0) <= high and low < high):
                    errors.append(f"{name} {low:g}-{high:g} must hold the median {self.median:g}, lower limit first")
        return errors


class AgeDistribution(AgeSummary):
    """The age of the patients presenting with a diagnosis, as sources summarise it.

    One summary (:class:`AgeSummary`'s fields), or a ``mixture`` of summaries with weights
    summing to 1 when the patients come in two groups (newborns and adults). It replaces the
    diagnosis' coarse ``patient:infant``/``child``/``older`` frequencies: the loader turns it
    into a probability for every age band (:mod:`calcinosis.kb.age`). ``basis`` as for a
    frequency: ``reported`` needs ``n``, the ``population`` and ``references``; ``derived``
    the references and the computation (``estimate``); ``judgement`` the reasoning.
    """

    mixture: list[AgeSummary] = []
    by_definition: bool = Field(
        default=False,
        description=(
            "the age is part of the definition (a form of newborns): no share of patients is taken at the ages "
            "of other causes (age_atypical_share), and an age outside it gets the knowledge's least frequency "
            "(frequency_floor) rather than a share of the patients at atypical ages"
        ),
    )
    defined_from: float | None = Field(
        default=None,
        ge=0,
        description=(
            "the diagnosis is defined from this age on (adult dermatomyositis from 18; a child's is juvenile "
            "dermatomyositis): the age bands below it get the knowledge's least frequency (frequency_floor), not "
            "the atypical share; an edge of the age bands"
        ),
    )
    n: int | None = Field(default=None, gt=0)
    basis: Literal["reported", "derived", "judgement"]
    population: str | None = None
    references: list[str] = []
    estimate: str = Field(min_length=20)

    @model_validator(mode="after")
    def _one_summary(self) -> Self:
        if self.mixture:
            if any(getattr(self, k) is not None for k in ("median", "iqr", "range", "mean", "sd")):
                raise ValueError("give either one summary of the age or a mixture, not both")
            if abs(sum(c.weight for c in self.mixture) - 1) > 1e-6:
                raise ValueError("the weights of the mixture must sum to 1")
            errors = [e for c in self.mixture for e in c._summary_errors()]
        else:
            errors = self._summary_errors()
        if errors:
            raise ValueError("; ".join(errors))
        if self.basis == "reported" and (self.n is None or not self.population or not self.references):
            raise ValueError("a reported age needs n, population and references")
        if self.basis == "derived" and not self.references:
            raise ValueError("a derived age needs the references it is computed from")
        return self

    @property
    def parts(self) -> list[AgeSummary]:
        """The summaries, each with its weight: the mixture, or this one summary."""
        return list(self.mixture) or [self]


BlockName = Literal["defining", "setting"]


def form_key(diagnosis: str, form: str) -> str:
    """How the knowledge names a form of a diagnosis ('fat_necrosis/newborn': management,
    follow-up and leaflet files, the results' probabilities of each form)."""
    return f"{diagnosis}/{form}"


def said_for(
    when: Collection[str],
    in_play: Collection[str],
    unless: Collection[str],
    present: frozenset[str],
    playing: frozenset[str],
) -> bool:
    """Whether words written for some patients are said for a case reporting ``present`` with
    ``playing`` in play: one of ``when`` reported or one of ``in_play`` in play (either; always
    with neither), none of ``unless`` reported. A follow-up check, a warning sign, a leaflet's
    line and a follow-up slot's words read their conditions so."""
    if not present.isdisjoint(unless):
        return False
    if not (when or in_play):
        return True
    return not present.isdisjoint(when) or not playing.isdisjoint(in_play)


def named_blocks(
    defining: DefiningFeatures | None, setting: DefiningFeatures | None
) -> tuple[tuple[BlockName, DefiningFeatures], ...]:
    """A diagnosis' blocks of defining features by name, ``defining`` (the lesion's, or the only
    one) first, the absent ones left out: each one none of whose features a case mentions costs
    its own unreported probability."""
    blocks: tuple[tuple[BlockName, DefiningFeatures | None], ...] = (("defining", defining), ("setting", setting))
    return tuple((name, b) for name, b in blocks if b is not None)


class DiseaseForm(_Strict):
    """A form of a diagnosis: patients who present differently enough to be described apart.

    One diagnosis can gather two populations whose features do not mix: calcified fat
    necrosis is an adult's breast or buttock after an injury, and a newborn's plaques of the
    back and cheeks after a difficult birth. One set of frequencies would blend them (a newborn
    "usually" female with a "45 %" chance of a breast lesion) and fit neither. A form states
    what differs: its ``share`` of the patients presenting with the diagnosis, its ``age``, the
    ``findings`` whose frequency differs (the others are the diagnosis' own), and its blocks of
    defining features when they differ (``defining``/``setting``: the form's blocks are exactly
    those it gives; ``without_defining``: none, with the reason; none of the three: the
    diagnosis' own). The diagnosis' likelihood is then the mixture over its main form (the
    file's own findings, share 1 minus its forms') and its forms.
    """

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    names: Bilingual
    share: float = Field(gt=0, lt=1, description="P(this form | the diagnosis) among presenting patients")
    basis: Literal["reported", "derived", "judgement"]
    reasoning: str = Field(min_length=20)
    references: list[str] = []
    age: AgeDistribution | None = None
    findings: list[FindingSpec] = []
    defining: DefiningFeatures | None = None
    setting: DefiningFeatures | None = None
    without_defining: str | None = Field(
        default=None,
        min_length=20,
        description="why no feature of the case format defines this form (the diagnosis' blocks do not apply)",
    )

    @model_validator(mode="after")
    def _blocks(self) -> Self:
        if self.without_defining is not None and (self.defining is not None or self.setting is not None):
            raise ValueError("give the form's defining blocks or without_defining, not both")
        return self

    def defining_blocks(
        self, inherited: tuple[tuple[BlockName, DefiningFeatures], ...]
    ) -> tuple[tuple[BlockName, DefiningFeatures], ...]:
        """Its blocks: those it gives, none (``without_defining``), or else ``inherited``."""
        if self.without_defining is not None:
            return ()
        if self.defining is None and self.setting is None:
            return inherited
        return named_blocks(self.defining, self.setting)


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
    managed_as: ManagedAs | None = None
    vitamin_d: VitaminDDriven | None = Field(
        default=None, description="vitamin D (taken or made by the body) drives its calcium, and why"
    )
    seed_facts: list[str] = []
    defining: DefiningFeatures | None = None
    setting: DefiningFeatures | None = Field(
        default=None,
        description=(
            "a second, independent block of defining features: the setting (kidney failure, an exposure, "
            "a metabolic state) without which the diagnosis is rarely held, when `defining` is the lesion itself"
        ),
    )
    age: AgeDistribution | None = Field(
        default=None, description="the age at presentation; without it, the patient:infant/child/older frequencies"
    )
    irrelevant: dict[str, str] = Field(
        default={},
        description="features most diagnoses of the category state, declared irrelevant here, each with the reason",
    )
    main_form: Bilingual | None = Field(
        default=None, description="with forms: who the file's own findings describe (the main form), in a few words"
    )
    forms: list[DiseaseForm] = []

    @model_validator(mode="after")
    def _forms(self) -> Self:
        if not self.forms:
            if self.main_form is not None:
                raise ValueError("main_form names the main form of a diagnosis with forms: give forms or drop it")
            return self
        if self.main_form is None:
            raise ValueError("a diagnosis with forms names its main form (main_form: en, fr)")
        ids = [f.id for f in self.forms]
        if len(set(ids)) != len(ids) or "main" in ids:
            raise ValueError(f"form ids must be distinct and not 'main' (given: {', '.join(ids)})")
        if sum(f.share for f in self.forms) >= 1:
            raise ValueError("the forms' shares must leave a share to the main form (sum below 1)")
        return self

    @property
    def defining_blocks(self) -> tuple[tuple[BlockName, DefiningFeatures], ...]:
        """Its blocks of defining features by name (:func:`named_blocks`)."""
        return named_blocks(self.defining, self.setting)


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
    """A feature outside the vocabulary lists (lab states, imaging flags, patient, course).

    ``baseline`` is required except for the age bands, whose baselines the loader derives."""

    baseline: float | None = Field(default=None, gt=0, lt=1)
    en: str
    fr: str
    gender: Literal["m", "f"] = Field(description="grammatical gender of the French label")
    plural: bool = Field(default=False, description="the French label is plural")
    question_en: str | None = None
    question_fr: str | None = None
    # a case attribute (patient, course) said absent, as a reader writes it: 'Present for less
    # than 12 months' rather than 'Present for 12 months or more absent'
    absent_en: str | None = None
    absent_fr: str | None = None


class SelfReported(_Strict):
    """Questions only the patient can answer (a bone pain, heavy legs): not asked below an age at
    which a child cannot say them (a neonate was asked « Existe-t-il des douleurs osseuses ? »)."""

    min_age_years: float = Field(gt=0)
    features: list[str] = Field(min_length=1)
    why: str = Field(min_length=20)


class FeaturesFile(_Strict):
    """``features.yaml``."""

    last_reviewed: dt.date
    references: list[str]
    namespaces: dict[str, NamespaceSpec]
    questions: dict[str, Bilingual] = {}
    derived: dict[str, DerivedFeatureSpec]
    age_bands: dict[str, tuple[float, float | None]] = Field(
        description="the exclusive age bands, [lower, upper) in years (null: open), youngest first"
    )
    baselines: dict[str, float]
    groups: dict[str, list[str]]
    implies: dict[str, list[str]] = {}
    same_state: dict[str, str] = Field(
        default={},
        description=(
            "a state a case can report two ways (a known condition, a lab): a diagnosis that states the frequency "
            "of one and not the other takes it for both"
        ),
    )
    exclusive: dict[str, list[str]] = Field(
        default={},
        description=(
            "sets of which one and only one feature describes a case (the extent of the deposits, the duration): a "
            "diagnosis' frequencies of them add up to 1, and a case reporting one is scored on that one alone"
        ),
    )
    opposite_states: dict[str, str] = Field(
        default={},
        description=(
            "the raised and the low state of one laboratory test (a reading is low, normal or high): a diagnosis "
            "that states the frequency of one and not the other leaves the other what it leaves to a normal "
            "reading, shared in proportion to their baselines"
        ),
    )
    not_scored: dict[str, str] = {}
    non_discriminating: dict[str, str] = {}
    not_asked: dict[str, str] = Field(
        default={}, description="features scored when reported but never asked as a next question, with why"
    )
    explained_by: dict[str, ExplainedBy] = Field(
        default={},
        description=(
            "features read but not scored when one of by is reported present (a transplant's immunosuppressants "
            "say nothing of a dermatomyositis), with why"
        ),
    )
    self_reported: SelfReported | None = Field(
        default=None, description="features whose question needs the patient's own words, and from what age"
    )
    not_asked_with: dict[str, NotAskedWith] = Field(
        default={},
        description=(
            "features not asked as a next question when the case reports one of when_any present or one of "
            "when_absent absent, with why"
        ),
    )


class Constant(_Strict):
    """A model constant and why it has its value."""

    value: float
    estimate: str | None = None
    fitted: str | None = Field(default=None, description="how and on what the value was fitted, when it was")
    references: list[str] = []


class ConstantsFile(_Strict):
    """``constants.yaml``."""

    dependency_damping: Constant
    category_prior_strength: Constant
    rule_strength: Constant
    differential_strength: Constant
    defining_strength: Constant
    temperature: Constant
    unlisted_site_weight: Constant
    presentation_floor: Constant
    age_atypical_share: Constant
    frequency_floor: Constant
    frequency_ceiling: Constant
    differential_min_probability: Constant
    next_questions: Constant
    next_question_min_gain_bits: Constant
    thresholds: dict[str, float]
    thresholds_reference: list[str]


Basis = Literal["reported", "derived", "judgement"]


class DiagnosisPrior(_Strict):
    """How common one diagnosis is among the patients the tool serves, with its basis. The
    engine reads its share within the diagnosis' category (``category_model.yaml`` holds the
    categories' own priors), so a derived value usually carries a ratio between diagnoses of
    one group, scaled to the group's total."""

    value: float = Field(gt=0, lt=1)
    basis: Basis
    reasoning: str = Field(min_length=20)
    references: list[str] = []


class PriorsFile(_Strict):
    """``priors.yaml``."""

    last_reviewed: dt.date
    references: list[str]
    priors: dict[str, DiagnosisPrior]


class CategoryPrior(_Strict):
    """The share of one category among referrals, with its basis."""

    value: float = Field(gt=0, lt=1)
    basis: Basis
    reasoning: str = Field(min_length=20)
    references: list[str] = []


class CategoryRuleSpec(_Strict):
    """One of the seeds' classification rules, as a state read from the case and P(state | category)."""

    id: str
    en: str
    fr: str
    gender: Literal["m", "f"] = Field(description="grammatical gender of the French label")
    any_of: list[str] = Field(min_length=1)
    with_any_of: list[str] = []
    normal_when_measured: list[str] = []
    window_days: dict[str, float] = {}
    informative_when_absent: bool
    frequency: dict[str, float]
    basis: Basis
    reasoning: str = Field(min_length=20)
    references: list[str] = []

    @model_validator(mode="after")
    def _every_category(self) -> Self:
        missing = set(get_args(Category)) - set(self.frequency)
        unknown = set(self.frequency) - set(get_args(Category))
        if missing or unknown:
            raise ValueError(
                f"frequency must cover exactly the six categories (missing {sorted(missing)}, unknown {sorted(unknown)})"
            )
        if not all(0 < v < 1 for v in self.frequency.values()):
            raise ValueError("frequencies must lie strictly between 0 and 1")
        return self


class CategoryModelFile(_Strict):
    """``category_model.yaml``: category priors and the seeds' classification rules."""

    references: list[str]
    priors: dict[str, CategoryPrior]
    rules: list[CategoryRuleSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _every_prior(self) -> Self:
        missing = set(get_args(Category)) - set(self.priors)
        unknown = set(self.priors) - set(get_args(Category))
        if missing or unknown:
            raise ValueError(
                f"priors must cover exactly the six categories (missing {sorted(missing)}, unknown {sorted(unknown)})"
            )
        return self


class WorkupFile(_Strict):
    """``workup.yaml``."""

    top_threshold: float
    metabolic_threshold: float = Field(gt=0, lt=1)
    confident_top: float = Field(gt=0, lt=1)
    references: list[str]
    lesion_features: list[str] = []  # what makes an affected area when no site is named
    # what puts a deposit within reach of a needle or a local treatment, the imaging tissues out
    # of it (an organ) and the sites that only name a body cavity (engine.workup.out_of_reach,
    # read by the work-up's lesion biopsy and by management's local treatments)
    in_reach_findings: list[str] = []
    out_of_reach_tissues: list[str] = []
    cavity_sites: list[str] = []
    # the imaging tissues that put a deposit in an organ, whatever else the case has
    # (engine.workup.in_the_organs: the follow-up's organ signs and the leaflet's read it)
    organ_tissues: list[str] = []
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


class StagingCriterion(_Strict):
    """A case feature that supports a stage or class."""

    feature: str
    ambiguous_with: int | None = None
    note: Bilingual | None = None


class PorterStage(_Strict):
    """One of the four Porter 1988 stages of seed 001."""

    stage: int = Field(ge=1, le=4)
    en: str
    fr: str
    criteria: list[StagingCriterion]


class PorterSpec(_Strict):
    """Porter 1988 staging of chronic venous insufficiency."""

    references: list[str]
    seed_facts: list[str] = []
    stages: list[PorterStage]
    decide: Bilingual


class CeapClass(_Strict):
    """One CEAP 2020 clinical class."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)

    class_: str = Field(alias="class")
    en: str
    fr: str
    criteria: list[StagingCriterion]


class CeapSpec(_Strict):
    """CEAP 2020 clinical classification."""

    references: list[str]
    classes: list[CeapClass]
    symptomatic_features: list[str]
    decide: Bilingual


class StagingRelevance(_Strict):
    """When staging is shown: a listed diagnosis in the differential, or a listed feature present."""

    diagnoses: list[str]
    features: list[str]


class StagingFile(_Strict):
    """``staging.yaml``."""

    relevant_when: StagingRelevance
    porter: PorterSpec
    ceap: CeapSpec


class KnownAlert(Bilingual):
    """What a must-not-miss alert says when the case already states what it asks to look for (a
    known cancer: not 'look for it'): ``{known}`` in the texts is replaced by what the case states."""

    features: list[str] = Field(min_length=1, description="the history, exposures or findings that make it known")


class UnshownWithFindings(Bilingual):
    """The alert of a must-not-miss diagnosis none of whose defining features is reported, while
    a finding that may be its early lesion is (``when``, one of them present): the lesion is there
    to examine now, not a sign to wait for (a clinical review: a woman with exquisitely tender
    thigh lesions read 'though no skin lesion of it is reported ... refer at once if they appear')."""

    when: list[str] = Field(min_length=1)
    # and one of these present too, when set: a pain with a lesion the case locates (a back and
    # leg pain alone read 'painful or tender lesions are reported': a clinical review)
    with_any: list[str] = []


class PatientAlert(Bilingual):
    """The alert of a must-not-miss diagnosis written for some patients (``features``, one of
    them present: the patient's age or sex), in place of the general one: an underlying cancer in
    a child is a leukaemia, a lymphoma or a solid tumour, not a myeloma (a clinical review read
    'myeloma' first for a child of 6)."""

    features: list[str] = Field(min_length=1, description="the patient's features it is written for (patient:*)")


class MustNotMissFile(_Strict):
    """``must_not_miss.yaml``: diagnoses shown first whenever they reach ``threshold``, and why."""

    threshold: float = Field(gt=0, lt=1)
    references: list[str]
    diagnoses: dict[str, Bilingual]
    patient_signs: dict[str, Bilingual] = Field(
        default={},
        description="diagnosis -> the signs a patient watches for while it is still possible (the leaflet's 'when to see a doctor')",
    )
    followed_until_excluded: list[str] = Field(
        default=[],
        description=(
            "diagnoses whose own first follow-up check comes first while they are possible, with a defining "
            "feature in the case, and not leading (calciphylaxis: its weekly review)"
        ),
    )
    while_unshown: dict[str, Bilingual] = Field(
        default={},
        description=(
            "diagnosis -> what the alert says instead while none of its defining features is reported (a "
            "calciphylaxis at 3 % with no skin lesion: what to watch for, not 'a specialised team now')"
        ),
    )
    while_known: dict[str, KnownAlert] = Field(
        default={},
        description=(
            "diagnosis -> what the alert says instead when the case states one of its features (a known breast "
            "cancer: 'known: ...', not 'an underlying cancer: look for it')"
        ),
    )
    while_unshown_with: dict[str, UnshownWithFindings] = Field(
        default={},
        description=(
            "diagnosis -> what the alert says instead of while_unshown when one of the findings of ``when`` is "
            "reported (tender lesions with no purpura, livedo, ulcer or necrosis: examine them now)"
        ),
    )
    for_patients: dict[str, list[PatientAlert]] = Field(
        default={},
        description=(
            "diagnosis -> its alert for some patients (a child), in place of the general one, the first whose "
            "features the case has (a child's underlying cancer: a leukaemia or a solid tumour, not a myeloma)"
        ),
    )
    workup: dict[str, list[str]] = Field(
        default={},
        description=(
            "diagnosis -> the ids of its own work-up steps asked whenever its alert shows and it is not among "
            "the leading three (a myeloma named to look for, and no protein electrophoresis asked)"
        ),
    )


def __getattr__(name: str) -> Any:
    """The models of the deferred knowledge, from :mod:`calcinosis.kb.deferred_schema`, imported
    (and their classes defined) on first request rather than with this module."""
    if not name.startswith("_"):  # never for dunder probes (pickle, inspect, pytest)
        from calcinosis.kb import deferred_schema

        if name in deferred_schema.__all__:
            return getattr(deferred_schema, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
