"""Pydantic models of the knowledge a diagnosis does not read: references, treatments,
management, follow-up and the patient leaflet (``kb.loader._DEFERRED_FOLDERS`` and
``_DEFERRED_FILES``).

Apart from :mod:`calcinosis.kb.schema` so that ``calcinosis diagnose`` does not even define
these classes (about 5 ms of every start, issue #17): they are imported when that knowledge is
first validated. :mod:`calcinosis.kb.schema` still exports every name, importing this module
when one of these is asked for. Same rules as there: unknown keys are errors, annotations are
evaluated as the classes are defined.
"""

# ruff cannot see that _Strict, imported, is a pydantic model, whose mutable defaults are copied
# for every instance rather than shared (as in kb/schema.py, where it sees it):
# ruff: noqa: RUF012

import datetime as dt
import string
from typing import Literal, Self

from pydantic import Field, model_validator

from calcinosis.kb.citation_french import french_citation
from calcinosis.kb.schema import Bilingual, Category, Group, _Strict, said_for

__all__ = [
    "FollowupEveryFor",
    "FollowupFile",
    "FollowupItem",
    "FollowupSlot",
    "LeafletFile",
    "LeafletLine",
    "LeafletSection",
    "LeafletVariant",
    "LeafletVariantsFile",
    "ManagementFile",
    "ManagementStatement",
    "ReferenceSpec",
    "SlotOption",
    "StatementCondition",
    "TreatmentCaution",
    "TreatmentDoseFor",
    "TreatmentEvidence",
    "TreatmentFile",
    "TreatmentIndication",
    "WarningSign",
]


class ReferenceSpec(_Strict):
    """One bibliographic reference."""

    id: str
    kind: Literal[
        "seed",
        "review",
        "trial",
        "cohort",
        "case_series",
        "case_report",
        "guideline",
        "registry",
        "textbook",
        "criteria",
    ]
    citation: str
    citation_fr: str | None = None  # the citation in French output, when ours has English words
    pmid: str | None = None
    doi: str | None = None
    url: str | None = None
    seed_file: str | None = None
    note: str | None = None
    # The published patients the engine is measured on whose case report this is, each named by
    # its case file under tests/data without the extension ("published/cases/pub-iatro-03-...",
    # "notes-heldout3/en-03-..."): the validation set and the gold cases of the note sets, the
    # pool the global constants are fitted on and the figures reported on. A list, because one
    # report can be the source of a validation patient and of a note's gold case. The reference
    # must support no scored number, or those patients measure what it taught
    # (calcinosis.kb.check.measured_sources_scored).
    measured_cases: list[str] = []

    def text(self, lang: str) -> str:
        """The citation as shown in ``lang``: in French, its own ``citation_fr``, else the
        citation with its editorial notes in French (:mod:`calcinosis.kb.citation_french`)."""
        if lang != "fr":
            return self.citation
        return self.citation_fr or french_citation(self.citation)


class TreatmentDoseFor(_Strict):
    """The dose text of a treatment for some of its diagnoses: the control of a connective tissue
    disease is hydroxychloroquine for a lupus, not the juvenile dermatomyositis regimen (a French
    clinical review read the children's pulses of methylprednisolone for a woman with lupus)."""

    diagnoses: list[str] = []
    # or the patient's context it is written for, one of these reported present (a neurological
    # injury, a long immobilisation): it comes before a text for the diagnosis (a man bedbound
    # after a coma read 'swimming in warm water': a clinical review). A child's text is one,
    # [patient:child], listed first: per kg or per m² from a paediatric source, or set by the
    # paediatric specialists (a toddler's hypervitaminosis D read 4-6 L of saline and 4 mg of
    # zoledronic acid beside a caution that the adult doses did not apply: a clinical review)
    features: list[str] = []
    dose: Bilingual
    references: list[str] = []

    @model_validator(mode="after")
    def _written_for_someone(self) -> Self:
        if not (self.diagnoses or self.features):
            raise ValueError("a dose_for text names the diagnoses or the features it is written for")
        return self


Emergency = Literal["severe_hypercalcaemia", "severe_hypocalcaemia", "tumour_lysis"]
"""The emergencies the diagnosis says first (engine.diagnose.URGENT_CODES, without 'engine.'; a
test holds the two lists equal): an indication or a follow-up that names one holds when it is found."""


class TreatmentIndication(_Strict):
    """Where a treatment fits: categories, diagnoses and present features (all optional); an
    indication naming ``emergencies`` holds only when the diagnosis found one of them (a calcium
    to correct first: the acute treatment of a hypercalcaemia, whatever the deposits' cause)."""

    categories: list[Category] = []
    diagnoses: list[str] = []
    forms: list[str] = Field(default=[], description="forms of a diagnosis, 'diagnosis/form' (kb.schema.DiseaseForm)")
    features: list[str] = []
    emergencies: list[Emergency] = []
    # not when one of these is present: a topical for localised deposits does not fit deposits
    # over the whole body (a clinical review: topical sodium thiosulfate, for 'localised,
    # superficial calcinosis', offered for painful masses at nearly all joints)
    unless: list[str] = []
    # not when one of these is reported absent: a treatment 'added to phosphate-lowering
    # treatment' with a normal phosphate measured (a clinical review); unmeasured, it may fit
    unless_absent: list[str] = []
    # not while one of these diagnoses leads the case (``StatementCondition.unless_leading``): a
    # category-wide treatment of calcium deposits that does not treat it (a French clinical
    # review: a tophaceous gout at > 99 % was offered an intralesional corticosteroid injection
    # into its tophi, whose treatment is the urate lowered to a target, a flare's colchicine,
    # NSAID or corticosteroid, intra-articular for a joint: EULAR 2016)
    unless_leading: list[str] = []
    role: Literal["first_line", "option", "adjunct", "last_resort"]
    # the least probability of what the indication names for it to fit at all: a referral that
    # is right for a diagnosis held (a palliative care team for a calciphylaxis) is not offered
    # for one merely possible, however its role weighs it (management.yaml min_fit)
    min_probability: float | None = Field(default=None, gt=0.0, le=1.0)
    note: Bilingual | None = None


DerivedName = Literal["corrected_calcium", "calcium_phosphate_product", "pth_upper_limit_multiple", "egfr_ckd_epi_2021"]
"""The values case/labs.py derives from the entered ones (``LabPanel.derived``), by name: a
caution names one of them, and a misspelt name is refused rather than never shown (a code
review; tests/test_labs.py holds the two lists equal)."""

MeasuredName = Literal[
    "corrected_calcium",
    "calcium_phosphate_product",
    "pth_upper_limit_multiple",
    "egfr_ckd_epi_2021",
    "egfr",
    "age_years",
]
"""What a caution's ``measured`` may name (``management.options.measured_values``): the derived
values, ``egfr``, the kidney function the case gives (a reported eGFR, else the computed one: a
caution about the kidneys read from the computed value alone never held for a reported eGFR, a
code review), and ``age_years``, the patient's age, for a limit no age feature draws (probenecid
is contraindicated under 2 years, between the infant's 1 and the child's 18: a clinical review
saw it offered to a 1-year-old)."""


class MeasuredNote(_Strict):
    """A caution's sentence about a value derived from the case's labs (``LabPanel.derived``):
    the PTH as a multiple of its upper limit beside the KDIGO range. ``at_least``: the caution
    holds only from that value; ``below``: only under it (neither holds when the value is
    unknown): a dialysis patient's PTH under twice its upper limit is below KDIGO 2017's target,
    no indication to lower it (a clinical review: 1.6 times the limit 'fitted' a calcimimetic)."""

    value: MeasuredName
    at_least: float | None = None
    below: float | None = None
    en: str = Field(pattern=r"\{value\}")
    fr: str = Field(pattern=r"\{value\}")

    @model_validator(mode="after")
    def _formats(self) -> Self:
        # a stray placeholder would raise inside manage, for one patient (a code review)
        for text in (self.en, self.fr):
            try:
                text.format(value="1")
            except (KeyError, IndexError, ValueError) as exc:
                raise ValueError(f"{text!r}: only {{value}} may be filled in ({exc})") from None
        return self


class TreatmentCaution(_Strict):
    """A contraindication or caution, triggered by present features (none: always shown).

    ``applies_to`` names the part of the treatment it concerns (NSAIDs within analgesia): a
    contraindication of one drug of a class never removes the class, it is shown on the
    option as "avoid <applies_to>".
    """

    when: list[str] = []
    # not shown when one of these is present: "inflamed deposits are far more common than infected
    # ones" is not said beside a necrosis with a CRP of 128 (a clinical review)
    unless: list[str] = []
    # and one of these present as well (a second condition): 'before debriding an ulcer of the
    # leg' was said of a breast ulcer (a clinical review)
    and_any: list[str] = []
    # and one of these diagnoses at the management floor or above (management.yaml min_probability),
    # AND-ed with the features: a bisphosphonate's rebound low calcium is said when a milk-alkali
    # syndrome is in play, which no feature of the case states (a clinical review). Named
    # while_in_play, not in_play: a follow-up item's in_play is OR-ed with its when (a code review)
    while_in_play: list[str] = []
    # the option waits, with this text as its reason, while the caution holds ('Not now'): shock
    # waves and surgery in the acute phase of a calcific periarthritis, which settles in days and
    # in which they were not studied (a clinical review)
    not_now: bool = False
    severity: Literal["contraindication", "caution"]
    applies_to: Bilingual | None = None
    en: str
    fr: str
    measured: MeasuredNote | None = None
    references: list[str] = []
    # why, in the patient's words, a drug sold without prescription is not taken without advice
    # here: the leaflet says it where the caution holds (a clinical review: a dialysis patient's
    # leaflet had no word of the ibuprofen that manage avoided)
    patient: Bilingual | None = None
    # said of these diagnoses' series: shown only when the option is read for one of them (or,
    # read for none, when one holds the management floor), unlike while_in_play, which holds
    # whatever the option is read for. A calciphylaxis debridement read 'in
    # the calcinosis of connective tissue disease, recurrence after removal is frequent' and the
    # tumoral calcinosis' recurrence with a raised phosphate (a clinical review)
    diagnoses: list[str] = []


class TreatmentEvidence(_Strict):
    """One published study of a treatment."""

    reference: str
    design: Literal[
        "rct",
        "observational_in_trial",  # an association read in a trial's data, not what was randomised (EVOLVE's calciphylaxis events)
        "systematic_review",
        "prospective_open",
        "retrospective_series",
        "case_series",
        "case_report",
        "guideline",
        "expert_opinion",
    ]
    n: int | None = Field(default=None, ge=1)
    population: Bilingual
    outcome: Bilingual
    level: int = Field(ge=1, le=5)
    diagnoses: list[str] = []  # the diagnoses the study is about; empty: calcinosis in general
    direction: Literal["benefit", "no_benefit", "harm", "mixed", "uncertain"] = "uncertain"


class TreatmentFile(_Strict):
    """``treatments/<id>.yaml``: one treatment."""

    id: str
    names: Bilingual
    synonyms: list[str] = []
    mechanism: Literal["calcium_metabolism", "inflammation", "mechanical", "cause", "supportive"]
    kind: Literal["drug", "procedure", "care"]
    # relieves symptoms whatever the diagnosis (a short NSAID course): it does not wait for an
    # unconfirmed diagnosis to be confirmed, as a treatment of that disease does
    symptomatic: bool = False
    # removes dead or infected tissue (a debridement): part of treating an infection of a necrosis,
    # so it does not wait for the infection to be excluded (a code review)
    debrides: bool = False
    # applied to the deposit itself (a topical): like a procedure on the mass, it needs a deposit
    # within reach (workup.yaml in_reach_findings)
    local: bool = False
    # harmless while the diagnosis it treats is still to be confirmed (stopping a vitamin D
    # supplement): it does not wait for that diagnosis' work-up (a hypercalcaemic infant's vitamin
    # D waited for 'the confirmation of the diagnosis': a clinical review)
    safe_unconfirmed: bool = False
    summary: Bilingual
    dose: Bilingual
    # the dose text for the diagnosis the option is read for (the most probable of its best
    # indication's diagnoses), in place of ``dose`` when one names it
    dose_for: list[TreatmentDoseFor] = []
    indications: list[TreatmentIndication] = Field(min_length=1)
    cautions: list[TreatmentCaution] = []
    evidence: list[TreatmentEvidence] = []
    references: list[str] = Field(min_length=1)
    last_reviewed: dt.date
    seed_facts: list[str] = []


class SlotOption(_Strict):
    """Words of a follow-up text said only in some contexts: when the case reports one of the
    features of ``when`` or has one of the diagnoses (or 'diagnosis/form') of ``in_play`` in
    play (either, when both are given; always when neither is), and none of ``unless``."""

    en: str
    fr: str
    patient: Bilingual | None = None  # the same words for the leaflet ('' there when None)
    when: list[str] = []
    in_play: list[str] = []
    unless: list[str] = []

    def holds(self, present: frozenset[str], in_play: frozenset[str]) -> bool:
        """Whether these words are said for a case reporting ``present`` with ``in_play`` in play."""
        return said_for(self.when, self.in_play, self.unless, present, in_play)


class FollowupSlot(_Strict):
    """What stands for ``{name}`` in a follow-up check's texts: the words of the options that hold
    for the case, joined, else ``otherwise`` (the care pathway's specialists, from the diagnoses
    in play: a pregnant woman with a myositis ossificans read 'rheumatologist and dermatologist',
    the pathway of a connective tissue disease's calcinosis cutis, a clinical review)."""

    options: list[SlotOption] = Field(min_length=1)
    join: Bilingual | None = None  # between the options said (None: each brings its own punctuation)
    otherwise: SlotOption | None = None  # when none holds (None: nothing)

    def fill(
        self, text: str, name: str, lang: str, *, patient: bool, present: frozenset[str], in_play: frozenset[str]
    ) -> str:
        """``text`` with ``{name}`` replaced by the words of the options that hold, in ``lang``
        (the patient's words when ``patient``; an option without them says nothing there)."""
        said = [o for o in self.options if o.holds(present, in_play)]
        if not said and self.otherwise is not None:
            said = [self.otherwise]

        def words(o: SlotOption) -> str:
            if patient:
                return o.patient.get(lang) if o.patient is not None else ""
            return o.fr if lang == "fr" else o.en

        sep = self.join.get(lang) if self.join is not None else ""
        return text.replace("{" + name + "}", sep.join(w for w in map(words, said) if w))


class FollowupEveryFor(_Strict):
    """How often a check is done while one of some diagnoses is in play, where the general
    interval is too loose for it (a baby with a newborn's fat necrosis, a cancer's raised calcium:
    'every 1 to 3 months', a clinical review)."""

    in_play: list[str] = Field(min_length=1)  # diagnoses or 'diagnosis/form'
    every: Bilingual
    patient_every: Bilingual | None = None
    interval_days: tuple[int, int]
    reasoning: str = Field(min_length=20)
    references: list[str] = []


class FollowupItem(_Strict):
    """A follow-up check and how often.

    ``interval_days`` is ``every`` for programs (the registry's "who is due"): the check is due
    after the first number of days since it was last done, and overdue after the second.
    """

    id: str
    every: Bilingual
    en: str
    fr: str
    # the same check in a patient's words, for the leaflet (a check without one is the team's only)
    patient: Bilingual | None = None
    # its interval in a patient's words, where ``every`` speaks the team's (a dialysis patient read
    # 'every 1 to 3 months at G5, 3 to 6 at G4, 6 to 12 at G3': a clinical review)
    patient_every: Bilingual | None = None
    # the general checks this one stands for (a weekly wound review makes the 3-6-monthly one moot)
    replaces: list[str] = []
    # features, one of which the case must report for the check to be listed ([]: always); a
    # kidney panel 'when there is a kidney disease' was listed for a woman of 33 with normal labs
    # (a code review)
    when: list[str] = []
    # features none of which the case may report for the check to be listed: a haemodialysis
    # patient was asked for his 'renal function at least yearly' (a second clinical review)
    unless: list[str] = []
    # diagnoses (or 'diagnosis/form'), one of which must be in play for the check to be listed
    # ([]: always); with ``when``, either will do (the joints of a heterotopic ossification, or of
    # deposits imaged around a joint)
    in_play: list[str] = []
    # words said in some contexts only, each in the place of ``{name}`` in en, fr and patient
    slots: dict[str, FollowupSlot] = {}
    # its interval while one of some diagnoses is in play (the most frequent of those that are)
    every_for: list[FollowupEveryFor] = []
    interval_days: tuple[int, int] | None = None
    references: list[str] = []

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.interval_days is not None and not 0 < self.interval_days[0] <= self.interval_days[1]:
            raise ValueError(f"{self.id}: interval_days must be [due, overdue] with 0 < due <= overdue")
        for name in self.slots:
            mark = "{" + name + "}"
            texts = [(self.en, self.fr), *([(self.patient.en, self.patient.fr)] if self.patient is not None else [])]
            if not any(mark in en and mark in fr for en, fr in texts):
                raise ValueError(f"{self.id}: slot {name!r} is in neither its en and fr nor its patient texts")
        return self


class WarningSign(_Strict):
    """A sign that needs prompt care."""

    id: str
    en: str
    fr: str
    # the same sign in a patient's words, for the leaflet (a sign without one is the team's only)
    patient: Bilingual | None = None
    # the sign of one diagnosis: said only while it is still possible (must_not_miss.yaml
    # threshold); two clinical reviews read 'possible calciphylaxis, especially on dialysis' in
    # the plan of a healthy girl of 7
    diagnosis: str | None = None
    # features, one of which the case must report for the sign to be said ([]: always): the
    # airway signs of a calcific tendinitis in the neck, not of one in the shoulder
    when: list[str] = []
    # diagnoses in play, as FollowupItem.in_play (either it or ``when`` will do)
    in_play: list[str] = []
    # features none of which the case may report for the sign to be said: 'especially on
    # dialysis' was read by patients not on dialysis (a clinical review)
    unless: list[str] = []
    # said whatever a leading diagnosis' own plan replaces (FormFollowup.replaces_general): a sign
    # of the patient's context, not of the deposit (a girl of 4 on chemotherapy, whose calcium
    # extravasation led with a plan of its own, lost her fever-on-chemotherapy emergency)
    whatever_plan: bool = False
    # the general signs this one stands for when it is said, as a check's ``replaces``: a gout's
    # flare, a chondrocalcinosis' attacks and a heterotopic ossification's lost motion for 'new
    # hard nodules', whose lumps are not their disease (a re-review, s33)
    replaces: list[str] = []
    references: list[str] = []


class FormFollowup(_Strict):
    """The follow-up of a form of a diagnosis (a newborn's is not an adult's): its checks and
    warning signs, which replace the general ones when ``replaces_general`` (with the reason)."""

    replaces_general: bool = False
    # the age it is written from, in years: the adult monitoring of a primary hyperparathyroidism
    # (bone density every 1-2 years) was given to a 35-day-old (a clinical review)
    min_age: float | None = Field(default=None, ge=0)
    reasoning: str = Field(min_length=20)
    references: list[str] = []
    schedule: list[FollowupItem] = []
    warning_signs: list[WarningSign] = []


class FollowupFile(_Strict):
    """``followup.yaml``."""

    references: list[str]
    seed_facts: list[str] = []
    schedule: list[FollowupItem]
    by_category: dict[Category, list[FollowupItem]] = {}
    by_form: dict[str, FormFollowup] = Field(
        default={}, description="'diagnosis/form' -> its follow-up, when the leading diagnosis is read in that form"
    )
    by_diagnosis: dict[str, FormFollowup] = Field(
        default={},
        description="diagnosis -> its follow-up, when it leads (a form of it with a follow-up of its own comes first)",
    )
    warning_signs: list[WarningSign]
    # a deposit seen only in an organ (workup.yaml out_of_reach_tissues): its checks stand for those of
    # deposits under the skin (yearly films of "the affected areas", protecting pressure areas)
    in_an_organ: FormFollowup | None = None
    # deposits imaged in an organ (a lung, the heart), whatever else the case has: the signs of
    # that organ's involvement, added to the others (a French clinical review: a dialysis patient
    # with lung calcification had no word of breathlessness in the alerts or the leaflet)
    in_the_organs: FormFollowup | None = None
    # an emergency the diagnosis found (a calcium to correct first): its checks come first, before
    # the regular plan (a clinical review: a haemodialysis patient at 3.39 mmol/L had her calcium
    # followed 'at least yearly')
    by_emergency: dict[Emergency, list[FollowupItem]] = {}

    def own(self, form: str | None, diagnosis: str | None, age: float | None = None) -> FormFollowup | None:
        """The follow-up of its own that a leading diagnosis has: that of the form it is read in,
        else its own, else None (the general schedule and the category's additions); a plan
        written from an age (``min_age``) is not given to a younger patient."""
        found = self.by_form.get(form) if form is not None else None
        if found is None and diagnosis is not None:
            found = self.by_diagnosis.get(diagnosis)
        if found is not None and found.min_age is not None and age is not None and age < found.min_age:
            return None
        return found


class StatementCondition(_Strict):
    """When a management statement applies; every key given must hold (any item within a key)."""

    categories: list[Category] = []
    groups: list[Group] = []
    diagnoses: list[str] = []
    forms: list[str] = Field(default=[], description="forms of a diagnosis, 'diagnosis/form', one of them likely")
    unless_forms: list[str] = Field(
        default=[], description="not when one of these forms is likely (advice that is wrong for it)"
    )
    leading: list[str] = Field(
        default=[],
        description=(
            "diagnoses, one of which leads the case (the first of the differential at half the"
            " probability or more, or the diagnosis the clinician gives): a principle about the"
            " leading disease's own care, not said while it is one possibility among others"
        ),
    )
    unless_leading: list[str] = Field(
        default=[],
        description=(
            "not when one of these diagnoses leads the case (as ``leading``): advice on treating"
            " calcinosis that is wrong for it (a gout's tophi are urate, not calcium, and are"
            " treated by lowering the urate to a target: a French clinical review read 'no"
            " treatment of calcinosis is validated' for a tophaceous gout)"
        ),
    )
    features: list[str] = []
    unless_absent: list[str] = Field(
        default=[],
        description="not when every one of these is reported absent (a measured normal calcium and phosphate)",
    )
    absent: list[str] = Field(
        default=[], description="every one of these reported absent (pain, for painless deposits)"
    )
    none_present: list[str] = Field(default=[], description="none of these reported present")
    confirmed: bool = Field(
        default=False,
        description=(
            "the groups and diagnoses named count only when not waiting for their work-up (none of"
            " their defining features reported): a principle on treating their calcinosis is not"
            " said while the options it names wait"
        ),
    )


class ManagementStatement(_Strict):
    """A management principle shown when its condition holds."""

    id: str
    when: StatementCondition = StatementCondition()
    # about treating the deposit itself (surgery): not said of a deposit out of reach, in an organ
    local: bool = False
    # about treating the deposits (a first-line drug): not said of a calcinosis found without
    # symptoms, whose deposits get no treatment (a local statement is not said either)
    deposits: bool = False
    en: str
    fr: str
    references: list[str] = Field(min_length=1)
    seed_facts: list[str] = []


class ProceduresAvoided(_Strict):
    """A diagnosis in which procedures on the deposit harm (calciphylaxis: trauma starts new
    necrosis): while it holds ``management.min_probability``, they are contraindicated, except
    the debridement of necrotic tissue (a treatment's ``debrides``)."""

    diagnosis: str
    reasoning: str = Field(min_length=20)
    en: str
    fr: str
    references: list[str] = Field(min_length=1)


class HistologyFirst(_Strict):
    """Lesions whose diagnosis and treatment are one excision (its histology): while they hold
    ``management.min_probability`` together and every diagnosis in play is one of them or of
    the ``categories`` that have no systemic cause to treat (an idiopathic calcinosis), the
    treatments of the deposits wait for the histology of an excised lesion (``by``); a healthy
    young man's hand nodules, a pilomatricoma and a subepidermal calcified nodule among them,
    were offered diltiazem, sodium thiosulfate and a laser before any (a clinical review)."""

    diagnoses: list[str] = Field(min_length=1)
    categories: list[Category] = []
    by: str
    reasoning: str = Field(min_length=20)
    references: list[str] = Field(min_length=1)


class ManagementFile(_Strict):
    """``management.yaml``: how options are weighted, and the principles to state."""

    role_weights: dict[Literal["first_line", "option", "adjunct", "last_resort"], float]
    role_weights_estimate: str
    min_fit: float = Field(gt=0, lt=1)
    min_probability: float = Field(gt=0, lt=1)
    # what holds every procedure on the mass until an infection is excluded, and what a
    # debridement treats (so it does not wait): management.yaml says why
    infection_signs: list[str] = []
    debrided: list[str] = []
    necrosis: list[str] = []  # a necrosis reported: its debridement waits for no diagnosis nor sarcoma
    symptoms: list[str] = []  # with pain reported absent and none of these, the calcinosis is found without symptoms
    symptoms_references: list[str] = []
    widespread: list[str] = []  # deposits this spread: a procedure on a deposit is an option, not first line
    one_lesion_targets: list[str] = []  # ... unless its indication names what one deposit does here
    tested_first: list[str] = []  # states whose test, not yet reported, a treatment of the cause waits for
    no_procedures_in: list[ProceduresAvoided] = []
    histology_first: HistologyFirst | None = None
    references: list[str]
    statements: list[ManagementStatement]


class LeafletLine(Bilingual):
    """A sentence of a leaflet section's general text said only to the patients it is written
    for, as a follow-up warning sign is (management.manage.listed): one of ``when`` reported or
    one of ``in_play`` in play (either; always with neither), none of ``unless`` reported. 'New
    hard lumps' was read by a patient with a calcific tendinitis of the shoulder and one with
    vascular calcification (a clinical review)."""

    when: list[str] = []
    in_play: list[str] = []
    unless: list[str] = []
    references: list[str] = []


class LeafletSection(_Strict):
    """One section of the patient leaflet."""

    id: str
    title: Bilingual
    en: str
    fr: str
    seed_facts: list[str] = []
    # sentences said before the general text, each for the patients it is written for (a
    # section written for a diagnosis, leaflet_by_condition.yaml, says its own instead)
    lines: list[LeafletLine] = []


IN_PLAY_FIELDS = frozenset({"causes", "care"})
"""The fields a leaflet variant's ``in_play`` text may hold (reports/leaflet.py fills them)."""


class LeafletVariant(_Strict):
    """A leaflet section written for some forms of a diagnosis, diagnoses, groups or categories
    (the most specific wins: a form, then a diagnosis, a group, a category)."""

    section: str
    forms: list[str] = Field(default=[], description="forms of a diagnosis, 'diagnosis/form'")
    diagnoses: list[str] = []
    groups: list[Group] = []
    categories: list[Category] = []
    # the ages it is written for, in years ([min_age, max_age)); a text for the parents of a baby
    # is not given to an adult of 41 (a clinical review)
    min_age: float | None = Field(default=None, ge=0)
    max_age: float | None = Field(default=None, gt=0)
    # the patient's context it is written for: one of ``when`` reported present (a neurological
    # injury, a pregnancy), none of ``unless``; a variant with a ``when`` that holds wins over one
    # without at the same level (a bedbound man's heterotopic ossification was told the tests of
    # a footballer's myositis ossificans: a clinical review)
    when: list[str] = []
    unless: list[str] = []
    references: list[str] = Field(min_length=1)
    seed_facts: list[str] = []  # the seed facts its text holds
    # its own title where the section's would be wrong: a calciphylaxis leaflet was headed "What
    # is calcinosis?" (a clinical review)
    title: Bilingual | None = None
    # the leaflet's own heading, on a ``what_it_is`` variant of a diagnosis or a form that is not
    # a calcinosis of calcium salts, or is known by its own name: a leaflet that names that
    # diagnosis is headed with it, not 'Calcinosis: information for patients' (a French clinical
    # review: a tophaceous gout's leaflet, whose tophi are urate, was headed « La calcinose »)
    heading: Bilingual | None = None
    en: str = Field(min_length=1)
    fr: str = Field(min_length=1)
    # the text used instead when diagnoses in play have their own words (leaflet.yaml in_play):
    # '{causes}' or '{care}' is filled with them, so a category's text does not list the causes
    # and treatments of diseases the patient is not thought to have (a clinical review: a baby and
    # a cancer patient read 'kidney care and dialysis, a phosphate diet and binders')
    in_play: Bilingual | None = None

    @model_validator(mode="after")
    def _heading_of_a_named_diagnosis(self) -> Self:
        # one heading per leaflet: the section that says what the condition is, written for the
        # one diagnosis or form the leaflet names (a group's or a category's is not a name, and a
        # variant shared by two diagnoses would head the second with the first's name)
        if self.heading is not None and (self.section != "what_it_is" or len(self.diagnoses) + len(self.forms) != 1):
            raise ValueError("a heading belongs to a what_it_is variant written for one diagnosis or one form")
        return self

    @model_validator(mode="after")
    def _in_play_fields(self) -> Self:
        # the leaflet fills it with .format(causes=..., care=...): any other field, a positional
        # '{}' or a stray brace would raise for one patient, and a text with neither says no
        # diagnosis' words (a code review)
        if self.in_play is None:
            return self
        for text in (self.in_play.en, self.in_play.fr):
            names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
            if not names <= IN_PLAY_FIELDS or not names:
                raise ValueError(f"in_play holds '{{causes}}' or '{{care}}' and no other field; found {sorted(names)}")
        return self

    @model_validator(mode="after")
    def _targets_something(self) -> Self:

        if not (self.forms or self.diagnoses or self.groups or self.categories):
            raise ValueError("a variant names the forms, diagnoses, groups or categories it is written for")
        if self.section == "what_it_is" and (self.forms or self.diagnoses) and self.title is None:
            raise ValueError(
                "a 'what_it_is' variant written for a diagnosis or a form has its own title "
                "(the general one asks 'What is calcinosis?')"
            )
        return self


class LeafletVariantsFile(_Strict):
    """``leaflet_by_condition.yaml``: leaflet sections per condition."""

    references: list[str]
    variants: list[LeafletVariant]


class InPlayWords(_Strict):
    """A diagnosis' cause and care in a few plain words, said in a category's text while it is
    in play (``LeafletVariant.in_play``)."""

    cause: Bilingual
    care: Bilingual
    # the care on dialysis, where it differs (a woman on haemodialysis read 'kidney care and, if
    # needed, dialysis'), and while the diagnosis is only possible (below the leaflet's confidence,
    # none of ``known_by`` reported: a known cancer is not 'if a cancer is found')
    care_dialysis: Bilingual | None = None
    care_possible: Bilingual | None = None
    known_by: list[str] = []
    references: list[str] = Field(min_length=1)


class LeafletFile(_Strict):
    """``leaflet.yaml``: the plain-language patient leaflet."""

    references: list[str]
    # diagnosis -> its plain name for patients ('calciphylaxis, a rare disease of the small
    # blood vessels of the skin'): every diagnosis has one (kb/loader.py checks)
    plain_names: dict[str, Bilingual] = {}
    # a diagnosis (or a form, 'diagnosis/form') -> its cause and care in plain words
    in_play: dict[str, InPlayWords] = {}
    sections: list[LeafletSection] = Field(min_length=1)
