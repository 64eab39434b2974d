"""Read the native elements of a Phenopacket into case data, reporting every element.

The same reader serves the import and the export's own check (does the packet read back as
the case?), so the two cannot drift apart. It maps codes only through the code tables
(:class:`~calcinosis.interop.phenopackets._coder.Coder`): an HPO term that no finding
carries is reported with the closest vocabulary terms by name, never mapped to one. ``files``
(the calcinosis record) and ``metaData`` are the importer's.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

from calcinosis.case.labs import resolve_unit
from calcinosis.interop.phenopackets._coder import OWN_PREFIX, Coder, iso_to_years
from calcinosis.interop.phenopackets._pb import json_format, pb
from calcinosis.interop.phenopackets._record import ENGINE_SUFFIX
from calcinosis.interop.phenopackets.report import MappingEntry, MappingStatus
from calcinosis.issues import Issue

__all__ = ["NativeRead", "read_native"]

NO_PLACE = "no place in case format 1"
_SEX = {"FEMALE": "female", "MALE": "male", "OTHER_SEX": "other", "UNKNOWN_SEX": "unknown"}
_REASONS = {
    "onset": "the case format keeps one duration, that of the calcification (duration_months)",
    "resolution": "the case format keeps no dates of resolution",
    "severity": "the case format keeps no severity",
    "modifiers": "the case format keeps no modifiers",
    "evidence": "the case format keeps no evidence codes",
    "description": "free text",
    "summary": "free text",
    "time_observed": "the case format keeps no dates",
    "procedure": "the case format keeps no sampling procedure",
    "reference_range": "calcinosis reads values against its own age- and sex-specific reference intervals",
    "route_of_administration": "the case format records the exposure, not its route or dose",
    "dose_intervals": "the case format records the exposure, not its route or dose",
    "drug_type": "the case format records the exposure, not its route or dose",
    "cumulative_dose": "the case format records the exposure, not its route or dose",
    "genomic_interpretations": "variants have no place in case format 1 (genetics keeps a gene and a result only)",
    "id": "the case format has no patient identifier (the packet id is the case id)",
    "date_of_birth": "the age at the last encounter is used",
}


@dataclass
class NativeRead:
    """Case data read from the native elements, with the report and the problems found."""

    data: dict[str, Any]
    entries: list[MappingEntry] = field(default_factory=list)
    origin: dict[str, str] = field(default_factory=dict)  # case path -> packet element path
    issues: list[Issue] = field(default_factory=list)  # errors: no case can be made
    warnings: list[str] = field(default_factory=list)


def read_native(packet: Any, coder: Coder) -> NativeRead:
    """Read ``packet``'s native elements (all but ``files`` and ``metaData``)."""
    return _Reader(coder).read(packet)


def _show(oc: Any) -> str:
    return f"{oc.id} {oc.label}".strip()


class _Reader:
    def __init__(self, coder: Coder) -> None:
        self.coder = coder
        self.kb = coder.kb
        self.mapping = coder.mapping
        self.P = pb()
        self.out = NativeRead(
            data={
                "patient": {},
                "history": [],
                "exposures": [],
                "findings": [],
                "absent": [],
                "labs": [],
                "antibodies": [],
            }
        )

    # ---- report helpers -------------------------------------------------------------------
    def mapped(self, path: str, value: str, to: str, reason: str = "") -> None:
        self.out.entries.append(MappingEntry(path=path, value=value, status=MappingStatus.MAPPED, to=to, reason=reason))

    def not_mapped(self, path: str, value: str, reason: str) -> None:
        self.out.entries.append(MappingEntry(path=path, value=value, status=MappingStatus.NOT_MAPPED, reason=reason))

    def error(self, path: str, message: str, expected: str = "") -> None:
        self.out.issues.append(Issue.error("phenopacket.element", message, path, expected=expected))

    def leftovers(self, message: Any, consumed: set[str], path: str) -> None:
        """Report every set field of ``message`` that the mapping did not use."""
        fields = message.ListFields()
        if not fields:
            return
        shown = json_format().MessageToDict(message)
        for descriptor, _ in fields:
            if descriptor.name in consumed:
                continue
            value = shown.get(descriptor.json_name, "")
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            text = text if len(text) <= 100 else text[:99] + "…"
            self.not_mapped(f"{path}.{descriptor.json_name}", text, _REASONS.get(descriptor.name, NO_PLACE))

    def add(self, list_name: str, item: Any, path: str, shown: str, note: str = "") -> None:
        """Append a term (or lab, antibody) to a case list, once."""
        items = self.out.data[list_name]
        if isinstance(item, str) and item in items:
            first = self.out.origin.get(f"{list_name}[{items.index(item)}]", "")
            self.mapped(path, shown, f"{list_name}: {item}", f"same term as {first}; kept once")
            return
        self.out.origin[f"{list_name}[{len(items)}]"] = path
        items.append(item)
        label = item if isinstance(item, str) else ", ".join(f"{k} {v}" for k, v in item.items())
        self.mapped(path, shown, f"{list_name}[{len(items) - 1}]: {label}", note)

    def unknown(self, curie: str, label: str, list_name: str, what: str) -> str:
        """Why a code was not mapped, with the vocabulary terms closest by name (never applied)."""
        spec, _ = self.coder.split(curie)
        if spec is None:
            prefixes = ", ".join(r.prefix for r in self.mapping.resources)
            reason = f"{curie!r} is not a CURIE of a code system calcinosis reads ({prefixes})"
        else:
            broader = self.coder.export_only(curie, list_name)
            if broader:
                reason = (
                    f"{curie} is broader than the {what} {', '.join(broader)} (knowledge/codes.yaml writes it on "
                    "export only): reading it back as that term would be a guess"
                )
            else:
                reason = f"{curie} is not the code of any calcinosis {what} (knowledge/codes.yaml); nothing is guessed"
        close = self.kb.vocabulary.suggest(list_name, label) if label else []
        if close:
            reason += f"; closest {what} by name: {', '.join(close[:3])} (add one to the case by hand if it fits)"
        return reason

    # ---- the packet -------------------------------------------------------------------------
    def read(self, packet: Any) -> NativeRead:
        data = self.out.data
        if packet.id:
            data["id"] = packet.id
            self.mapped("id", packet.id, "id")
        self.subject(packet)
        for i, feature in enumerate(packet.phenotypic_features):
            self.feature(i, feature)
        for i, measurement in enumerate(packet.measurements):
            self.measurement(i, measurement)
        for i, disease in enumerate(packet.diseases):
            self.disease(i, disease)
        for i, action in enumerate(packet.medical_actions):
            self.medical_action(i, action)
        for i, interpretation in enumerate(packet.interpretations):
            self.interpretation(i, interpretation)
        for i, biosample in enumerate(packet.biosamples):
            self.not_mapped(f"biosamples[{i}]", biosample.id, "biosamples have no place in case format 1")
        return self.out

    def subject(self, packet: Any) -> None:
        if not packet.HasField("subject"):
            self.error(
                "subject",
                "missing: the case format needs the patient's age",
                "subject.timeAtLastEncounter.age.iso8601duration (e.g. P24Y)",
            )
            return
        subject = packet.subject
        sex = _SEX.get(self.P.Sex.Name(subject.sex), "unknown")
        self.out.data["patient"]["sex"] = sex
        self.mapped("subject.sex", self.P.Sex.Name(subject.sex), f"patient.sex: {sex}")
        where = "subject.timeAtLastEncounter.age.iso8601duration"
        element = subject.time_at_last_encounter
        kind = element.WhichOneof("element") if subject.HasField("time_at_last_encounter") else None
        if kind != "age" or not element.age.iso8601duration:
            got = f"; got {kind}" if kind else ""
            self.error(
                where,
                f"missing: the case format needs the patient's age as one ISO 8601 duration{got}",
                "P24Y, P6M, P1Y6M",
            )
        else:
            years = iso_to_years(element.age.iso8601duration)
            if years is None:
                self.error(
                    where, f"{element.age.iso8601duration!r} is not an ISO 8601 duration", "P24Y, P6M, P1Y6M, P10D"
                )
            else:
                self.out.data["patient"]["age"] = years
                self.out.origin["patient.age"] = where
                self.mapped(where, element.age.iso8601duration, f"patient.age: {years:g}")
        self.leftovers(subject, {"sex", "time_at_last_encounter"}, "subject")

    # ---- features ---------------------------------------------------------------------------
    def feature(self, i: int, feature: Any) -> None:
        path = f"phenotypicFeatures[{i}]"
        if not feature.type.id:
            self.error(
                f"{path}.type.id", "missing: a feature needs its ontology class", "type: {id: HP:..., label: ...}"
            )
            return
        # the term calcinosis writes is always the calcification; the other general terms are,
        # unless codes.yaml makes one of them a finding
        found = self.coder.read(feature.type.id, ("findings",))
        wanted = feature.type.id.upper()
        problem = self.mapping.presenting_problem
        if wanted == problem.export.id.upper() or (found is None and wanted in {t.id.upper() for t in problem.accept}):
            self.presenting_problem(path, feature)
            return
        if found is None:
            self.not_mapped(
                path, _show(feature.type), self.unknown(feature.type.id, feature.type.label, "findings", "finding")
            )
            return
        self.add("absent" if feature.excluded else "findings", found[1], path, _show(feature.type))
        self.leftovers(feature, {"type", "excluded"}, path)

    def presenting_problem(self, path: str, feature: Any) -> None:
        if feature.excluded:
            self.not_mapped(path, _show(feature.type), "the calcification excluded: every calcinosis case has one")
            self.out.warnings.append(f"{path}: the packet excludes the calcification itself ({_show(feature.type)})")
            return
        self.mapped(path, _show(feature.type), "the calcification itself (implied by every case)")
        consumed = {"type", "excluded"}
        if feature.HasField("onset"):
            onset = feature.onset
            years = iso_to_years(onset.age.iso8601duration) if onset.WhichOneof("element") == "age" else None
            age = self.out.data["patient"].get("age")
            where = f"{path}.onset.age.iso8601duration"
            if "duration_months" in self.out.data:
                self.not_mapped(
                    f"{path}.onset", str(onset.age.iso8601duration), "duration_months was taken from an earlier feature"
                )
            elif years is not None and age is not None and years <= age:
                self.out.data["duration_months"] = round((age - years) * 12, 6)
                self.out.origin["duration_months"] = where
                self.mapped(where, onset.age.iso8601duration, f"duration_months: {self.out.data['duration_months']:g}")
            else:
                self.not_mapped(
                    f"{path}.onset",
                    json_format().MessageToJson(onset, indent=None),
                    "only an age at onset (ISO 8601), not later than the age at the last encounter, gives duration_months",
                )
            consumed.add("onset")
        self.leftovers(feature, consumed, path)

    # ---- measurements -----------------------------------------------------------------------
    def measurement(self, i: int, measurement: Any) -> None:
        path = f"measurements[{i}]"
        assay = measurement.assay
        kind = measurement.WhichOneof("measurement_value")
        if not assay.id:
            self.error(
                f"{path}.assay.id", "missing: a measurement needs its assay", "assay: {id: LOINC:..., label: ...}"
            )
        if kind is None:
            self.error(
                f"{path}.value",
                "missing: a measurement needs a value",
                "value: {quantity: ...} or {ontologyClass: ...}",
            )
        if not assay.id or kind is None:
            return
        found = self.coder.read(assay.id, ("labs", "antibodies"))
        if found is None:
            self.not_mapped(path, _show(assay), self.unknown(assay.id, assay.label, "labs", "lab test or antibody"))
            return
        if kind == "complex_value":
            self.not_mapped(path, _show(assay), "a complex value (several typed quantities) has no place in a case")
            return
        list_name, term = found
        value = measurement.value
        vkind = value.WhichOneof("value")
        if vkind is None:
            self.error(f"{path}.value", "empty: give a quantity or an ontologyClass", "value: {quantity: ...}")
            return
        item = self.lab(path, term, value) if list_name == "labs" else self.antibody(path, term, value)
        if item is None:
            return
        self.add(list_name, item, path, _show(assay))
        if vkind == "quantity":
            self.leftovers(value.quantity, {"unit", "value"}, f"{path}.value.quantity")
        self.leftovers(measurement, {"assay", "value"}, path)

    def lab(self, path: str, test: str, value: Any) -> dict[str, Any] | None:
        if value.WhichOneof("value") == "ontology_class":
            wanted = value.ontology_class.id.upper()
            for status, terms in self.mapping.lab_interpretations.items():
                if wanted in {t.id.upper() for t in terms.all()}:
                    return {"test": test, "interpretation": status}
            accepted = ", ".join(f"{t.export.label} {t.export.id}" for t in self.mapping.lab_interpretations.values())
            self.not_mapped(
                path, _show(value.ontology_class), f"not a value calcinosis reads for a lab test (expected: {accepted})"
            )
            return None
        quantity = value.quantity
        if not math.isfinite(quantity.value):
            self.error(f"{path}.value.quantity.value", f"{quantity.value!r} is not a finite number")
            return None
        unit = self.unit(test, quantity.unit)
        if unit is None:
            units = ", ".join(self.kb.units["tests"][test]["units"])
            self.not_mapped(
                f"{path}.value.quantity.unit",
                _show(quantity.unit),
                f"not a unit of {test} (expected UCUM for one of: {units})",
            )
            return None
        return {"test": test, "value": quantity.value, "unit": unit}

    def unit(self, test: str, unit: Any) -> str | None:
        """The case-format unit of a UCUM unit: the label as written when it is that unit (so a
        case reads back exactly), else the test's unit with that UCUM code."""
        spec, local = self.coder.split(unit.id)
        ucum = self.coder.codes.ucum
        if spec is not None and spec.prefix == OWN_PREFIX and local.startswith("units/"):
            written = local.removeprefix("units/")
            return written if resolve_unit(self.kb, test, written) else None
        if spec is None or spec.system != "ucum":
            return None
        if unit.label:
            canonical = resolve_unit(self.kb, test, unit.label)
            if canonical is not None and ucum.get(canonical) == local:
                return str(unit.label)
        for candidate in self.kb.units["tests"][test]["units"]:
            if ucum.get(candidate) == local:
                return str(candidate)
        return resolve_unit(self.kb, test, local)

    def antibody(self, path: str, name: str, value: Any) -> dict[str, Any] | None:
        if value.WhichOneof("value") == "ontology_class":
            wanted = value.ontology_class.id.upper()
            for result, terms in self.mapping.antibody_results.items():
                if wanted in {t.id.upper() for t in terms.all()}:
                    return {"name": name, "result": result}
        accepted = ", ".join(f"{t.export.label} {t.export.id}" for t in self.mapping.antibody_results.values())
        self.not_mapped(
            path, json_format().MessageToJson(value, indent=None), f"an antibody is read as {accepted} only"
        )
        return None

    # ---- diseases and medical actions -------------------------------------------------------
    def disease(self, i: int, disease: Any) -> None:
        path = f"diseases[{i}]"
        if not disease.term.id:
            self.error(f"{path}.term.id", "missing: a disease needs its ontology class", "term: {id: ..., label: ...}")
            return
        found = self.coder.read(disease.term.id, ("conditions",))
        note = ""
        if found is None:
            named = self.coder.diagnoses_of(disease.term.id)
            if len(named) == 1 and named[0] in self.kb.vocabulary.lists["conditions"]:
                found, note = ("conditions", named[0]), "the code of the diagnosis of the same name"
        if found is None:
            self.not_mapped(
                path, _show(disease.term), self.unknown(disease.term.id, disease.term.label, "conditions", "condition")
            )
            return
        self.add("absent" if disease.excluded else "history", found[1], path, _show(disease.term), note)
        self.leftovers(disease, {"term", "excluded"}, path)

    def medical_action(self, i: int, action: Any) -> None:
        path = f"medicalActions[{i}]"
        kind = action.WhichOneof("action")
        if kind is None:
            self.error(
                path, "empty medical action", "one of procedure, treatment, radiationTherapy, therapeuticRegimen"
            )
            return
        if kind == "treatment":
            agent = action.treatment.agent
            if not agent.id:
                self.error(
                    f"{path}.treatment.agent.id", "missing: a treatment needs its agent", "agent: {id: ..., label: ...}"
                )
                return
            self.action_term(path, agent, ("exposures",), "exposure")
            self.leftovers(action.treatment, {"agent"}, f"{path}.treatment")
        elif kind == "procedure":
            code = action.procedure.code
            if not code.id:
                self.error(
                    f"{path}.procedure.code.id", "missing: a procedure needs its code", "code: {id: ..., label: ...}"
                )
                return
            self.action_term(path, code, ("exposures", "conditions"), "exposure or condition")
            self.leftovers(action.procedure, {"code"}, f"{path}.procedure")
        elif kind == "radiation_therapy":
            term = self.mapping.radiation_therapy_exposure
            if term in self.kb.vocabulary.lists["exposures"]:
                self.add("exposures", term, f"{path}.radiationTherapy", "radiation therapy")
            self.leftovers(action.radiation_therapy, set(), f"{path}.radiationTherapy")
        else:
            self.not_mapped(f"{path}.therapeuticRegimen", "", "a regimen names no agent that case format 1 can hold")
        self.leftovers(action, {kind}, path)

    def action_term(self, path: str, oc: Any, lists: tuple[str, ...], what: str) -> None:
        found = self.coder.read(oc.id, lists)
        if found is None:
            self.not_mapped(path, _show(oc), self.unknown(oc.id, oc.label, lists[0], what))
            return
        list_name, term = found
        self.add("exposures" if list_name == "exposures" else "history", term, path, _show(oc))

    # ---- interpretations --------------------------------------------------------------------
    def interpretation(self, i: int, interpretation: Any) -> None:
        path = f"interpretations[{i}]"
        shown = interpretation.id
        if interpretation.id.endswith(ENGINE_SUFFIX):
            self.not_mapped(
                path, shown, "calcinosis's own suggestion: recomputed by `calcinosis diagnose`, never part of a case"
            )
            return
        status = self.P.Interpretation.ProgressStatus.Name(interpretation.progress_status)
        disease = interpretation.diagnosis.disease
        if not disease.id:
            self.not_mapped(path, shown, "no diagnosis.disease to read")
            return
        if status not in ("SOLVED", "COMPLETED"):
            self.not_mapped(path, _show(disease), f"progress status {status}: not an established diagnosis")
            return
        named = self.coder.diagnoses_of(disease.id)
        if len(named) != 1:
            why = (
                f"names several diagnoses ({', '.join(named)})"
                if named
                else "is not the code of any calcinosis diagnosis"
            )
            self.not_mapped(path, _show(disease), f"{disease.id} {why}; nothing is guessed")
            return
        if "expected" in self.out.data:
            self.not_mapped(path, _show(disease), "a case records one diagnosis: the first established one was kept")
            return
        self.out.data["expected"] = {"diagnosis": named[0]}
        self.out.origin["expected.diagnosis"] = path
        self.mapped(path, _show(disease), f"expected.diagnosis: {named[0]}")
        self.leftovers(interpretation.diagnosis, {"disease"}, f"{path}.diagnosis")
        self.leftovers(interpretation, {"id", "progress_status", "diagnosis"}, path)
