"""The codes that connect the case vocabulary to hospital and research systems (``codes.yaml``).

A hospital sends a creatinine as LOINC 2160-0 in mg/dL, a dermatomyositis as ICD-10 M33.1, a
warfarin prescription as ATC B01AA03; a Phenopacket names Raynaud phenomenon HP:0030880. This
file holds, for every term of the vocabulary, the codes that mean it, each with where it was
checked, and for a term that has no code, why. It is read only by the interoperability part
(FHIR, CDS Hooks, Phenopackets) and by ``kb check``, never by the engine, so it is not part
of the compiled knowledge that every ``diagnose`` loads.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from calcinosis.errors import KnowledgeBaseError

if TYPE_CHECKING:
    from calcinosis.kb.model import KnowledgeBase

__all__ = [
    "OWN_SYSTEM_PREFIX",
    "PREFIX_SYSTEMS",
    "SYSTEMS",
    "Code",
    "CodeTable",
    "TermCodes",
    "codes_of",
    "load_codes",
    "loinc_check_digit_ok",
    "read_yaml_model",
    "snomed_check_digit_ok",
    "well_formed",
]

SYSTEMS: dict[str, str] = {
    "loinc": "http://loinc.org",
    "ucum": "http://unitsofmeasure.org",
    "icd10": "http://hl7.org/fhir/sid/icd-10",
    "icd10cm": "http://hl7.org/fhir/sid/icd-10-cm",
    "snomed": "http://snomed.info/sct",
    "atc": "http://www.whocc.no/atc",
    "rxnorm": "http://www.nlm.nih.gov/research/umls/rxnorm",
    "hpo": "http://human-phenotype-ontology.org",
    "orpha": "http://www.orpha.net",
    "omim": "http://www.omim.org",
    "hgnc": "http://www.genenames.org",
}
"""Short name → FHIR system URI (HL7 Terminology, terminology.hl7.org). The project's own
vocabulary is the system ``urn:calcinosis:vocabulary:<list>`` (e.g. ``...:conditions``), so
that a Bundle exported by calcinosis re-imports exactly even for terms no code system has."""

OWN_SYSTEM_PREFIX = "urn:calcinosis:vocabulary:"

System = Literal["loinc", "icd10", "icd10cm", "snomed", "atc", "rxnorm", "hpo", "orpha", "omim", "hgnc"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Code(_Strict):
    """One code that means a vocabulary term."""

    system: System
    code: str = Field(min_length=1)
    display: str = Field(min_length=1, description="the code's own title in its code system")
    match: Literal["exact", "prefix"] = Field(
        default="exact",
        description="prefix: every code below this one means the term too (ICD-10 M34 covers M34.1; ATC B01AA covers B01AA03)",
    )
    units: list[str] = Field(
        default=[], description="labs: the case-format units this LOINC code's property takes (mass vs molar)"
    )
    export: bool = Field(
        default=True, description="false: accepted on import only (e.g. a narrower, older or quantitative code)"
    )
    on_import: bool = Field(
        default=True,
        description="false: written on export only: the code is broader than the term (ICD-10 E83.5 for known "
        "hypercalcaemia), so reading it back as this term would be a guess",
    )


class TermCodes(_Strict):
    """Every code of one vocabulary term, and where they were checked."""

    codes: list[Code] = []
    checked: str = Field(min_length=1, description="where each code and title was checked")
    uncoded: str | None = Field(default=None, description="why a code system the term would need has no code for it")


class CodeTable(_Strict):
    """``codes.yaml``."""

    ucum: dict[str, str] = Field(description="case-format unit → UCUM code")
    labs: dict[str, TermCodes]
    antibodies: dict[str, TermCodes]
    conditions: dict[str, TermCodes]
    exposures: dict[str, TermCodes]
    findings: dict[str, TermCodes]
    genetics: dict[str, TermCodes] = {}

    def lists(self) -> dict[str, dict[str, TermCodes]]:
        """The coded vocabulary lists by name."""
        return {
            "labs": self.labs,
            "antibodies": self.antibodies,
            "conditions": self.conditions,
            "exposures": self.exposures,
            "findings": self.findings,
            "genetics": self.genetics,
        }

    def codes_of(self, list_name: str, term: str, system: str) -> list[Code]:
        """The codes of ``term`` in ``system`` (empty when it has none)."""
        entry = self.lists()[list_name].get(term)
        return [c for c in entry.codes if c.system == system] if entry else []

    def lookup(self, system_uri: str, code: str, lists: tuple[str, ...]) -> tuple[str, str] | None:
        """The (list, term) a coded concept means, searching ``lists`` in order: an exact code
        first, then the longest prefix code that covers it; the project's own URNs map directly.

        Codes marked ``on_import: false`` are broader than their term and never match. ICD-10
        codes compare without their dot, because hospital feeds send both ``M34.1`` and ``M341``.
        """
        if system_uri.startswith(OWN_SYSTEM_PREFIX):
            list_name = system_uri.removeprefix(OWN_SYSTEM_PREFIX)
            if list_name in lists and code in self.lists().get(list_name, {}):
                return list_name, code
            return None
        short = next((k for k, v in SYSTEMS.items() if v == system_uri.rstrip("/")), None)
        if short is None:
            return None
        wanted = _comparable(short, code)
        best: tuple[int, str, str] | None = None
        for list_name in lists:
            for term, entry in self.lists().get(list_name, {}).items():
                for c in entry.codes:
                    if c.system != short or not c.on_import:
                        continue
                    mine = _comparable(short, c.code)
                    if mine == wanted:
                        return list_name, term
                    if c.match == "prefix" and wanted.startswith(mine) and (best is None or len(mine) > best[0]):
                        best = (len(mine), list_name, term)
        return (best[1], best[2]) if best else None


def _comparable(system: str, code: str) -> str:
    """``code`` as compared by :meth:`CodeTable.lookup`: trimmed, upper case, ICD-10 without its dot."""
    text = code.strip().upper()
    return text.replace(".", "") if system in ("icd10", "icd10cm") else text


PREFIX_SYSTEMS = frozenset({"icd10", "icd10cm", "atc"})
"""Code systems whose codes are hierarchical strings, where ``match: prefix`` means something:
an ICD-10 category covers its subcategories and an ATC group its substances. A SNOMED CT, LOINC
or HPO id says nothing about its parents, so a prefix of one is no concept at all."""

_FORMATS: dict[str, re.Pattern[str]] = {
    "loinc": re.compile(r"\d{1,7}-\d"),
    "icd10": re.compile(r"[A-Z]\d{2}(\.\d{1,2})?"),
    "icd10cm": re.compile(r"[A-Z]\d[0-9A-Z](\.[0-9A-Z]{1,4})?"),
    "snomed": re.compile(r"[1-9]\d{5,17}"),
    "atc": re.compile(r"[A-Z](\d{2}([A-Z]([A-Z](\d{2})?)?)?)?"),
    "rxnorm": re.compile(r"[1-9]\d*"),
    "hpo": re.compile(r"HP:\d{7}"),
    "orpha": re.compile(r"[1-9]\d*"),
    "omim": re.compile(r"\d{6}"),
    "hgnc": re.compile(r"HGNC:[1-9]\d*"),
}


def well_formed(system: str, code: str) -> bool:
    """Whether ``code`` has the shape of a code of ``system`` (WHO ICD-10 ``M34.1``, ICD-10-CM
    ``M79.A1``, ATC ``B01AA03``, HPO ``HP:0003761``...). Shape only: existence is checked elsewhere.

    Examples
    --------
    >>> well_formed("icd10", "M34.1"), well_formed("icd10", "M341"), well_formed("atc", "B01AA")
    (True, False, True)
    """
    pattern = _FORMATS.get(system)
    return bool(pattern and pattern.fullmatch(code))


def loinc_check_digit_ok(code: str) -> bool:
    """Whether the digit after the hyphen of a LOINC code is its mod-10 check digit (LOINC Users'
    Guide, appendix: the Luhn algorithm over the digits before the hyphen), so that a mistyped
    number such as 2160-1 for creatinine 2160-0 is caught.

    Examples
    --------
    >>> loinc_check_digit_ok("2160-0"), loinc_check_digit_ok("2160-1")
    (True, False)
    """
    body, _, check = code.partition("-")
    if not (body.isdigit() and check.isdigit() and len(check) == 1):
        return False
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d // 10 + d % 10
    return (10 - total % 10) % 10 == int(check)


_VERHOEFF_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8),
    (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2),
    (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_VERHOEFF_P = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    (9, 4, 5, 3, 1, 2, 6, 8, 7, 0),
    (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5),
    (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)


def snomed_check_digit_ok(sctid: str) -> bool:
    """Whether a SNOMED CT identifier ends in its Verhoeff check digit (SNOMED CT Technical
    Implementation Guide, section on SCTID check digits), which catches any single mistyped or
    swapped digit.

    Examples
    --------
    >>> snomed_check_digit_ok("709044004"), snomed_check_digit_ok("709044005")
    (True, False)
    """
    if not sctid.isdigit():
        return False
    check = 0
    for i, ch in enumerate(reversed(sctid)):
        check = _VERHOEFF_D[check][_VERHOEFF_P[i % 8][int(ch)]]
    return check == 0


M = TypeVar("M", bound=BaseModel)


def read_yaml_model(source: Any, model: type[M]) -> M:
    """A YAML side file of the knowledge (``source``: a Path or an importlib resource) validated
    against ``model``; a problem is a KnowledgeBaseError naming the file and the element."""
    try:
        data = yaml.load(source.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        return model.model_validate(data)
    except (OSError, yaml.YAMLError) as exc:
        raise KnowledgeBaseError(f"{source}: cannot be read: {exc}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise KnowledgeBaseError(f"{source}: {where}: {first['msg']}") from None


@lru_cache(maxsize=4)
def _load(path: Path, stamp: float) -> CodeTable:
    return read_yaml_model(path, CodeTable)


def codes_of(kb: KnowledgeBase) -> CodeTable:
    """``codes.yaml`` of the folder ``kb`` was loaded from (the bundled one when not known)."""
    from calcinosis.kb.loader import default_kb_path

    return load_codes(kb.root or default_kb_path())


def load_codes(kb_root: Path) -> CodeTable:
    """``codes.yaml`` of a knowledge-base folder, validated (cached while the file is unchanged)."""
    path = Path(kb_root) / "codes.yaml"
    try:
        stamp = path.stat().st_mtime
    except OSError:
        raise KnowledgeBaseError(f"{path}: missing: the interoperability codes are needed here") from None
    return _load(path, stamp)
