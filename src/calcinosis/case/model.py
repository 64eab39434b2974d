"""Case format version 1 (``../shared/case-format.md``) as pydantic models.

The models check structure and types; vocabulary terms are checked against the knowledge
base's vocabulary by :func:`calcinosis.case.reader.read_case`, which also turns aliases and
French labels into canonical terms. Unknown keys are errors everywhere.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["Antibody", "Case", "Expected", "Genetic", "Imaging", "LabResult", "Patient"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Patient(_Strict):
    """Age and sex (the only required part of a case)."""

    age: float = Field(ge=0, le=125, description="years; decimals allowed (0.5 = six months)")
    sex: str = Field(description="female | male | other | unknown")
    postmenopausal: bool | None = None


class LabResult(_Strict):
    """A laboratory result: a value with its unit (possibly censored), or a qualitative reading."""

    test: str
    value: float | None = Field(default=None, ge=0)
    unit: str | None = None
    qualifier: Literal["<", ">", "<=", ">="] | None = None
    interpretation: Literal["high", "normal", "low"] | None = None

    @model_validator(mode="after")
    def _value_or_interpretation(self) -> LabResult:
        if self.value is None and self.interpretation is None:
            raise ValueError("give a value with its unit, or an interpretation (high | normal | low)")
        if self.value is not None and not self.unit:
            raise ValueError("a value needs its unit (for example unit: mmol/L)")
        if self.qualifier is not None and self.value is None:
            raise ValueError("a qualifier (<, >) needs a value")
        return self


class Antibody(_Strict):
    """An autoantibody result."""

    name: str
    result: Literal["positive", "negative"]


class Genetic(_Strict):
    """A genetic test result."""

    gene: str
    result: Literal["pathogenic_variant", "not_found"]


class Imaging(_Strict):
    """One imaging study and what it showed."""

    modality: str
    sites: list[str] = []
    tissues: list[str] = []
    patterns: list[str] = []
    distribution: str | None = None
    symmetric: bool | None = None
    size_cm: float | None = Field(default=None, gt=0)
    bone_destruction: bool | None = None
    uptake: bool | None = None
    along_muscle_fibers: bool | None = None


class Expected(_Strict):
    """The known answer (evaluation sets only; the engine never reads it)."""

    category: str | None = None
    diagnosis: str | None = None
    source: str | None = None


class Case(_Strict):
    """One patient's presentation of soft-tissue calcification (case format version 1).

    Everything but ``patient`` is optional, and a missing item means "not reported",
    never "absent": absence is said with ``absent``.
    """

    id: str | None = None
    patient: Patient
    history: list[str] = []
    exposures: list[str] = []
    findings: list[str] = []
    sites: list[str] = []
    duration_months: float | None = Field(default=None, ge=0)
    onset_days_after: dict[str, float] = {}
    absent: list[str] = []
    labs: list[LabResult] = []
    antibodies: list[Antibody] = []
    genetics: list[Genetic] = []
    imaging: list[Imaging] = []
    expected: Expected | None = None
