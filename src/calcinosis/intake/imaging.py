"""Imaging sentences: a sentence that names a modality describes one study.

Its sites, tissues, patterns, distribution, symmetry, bone destruction, tracer uptake,
alignment with muscle fibres and largest size (cm or mm) go to that modality's entry; a
modality named in several sentences keeps one entry. A sentence without a modality that
goes on describing calcifications (a pattern, a tissue, "calcifications ...") right after an
imaging sentence of the same paragraph adds to that study; a sentence about something else
ends the description. Anything imaging-like with no study to belong to is reported, not
guessed into one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ImagingEntry", "size_cm_in"]

_SIZE = re.compile(
    r"(?P<dims>\d+(?:[.,]\d+)?(?:\s*(?:x|×|\*|sur|by)\s*\d+(?:[.,]\d+)?){0,2})\s*(?P<u>cm|mm)\b", re.IGNORECASE
)


@dataclass
class ImagingEntry:
    """One study being filled from the note."""

    modality: str
    sites: list[str] = field(default_factory=list)
    tissues: list[str] = field(default_factory=list)
    patterns: list[str] = field(default_factory=list)
    distribution: str | None = None
    flags: dict[str, bool] = field(default_factory=dict)
    size_cm: float | None = None

    def add(self, list_name: str, term: str) -> None:
        """Add a vocabulary term of ``list_name`` (sites, tissues, patterns, distributions)."""
        if list_name == "distributions":
            # the wider word wins: "multiple" then "diffuse" reads as widespread
            rank = {"single": 0, "multiple_localized": 1, "regional": 2, "widespread": 3}
            if self.distribution is None or rank[term] > rank[self.distribution]:
                self.distribution = term
            return
        target: list[str] = getattr(self, list_name)
        if term not in target:
            target.append(term)

    def as_case(self) -> dict[str, Any]:
        """The entry in case format v1."""
        out: dict[str, Any] = {"modality": self.modality}
        for name in ("sites", "tissues", "patterns"):
            if getattr(self, name):
                out[name] = list(getattr(self, name))
        if self.distribution is not None:
            out["distribution"] = self.distribution
        for flag in ("symmetric", "bone_destruction", "uptake", "along_muscle_fibers"):
            if flag in self.flags:
                out[flag] = self.flags[flag]
        if self.size_cm is not None:
            out["size_cm"] = self.size_cm
        return out


def size_cm_in(text: str, start: int, end: int) -> tuple[float, int, int] | None:
    """The largest dimension written in ``text[start:end]``, in cm, with its span."""
    best: tuple[float, int, int] | None = None
    for m in _SIZE.finditer(text, start, end):
        dims = [float(d.replace(",", ".")) for d in re.findall(r"\d+(?:[.,]\d+)?", m.group("dims"))]
        if not dims:
            continue
        largest = max(dims) / (10 if m.group("u").lower() == "mm" else 1)
        if 0 < largest <= 250 and (best is None or largest > best[0]):
            best = (round(largest, 2), m.start(), m.end())
    return best
