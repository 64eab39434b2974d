"""What the intake returns: the case document and, for every item, where it came from and why.

An :class:`ExtractedItem` is one fact read in the note (a condition, a lab value, an imaging
pattern...): the case field it went to, its term or value, the span of the ORIGINAL text it
came from (``start``/``end`` offsets, ``text`` = ``note[start:end]``), its status (present,
absent, hypothetical, family, historical) and the reason with the cue that set it. Items
that are not placed in the case (hypothetical, about a relative, a value without a usable
unit...) are kept in :attr:`Extraction.dropped` with their reason, never lost.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["FIELDS", "STATUSES", "Cue", "ExtractedItem", "Extraction", "NotUnderstood", "Status"]

Status = Literal["present", "absent", "hypothetical", "family", "historical"]
STATUSES: tuple[Status, ...] = ("present", "absent", "hypothetical", "family", "historical")
FIELDS = (
    "patient",
    "history",
    "exposures",
    "findings",
    "absent",
    "sites",
    "duration_months",
    "labs",
    "antibodies",
    "genetics",
    "imaging",
)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Cue(_Frozen):
    """The words that set a status ("pas de", "sa mère", "rule out"), with their offsets."""

    kind: Literal["negation", "hypothesis", "family", "history", "wording"]
    text: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)


class ExtractedItem(_Frozen):
    """One fact read in the note, with its evidence."""

    field: str = Field(description="case field: " + ", ".join(FIELDS))
    term: str = Field(description="vocabulary term, or the key of a value (age, sex, lab test...)")
    value: Any = Field(default=None, description="the value placed in the case (a lab entry, a number...)")
    text: str = Field(description="the note's words, exactly note[start:end]")
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    status: Status = "present"
    reason: str = Field(description="why the item is where it is (the rule and the cue)")
    cue: Cue | None = None


class NotUnderstood(_Frozen):
    """A medical-looking phrase with no meaning in the lexicon: for the clinician to read."""

    text: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    why: str


class Extraction(BaseModel):
    """The case read from a note, its evidence, what was left out and what was not understood."""

    model_config = ConfigDict(extra="forbid")

    case: dict[str, Any] = Field(description="case format v1, ready for calcinosis.case.reader.parse_case")
    items: list[ExtractedItem] = Field(description="items placed in the case, in note order")
    dropped: list[ExtractedItem] = Field(description="items read but not placed in the case, with the reason")
    not_understood: list[NotUnderstood]
    lang: Literal["en", "fr"]
    lang_given: bool = Field(description="True when the language was given, False when detected")
    lang_detection: str = Field(description="how the language was decided (the scores of the detection)")
    missing: list[str] = Field(default=[], description="required case fields the note does not give")
    engine: str = Field(description="the NLP engine that judged negation, hypothesis, family and history")

    def to_json(self) -> str:
        """The extraction as JSON (what ``calcinosis intake --json`` prints)."""
        return self.model_dump_json(indent=2)
