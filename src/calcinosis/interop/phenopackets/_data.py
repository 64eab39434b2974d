"""``mapping.yaml``: the resources, value terms and code preferences of the Phenopacket mapping.

Kept as data beside the code (not in ``knowledge/``) because it describes a file format, not
clinical knowledge; it is validated at load like every knowledge file (unknown keys refused).
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field

from calcinosis.kb.codes import read_yaml_model

__all__ = ["Mapping", "OntologyTerm", "ResourceSpec", "load_mapping"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OntologyTerm(_Strict):
    """A CURIE and its label, as written in a Phenopacket ``OntologyClass``."""

    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_.]*:\S+$")
    label: str = Field(min_length=1)


class ValueTerms(_Strict):
    """The term written for a value, and others read as the same value."""

    export: OntologyTerm
    accept: list[OntologyTerm] = []

    def all(self) -> list[OntologyTerm]:
        """Every term read as this value, the written one first."""
        return [self.export, *self.accept]


class PresentingProblem(_Strict):
    """The calcification itself, one observed feature in every exported case."""

    export: OntologyTerm
    accept: list[OntologyTerm]
    checked: str = Field(min_length=1)


class ResourceSpec(_Strict):
    """One ontology or code system, as declared in ``meta_data.resources``."""

    prefix: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_.]*$")
    system: str
    code_has_prefix: bool = False
    id: str
    name: str
    url: str
    version: str | None = Field(description="null: the knowledge-base version, filled in at export")
    iri_prefix: str


class CodePreference(_Strict):
    """Code systems in order of preference, per kind of element."""

    findings: list[str]
    conditions: list[str]
    exposure_agents: list[str]
    exposure_procedures: list[str]
    labs: list[str]
    antibodies: list[str]
    diagnoses: list[str]


class Mapping(_Strict):
    """``mapping.yaml``."""

    phenopacket_schema_version: str
    presenting_problem: PresentingProblem
    lab_interpretations: dict[str, ValueTerms]
    antibody_results: dict[str, ValueTerms]
    values_checked: str = Field(min_length=1)
    radiation_therapy_exposure: str
    code_preference: CodePreference
    resources: list[ResourceSpec]
    resources_checked: str = Field(min_length=1)

    def resource(self, prefix: str) -> ResourceSpec | None:
        """The resource of a CURIE prefix (matched without regard to case), or None."""
        wanted = prefix.upper()
        return next((r for r in self.resources if r.prefix.upper() == wanted), None)

    def resource_of_system(self, system: str) -> ResourceSpec | None:
        """The resource of a code-system short name (``hpo``, ``loinc``...), or None."""
        return next((r for r in self.resources if r.system == system), None)


@lru_cache(maxsize=1)
def load_mapping() -> Mapping:
    """The bundled ``mapping.yaml``, validated (read once)."""
    source = resources.files("calcinosis.interop.phenopackets").joinpath("mapping.yaml")
    return read_yaml_model(source, Mapping)
