"""The mapping report of a Phenopacket import: every element, and what became of it.

A Phenopacket can say much that a case cannot (evidence codes, severities, biosamples,
variants...) and a researcher must be able to see, element by element, what was used, what was
taken from the calcinosis record, and what was left out and why. Nothing is dropped silently.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

__all__ = ["MappingEntry", "MappingReport", "MappingStatus"]


class MappingStatus(StrEnum):
    """What became of one element."""

    MAPPED = "mapped"  # read into the case
    CARRIED = "carried"  # taken from the calcinosis record (files[].fileAttributes)
    NOT_MAPPED = "not_mapped"  # left out, with the reason


class MappingEntry(BaseModel):
    """One element of the packet: where, what, and where it went or why not."""

    model_config = ConfigDict(frozen=True)

    path: str
    value: str = ""
    status: MappingStatus
    to: str = ""
    reason: str = ""

    def render(self) -> str:
        """One line for people."""
        value = f" {self.value}" if self.value else ""
        if self.status is MappingStatus.NOT_MAPPED:
            return f"{self.path}:{value} -> not mapped: {self.reason}"
        target = f" -> {self.to}" if self.to else ""
        note = f" ({self.reason})" if self.reason else ""
        tag = " [calcinosis record]" if self.status is MappingStatus.CARRIED else ""
        return f"{self.path}:{value}{target}{tag}{note}"


class MappingReport(BaseModel):
    """Every element of one imported packet, and the warnings about the packet as a whole."""

    source: str
    entries: list[MappingEntry] = []
    warnings: list[str] = []

    def count(self, status: MappingStatus) -> int:
        """How many elements ended with ``status``."""
        return sum(1 for e in self.entries if e.status is status)

    @property
    def not_mapped(self) -> list[MappingEntry]:
        """The elements left out."""
        return [e for e in self.entries if e.status is MappingStatus.NOT_MAPPED]

    def summary(self) -> str:
        """One line: counts by status."""
        return (
            f"{self.source}: {self.count(MappingStatus.MAPPED)} elements mapped, "
            f"{self.count(MappingStatus.CARRIED)} taken from the calcinosis record, "
            f"{self.count(MappingStatus.NOT_MAPPED)} not mapped"
        )

    def render(self) -> str:
        """The whole report as text: the summary, the warnings, then one line per element."""
        lines = [self.summary()]
        lines.extend(f"warning: {w}" for w in self.warnings)
        lines.extend(f"  {e.render()}" for e in self.entries)
        return "\n".join(lines)
