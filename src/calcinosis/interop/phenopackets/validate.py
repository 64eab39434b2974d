"""Check a Phenopacket against the required fields of the v2 schema.

The ``phenopackets`` Python package has the message classes only, no validator (the GA4GH
validator, phenopacket-tools, is Java). These are the REQUIRED fields of the schema
documentation (phenopacket-schema docs: phenopacket, metadata, resource, ontologyclass,
phenotypic feature, measurement, quantity, disease, medical action, treatment, procedure,
interpretation, file): an ERROR each when missing. The export is tested to pass every check.
The import lists them as warnings of its report: it refuses a packet only when an element it
needs (the age, a feature's type, a measurement's value...) is missing, and says which.
The messages are written in ``lang`` ('en' or 'fr'); the location names the missing field.
"""

from __future__ import annotations

import re
from typing import Any

from calcinosis.i18n import message
from calcinosis.interop.phenopackets._pb import pb
from calcinosis.issues import Issue

__all__ = ["check_packet"]

_CURIE = re.compile(r"^[A-Za-z][A-Za-z0-9_.]*:\S+$")


class _Checker:
    """Collects the issues of one packet, in one language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.issues: list[Issue] = []

    def required(self, ok: object, location: str, code: str = "phenopacket.required", expected: str = "") -> None:
        """A REQUIRED field: an error at ``location`` when it is empty."""
        if not ok:
            text = message("pp_err_required", self.lang)
            self.issues.append(Issue.error(code, text, location, expected=expected))


def check_packet(packet: Any, *, lang: str = "en") -> list[Issue]:
    """Every required field of the schema that ``packet`` lacks, and every CURIE whose prefix
    ``metaData.resources`` does not declare (the messages in ``lang``)."""
    check = _Checker(lang)
    required = check.required
    required(packet.id, "id")
    if packet.HasField("subject"):
        required(packet.subject.id, "subject.id")
    for i, feature in enumerate(packet.phenotypic_features):
        required(feature.type.id, f"phenotypicFeatures[{i}].type")
    for i, measurement in enumerate(packet.measurements):
        path = f"measurements[{i}]"
        required(measurement.assay.id, f"{path}.assay")
        kind = measurement.WhichOneof("measurement_value")
        required(kind, f"{path}.value", expected=message("pp_either", lang, a="value", b="complexValue"))
        if kind == "value" and measurement.value.WhichOneof("value") == "quantity":
            required(measurement.value.quantity.unit.id, f"{path}.value.quantity.unit")
    for i, disease in enumerate(packet.diseases):
        required(disease.term.id, f"diseases[{i}].term")
    for i, action in enumerate(packet.medical_actions):
        path = f"medicalActions[{i}]"
        kind = action.WhichOneof("action")
        actions = "procedure, treatment, radiationTherapy, therapeuticRegimen"
        required(kind, path, expected=message("pp_one_of", lang, items=actions))
        if kind == "treatment":
            required(action.treatment.agent.id, f"{path}.treatment.agent")
        elif kind == "procedure":
            required(action.procedure.code.id, f"{path}.procedure.code")
    for i, interpretation in enumerate(packet.interpretations):
        path = f"interpretations[{i}]"
        required(interpretation.id, f"{path}.id")
        if interpretation.HasField("diagnosis"):
            required(interpretation.diagnosis.disease.id, f"{path}.diagnosis.disease")
    for i, file in enumerate(packet.files):
        required(file.uri, f"files[{i}].uri")
    _check_metadata(packet, check)
    return check.issues


def _check_metadata(packet: Any, check: _Checker) -> None:
    code = "phenopacket.metadata"
    issues, lang, required = check.issues, check.lang, check.required
    if not packet.HasField("meta_data"):
        required(False, "metaData", code)
        return
    meta = packet.meta_data
    required(meta.HasField("created"), "metaData.created", code)
    required(meta.created_by, "metaData.createdBy", code)
    required(meta.phenopacket_schema_version, "metaData.phenopacketSchemaVersion", code)
    required(len(meta.resources), "metaData.resources", code, expected=message("pp_expect_resources", lang))
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
            required(getattr(resource, name), f"metaData.resources[{i}].{json_name}", code)
        declared.add(resource.namespace_prefix.upper())
    for location, oc in _ontology_classes(packet, ""):
        if not _CURIE.match(oc.id):
            issues.append(
                Issue.error(
                    "phenopacket.curie",
                    message("pp_err_not_a_curie", lang, id=repr(oc.id)),
                    f"{location}.id",
                    expected=message("pp_expect_curie", lang),
                )
            )
            continue
        required(oc.label, f"{location}.label", "phenopacket.label")
        prefix = oc.id.partition(":")[0]
        if prefix.upper() not in declared:
            text = message("pp_err_no_resource", lang, prefix=prefix, id=oc.id)
            issues.append(Issue.error("phenopacket.resource", text, f"{location}.id"))


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
