"""The codes that connect the case vocabulary to hospital and research systems (``codes.yaml``).

A hospital sends a creatinine as LOINC 2160-0 in mg/dL, a dermatomyositis as ICD-10 M33.1, a
warfarin prescription as ATC B01AA03; a Phenopacket names Raynaud phenomenon HP:0030880. This
file holds, for every term of the vocabulary, the codes that mean it, each with where it was
checked, and for a term that has no code, why. It is read only by the interoperability part
(FHIR, CDS Hooks, Phenopackets) and by ``kb check``, never by the engine, so it is not part
of the compiled knowledge that every ``diagnose`` loads.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from calcinosis.errors import KnowledgeBaseError

__all__ = ["SYSTEMS", "Code", "CodeTable", "TermCodes", "load_codes"]

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
    export: bool = Field(default=True, description="false: accepted on import only (e.g. a broader or older code)")


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
        first, then the longest prefix code that covers it; the project's own URNs map directly."""
        if system_uri.startswith(OWN_SYSTEM_PREFIX):
            list_name = system_uri.removeprefix(OWN_SYSTEM_PREFIX)
            if list_name in lists and code in self.lists().get(list_name, {}):
                return list_name, code
            return None
        short = next((k for k, v in SYSTEMS.items() if v == system_uri.rstrip("/")), None)
        if short is None:
            return None
        wanted = code.strip().upper()
        best: tuple[int, str, str] | None = None
        for list_name in lists:
            for term, entry in self.lists()[list_name].items():
                for c in entry.codes:
                    if c.system != short:
                        continue
                    mine = c.code.upper()
                    if mine == wanted:
                        return list_name, term
                    if c.match == "prefix" and wanted.startswith(mine) and (best is None or len(mine) > best[0]):
                        best = (len(mine), list_name, term)
        return (best[1], best[2]) if best else None


@lru_cache(maxsize=4)
def _load(path: Path, stamp: float) -> CodeTable:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        return CodeTable.model_validate(data)
    except (OSError, yaml.YAMLError) as exc:
        raise KnowledgeBaseError(f"{path}: cannot be read: {exc}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise KnowledgeBaseError(f"{path}: {where}: {first['msg']}") from None


def load_codes(kb_root: Path) -> CodeTable:
    """``codes.yaml`` of a knowledge-base folder, validated (cached while the file is unchanged)."""
    path = Path(kb_root) / "codes.yaml"
    try:
        stamp = path.stat().st_mtime
    except OSError:
        raise KnowledgeBaseError(f"{path}: missing: the interoperability codes are needed here") from None
    return _load(path, stamp)
