"""Case format version 1 (``../shared/case-format.md``) as pydantic models.

The models check structure and types; vocabulary terms are checked against the knowledge
base's vocabulary by :func:`calcinosis.case.reader.read_case`, which also turns aliases and
French labels into canonical terms. Unknown keys are errors everywhere.
"""

from __future__ import annotations

import unicodedata
from decimal import Decimal
from typing import Annotated, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from calcinosis.case.document import LIMITS
from calcinosis.errors import LocalisedValueError

__all__ = [
    "Antibody",
    "Case",
    "Expected",
    "Genetic",
    "Imaging",
    "LabResult",
    "Measured",
    "Patient",
    "ReferenceRange",
    "Repeat",
    "life_months",
]


# Numbers are strict (a yes/no value or a text is never read as a number) and finite (NaN
# and infinity are refused). Their bounds come from physiology:
MAX_AGE_YEARS = 125.0
"""Oldest documented human lifespan 122.4 years (Jeanne Calment, 1875-1997; Robine & Allard,
Science 1998;279:1834, doi:10.1126/science.279.5358.1831h), rounded up."""
MAX_SIZE_CM = 250.0
"""A deposit cannot be longer than a body: tallest documented adult 272 cm; 250 cm is a bound
no published deposit approaches (judgement)."""

Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, strict=True)


class Patient(_Strict):
    """Age and sex (the only required part of a case)."""

    age: Number = Field(ge=0, le=MAX_AGE_YEARS, description="years; decimals allowed (0.5 = six months)")
    sex: str = Field(description="female | male | other | unknown")
    postmenopausal: bool | None = None


class ReferenceRange(_Strict):
    """The reporting laboratory's own reference interval for one result, in the result's unit
    (an addition to case format v1: optional). PTH, FGF23 and alkaline phosphatase intervals
    depend on the assay and the laboratory, and a child's phosphate interval on the age; a
    value is read against the interval its laboratory printed beside it rather than against a
    default one (``case/labs.py``)."""

    low: Number | None = Field(default=None, ge=0, description="lower limit, in the result's unit")
    high: Number | None = Field(default=None, ge=0, description="upper limit, in the result's unit")

    @model_validator(mode="after")
    def _one_ordered_limit(self) -> ReferenceRange:
        if self.low is None and self.high is None:
            raise LocalisedValueError("err_range_needs_limit")
        if self.low is not None and self.high is not None and self.low >= self.high:
            raise LocalisedValueError("err_range_order")
        return self


class LabResult(_Strict):
    """A laboratory result: a value with its unit (possibly censored), or a qualitative reading."""

    test: str
    value: Number | None = Field(default=None, ge=0)
    unit: str | None = None
    qualifier: Literal["<", ">", "<=", ">="] | None = None
    interpretation: Literal["high", "normal", "low"] | None = None
    reference_range: ReferenceRange | None = Field(
        default=None, description="the laboratory's reference interval, in the result's unit"
    )

    @model_validator(mode="after")
    def _value_or_interpretation(self) -> LabResult:
        if self.value is None and self.interpretation is None:
            raise LocalisedValueError("err_value_or_interpretation")
        if self.value is not None and not self.unit:
            raise LocalisedValueError("err_value_needs_unit")
        if self.qualifier is not None and self.value is None:
            raise LocalisedValueError("err_qualifier_needs_value")
        if self.reference_range is not None and self.value is None:
            raise LocalisedValueError("err_range_needs_value")
        return self


class Antibody(_Strict):
    """An autoantibody result."""

    name: str
    result: Literal["positive", "negative"]


class Genetic(_Strict):
    """A genetic test result."""

    gene: str
    result: Literal["pathogenic_variant", "not_found"]


class Measured(_Strict):
    """Where an imaging entry came from when calcinosis measured it on the images (an addition to
    case format v1: optional, and a case without it reads as before). The diagnosis names it in
    the basis of every item of the entry, so the clinician sees which study the items rest on."""

    study: str = Field(description="the study measured: file or series, as the measuring command named it")
    date: str | None = Field(default=None, description="date of the study, ISO 8601, when the images carry it")
    method: str = Field(description="how: command, version and the rule used (e.g. threshold 130 HU)")


class Imaging(_Strict):
    """One imaging study and what it showed."""

    modality: str
    sites: list[str] = []
    tissues: list[str] = []
    patterns: list[str] = []
    distribution: str | None = None
    symmetric: bool | None = None
    size_cm: Number | None = Field(default=None, gt=0, le=MAX_SIZE_CM)
    bone_destruction: bool | None = None
    uptake: bool | None = None
    along_muscle_fibers: bool | None = None
    measured: Measured | None = None


class Expected(_Strict):
    """The known answer (evaluation sets only; the engine never reads it)."""

    category: str | None = None
    diagnosis: str | None = None
    source: str | None = None


class Repeat(NamedTuple):
    """A term given twice in one list, kept once by the reader: where it was given again, where
    first, its vocabulary list and the term."""

    location: str
    first: str
    list_name: str
    term: str


class Case(_Strict):
    """One patient's presentation of soft-tissue calcification (case format version 1).

    Everything but ``patient`` is optional, and a missing item means "not reported",
    never "absent": absence is said with ``absent``.
    """

    id: str | None = Field(default=None, max_length=LIMITS["id_chars"])
    patient: Patient
    history: list[str] = []
    exposures: list[str] = []
    findings: list[str] = []
    sites: list[str] = []
    duration_months: Number | None = Field(default=None, ge=0)
    onset_days_after: dict[str, Number] = {}
    absent: list[str] = []
    labs: list[LabResult] = []
    antibodies: list[Antibody] = []
    genetics: list[Genetic] = []
    imaging: list[Imaging] = []
    expected: Expected | None = None
    _repeats: list[Repeat] = PrivateAttr(default_factory=list)

    @property
    def repeats(self) -> list[Repeat]:
        """The terms the reader found twice in one list and kept once (not part of the case:
        the engine says them as warnings, a hostile-input audit having found them merged
        without a word)."""
        return self._repeats

    @field_validator("id")
    @classmethod
    def _printable_id(cls, value: str | None) -> str | None:
        """An id is printable text: no control character (newline, tab, ESC, NUL...), no format
        character (a right-to-left override, a zero-width space, a byte-order mark) and no line
        or paragraph separator or space other than the plain one (``str.isprintable``).

        The case format says "free text, unique within a set" (../shared/case-format.md), so
        letters of any script, digits, punctuation and spaces stay allowed (registry exports
        use 'P001/2025-07-12'). A hardening audit: an id holding ESC sequences or a newline
        reached terminals, report pages and file names as they were (ESC clears a terminal,
        a newline forges a line of a log or a CSV), and two ids that differ by an invisible
        character look the same. Every path that makes a case (a file, the web form and API,
        a FHIR or phenopacket import, a batch row, the registry) goes through this model, so
        such an id is refused once, here, with the character named. The length limit is the
        case file's (``LIMITS["id_chars"]``)."""
        if value is None:
            return None
        bad = next((c for c in value if not c.isprintable()), None)
        if bad is not None:
            name = unicodedata.name(bad, "")
            shown = f"U+{ord(bad):04X}" + (f" ({name})" if name else "")
            raise LocalisedValueError("err_id_unprintable", char=shown, position=value.index(bad) + 1)
        return value

    @model_validator(mode="after")
    def _within_a_life(self) -> Case:
        """A duration or an onset delay longer than the patient's life is a typing error.

        The life is the age itself plus the rounding the age may carry (:func:`life_months`):
        the check allowed (age + 1) years whatever the age, so a 0.1-year-old (five weeks) could
        have had calcinosis for 5 months or a warfarin onset 400 days after the first dose (a
        hostile-input audit)."""
        life = life_months(self.patient.age)
        if self.duration_months is not None and self.duration_months > life:
            raise LocalisedValueError(
                "err_duration_beyond_life",
                at="duration_months",
                value=float(self.duration_months),
                age=float(self.patient.age),
            )
        for key, days in self.onset_days_after.items():
            if days > life * DAYS_PER_MONTH:
                raise LocalisedValueError(
                    "err_onset_beyond_life",
                    at=f"onset_days_after.{key}",
                    key=key,
                    days=float(days),
                    age=float(self.patient.age),
                )
        return self


DAYS_PER_MONTH = 30.44
"""The mean month of the Gregorian calendar (365.25 / 12), to compare days with months."""


def life_months(age: float) -> float:
    """The longest life, in months, that a stated age can stand for.

    An age in whole years is given in completed years, as clinicians and forms give it: a
    "1-year-old" may be 23 months old, so a whole age ``n`` stands for up to ``n + 1`` years (a
    newborn's ``0`` for up to a year). A fractional age was worked out from months or days, so
    it is read to its last written digit (0.5 for up to 0.6 years, 0.25 for up to 0.26), and
    never to less than a month, since months are what an age in decimals is usually made from
    (11 months written 0.9). This refuses the impossible (5 months of calcinosis at 0.1 years,
    about five weeks) without refusing a rounded age.
    """
    if float(age).is_integer():
        return (age + 1) * 12
    exponent = Decimal(repr(float(age))).as_tuple().exponent
    digit = 10.0**exponent if isinstance(exponent, int) else 0.0
    return (age + max(digit, 1 / 12)) * 12
