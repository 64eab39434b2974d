"""The management result objects, serialised unchanged by the CLI, reports and later the API."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from calcinosis.engine.results import CviStaging

__all__ = [
    "WAITING_SHOWN",
    "EvidenceItem",
    "FollowupPlan",
    "ManagementReport",
    "PlanItem",
    "Statement",
    "TreatmentOption",
    "managed_as_id",
]

WAITING_SHOWN = 6
"""How many waiting options each wait note names on the terminal and the clinician's page, with
how many more (19 drugs stood under 'Not now' beside a suspected sarcoma: a French clinical
review); the JSON result and the web page keep them all."""

# Built when first used, not at import: ``calcinosis diagnose`` never builds the management
# report's models (issue #17); the staging it carries is the engine's (engine/results.py).
_DEFERRED = ConfigDict(defer_build=True)


class EvidenceItem(BaseModel):
    """One study behind a treatment option."""

    model_config = _DEFERRED

    reference: str
    citation: str
    design: str
    n: int | None
    population: str
    outcome: str
    level: int = Field(description="Oxford CEBM 2011 level of evidence, 1 (best) to 5")
    direction: str = Field(description="benefit | no_benefit | harm | mixed | uncertain")
    relevant: bool = Field(description="the study is about this case's likely diagnoses (or calcinosis in general)")
    studied_in: list[str] = Field(
        default=[], description="the diagnoses the study concerns (empty: calcinosis in general)"
    )


class TreatmentOption(BaseModel):
    """A treatment that fits the case, why, how, with what cautions and what evidence."""

    model_config = _DEFERRED

    treatment: str
    name: str
    mechanism: str
    kind: str
    role: Literal["first_line", "option", "adjunct", "last_resort"]
    fit: float = Field(description="role weight x probability of the diagnoses it is indicated for")
    why: list[str]
    summary: str
    dose: str
    cautions: list[str]
    evidence: list[EvidenceItem]
    best_level: int | None = Field(
        description="best level among relevant studies that found a benefit (or mixed results); None if there is none"
    )
    role_basis: str = Field(default="", description="what the role rests on, when it is first line on weak evidence")
    references: list[str]
    cited: list[str] = Field(
        default=[],
        description="the references its words rest on: its dose for this patient and the cautions it says (a subset of references)",
    )
    avoid_parts: list[str] = Field(
        default=[],
        description="the parts of the treatment contraindicated in this case (calcium-based binders among the "
        "phosphate binders), in words: whoever names the option names them with it",
    )
    wait_for: list[str] = Field(
        default=[],
        description="diagnoses that must not be missed and must be excluded before this procedure on the mass (a sarcoma)",
    )
    wait_note: str = Field(
        default="",
        description=(
            "what the option waits for, in words: a sarcoma or an infection to exclude for a procedure, "
            "a diagnosis' confirmation for a treatment of it ('' when it waits for nothing)"
        ),
    )


class Statement(BaseModel):
    """A management principle of the seeds or the literature that applies to this case."""

    model_config = _DEFERRED

    id: str
    text: str
    references: list[str]
    urgent: bool = Field(
        default=False,
        description="said before anything is done: an emergency, or a diagnosis that must not be missed to exclude first",
    )


def managed_as_id(disease_id: str) -> str:
    """The id of the statement saying how diagnosis ``disease_id`` is cared for (its
    ``managed_as``): ``manage`` writes it, the report's summary looks for it."""
    return f"managed_as:{disease_id}"


class PlanItem(BaseModel):
    """A follow-up check and its interval."""

    model_config = _DEFERRED

    id: str
    every: str
    text: str
    references: list[str]
    patient: str | None = None  # the check in a patient's words (the leaflet shows these only)
    patient_every: str | None = None  # its interval in a patient's words, where ``every`` speaks the team's


class FollowupPlan(BaseModel):
    """What to check and when, and the signs that need prompt care."""

    model_config = _DEFERRED

    schedule: list[PlanItem]
    warning_signs: list[str]
    references: list[str]


class ManagementReport(BaseModel):
    """The result of ``calcinosis manage``."""

    model_config = _DEFERRED

    case_id: str | None
    category: str
    diagnosis: str
    diagnosis_name: str
    diagnosis_probability: float
    diagnosis_given: bool = Field(description="True when the clinician gave the diagnosis (manage --diagnosis)")
    category_probability: float | None = Field(
        default=None,
        description="the probability of ``category`` over the whole differential (1 when the clinician gave the diagnosis)",
    )
    diagnosis_form: str | None = Field(
        default=None, description="the form of the diagnosis the case is read in, and management follows (its name)"
    )
    statements: list[Statement]
    options: dict[str, list[TreatmentOption]] = Field(description="options grouped by mechanism, best first")
    avoid: list[TreatmentOption] = Field(
        description="treatments that would fit but are to avoid here: contraindicated in this case, or advised against"
    )
    staging: CviStaging | None
    followup: FollowupPlan
    warnings: list[str]
    kb_version: str
    calcinosis_version: str
    disclaimer: str
