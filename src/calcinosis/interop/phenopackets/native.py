"""Read the native elements of a Phenopacket into case data, reporting every element.

The same reader serves the import and the export's own check (does the packet read back as
the case?), so the two cannot drift apart. Every reason and error is a ``messages.yaml`` text in
the reader's language; in French a term is named by its French label, its case-format id
after it in brackets (what a case file holds). It maps codes only through the code tables
(:class:`~calcinosis.interop.phenopackets._coder.Coder`): an HPO term that no finding
carries is reported with the closest vocabulary terms by name, never mapped to one. ``files``
(the calcinosis record) and ``metaData`` are the importer's.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from calcinosis.case.labs import lab_label, resolve_unit
from calcinosis.i18n import colon, de, decimal, lower_first, message
from calcinosis.interop.phenopackets._coder import OWN_PREFIX, Coder, iso_to_years
from calcinosis.interop.phenopackets._data import ValueTerms
from calcinosis.interop.phenopackets._pb import json_format, pb
from calcinosis.interop.phenopackets._record import ENGINE_SUFFIX
from calcinosis.interop.phenopackets.report import MappingEntry, MappingStatus
from calcinosis.issues import Issue

__all__ = ["NativeRead", "read_native"]

NO_PLACE = "pp_no_place"
_SEX = {"FEMALE": "female", "MALE": "male", "OTHER_SEX": "other", "UNKNOWN_SEX": "unknown"}
# why a schema field is left out: its messages.yaml key (NO_PLACE for any field not listed)
_REASONS = {
    "onset": "pp_left_onset",
    "resolution": "pp_left_resolution",
    "severity": "pp_left_severity",
    "modifiers": "pp_left_modifiers",
    "evidence": "pp_left_evidence",
    "description": "pp_left_free_text",
    "summary": "pp_left_free_text",
    "time_observed": "pp_left_dates",
    "procedure": "pp_left_procedure",
    "reference_range": "pp_left_reference_range",
    "route_of_administration": "pp_left_dose",
    "dose_intervals": "pp_left_dose",
    "drug_type": "pp_left_dose",
    "cumulative_dose": "pp_left_dose",
    "genomic_interpretations": "pp_left_variants",
    "id": "pp_left_id",
    "date_of_birth": "pp_left_date_of_birth",
}
# what a code was looked for among, by the case list it would have gone to (pp_kind_*)
_KINDS = {
    ("findings",): "pp_kind_findings",
    ("labs", "antibodies"): "pp_kind_labs",
    ("conditions",): "pp_kind_conditions",
    ("exposures",): "pp_kind_exposures",
    ("exposures", "conditions"): "pp_kind_exposures_conditions",
}


@dataclass
class NativeRead:
    """Case data read from the native elements, with the report and the problems found."""

    data: dict[str, Any]
    entries: list[MappingEntry] = field(default_factory=list)
    origin: dict[str, str] = field(default_factory=dict)  # case path -> packet element path
    issues: list[Issue] = field(default_factory=list)  # errors: no case can be made
    warnings: list[str] = field(default_factory=list)


def read_native(packet: Any, coder: Coder, lang: str = "en") -> NativeRead:
    """Read ``packet``'s native elements (all but ``files`` and ``metaData``); the report and
    the problems in ``lang``."""
    return _Reader(coder, lang).read(packet)


def _show(oc: Any) -> str:
    return f"{oc.id} {oc.label}".strip()


class _Reader:
    def __init__(self, coder: Coder, lang: str) -> None:
        self.coder = coder
        self.lang = lang
        self.kb = coder.kb
        self.mapping = coder.mapping
        self.P = pb(lang)
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

    # ---- words ------------------------------------------------------------------------------
    def say(self, key: str, /, **values: object) -> str:
        return message(key, self.lang, **values)

    def target(self, where: str, what: str) -> str:
        """Where an element went: ``findings[0]: skin_necrosis`` (the colon as the language writes it)."""
        return f"{where}{colon(self.lang)} {what}"

    def number(self, x: float) -> str:
        return decimal(x, self.lang, 6) if self.lang == "fr" else f"{x:g}"

    def named(self, list_name: str, term: str) -> str:
        """A term of a case list in a sentence: its id in English, its French label (and id) in French."""
        if self.lang != "fr":
            return self.say("pp_term", id=term, label=term)
        lists = self.kb.vocabulary.lists
        # the vocabulary list of a case list's term: history holds conditions; absent, any of three
        candidates = {"history": ("conditions",), "absent": ("findings", "conditions", "exposures")}
        vocab = next((n for n in candidates.get(list_name, (list_name,)) if term in lists.get(n, {})), None)
        label = lower_first(self.kb.vocabulary.label(vocab, term, "fr")) if vocab else term
        return self.say("pp_term", id=term, label=label)

    def diagnosis(self, disease_id: str) -> str:
        """A diagnosis in a sentence, as :meth:`named` names a term."""
        return self.say("pp_term", id=disease_id, label=lower_first(self.kb.disease(disease_id).name(self.lang)))

    def item(self, list_name: str, item: Any) -> str:
        """A case list item as the report shows it (a term, a lab, an antibody)."""
        if isinstance(item, str):
            return self.named(list_name, item)
        if list_name == "antibodies":
            name, result = item["name"], item["result"]
            return self.say(
                "pp_to_antibody",
                name=name,
                result=result,
                label=lower_first(self.kb.vocabulary.label("antibodies", name, self.lang)),
                result_word=self.say(f"antibody_{result}"),
            )
        test = item["test"]
        label = lab_label(self.kb, test, "fr") if self.lang == "fr" else test
        if "interpretation" in item:
            status = item["interpretation"]
            word = self.say(f"lab_status_{status}")
            return self.say("pp_to_lab_status", test=test, label=label, status=status, status_word=word)
        shown = self.number(item["value"]) if self.lang == "fr" else str(item["value"])
        return self.say("pp_to_lab_value", test=test, label=label, value=shown, unit=item["unit"])

    def ontology_class(self, element: str, example: str) -> str:
        """What a missing ontology class should hold: ``type.id and type.label (e.g. HP:0003761)``."""
        return self.say("pp_expect_class", element=element, example=example)

    # ---- report helpers -------------------------------------------------------------------
    def mapped(self, path: str, value: str, to: str, key: str = "", /, **values: object) -> None:
        reason = self.say(key, **values) if key else ""
        self.out.entries.append(
            MappingEntry(path=path, value=value, status=MappingStatus.MAPPED, to=to, reason=reason, code=key)
        )

    def not_mapped(self, path: str, value: str, key: str, /, **values: object) -> None:
        self.out.entries.append(
            MappingEntry(
                path=path, value=value, status=MappingStatus.NOT_MAPPED, reason=self.say(key, **values), code=key
            )
        )

    def error(self, path: str, key: str, /, *, expected: str = "", **values: object) -> None:
        text = self.say(key, **values)
        self.out.issues.append(Issue.error("phenopacket.element", text, path, expected=expected))

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
        """Append a term (or lab, antibody) to a case list, once; ``note``: a messages.yaml key."""
        items = self.out.data[list_name]
        if isinstance(item, str) and item in items:
            first = self.out.origin.get(f"{list_name}[{items.index(item)}]", "")
            self.mapped(path, shown, self.target(list_name, self.named(list_name, item)), "pp_same_term", first=first)
            return
        self.out.origin[f"{list_name}[{len(items)}]"] = path
        items.append(item)
        self.mapped(path, shown, self.target(f"{list_name}[{len(items) - 1}]", self.item(list_name, item)), note)

    def unknown(self, path: str, oc: Any, lists: tuple[str, ...]) -> None:
        """Report a code that was not mapped, with the vocabulary terms closest by name (never applied)."""
        curie, label, list_name = oc.id, oc.label, lists[0]
        kind = self.say(_KINDS[lists])
        close = self.kb.vocabulary.suggest(list_name, label)[:3] if label else []
        closest = (
            self.say("pp_closest", kind=kind, terms=", ".join(self.named(list_name, t) for t in close)) if close else ""
        )
        spec, _ = self.coder.split(curie)
        if spec is None:
            prefixes = ", ".join(r.prefix for r in self.mapping.resources)
            self.not_mapped(path, _show(oc), "pp_not_curie", curie=repr(curie), prefixes=prefixes, closest=closest)
            return
        broader = self.coder.export_only(curie, list_name)
        if broader:
            terms = ", ".join(self.named(list_name, t) for t in broader)
            self.not_mapped(path, _show(oc), "pp_broader", curie=curie, kind=kind, terms=terms, closest=closest)
        else:
            self.not_mapped(path, _show(oc), "pp_no_code", curie=curie, kind=kind, closest=closest)

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
            self.not_mapped(f"biosamples[{i}]", biosample.id, "pp_biosamples")
        return self.out

    def subject(self, packet: Any) -> None:
        where = "subject.timeAtLastEncounter.age.iso8601duration"
        if not packet.HasField("subject"):
            self.error("subject", "pp_err_no_subject", expected=self.say("pp_expect_age", where=where))
            return
        subject = packet.subject
        sex = _SEX.get(self.P.Sex.Name(subject.sex), "unknown")
        self.out.data["patient"]["sex"] = sex
        self.mapped("subject.sex", self.P.Sex.Name(subject.sex), self.target("patient.sex", self.say(f"pp_sex_{sex}")))
        element = subject.time_at_last_encounter
        kind = element.WhichOneof("element") if subject.HasField("time_at_last_encounter") else None
        if kind != "age" or not element.age.iso8601duration:
            got = self.say("pp_got", kind=kind) if kind else ""
            self.error(where, "pp_err_no_age", expected="P24Y, P6M, P1Y6M", got=got)
        else:
            years = iso_to_years(element.age.iso8601duration)
            if years is None:
                text = repr(element.age.iso8601duration)
                self.error(where, "pp_err_not_iso", expected="P24Y, P6M, P1Y6M, P10D", value=text)
            else:
                self.out.data["patient"]["age"] = years
                self.out.origin["patient.age"] = where
                self.mapped(where, element.age.iso8601duration, self.target("patient.age", self.number(years)))
        self.leftovers(subject, {"sex", "time_at_last_encounter"}, "subject")

    # ---- features ---------------------------------------------------------------------------
    def feature(self, i: int, feature: Any) -> None:
        path = f"phenotypicFeatures[{i}]"
        if not feature.type.id:
            self.error(f"{path}.type.id", "pp_err_no_feature_type", expected=self.ontology_class("type", "HP:0003761"))
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
            self.unknown(path, feature.type, ("findings",))
            return
        self.add("absent" if feature.excluded else "findings", found[1], path, _show(feature.type))
        self.leftovers(feature, {"type", "excluded"}, path)

    def presenting_problem(self, path: str, feature: Any) -> None:
        if feature.excluded:
            self.not_mapped(path, _show(feature.type), "pp_calcification_excluded")
            self.out.warnings.append(self.say("pp_warn_calcification_excluded", path=path, term=_show(feature.type)))
            return
        self.mapped(path, _show(feature.type), self.say("pp_calcification"))
        consumed = {"type", "excluded"}
        if feature.HasField("onset"):
            onset = feature.onset
            years = iso_to_years(onset.age.iso8601duration) if onset.WhichOneof("element") == "age" else None
            age = self.out.data["patient"].get("age")
            where = f"{path}.onset.age.iso8601duration"
            if "duration_months" in self.out.data:
                self.not_mapped(f"{path}.onset", str(onset.age.iso8601duration), "pp_duration_taken")
            elif years is not None and age is not None and years <= age:
                months = round((age - years) * 12, 6)
                self.out.data["duration_months"] = months
                self.out.origin["duration_months"] = where
                self.mapped(where, onset.age.iso8601duration, self.target("duration_months", self.number(months)))
            else:
                self.not_mapped(f"{path}.onset", json_format().MessageToJson(onset, indent=None), "pp_onset_unused")
            consumed.add("onset")
        self.leftovers(feature, consumed, path)

    # ---- measurements -----------------------------------------------------------------------
    def measurement(self, i: int, measurement: Any) -> None:
        path = f"measurements[{i}]"
        assay = measurement.assay
        kind = measurement.WhichOneof("measurement_value")
        if not assay.id:
            self.error(f"{path}.assay.id", "pp_err_no_assay", expected=self.ontology_class("assay", "LOINC:17861-6"))
        if kind is None:
            either = self.say("pp_either", a="value.quantity", b="value.ontologyClass")
            self.error(f"{path}.value", "pp_err_no_value", expected=either)
        if not assay.id or kind is None:
            return
        found = self.coder.read(assay.id, ("labs", "antibodies"))
        if found is None:
            self.unknown(path, assay, ("labs", "antibodies"))
            return
        if kind == "complex_value":
            self.not_mapped(path, _show(assay), "pp_complex_value")
            return
        list_name, term = found
        value = measurement.value
        vkind = value.WhichOneof("value")
        if vkind is None:
            either = self.say("pp_either", a="value.quantity", b="value.ontologyClass")
            self.error(f"{path}.value", "pp_err_empty_value", expected=either)
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
            accepted = self.values(self.mapping.lab_interpretations)
            self.not_mapped(path, _show(value.ontology_class), "pp_lab_value_unread", accepted=accepted)
            return None
        quantity = value.quantity
        if not math.isfinite(quantity.value):
            self.error(f"{path}.value.quantity.value", "pp_err_not_finite", value=repr(quantity.value))
            return None
        unit = self.unit(test, quantity.unit)
        if unit is None:
            units = ", ".join(self.kb.units["tests"][test]["units"])
            de_test = de(lab_label(self.kb, test, "fr")) if self.lang == "fr" else ""
            self.not_mapped(
                f"{path}.value.quantity.unit",
                _show(quantity.unit),
                "pp_unit_unread",
                test=test,
                de_test=de_test,
                units=units,
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
        accepted = self.values(self.mapping.antibody_results)
        self.not_mapped(
            path, json_format().MessageToJson(value, indent=None), "pp_antibody_value_unread", accepted=accepted
        )
        return None

    def values(self, terms: Mapping[str, ValueTerms]) -> str:
        """The value terms read (``Elevated NCIT:C25493``; in French ``élevé (NCIT:C25493)``)."""
        return ", ".join(
            self.say("pp_value_term", label=t.export.label, id=t.export.id, word=self.say(f"pp_value_{name}"))
            for name, t in terms.items()
        )

    # ---- diseases and medical actions -------------------------------------------------------
    def disease(self, i: int, disease: Any) -> None:
        path = f"diseases[{i}]"
        if not disease.term.id:
            self.error(
                f"{path}.term.id", "pp_err_no_disease_term", expected=self.ontology_class("term", "ORPHA:280062")
            )
            return
        found = self.coder.read(disease.term.id, ("conditions",))
        note = ""
        if found is None:
            named = self.coder.diagnoses_of(disease.term.id)
            if len(named) == 1 and named[0] in self.kb.vocabulary.lists["conditions"]:
                found, note = ("conditions", named[0]), "pp_same_name"
        if found is None:
            self.unknown(path, disease.term, ("conditions",))
            return
        self.add("absent" if disease.excluded else "history", found[1], path, _show(disease.term), note)
        self.leftovers(disease, {"term", "excluded"}, path)

    def medical_action(self, i: int, action: Any) -> None:
        path = f"medicalActions[{i}]"
        kind = action.WhichOneof("action")
        if kind is None:
            items = "procedure, treatment, radiationTherapy, therapeuticRegimen"
            self.error(path, "pp_err_empty_action", expected=self.say("pp_one_of", items=items))
            return
        if kind == "treatment":
            agent = action.treatment.agent
            if not agent.id:
                self.error(
                    f"{path}.treatment.agent.id",
                    "pp_err_no_agent",
                    expected=self.ontology_class("agent", "ATC:B01AA03"),
                )
                return
            self.action_term(path, agent, ("exposures",))
            self.leftovers(action.treatment, {"agent"}, f"{path}.treatment")
        elif kind == "procedure":
            code = action.procedure.code
            if not code.id:
                self.error(
                    f"{path}.procedure.code.id",
                    "pp_err_no_procedure_code",
                    expected=self.ontology_class("code", "SNOMEDCT:367336001"),
                )
                return
            self.action_term(path, code, ("exposures", "conditions"))
            self.leftovers(action.procedure, {"code"}, f"{path}.procedure")
        elif kind == "radiation_therapy":
            term = self.mapping.radiation_therapy_exposure
            if term in self.kb.vocabulary.lists["exposures"]:
                self.add("exposures", term, f"{path}.radiationTherapy", self.say("pp_radiation_therapy"))
            self.leftovers(action.radiation_therapy, set(), f"{path}.radiationTherapy")
        else:
            self.not_mapped(f"{path}.therapeuticRegimen", "", "pp_regimen")
        self.leftovers(action, {kind}, path)

    def action_term(self, path: str, oc: Any, lists: tuple[str, ...]) -> None:
        found = self.coder.read(oc.id, lists)
        if found is None:
            self.unknown(path, oc, lists)
            return
        list_name, term = found
        self.add("exposures" if list_name == "exposures" else "history", term, path, _show(oc))

    # ---- interpretations --------------------------------------------------------------------
    def interpretation(self, i: int, interpretation: Any) -> None:
        path = f"interpretations[{i}]"
        shown = interpretation.id
        if interpretation.id.endswith(ENGINE_SUFFIX):
            self.not_mapped(path, shown, "pp_own_suggestion")
            return
        status = self.P.Interpretation.ProgressStatus.Name(interpretation.progress_status)
        disease = interpretation.diagnosis.disease
        if not disease.id:
            self.not_mapped(path, shown, "pp_no_disease")
            return
        if status not in ("SOLVED", "COMPLETED"):
            self.not_mapped(path, _show(disease), "pp_not_established", status=status)
            return
        named = self.coder.diagnoses_of(disease.id)
        if len(named) > 1:
            names = ", ".join(self.diagnosis(d) for d in named)
            self.not_mapped(path, _show(disease), "pp_several_diagnoses", code=disease.id, names=names)
            return
        if not named:
            self.not_mapped(path, _show(disease), "pp_no_diagnosis", code=disease.id)
            return
        if "expected" in self.out.data:
            self.not_mapped(path, _show(disease), "pp_one_diagnosis")
            return
        self.out.data["expected"] = {"diagnosis": named[0]}
        self.out.origin["expected.diagnosis"] = path
        self.mapped(path, _show(disease), self.target("expected.diagnosis", self.diagnosis(named[0])))
        self.leftovers(interpretation.diagnosis, {"disease"}, f"{path}.diagnosis")
        self.leftovers(interpretation, {"id", "progress_status", "diagnosis"}, path)
