"""The mapping report of a Phenopacket import: every element, and what became of it.

A Phenopacket can say much that a case cannot (evidence codes, severities, biosamples,
variants...) and a researcher must be able to see, element by element, what was used, what was
taken from the calcinosis record, and what was left out and why. Nothing is dropped silently.

The report is written in one language (``lang``, 'en' or 'fr'): every reason is a
``messages.yaml`` text whose key travels with it (``code``), so a program reading the JSON
report can sort the entries without parsing sentences in either language.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from calcinosis.i18n import colon, message

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
    code: str = ""
    """The ``messages.yaml`` key of ``reason`` (empty when there is no reason)."""

    def render(self, lang: str = "en") -> str:
        """One line for people, in ``lang``."""
        value = f" {self.value}" if self.value else ""
        head = f"{self.path}{colon(lang)}{value}"
        if self.status is MappingStatus.NOT_MAPPED:
            return f"{head} -> {message('pp_not_mapped', lang)}{colon(lang)} {self.reason}"
        target = f" -> {self.to}" if self.to else ""
        note = f" ({self.reason})" if self.reason else ""
        tag = f" {message('pp_record_tag', lang)}" if self.status is MappingStatus.CARRIED else ""
        return f"{head}{target}{tag}{note}"


class MappingReport(BaseModel):
    """Every element of one imported packet, and the warnings about the packet as a whole."""

    source: str
    lang: str = "en"
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
        return message(
            "pp_summary",
            self.lang,
            source=self.source,
            mapped=self.count(MappingStatus.MAPPED),
            carried=self.count(MappingStatus.CARRIED),
            not_mapped=self.count(MappingStatus.NOT_MAPPED),
        )

    def render(self) -> str:
        """The whole report as text: the summary, the warnings, then one line per element."""
        lines = [self.summary()]
        lines.extend(message("pp_warning", self.lang, text=w) for w in self.warnings)
        lines.extend(f"  {e.render(self.lang)}" for e in self.entries)
        return "\n".join(lines)
