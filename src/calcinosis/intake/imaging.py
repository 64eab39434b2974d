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

from calcinosis.case.model import MAX_SIZE_CM

__all__ = ["ImagingEntry", "extent_bound", "guides_procedure", "landmark_site", "normal_site", "size_cm_in"]

_SIZE = re.compile(
    r"(?P<dims>\d+(?:[.,]\d+)?(?:\s*(?:x|×|\*|sur|by)\s*\d+(?:[.,]\d+)?){0,2})\s*(?P<u>cm|mm)\b", re.IGNORECASE
)

# a modality that guides a procedure ("ultrasound-guided barbotage", "ponction écho-guidée",
# "biopsie guidée par scanner", "sous contrôle échographique") is a tool, not a study (folded text)
_GUIDED_AFTER = re.compile(r"[\s-]*guid(?:e|ee|es|ees|ed|ance)\b")
# a study proposed, not done: "compléter par radiographies du bassin", "proposition d'une
# échographie", "we will request an MRI" (folded text)
_PLANNED_BEFORE = re.compile(
    r"(?:\bcompleter\s+par|\bproposition\s+d['’e]|\bproposer|\bdemander|\bprevoir|\ba\s+prevoir|\bplanifier"
    r"|\bprogrammer|\bwill\s+(?:request|arrange|obtain|order)|\b(?:to\s+)?request|\barrange)"
    r"(?:\s*(?:l'|d'|(?:la|le|les|une?|des|de|an?|the|par)\b))*\s*$"
)
_GUIDED_BEFORE = re.compile(
    r"(?:\bguid(?:e|ee|es|ees|ed)\s+(?:par|by|under|sous)|\bsous\s+(?:guidage|controle)|\bunder)"
    r"(?:\s+(?:l'|la|le|une|un|the|an?))?\s*$"
)
# a place named only to situate the deposits ("separate from the pubis", "à distance du pubis
# et de l'ischion", "abuts the pubic ramus", "au contact de la branche ischio-pubienne"): a
# landmark, not where the deposits are. The relation word stands at most three words before.
_LANDMARK = re.compile(
    r"(?:\b(?:separate[ds]?|separated|distinct|away|apart|remote)\s+from|\bat\s+a\s+distance\s+from"
    r"|\babut(?:s|ting|ted)?|\bin\s+contact\s+with|\badjacent\s+to|\bclose\s+to|\bnext\s+to"
    r"|\ba\s+distance\s+d|\bau\s+contact\s+d|\ba\s+proximite\s+d|\bproche\s+d"
    r"|\b(?:separee?s?|independante?s?|distincte?s?|eloignee?s?)\s+d|\bjouxtant|\bcontigue?s?\s+a)"
    r"[^\w,;.:()]*(?:\w+[^\w,;.:()]+){0,3}$"
)

# the bounds of an extent ("extending from the level of the knee down to the ankle", "s'étendant
# du genou jusqu'à la cheville"): where the deposits reach, said of the region they lie in
_EXTENT_BOUND = re.compile(
    r"\b(?:extend\w*|s'etend\w*|stretch\w*|spann\w*|running|allant|remontant|descendant)"
    r"\s+(?:\w+\s+){0,4}?(?:from|du|de|des|d')\b[^,;.:()]*$"
)

# a place said normal ("right leg normal", "la jambe droite est normale"): no deposit there
_SAID_NORMAL = re.compile(
    r"(?:\s+(?:droite?s?|gauches?|right|left))?\s*(?:(?:is|was|are|were|looked|looks|appeared|est|etait|sont|etaient|parait|paraissait)\s+)?"
    r"(?:normal|normale|normales|normaux|unremarkable|sans\s+particularite|sans\s+anomalie)\b"
)


def guides_procedure(folded: str, start: int, end: int) -> bool:
    """Whether the modality at ``folded[start:end]`` names the guide of a procedure or a study
    only proposed, not a study done."""
    return (
        _PLANNED_BEFORE.search(folded[max(0, start - 40) : start]) is not None
        or _GUIDED_AFTER.match(folded, end) is not None
        or _GUIDED_BEFORE.search(folded[max(0, start - 30) : start]) is not None
    )


def landmark_site(folded: str, start: int) -> bool:
    """Whether the site at ``folded[start:]`` is named as a landmark the deposits lie near, away
    from or against, rather than where they are."""
    return _LANDMARK.search(folded[max(0, start - 60) : start]) is not None


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


def size_cm_in(text: str, start: int, end: int) -> tuple[tuple[float, int, int] | None, list[tuple[float, int, int]]]:
    """The largest dimension written in ``text[start:end]``, in cm, with its span; and the sizes
    written there that no deposit can have (0, or above :data:`MAX_SIZE_CM`), each with its
    span, for the reader to report: a hardening audit saw "a calcified mass of 300 cm" vanish
    from the intake without a word."""
    best: tuple[float, int, int] | None = None
    refused: list[tuple[float, int, int]] = []
    for m in _SIZE.finditer(text, start, end):
        dims = [float(d.replace(",", ".")) for d in re.findall(r"\d+(?:[.,]\d+)?", m.group("dims"))]
        if not dims:
            continue
        largest = round(max(dims) / (10 if m.group("u").lower() == "mm" else 1), 2)
        if not 0 < largest <= MAX_SIZE_CM:
            refused.append((largest, m.start(), m.end()))
        elif best is None or largest > best[0]:
            best = (largest, m.start(), m.end())
    return best, refused


def extent_bound(folded: str, start: int) -> bool:
    """Whether the site at ``folded[start:]`` bounds an extent ("from the knee to the ankle")."""
    return _EXTENT_BOUND.search(folded[max(0, start - 90) : start]) is not None


def normal_site(folded: str, end: int) -> bool:
    """Whether the site ending at ``folded[end]`` is said normal right after it."""
    return _SAID_NORMAL.match(folded, end) is not None
