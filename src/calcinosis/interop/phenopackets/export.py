"""A case as a GA4GH Phenopacket v2.

Where each part of a case goes (docs/interop.md, section Phenopackets):

=====================  ==================================================================
case                   Phenopacket
=====================  ==================================================================
id                     ``id`` and ``subject.id``
patient.age, sex       ``subject.timeAtLastEncounter.age`` (ISO 8601), ``subject.sex``
(the calcification)    one observed feature HP:0003761 Calcinosis, whose ``onset`` is the
                       age when it appeared (age - duration_months)
findings               ``phenotypicFeatures`` (HPO where codes.yaml has it)
absent                 excluded ``phenotypicFeatures`` (findings), excluded ``diseases``
                       (conditions); absent exposures: calcinosis record only
history                ``diseases`` (ORPHA, OMIM, ICD-10, SNOMED CT, HPO in that order)
exposures              ``medicalActions``: a treatment whose agent is the drug (ATC,
                       RxNorm), or a procedure (SNOMED CT)
labs                   ``measurements``: LOINC assay, value with its UCUM unit and the
                       reference interval for the patient's age and sex, or an ordinal
                       value (Elevated, Normal, Reduced) for a qualitative result
antibodies             ``measurements``: LOINC assay, value Present or Absent
expected.diagnosis     an ``interpretations`` entry, status SOLVED, with the diagnosis'
                       ORPHA, Mondo or ICD-10 code
(engine, on request)   an ``interpretations`` entry, status IN_PROGRESS, the top diagnosis
                       and its probability in ``summary``
sites, imaging,        the calcinosis record (``files``, see :mod:`._record`), with every
onset_days_after,      other field that the native elements do not say exactly
genetics...
=====================  ==================================================================

A term no code system names is written ``CALCINOSIS:<list>/<term>``, a resource declared in
``meta_data`` like any ontology, so that nothing is lost and nothing is miscoded.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from calcinosis._version import __version__
from calcinosis.case.model import Antibody, Case, LabResult
from calcinosis.errors import CalcinosisError
from calcinosis.i18n import message
from calcinosis.interop.phenopackets._coder import Coder, Term, years_to_iso
from calcinosis.interop.phenopackets._data import load_mapping
from calcinosis.interop.phenopackets._pb import pb
from calcinosis.interop.phenopackets._record import (
    DIGEST_KEY,
    ENGINE_SUFFIX,
    FIELDS,
    RECORD_URI,
    RECORDED_SUFFIX,
    encode,
    get_path,
    native_digest,
    set_path,
)
from calcinosis.kb.codes import CodeTable
from calcinosis.kb.model import KnowledgeBase
from calcinosis.textsafe import json_safe

__all__ = ["ExportError", "escape_unsafe", "export_case", "packet_json"]

_SEX = {"female": "FEMALE", "male": "MALE", "other": "OTHER_SEX", "unknown": "UNKNOWN_SEX"}


class ExportError(CalcinosisError):
    """The export would not read back as the case it came from (a bug: please report it)."""


def export_case(
    case: Case,
    kb: KnowledgeBase,
    *,
    codes: CodeTable,
    with_diagnosis: bool = False,
    created: datetime | None = None,
    lang: str = "en",
) -> Any:
    """The Phenopacket v2 (a ``phenopackets.Phenopacket`` message) of a validated case.

    Parameters
    ----------
    case
        A case read by :func:`calcinosis.read_case` or :func:`calcinosis.parse_case`.
    kb
        The knowledge base (labels, diagnosis codes, reference intervals).
    codes
        The code tables of ``codes.yaml`` (:func:`calcinosis.kb.codes.load_codes`).
    with_diagnosis
        Add the engine's most probable diagnosis as an interpretation (decision support).
    created
        ``meta_data.created`` (default: now, UTC).
    lang
        Language of the error messages ('en' or 'fr'). The packet itself is an exchange file
        whose ontology labels are English (HPO, LOINC, NCIT): its few free texts stay English too.

    Raises
    ------
    ExportError
        If reading the packet back would not give the case (never expected).
    """
    from calcinosis.interop.phenopackets.native import read_native

    coder = Coder(kb, codes, load_mapping())
    packet = _Builder(case, kb, coder, lang).build(with_diagnosis=with_diagnosis)
    native = read_native(packet, coder, lang)
    if native.issues:
        details = message("list_separator", lang).join(issue.render(lang) for issue in native.issues)
        raise ExportError(message("pp_err_export_unreadable", lang, details=details))
    differing = _differing(case, native.data)
    if differing:
        attributes = encode(case.model_dump(mode="json"), differing)
        attributes["description"] = (
            "calcinosis case format 1: the parts of the case that the native elements of this packet "
            "cannot hold exactly, as JSON (see docs/interop.md, Phenopackets)"
        )
        attributes["calcinosis_version"] = __version__
        attributes[DIGEST_KEY] = native_digest(packet)
        P = pb(lang)
        packet.files.append(
            P.File(
                uri=RECORD_URI,
                individual_to_file_identifiers={packet.subject.id: packet.id},
                file_attributes=attributes,
            )
        )
    packet.meta_data.CopyFrom(_meta_data(case, kb, coder, created, lang))
    return packet


def _differing(case: Case, native: dict[str, Any]) -> list[tuple[str, ...]]:
    """The fields whose native reading differs from the case (checked through the case model)."""
    base = case.model_dump()
    out = []
    for path in FIELDS:
        candidate = copy.deepcopy(base)
        value = get_path(native, path)
        if value is None and len(path) == 1:
            value = Case.model_fields[path[0]].get_default(call_default_factory=True)
        set_path(candidate, path, value)
        try:
            model = Case.model_validate(candidate)
        except ValidationError:
            out.append(path)
            continue
        if get_path(model.model_dump(), path) != get_path(base, path):
            out.append(path)
    return out


def _finite(x: float, lang: str = "en") -> float:
    if not math.isfinite(x):
        raise ExportError(message("pp_err_export_not_finite", lang, value=repr(x)))
    return float(x)


class _Builder:
    """Builds the native elements of one case."""

    def __init__(self, case: Case, kb: KnowledgeBase, coder: Coder, lang: str = "en") -> None:
        self.case = case
        self.lang = lang
        self.kb = kb
        self.coder = coder
        self.mapping = coder.mapping
        self.P = pb(lang)

    def oc(self, term: Term) -> Any:
        return self.P.OntologyClass(id=term.id, label=term.label)

    def build(self, *, with_diagnosis: bool) -> Any:
        P, case = self.P, self.case
        packet_id = case.id or "calcinosis-" + hashlib.sha256(case.model_dump_json().encode()).hexdigest()[:12]
        packet = P.Phenopacket(id=packet_id)
        packet.subject.CopyFrom(
            P.Individual(
                id=packet_id,
                sex=P.Sex.Value(_SEX.get(case.patient.sex, "UNKNOWN_SEX")),
                time_at_last_encounter=P.TimeElement(age=P.Age(iso8601duration=years_to_iso(case.patient.age))),
            )
        )
        packet.phenotypic_features.append(self._presenting_problem())
        vocab = self.kb.vocabulary.lists
        for term in case.findings:
            packet.phenotypic_features.append(P.PhenotypicFeature(type=self.oc(self._finding(term))))
        for term in case.absent:
            if term in vocab["findings"]:
                packet.phenotypic_features.append(P.PhenotypicFeature(type=self.oc(self._finding(term)), excluded=True))
        for lab in case.labs:
            packet.measurements.append(self._lab(lab))
        for antibody in case.antibodies:
            packet.measurements.append(self._antibody(antibody))
        for term in case.history:
            packet.diseases.append(P.Disease(term=self.oc(self._condition(term))))
        for term in case.absent:
            if term not in vocab["findings"] and term in vocab["conditions"]:
                packet.diseases.append(P.Disease(term=self.oc(self._condition(term)), excluded=True))
        for term in case.exposures:
            packet.medical_actions.append(self._exposure(term))
        if case.expected is not None and case.expected.diagnosis is not None:
            packet.interpretations.append(self._recorded(packet_id, case.expected.diagnosis))
        if with_diagnosis:
            suggestion = self._suggestion(packet_id)
            if suggestion is not None:
                packet.interpretations.append(suggestion)
        return packet

    # ---- features ---------------------------------------------------------------------
    def _presenting_problem(self) -> Any:
        P, case = self.P, self.case
        chosen = self.mapping.presenting_problem.export
        feature = P.PhenotypicFeature(type=self.oc(self.coder.term(chosen.id, chosen.label)))
        if case.duration_months is not None:
            onset = case.patient.age - case.duration_months / 12
            if onset >= 0:
                feature.onset.CopyFrom(P.TimeElement(age=P.Age(iso8601duration=years_to_iso(onset))))
        return feature

    def _finding(self, term: str) -> Term:
        prefs = self.mapping.code_preference.findings
        return self.coder.pick("findings", term, prefs, lists=("findings",)) or self.coder.own("findings", term)

    def _condition(self, term: str) -> Term:
        prefs = self.mapping.code_preference.conditions
        return self.coder.pick("conditions", term, prefs, lists=("conditions",)) or self.coder.own("conditions", term)

    # ---- measurements -------------------------------------------------------------------
    def _lab(self, lab: LabResult) -> Any:
        from calcinosis.case.labs import resolve_unit

        P = self.P
        canonical = resolve_unit(self.kb, lab.test, lab.unit) if lab.unit else None
        prefs = self.mapping.code_preference.labs
        assay = self.coder.pick("labs", lab.test, prefs, lists=("labs", "antibodies"), unit=canonical)
        measurement = P.Measurement(assay=self.oc(assay or self.coder.own("labs", lab.test)))
        notes = []
        if lab.value is not None and lab.unit is not None:
            unit = self._unit(lab.unit, canonical)
            quantity = P.Quantity(unit=self.oc(unit), value=_finite(lab.value, self.lang))
            limits = lab.reference_range  # the laboratory's own interval wins (case.labs does the same)
            if limits is None:
                interval = self._reference_range(lab.test, canonical)
            else:
                interval = (limits.low or 0.0, limits.high) if limits.high is not None else None
            if interval is not None:
                quantity.reference_range.CopyFrom(
                    P.ReferenceRange(
                        unit=self.oc(unit), low=_finite(interval[0], self.lang), high=_finite(interval[1], self.lang)
                    )
                )
            measurement.value.CopyFrom(P.Value(quantity=quantity))
            if lab.qualifier:
                notes.append(f"{lab.qualifier} {lab.value:g} {lab.unit} (censored result)")
            if lab.interpretation:
                notes.append(f"reported as {lab.interpretation} by the laboratory")
        else:
            assert lab.interpretation is not None  # the case model requires a value or an interpretation
            value = self.mapping.lab_interpretations[lab.interpretation].export
            measurement.value.CopyFrom(P.Value(ontology_class=self.oc(self.coder.term(value.id, value.label))))
        if notes:
            measurement.description = "; ".join(notes)
        return measurement

    def _unit(self, written: str, canonical: str | None) -> Term:
        """The unit as UCUM (its label the unit as the case wrote it, so that it reads back the same)."""
        ucum = self.coder.codes.ucum.get(canonical or written)
        if ucum is None:
            return self.coder.term(f"CALCINOSIS:units/{written}", written)
        return self.coder.term(f"UCUM:{ucum}", written)

    def _reference_range(self, test: str, canonical: str | None) -> tuple[float, float] | None:
        """The interval for the patient's age and sex, in the result's unit (None when the
        knowledge base has no upper limit for it)."""
        # the rule that picks a band lives in one place, case.labs (ages, sexes, formulas)
        from calcinosis.case.labs import _band

        if canonical is None:
            return None
        spec = self.kb.units["tests"][test]
        assay = spec.get("assays", {}).get(canonical)
        band = _band(self.kb, f"{test}_{assay}" if assay else test, self.case.patient.age, self.case.patient.sex)
        if band is None or band.get("high") is None:
            return None
        factor = 1.0 if assay else float(spec["units"][canonical])
        low, high = float(band.get("low") or 0.0) / factor, float(band["high"]) / factor
        return float(f"{low:.4g}"), float(f"{high:.4g}")

    def _antibody(self, antibody: Antibody) -> Any:
        P = self.P
        prefs = self.mapping.code_preference.antibodies
        assay = self.coder.pick("antibodies", antibody.name, prefs, lists=("labs", "antibodies"))
        value = self.mapping.antibody_results[antibody.result].export
        return P.Measurement(
            assay=self.oc(assay or self.coder.own("antibodies", antibody.name)),
            value=P.Value(ontology_class=self.oc(self.coder.term(value.id, value.label))),
        )

    # ---- medical actions ----------------------------------------------------------------
    def _exposure(self, term: str) -> Any:
        P, prefs = self.P, self.mapping.code_preference
        agent = self.coder.pick("exposures", term, prefs.exposure_agents, lists=("exposures",))
        if agent is None:
            procedure = self.coder.pick("exposures", term, prefs.exposure_procedures, lists=("exposures", "conditions"))
            if procedure is not None:
                return P.MedicalAction(procedure=P.Procedure(code=self.oc(procedure)))
            agent = self.coder.own("exposures", term)
        return P.MedicalAction(treatment=P.Treatment(agent=self.oc(agent)))

    # ---- interpretations ----------------------------------------------------------------
    def _recorded(self, packet_id: str, diagnosis: str) -> Any:
        P = self.P
        return P.Interpretation(
            id=packet_id + RECORDED_SUFFIX,
            progress_status=P.Interpretation.ProgressStatus.Value("SOLVED"),
            diagnosis=P.Diagnosis(disease=self.oc(self.coder.diagnosis_code(diagnosis))),
            summary=f"Diagnosis recorded with the case (calcinosis expected.diagnosis: {diagnosis})",
        )

    def _suggestion(self, packet_id: str) -> Any | None:
        from calcinosis.engine.diagnose import diagnose

        P = self.P
        report = diagnose(self.case, self.kb)
        if not report.differential:
            return None
        top = report.differential[0]
        summary = (
            f"calcinosis {__version__} (knowledge base {self.kb.version}): most probable cause "
            f"{top.name} ({top.diagnosis}), probability {_finite(top.probability, self.lang):.3f}, category "
            f"{report.category}. Decision support, not a diagnosis: the decision is the clinician's."
        )
        return P.Interpretation(
            id=packet_id + ENGINE_SUFFIX,
            progress_status=P.Interpretation.ProgressStatus.Value("IN_PROGRESS"),
            diagnosis=P.Diagnosis(disease=self.oc(self.coder.diagnosis_code(top.diagnosis))),
            summary=summary,
        )


def _meta_data(case: Case, kb: KnowledgeBase, coder: Coder, created: datetime | None, lang: str = "en") -> Any:
    P = pb(lang)
    from google.protobuf.timestamp_pb2 import Timestamp  # type: ignore[import-untyped]

    stamp = Timestamp()
    stamp.FromDatetime((created or datetime.now(UTC)).astimezone(UTC))
    meta = P.MetaData(
        created=stamp,
        created_by=f"calcinosis {__version__}",
        phenopacket_schema_version=coder.mapping.phenopacket_schema_version,
    )
    for prefix in sorted(coder.used_prefixes):
        spec = coder.mapping.resource(prefix)
        if spec is None:
            raise ExportError(message("pp_err_export_prefix", lang, prefix=repr(prefix)))
        meta.resources.append(
            P.Resource(
                id=spec.id,
                name=spec.name,
                url=spec.url,
                version=spec.version or f"case format 1, knowledge base {kb.version}",
                namespace_prefix=spec.prefix,
                iri_prefix=spec.iri_prefix,
            )
        )
    if case.expected is not None and case.expected.source:
        meta.external_references.append(P.ExternalReference(description=case.expected.source))
    return meta


def packet_json(packet: Any) -> str:
    """The packet as Phenopacket JSON (lowerCamelCase names, as the GA4GH tools write it)."""
    from calcinosis.interop.phenopackets._pb import json_format

    data = json_format().MessageToDict(packet)
    return escape_unsafe(json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False)) + "\n"


escape_unsafe = json_safe
"""The unsafe characters of a JSON text written as escapes (:func:`calcinosis.textsafe.json_safe`,
one character set for every JSON the project writes)."""
