"""Check a Phenopacket against the required fields of the v2 schema.

The ``phenopackets`` Python package has the message classes only, no validator (the GA4GH
validator, phenopacket-tools, is Java). These are the REQUIRED fields of the schema
documentation (phenopacket-schema docs: phenopacket, metadata, resource, ontologyclass,
phenotypic feature, measurement, quantity, disease, medical action, treatment, procedure,
interpretation, file): an ERROR each when missing. The export is tested to pass every check.
The import lists them as warnings of its report: it refuses a packet only when an element it
needs (the age, a feature's type, a measurement's value...) is missing, and says which.
"""

from __future__ import annotations

import re
from typing import Any

from calcinosis.interop.phenopackets._pb import pb
from calcinosis.issues import Issue

__all__ = ["check_packet"]

_CURIE = re.compile(r"^[A-Za-z][A-Za-z0-9_.]*:\S+$")


def _required(issues: list[Issue], ok: object, location: str, what: str, code: str = "phenopacket.required") -> None:
    if not ok:
        issues.append(Issue.error(code, f"missing: {what} is required by the Phenopacket v2 schema", location))


def check_packet(packet: Any) -> list[Issue]:
    """Every required field of the schema that ``packet`` lacks, and every CURIE whose prefix
    ``metaData.resources`` does not declare."""
    issues: list[Issue] = []
    _required(issues, packet.id, "id", "the packet id")
    if packet.HasField("subject"):
        _required(issues, packet.subject.id, "subject.id", "the subject's id")
    for i, feature in enumerate(packet.phenotypic_features):
        _required(issues, feature.type.id, f"phenotypicFeatures[{i}].type", "a feature's type")
    for i, measurement in enumerate(packet.measurements):
        path = f"measurements[{i}]"
        _required(issues, measurement.assay.id, f"{path}.assay", "a measurement's assay")
        kind = measurement.WhichOneof("measurement_value")
        _required(issues, kind, f"{path}.value", "a measurement's value (or complexValue)")
        if kind == "value" and measurement.value.WhichOneof("value") == "quantity":
            _required(issues, measurement.value.quantity.unit.id, f"{path}.value.quantity.unit", "a quantity's unit")
    for i, disease in enumerate(packet.diseases):
        _required(issues, disease.term.id, f"diseases[{i}].term", "a disease's term")
    for i, action in enumerate(packet.medical_actions):
        path = f"medicalActions[{i}]"
        kind = action.WhichOneof("action")
        _required(issues, kind, path, "one action (procedure, treatment, radiationTherapy, therapeuticRegimen)")
        if kind == "treatment":
            _required(issues, action.treatment.agent.id, f"{path}.treatment.agent", "a treatment's agent")
        elif kind == "procedure":
            _required(issues, action.procedure.code.id, f"{path}.procedure.code", "a procedure's code")
    for i, interpretation in enumerate(packet.interpretations):
        path = f"interpretations[{i}]"
        _required(issues, interpretation.id, f"{path}.id", "an interpretation's id")
        if interpretation.HasField("diagnosis"):
            _required(issues, interpretation.diagnosis.disease.id, f"{path}.diagnosis.disease", "a diagnosis' disease")
    for i, file in enumerate(packet.files):
        _required(issues, file.uri, f"files[{i}].uri", "a file's uri")
    _check_metadata(packet, issues)
    return issues


def _check_metadata(packet: Any, issues: list[Issue]) -> None:
    code = "phenopacket.metadata"
    if not packet.HasField("meta_data"):
        _required(issues, False, "metaData", "metaData", code)
        return
    meta = packet.meta_data
    _required(issues, meta.HasField("created"), "metaData.created", "metaData.created", code)
    _required(issues, meta.created_by, "metaData.createdBy", "metaData.createdBy", code)
    _required(issues, meta.phenopacket_schema_version, "metaData.phenopacketSchemaVersion", "the schema version", code)
    _required(issues, len(meta.resources), "metaData.resources", "one resource per ontology used", code)
    declared = set()
    for i, resource in enumerate(meta.resources):
        for name, json_name in (
            ("id", "id"),
            ("name", "name"),
            ("namespace_prefix", "namespacePrefix"),
            ("url", "url"),
            ("version", "version"),
            ("iri_prefix", "iriPrefix"),
        ):
            _required(
                issues,
                getattr(resource, name),
                f"metaData.resources[{i}].{json_name}",
                f"a resource's {json_name}",
                code,
            )
        declared.add(resource.namespace_prefix.upper())
    for location, oc in _ontology_classes(packet, ""):
        if not _CURIE.match(oc.id):
            issues.append(
                Issue.error(
                    "phenopacket.curie",
                    f"{oc.id!r} is not a CURIE",
                    f"{location}.id",
                    expected="PREFIX:local, e.g. HP:0003761",
                )
            )
            continue
        _required(issues, oc.label, f"{location}.label", "an ontology class' label", "phenopacket.label")
        prefix = oc.id.partition(":")[0]
        if prefix.upper() not in declared:
            issues.append(
                Issue.error(
                    "phenopacket.resource",
                    f"the prefix {prefix} of {oc.id} has no resource in metaData.resources (the schema requires one per ontology)",
                    f"{location}.id",
                )
            )


def _ontology_classes(message: Any, path: str) -> list[tuple[str, Any]]:
    """Every OntologyClass inside ``message`` with its JSON path."""
    wanted = pb().OntologyClass.DESCRIPTOR.full_name
    found: list[tuple[str, Any]] = []
    for descriptor, value in message.ListFields():
        if descriptor.message_type is None or descriptor.message_type.GetOptions().map_entry:
            continue
        where = f"{path}.{descriptor.json_name}" if path else descriptor.json_name
        items = list(enumerate(value)) if descriptor.is_repeated else [(None, value)]
        for index, item in items:
            here = where if index is None else f"{where}[{index}]"
            if descriptor.message_type.full_name == wanted:
                found.append((here, item))
            else:
                found.extend(_ontology_classes(item, here))
    return found
