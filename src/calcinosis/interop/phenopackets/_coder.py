"""Vocabulary terms to CURIEs and back, and ages to ISO 8601 durations and back.

One object, :class:`Coder`, answers both directions, so that export and import cannot
disagree: a term is written with the first code (in ``mapping.yaml``'s order of preference)
that reads back as that same term alone, and a code is read back through
:meth:`calcinosis.kb.codes.CodeTable.lookup` (exact code first, then the longest prefix code)
or, for the project's own CURIEs ``CALCINOSIS:<list>/<term>``, through the vocabulary. A code
that no table holds is never matched by name or by ontology ancestry: it is reported.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from calcinosis.interop.phenopackets._data import Mapping, ResourceSpec
from calcinosis.kb.codes import SYSTEMS, Code, CodeTable
from calcinosis.kb.model import KnowledgeBase

__all__ = ["OWN_PREFIX", "Coder", "Term", "iso_to_years", "years_to_iso"]

OWN_PREFIX = "CALCINOSIS"
DIAGNOSES = "diagnoses"  # the own-CURIE "list" of the knowledge base's diagnoses

_ISO = re.compile(
    r"^P(?!$)(?:(?P<Y>\d+(?:\.\d+)?)Y)?(?:(?P<M>\d+(?:\.\d+)?)M)?(?:(?P<W>\d+(?:\.\d+)?)W)?(?:(?P<D>\d+(?:\.\d+)?)D)?"
    r"(?:T(?=\d)(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)
DAYS_PER_YEAR = 365.25
"""Julian year: the mean length of a year over leap years, to turn days into years."""


def years_to_iso(years: float) -> str:
    """An age in years as an ISO 8601 duration: whole months exactly (``P23Y6M``), else days.

    Whole months are exact both ways (months / 12); anything finer is rounded to the day, and
    the calcinosis record then keeps the exact number (the export checks every field).
    """
    if not math.isfinite(years) or years < 0:
        raise ValueError(f"an age must be a finite number of years >= 0, not {years!r}")
    months = years * 12
    if abs(months - round(months)) < 1e-9:
        y, m = divmod(round(months), 12)
        text = (f"{y}Y" if y else "") + (f"{m}M" if m else "")
        return f"P{text or '0Y'}"
    whole = math.floor(years)
    days = round((years - whole) * DAYS_PER_YEAR)
    return f"P{whole}Y{days}D" if whole else f"P{days}D"


def iso_to_years(text: str) -> float | None:
    """An ISO 8601 duration (``P24Y``, ``P1Y6M``, ``P10D``, ``P3W``) in years; None if malformed."""
    found = _ISO.match(text.strip())
    if found is None:
        return None
    part = {k: float(v) if v else 0.0 for k, v in found.groupdict().items()}
    days = part["W"] * 7 + part["D"] + part["h"] / 24 + part["m"] / 1440 + part["s"] / 86400
    return part["Y"] + part["M"] / 12 + days / DAYS_PER_YEAR


@dataclass(frozen=True)
class Term:
    """An ontology class to write: CURIE and label."""

    id: str
    label: str


@dataclass
class Coder:
    """Codes of terms and diagnoses, both ways, and the CURIE prefixes a packet used."""

    kb: KnowledgeBase
    codes: CodeTable
    mapping: Mapping
    used_prefixes: set[str] = field(default_factory=set)
    _diagnosis_index: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for disease in self.kb.diseases:
            for curie in self._diagnosis_curies(disease.id):
                self._diagnosis_index.setdefault(curie.upper(), []).append(disease.id)

    # ---- CURIEs -------------------------------------------------------------------------
    def curie(self, system: str, code: str) -> str:
        """The CURIE of ``code`` of ``system`` (``HP:0003761``, ``LOINC:2160-0``, ``ICD10:N18``)."""
        spec = self.mapping.resource_of_system(system)
        if spec is None:
            raise KeyError(f"mapping.yaml declares no resource for the code system {system!r}")
        if spec.code_has_prefix and code.upper().startswith(f"{spec.prefix.upper()}:"):
            return code
        local = code.split(":", 1)[1] if code.upper().startswith(f"{spec.prefix.upper()}:") else code
        return f"{spec.prefix}:{local}"

    def split(self, curie: str) -> tuple[ResourceSpec | None, str]:
        """The resource of a CURIE's prefix (None if undeclared) and its local part."""
        prefix, sep, local = curie.partition(":")
        if not sep or not prefix or not local:
            return None, curie
        return self.mapping.resource(prefix), local

    def term(self, curie: str, label: str) -> Term:
        """An ontology class to write, its prefix recorded for ``meta_data.resources``."""
        self.used_prefixes.add(curie.partition(":")[0])
        return Term(curie, label)

    def own(self, list_name: str, term: str) -> Term:
        """The project's own CURIE of a term that has no standard code."""
        if list_name == DIAGNOSES:
            label = self.kb.disease(term).name("en")
        else:
            label = self.kb.vocabulary.label(list_name, term, "en")
        return self.term(f"{OWN_PREFIX}:{list_name}/{term}", label)

    # ---- terms -> codes -------------------------------------------------------------------
    def pick(
        self, list_name: str, term: str, systems: Sequence[str], *, lists: Sequence[str], unit: str | None = None
    ) -> Term | None:
        """The code to write for ``term``: the first (in ``systems`` order) that reads back as
        ``(list_name, term)`` when looked up in ``lists``; else the first code; else None.

        ``unit``: for a lab, only the codes whose LOINC property takes that unit."""
        candidates: list[Code] = []
        for system in systems:
            for code in self.codes.codes_of(list_name, term, system):
                known = self.mapping.resource_of_system(code.system) is not None
                if known and code.export and (unit is None or not code.units or unit in code.units):
                    candidates.append(code)
        for code in candidates:
            curie = self.curie(code.system, code.code)
            if self.read(curie, lists) == (list_name, term):
                return self.term(curie, code.display)
        if candidates:
            first = candidates[0]
            return self.term(self.curie(first.system, first.code), first.display)
        return None

    # ---- codes -> terms -------------------------------------------------------------------
    def read(self, curie: str, lists: Sequence[str]) -> tuple[str, str] | None:
        """The (list, term) that a CURIE means, among ``lists``; None when no table holds it."""
        spec, local = self.split(curie)
        if spec is None:
            return None
        if spec.prefix == OWN_PREFIX:
            list_name, _, term = local.partition("/")
            if list_name in lists and term in self.kb.vocabulary.lists.get(list_name, {}):
                return list_name, term
            return None
        uri = SYSTEMS.get(spec.system)
        if uri is None:
            return None
        coded = [c for c in lists if c in self.codes.lists()]
        if not coded:
            return None
        first, second = (curie, local) if spec.code_has_prefix else (local, curie)
        return self.codes.lookup(uri, first, tuple(coded)) or self.codes.lookup(uri, second, tuple(coded))

    def export_only(self, curie: str, list_name: str) -> list[str]:
        """The terms of ``list_name`` that write ``curie`` on export but never read it back
        (codes.yaml ``on_import: false``: a code broader than the term)."""
        spec, local = self.split(curie)
        if spec is None or list_name not in self.codes.lists():
            return []
        wanted = {curie.upper(), local.upper()}
        return [
            term
            for term, entry in self.codes.lists()[list_name].items()
            for code in entry.codes
            if code.system == spec.system and code.code.upper() in wanted and not getattr(code, "on_import", True)
        ]

    # ---- diagnoses --------------------------------------------------------------------------
    def _diagnosis_curies(self, disease_id: str) -> list[str]:
        codes = self.kb.disease(disease_id).codes
        out: list[str] = []
        for system in self.mapping.code_preference.diagnoses:
            if self.mapping.resource_of_system(system) is not None:
                out.extend(self.curie(system, c) for c in getattr(codes, system, []))
        return out

    def diagnosis_code(self, disease_id: str) -> Term:
        """The code of a diagnosis: the first (ORPHA, Mondo, ICD-10...) that names it alone."""
        curies = self._diagnosis_curies(disease_id)
        for curie in curies:
            if self._diagnosis_index.get(curie.upper()) == [disease_id]:
                return self.term(curie, self.kb.disease(disease_id).name("en"))
        if curies:
            return self.term(curies[0], self.kb.disease(disease_id).name("en"))
        return self.own(DIAGNOSES, disease_id)

    def diagnoses_of(self, curie: str) -> list[str]:
        """The diagnoses a CURIE names (several when a code is shared; empty when none)."""
        spec, local = self.split(curie)
        if spec is not None and spec.prefix == OWN_PREFIX:
            list_name, _, term = local.partition("/")
            return [term] if list_name == DIAGNOSES and term in self.kb.disease_ids else []
        if spec is None:
            return []
        return list(self._diagnosis_index.get(self.curie(spec.system, local).upper(), []))
