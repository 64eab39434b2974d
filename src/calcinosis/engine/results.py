"""The one result object. The CLI JSON, and later the REST API, the web page, the FHIR export
and the registry, all serialise these models unchanged (``model_dump(by_alias=True)``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from calcinosis.case.labs import LabPanel
from calcinosis.case.model import Case
from calcinosis.issues import Issue

__all__ = [
    "CONTRIBUTION_FIELDS",
    "CategoryFactor",
    "CategoryRule",
    "CeapResult",
    "Contribution",
    "CviStaging",
    "DiagnosisReport",
    "DiagnosisResult",
    "FormShown",
    "MeasuredPerformance",
    "Metadata",
    "PorterResult",
    "Question",
    "WorkupItem",
    "WorkupLeftOut",
    "built",
    "result_json_schema",
]

Model = TypeVar("Model", bound=BaseModel)


def _slot_setter(name: str) -> Callable[[BaseModel, Any], None]:
    """The setter of one of BaseModel's own slots, bound once: calling it is about twice as fast
    as ``object.__setattr__`` (no attribute lookup by name), and ``built`` sets four per object."""
    setter: Callable[[BaseModel, Any], None] = BaseModel.__dict__[name].__set__
    return setter


_SET_DICT = _slot_setter("__dict__")
_SET_FIELDS_SET = _slot_setter("__pydantic_fields_set__")
_SET_EXTRA = _slot_setter("__pydantic_extra__")
_SET_PRIVATE = _slot_setter("__pydantic_private__")


def built(model: type[Model], fields: dict[str, Any], given: frozenset[str] | None = None) -> Model:
    """A ``model`` from every one of its fields, by name, in its order, each already of the type
    validation would give: what ``model_construct`` does (no validation), without its loop over
    the fields and their aliases.

    For the result objects the engine assembles from the checked knowledge base and a validated
    case: a report holds dozens of reasons, and validating them again cost more than the rest
    of the explanation. Anything read from outside is validated. The tests hold every built
    report equal to its validated copy (``tests/test_engine_speed_results.py``).

    ``given`` names the fields the validated call would be given (its ``model_fields_set``)
    when the others keep their defaults: ``Issue(level=..., code=..., message=...)`` is built
    from all six of its fields, three of them given.
    """
    obj = object.__new__(model)
    _SET_DICT(obj, fields)
    _SET_FIELDS_SET(obj, set(fields) if given is None else set(given))
    _SET_EXTRA(obj, None)
    _SET_PRIVATE(obj, None)
    return obj


# The validators and serialisers of the result models are built when first used, not at import:
# the engine assembles results with ``built`` (no validation), so a command builds only the
# serialisers of what it prints (about 5 ms of every start of the command line, issue #17).
_DEFERRED = ConfigDict(defer_build=True)


class Contribution(BaseModel):
    """How one observed feature moved one diagnosis."""

    model_config = _DEFERRED

    feature: str
    label: str
    state: Literal["present", "absent"]
    basis: list[str] = Field(description="the case inputs that set this feature")
    frequency: float = Field(
        description=(
            "P(feature present | diagnosis) used; for the low state of a test read absent, among the readings "
            "not raised (features.yaml opposite_states), as its likelihood ratio is"
        )
    )
    baseline: float = Field(description="P(feature present | other causes of calcinosis), read as the frequency is")
    likelihood_ratio: float
    weight: float = Field(description="dependency weight (1 = counted in full)")
    origin: Literal["diagnosis", "category", "baseline"]
    references: list[str]
    estimate: bool
    note: str | None = None
    text: str


class FormShown(BaseModel):
    """The form of a diagnosis with forms whose reasons are shown: the one that carries most of
    the diagnosis' likelihood for the case (``kb.schema.DiseaseForm``)."""

    model_config = _DEFERRED

    id: str = Field(description="'main' (the diagnosis' own findings) or the form's id")
    name: str
    share: float = Field(description="P(form | diagnosis) among presenting patients, from the knowledge")
    likelihood_share: float = Field(description="its share of the diagnosis' likelihood for this case")
    text: str


class DiagnosisResult(BaseModel):
    """One diagnosis of the differential, with the reasons for and against it."""

    model_config = ConfigDict(populate_by_name=True, defer_build=True)

    diagnosis: str
    name: str
    category: str
    probability: float
    pretest_probability: float
    composite_likelihood_ratio: float
    defining_unreported_lr: float | None = Field(
        default=None,
        description="LR paid because the case mentions none of the features of one or both of its blocks of "
        "defining features (None: not paid)",
    )
    unconfirmed: bool = Field(
        default=False,
        description="none of its own defining features is reported present and a referral would rarely leave "
        "them all unsaid (engine/defining.py): held only on the case's presentation",
    )
    unreported_blocks: list[Literal["defining", "setting"]] = Field(
        default=[],
        description="the blocks paid for: 'defining' (the lesion, or the only block) and 'setting' (the context "
        "the diagnosis arises in), each with its sentence in 'against'",
    )
    for_: list[str] = Field(alias="for")
    against: list[str]
    evidence: list[Contribution] = Field(
        description="every observed feature that moved this diagnosis (LR beyond 1.1 after weighting)"
    )
    references: list[str]
    codes: dict[str, list[str]]
    form: FormShown | None = Field(
        default=None, description="with forms: the one whose reasons are shown (None: a diagnosis without forms)"
    )


class CategoryRule(BaseModel):
    """A classification rule of the seeds and whether the case is consistent with it."""

    model_config = _DEFERRED

    category: str
    rule: str
    phosphocalcic_expected: Literal["normal", "deranged", "either"]
    consistent: bool | None


class CategoryFactor(BaseModel):
    """One classification rule of the seeds as the case states it, and how it weighs each category."""

    model_config = _DEFERRED

    rule: str
    label: str
    state: Literal["present", "not_reported", "normal"]
    basis: list[str] = Field(description="the case inputs that set the state")
    likelihood: dict[str, float] = Field(description="P(state | category) for each category (1 = says nothing)")
    references: list[str]
    text: str


class Question(BaseModel):
    """An unreported item whose answer would most change the differential."""

    model_config = _DEFERRED

    feature: str
    question: str
    expected_information_bits: float
    would_raise: list[str] = Field(description="diagnoses a yes would make more likely")
    would_lower: list[str] = Field(description="diagnoses a yes would make less likely")
    if_no_raise: list[str] = Field(default=[], description="diagnoses a no would make more likely")
    if_no_lower: list[str] = Field(default=[], description="diagnoses a no would make less likely")
    if_yes: str = Field(default="", description="what a yes would change, in words")
    if_no: str = Field(default="", description="what a no would change, in words")


class WorkupItem(BaseModel):
    """A step of the work-up still missing."""

    model_config = _DEFERRED

    id: str
    text: str
    reason: str
    references: list[str]


class WorkupLeftOut(BaseModel):
    """A part of the work-up that a proportionate work-up leaves out: which one, its steps, and why.

    Decided where the work-up is (``engine/workup.py``) and read by what follows from it (the
    follow-up drops the yearly panel the work-up did not ask; the warnings do not ask for it
    either), so that nothing downstream infers it from the bare presence of a note."""

    model_config = _DEFERRED

    id: Literal["calcium_phosphate_panel"] = Field(description="the part left out")
    steps: list[str] = Field(description="the work-up steps (workup.yaml ids) it would have listed")
    reason: Literal["confident_non_metabolic"] = Field(
        description="why: a confident leading diagnosis that no metabolic cause rivals"
    )
    leading: str = Field(description="the leading diagnosis")
    leading_probability: float
    metabolic_probability: float = Field(description="P(metastatic, tumoral, calciphylaxis or iatrogenic)")
    text: str = Field(description="what is left out and why, in words (the note of workup_omitted)")


class MeasuredPerformance(BaseModel):
    """How often the engine has been right on published patients it was never built or tuned
    on (``evaluation/unseen.py``), overall and when its first diagnosis had a probability in
    the same band as this case's: the context a clinician needs to read a probability."""

    model_config = _DEFERRED

    source: str = Field(description="the set of published patients measured")
    kb_version: str = Field(description="the knowledge version the figures were measured with")
    n: int
    top1: float = Field(description="share of patients whose first diagnosis was the published one")
    top1_interval: list[float] = Field(description="bootstrap 95 % interval of top1")
    top3: float
    category: float
    band: list[float] | None = Field(description="the band of the first diagnosis' probability this case falls in")
    band_cases: int | None = Field(description="patients of the set whose first diagnosis fell in that band")
    band_right: int | None = Field(description="of those, how many had the published diagnosis first")
    text: str


class Metadata(BaseModel):
    """Versions and settings: a result can always be traced to the knowledge that made it."""

    model_config = _DEFERRED

    calcinosis_version: str
    kb_version: str
    case_format_version: int
    analysis_time: str
    language: str
    disclaimer: str
    measured: MeasuredPerformance | None = Field(
        default=None, description="measured performance on unseen published patients (none for another knowledge base)"
    )


# The venous staging (Porter, CEAP) that a report carries when venous disease is in play:
# built when first used, as most reports carry none (issue #17).
_STAGING = ConfigDict(defer_build=True)


class PorterResult(BaseModel):
    """Porter 1988 stage: the lowest stage the case supports and the highest it may reach."""

    model_config = _STAGING

    stage_min: int
    stage_max: int
    description: str
    basis: list[str]


class CeapResult(BaseModel):
    """CEAP 2020 clinical class (highest class supported), with S/A when symptoms are known."""

    model_config = _STAGING

    clinical_class: str
    symptomatic: bool | None
    description: str
    basis: list[str]
    notes: list[str]


class CviStaging(BaseModel):
    """Staging of chronic venous disease and what is missing to decide."""

    model_config = _STAGING

    porter: PorterResult
    ceap: CeapResult
    missing: list[str]
    references: list[str]
    staged: bool = Field(
        default=True,
        description=(
            "False when the case reports no venous sign, present or absent: porter and ceap are then "
            "the stage of a limb without any, not the patient's, and are not shown as a stage"
        ),
    )


class DiagnosisReport(BaseModel):
    """The result of ``calcinosis diagnose`` (case-format.md, "Result")."""

    model_config = ConfigDict(populate_by_name=True, defer_build=True)

    case_id: str | None
    category: str
    category_probabilities: dict[str, float]
    category_explanation: str = Field(description="which terms drove the category, against the runner-up")
    category_basis: list[CategoryFactor] = Field(description="the seeds' classification rules as the case states them")
    category_prior: dict[str, float] = Field(description="prior share of each category (category_model.yaml)")
    phosphocalcic_status: Literal["normal", "deranged", "unknown"]
    classification: list[CategoryRule]
    differential: list[DiagnosisResult]
    excluded: list[str] = Field(description="diagnoses whose probability fell below the listing threshold")
    workup: list[str]
    workup_steps: list[WorkupItem]
    workup_omitted: list[str] = Field(default=[], description="what a proportionate work-up leaves out, and why")
    workup_left_out: list[WorkupLeftOut] = Field(
        default=[], description="the same, structured: which part, its steps, and why (one note of workup_omitted each)"
    )
    next_questions: list[Question]
    staging: CviStaging | None = Field(
        default=None, description="Porter and CEAP staging, when venous disease is in play"
    )
    warnings: list[str]
    issues: list[Issue]
    labs: LabPanel
    metadata: Metadata
    case: Case

    def to_json_dict(self) -> dict[str, object]:
        """The JSON form (``for`` spelled as in the case format)."""
        return self.model_dump(mode="json", by_alias=True)


CONTRIBUTION_FIELDS = frozenset(Contribution.model_fields)
"""Every field of a reason: the fields set of one built from all of them (``built``'s ``given``;
copying this set costs less than making one from the fields' names, and a report has dozens)."""


def result_json_schema() -> dict[str, Any]:
    """JSON Schema of the result object (``calcinosis diagnose --json``)."""
    schema = DiagnosisReport.model_json_schema(by_alias=True, mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
