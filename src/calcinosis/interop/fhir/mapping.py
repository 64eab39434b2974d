"""What a FHIR import used and what it could not use: the mapping report."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from calcinosis.case.model import Case

__all__ = ["FhirImport", "MappingEntry"]


class MappingEntry(BaseModel):
    """One resource element and what became of it."""

    resource: str = Field(description="ResourceType/id (or ResourceType#index when the resource has no id)")
    element: str = Field(description="the element read, e.g. code, valueQuantity, birthDate")
    value: str = Field(description="what the element held (system|code, value unit, text), shortened")
    outcome: Literal["used", "not_used"]
    mapped_to: str = Field(default="", description="where it went in the case, e.g. labs: calcium 2.9 mmol/L")
    reason: str = Field(default="", description="why it was not used (or how it was read)")


class FhirImport(BaseModel):
    """A case read from FHIR, with the report of every element."""

    case: Case
    mapping: list[MappingEntry]
    analysis_date: str = Field(description="ISO date at which the age and delays were computed")

    @property
    def not_used(self) -> list[MappingEntry]:
        """The elements that did not make it into the case."""
        return [m for m in self.mapping if m.outcome == "not_used"]
