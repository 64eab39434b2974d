"""A case and its result as FHIR R4 resources, in one collection Bundle.

The inputs are written the way :mod:`.read` reads them, so the Bundle re-imports into the same
case (the age as an Observation LOINC 30525-0; the birth date, which a case does not know,
marked unknown). Each term carries its
standard codes from ``knowledge/codes.yaml`` and always the project's own code
(``urn:calcinosis:vocabulary:<list>``), so nothing depends on a code system covering it.

The outputs:

- **DiagnosticReport** (status ``preliminary``: decision support that a clinician has not
  verified): the category and the leading diagnoses in ``conclusion``, the top diagnosis'
  codes in ``conclusionCode``, the disclaimer;
- **RiskAssessment** (``parent`` = the DiagnosticReport, ``basis`` = the inputs): one
  prediction per category and per diagnosis of the differential, with its probability and the
  reasons as ``rationale``;
- **ServiceRequest** proposals (status ``draft``, intent ``proposal``), one per missing step
  of the work-up;
- **CarePlan** (draft proposal): the treatment options by mechanism and the follow-up schedule.

Every resource is validated against the ``fhir.resources`` R4B models before it is returned.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

from calcinosis.case.model import Case, Imaging
from calcinosis.engine.results import DiagnosisReport
from calcinosis.i18n import decimal, message
from calcinosis.interop.fhir.vocab import (
    AGE_CODE,
    CASE_ID_SYSTEM,
    DATA_ABSENT_REASON_URL,
    DCM_SYSTEM,
    DURATION_URL,
    IMAGING_CODE,
    INTERPRETATION_SYSTEM,
    MODALITY_TO_DCM,
    NEGATIVE,
    ONSET_DELAY_URL,
    OUTPUT_CODE,
    POSITIVE,
    POSTMENOPAUSAL_CODE,
    PRESENTING,
    own_system,
)
from calcinosis.kb.codes import SYSTEMS, CodeTable, codes_of
from calcinosis.kb.model import KnowledgeBase
from calcinosis.management.results import ManagementReport

__all__ = ["case_bundle", "case_resources", "result_bundle", "result_resources"]

_NAMESPACE = uuid.UUID("6f1c2a5e-3b8d-4c1e-9a7f-2d5b8e0c4a91")
_INTERP = {"high": "H", "normal": "N", "low": "L"}
_INTERP_DISPLAY = {"H": "High", "N": "Normal", "L": "Low"}


class _Writer:
    def __init__(self, kb: KnowledgeBase, codes: CodeTable, case: Case, when: dt.date, lang: str) -> None:
        self.kb = kb
        self.codes = codes
        self.case = case
        self.when = when
        self.lang = lang
        self.seed = case.id or "case"
        self.entries: list[dict[str, Any]] = []
        self.patient_ref = self.url("Patient")

    def url(self, *parts: object) -> str:
        """A stable urn:uuid for one element of this case (the same case gives the same ids)."""
        return "urn:uuid:" + str(uuid.uuid5(_NAMESPACE, "|".join([self.seed, *map(str, parts)])))

    def add(self, full_url: str, resource: dict[str, Any]) -> str:
        resource["id"] = full_url.removeprefix("urn:uuid:")
        self.entries.append({"fullUrl": full_url, "resource": resource})
        return full_url

    def concept(self, list_name: str, term: str, *, systems: Iterable[str] | None = None) -> dict[str, Any]:
        """A CodeableConcept: the standard codes of the term, then the project's own code."""
        label = self.kb.vocabulary.label(list_name, term, self.lang)
        codings: list[dict[str, Any]] = []
        entry = self.codes.lists().get(list_name, {}).get(term)
        for code in entry.codes if entry else []:
            if code.export and (systems is None or code.system in systems):
                codings.append({"system": SYSTEMS[code.system], "code": code.code, "display": code.display})
        codings.append({"system": own_system(list_name), "code": term, "display": label})
        return {"coding": codings, "text": label}

    @property
    def subject(self) -> dict[str, str]:
        return {"reference": self.patient_ref}

    # -- inputs -------------------------------------------------------------------------
    def patient(self) -> None:
        """The Patient without a birth date, and the case's age as an observation of its own.

        A case knows an age, not a birth date: a birthDate made from the age (it used to be
        written as if known: 54 at 2026-12-07 gave 1972-12-07) asserts a day, and even a year,
        the record never said. The birth date is marked unknown (the data-absent-reason
        extension, which R4 allows on any element) and the age is an Observation LOINC 30525-0
        |Age| at the analysis date, which :mod:`.read` reads back as the same age."""
        p = self.case.patient
        patient: dict[str, Any] = {
            "resourceType": "Patient",
            "gender": p.sex,
            "_birthDate": {"extension": [{"url": DATA_ABSENT_REASON_URL, "valueCode": "unknown"}]},
        }
        if self.case.id:
            patient["identifier"] = [{"system": CASE_ID_SYSTEM, "value": self.case.id}]
        self.add(self.patient_ref, patient)
        self.add(
            self.url("age"),
            {
                "resourceType": "Observation",
                "status": "final",
                "code": {"coding": [{"system": AGE_CODE[0], "code": AGE_CODE[1], "display": "Age"}]},
                "subject": self.subject,
                "effectiveDateTime": self.when.isoformat(),
                "valueQuantity": {"value": p.age, "unit": "a", "system": SYSTEMS["ucum"], "code": "a"},
            },
        )
        if p.postmenopausal is not None:
            self.add(
                self.url("postmenopausal"),
                {
                    "resourceType": "Observation",
                    "status": "final",
                    "code": {
                        "coding": [{"system": POSTMENOPAUSAL_CODE[0], "code": POSTMENOPAUSAL_CODE[1]}],
                        "text": "Postmenopausal",
                    },
                    "subject": self.subject,
                    "valueBoolean": p.postmenopausal,
                },
            )

    def onset(self) -> dict[str, Any]:
        """The onset of the calcification, from the case's duration: ``onsetAge`` (an R4 Age,
        UCUM 'a'), the age less the duration, and the duration itself, exact, in an extension
        (:data:`~.vocab.DURATION_URL`); nothing when the case gives no duration.

        A hardening audit: the onset was written ``onsetDateTime`` = the export date less the
        duration, a day the clinician never gave (a case knows "6 months", not since when, and
        the export date is not the consultation's), which a receiving system files as known.
        Of the other R4 choices, ``onsetAge`` is the one that the two numbers the clinician gave,
        at one consultation, say: 54 years old with 6 months of calcification is an onset at
        53.5 years, as precise as the age itself. It is structured (a receiving system computes
        with it, where ``onsetString`` is words) and it is what the phenopacket export writes
        (the feature's onset age). An age in completed years may be below the duration (a
        1-year-old with 18 months of lesions): no onset age is then said, and ``onsetString``
        gives the duration in words. :mod:`.read` reads the extension back, so the duration
        round-trips to the digit whatever the age."""
        c = self.case
        if c.duration_months is None:
            return {}
        out: dict[str, Any] = {"extension": [{"url": DURATION_URL, "valueDecimal": c.duration_months}]}
        years = c.patient.age - c.duration_months / 12
        if years >= 0:
            out["onsetAge"] = {"value": years, "unit": "a", "system": SYSTEMS["ucum"], "code": "a"}
        else:
            out["onsetString"] = message("fhir_onset_before", self.lang, months=decimal(c.duration_months, self.lang))
        return out

    def presenting(self) -> None:
        c = self.case
        if not c.sites and c.duration_months is None:
            return
        resource: dict[str, Any] = {
            "resourceType": "Condition",
            "clinicalStatus": _clinical("active"),
            "verificationStatus": _verification("confirmed"),
            "code": {
                "coding": [
                    {"system": PRESENTING[0], "code": PRESENTING[1], "display": "Soft-tissue calcification"},
                    {"system": SYSTEMS["hpo"], "code": "HP:0003761", "display": "Calcinosis"},
                ],
                "text": "Soft-tissue calcification",
            },
            "subject": self.subject,
        }
        if c.sites:
            resource["bodySite"] = [self.concept("sites", s) for s in c.sites]
        resource |= self.onset()
        self.add(self.url("presenting"), resource)

    def delay(self, term: str) -> list[dict[str, Any]]:
        days = self.case.onset_days_after.get(term)
        return [{"url": ONSET_DELAY_URL, "valueDecimal": days}] if days is not None else []

    def history(self) -> None:
        for term in self.case.history:
            self.stated(
                "history",
                term,
                {
                    "resourceType": "Condition",
                    "clinicalStatus": _clinical("active"),
                    "verificationStatus": _verification("confirmed"),
                    "code": self.concept("conditions", term),
                },
            )

    def exposures(self) -> None:
        for term in self.case.exposures:
            self.stated(
                "exposure",
                term,
                {
                    "resourceType": "MedicationStatement",
                    "status": "active",
                    "medicationCodeableConcept": self.concept("exposures", term),
                },
            )

    def stated(self, kind: str, term: str, resource: dict[str, Any]) -> None:
        """A condition or an exposure of the case, with its delay to the onset when stated."""
        resource["subject"] = self.subject
        if extension := self.delay(term):
            resource["extension"] = extension
        self.add(self.url(kind, term), resource)

    def findings(self) -> None:
        for term in self.case.findings:
            self.add(self.url("finding", term), self.finding(term, present=True))

    def finding(self, term: str, *, present: bool) -> dict[str, Any]:
        resource: dict[str, Any] = {
            "resourceType": "Observation",
            "status": "final",
            "code": self.concept("findings", term),
            "subject": self.subject,
            "valueBoolean": present,
        }
        return resource

    def absent(self) -> None:
        vocab = self.kb.vocabulary
        for term in self.case.absent:
            if vocab.resolve("findings", term) == term:
                self.add(self.url("absent", term), self.finding(term, present=False))
            elif vocab.resolve("conditions", term) == term:
                self.add(
                    self.url("absent", term),
                    {
                        "resourceType": "Condition",
                        "verificationStatus": _verification("refuted"),
                        "code": self.concept("conditions", term),
                        "subject": self.subject,
                    },
                )
            else:
                self.add(
                    self.url("absent", term),
                    {
                        "resourceType": "MedicationStatement",
                        "status": "not-taken",
                        "medicationCodeableConcept": self.concept("exposures", term),
                        "subject": self.subject,
                    },
                )

    def labs(self) -> None:
        for i, lab in enumerate(self.case.labs):
            resource: dict[str, Any] = {"resourceType": "Observation", "status": "final", "subject": self.subject}
            loinc = [
                c
                for c in self.codes.codes_of("labs", lab.test, "loinc")
                if c.export and (lab.unit is None or not c.units or lab.unit in c.units)
            ]
            label = self.kb.vocabulary.label("labs", lab.test, self.lang)
            codings = [{"system": SYSTEMS["loinc"], "code": c.code, "display": c.display} for c in loinc[:1]]
            codings.append({"system": own_system("labs"), "code": lab.test, "display": label})
            resource["code"] = {"coding": codings, "text": label}
            if lab.value is not None and lab.unit is not None:
                quantity: dict[str, Any] = {"value": lab.value, "unit": lab.unit}
                ucum = self.codes.ucum.get(lab.unit)
                if ucum is not None:
                    quantity |= {"system": SYSTEMS["ucum"], "code": ucum}
                if lab.qualifier:
                    quantity["comparator"] = lab.qualifier
                resource["valueQuantity"] = quantity
                if lab.reference_range is not None:  # the laboratory's interval, in the value's unit
                    unit_only = {k: v for k, v in quantity.items() if k in ("unit", "system", "code")}
                    limits = (("low", lab.reference_range.low), ("high", lab.reference_range.high))
                    resource["referenceRange"] = [{k: {"value": v, **unit_only} for k, v in limits if v is not None}]
            if lab.interpretation is not None:
                code = _INTERP[lab.interpretation]
                resource["interpretation"] = [
                    {"coding": [{"system": INTERPRETATION_SYSTEM, "code": code, "display": _INTERP_DISPLAY[code]}]}
                ]
            self.add(self.url("lab", i, lab.test), resource)

    def antibodies(self) -> None:
        for ab in self.case.antibodies:
            value = POSITIVE if ab.result == "positive" else NEGATIVE
            self.add(
                self.url("antibody", ab.name),
                {
                    "resourceType": "Observation",
                    "status": "final",
                    "code": self.concept("antibodies", ab.name, systems=("loinc",)),
                    "subject": self.subject,
                    "valueCodeableConcept": {"coding": [value], "text": value["display"]},
                },
            )

    def genetics(self) -> None:
        for g in self.case.genetics:
            found = g.result == "pathogenic_variant"
            self.add(
                self.url("genetic", g.gene),
                {
                    "resourceType": "Observation",
                    "status": "final",
                    "code": {
                        "coding": [
                            {"system": SYSTEMS["loinc"], "code": "69548-6", "display": "Genetic variant assessment"}
                        ]
                    },
                    "subject": self.subject,
                    "valueCodeableConcept": {
                        "coding": [
                            {
                                "system": SYSTEMS["loinc"],
                                "code": "LA9633-4" if found else "LA9634-2",
                                "display": "Present" if found else "Absent",
                            }
                        ]
                    },
                    "component": [
                        {
                            "code": {
                                "coding": [
                                    {"system": SYSTEMS["loinc"], "code": "48018-6", "display": "Gene studied [ID]"}
                                ]
                            },
                            "valueCodeableConcept": self.concept("genetics", g.gene),
                        }
                    ],
                },
            )

    def imaging(self) -> None:
        for i, img in enumerate(self.case.imaging):
            self.add(self.url("imaging", i), self.imaging_entry(img))

    def imaging_entry(self, img: Imaging) -> dict[str, Any]:
        method = self.concept("modalities", img.modality)
        if img.modality in MODALITY_TO_DCM:
            method["coding"].insert(0, {"system": DCM_SYSTEM, "code": MODALITY_TO_DCM[img.modality]})
        components: list[dict[str, Any]] = []

        def component(key: str, **value: Any) -> None:
            components.append({"code": {"coding": [{"system": IMAGING_CODE[0], "code": key}]}, **value})

        for key, list_name in (("sites", "sites"), ("tissues", "tissues"), ("patterns", "patterns")):
            for term in getattr(img, key):
                component(key, valueCodeableConcept=self.concept(list_name, term))
        if img.distribution is not None:
            component("distribution", valueCodeableConcept=self.concept("distributions", img.distribution))
        for flag in ("symmetric", "bone_destruction", "uptake", "along_muscle_fibers"):
            if getattr(img, flag) is not None:
                component(flag, valueBoolean=getattr(img, flag))
        if img.size_cm is not None:
            component(
                "size_cm", valueQuantity={"value": img.size_cm, "unit": "cm", "system": SYSTEMS["ucum"], "code": "cm"}
            )
        resource: dict[str, Any] = {
            "resourceType": "Observation",
            "status": "final",
            "code": {"coding": [{"system": IMAGING_CODE[0], "code": IMAGING_CODE[1]}], "text": "Imaging findings"},
            "subject": self.subject,
            "method": method,
        }
        if components:
            resource["component"] = components
        return resource


def _clinical(code: str) -> dict[str, Any]:
    return {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": code}]}


def _verification(code: str) -> dict[str, Any]:
    return {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": code}]}


def _writer(case: Case, kb: KnowledgeBase, codes: CodeTable, when: dt.date | None, lang: str) -> _Writer:
    return _Writer(kb, codes, case, when or dt.datetime.now(dt.UTC).date(), lang)


def case_resources(
    case: Case, kb: KnowledgeBase, codes: CodeTable, *, analysis_date: dt.date | None = None, lang: str = "en"
) -> list[dict[str, Any]]:
    """The case as Bundle entries (``fullUrl`` + ``resource``): Patient first, then the rest."""
    w = _writer(case, kb, codes, analysis_date, lang)
    _inputs(w)
    return w.entries


def _inputs(w: _Writer) -> None:
    w.patient()
    w.presenting()
    w.history()
    w.exposures()
    w.findings()
    w.absent()
    w.labs()
    w.antibodies()
    w.genetics()
    w.imaging()


def _outcome(kb: KnowledgeBase, diagnosis: str, name: str) -> dict[str, Any]:
    disease = kb.disease(diagnosis)
    codings: list[dict[str, Any]] = []
    for code in disease.codes.orpha:
        codings.append({"system": SYSTEMS["orpha"], "code": f"ORPHA:{code}" if not code.startswith("ORPHA") else code})
    for code in disease.codes.icd10:
        codings.append({"system": SYSTEMS["icd10"], "code": code})
    for code in disease.codes.snomed:
        codings.append({"system": SYSTEMS["snomed"], "code": code})
    codings.append({"system": own_system("diagnoses"), "code": diagnosis, "display": name})
    return {"coding": codings, "text": name}


def result_resources(
    report: DiagnosisReport,
    kb: KnowledgeBase,
    *,
    patient_ref: str,
    basis: list[str],
    management: ManagementReport | None = None,
    seed: str = "case",
) -> list[dict[str, Any]]:
    """The result as Bundle entries: DiagnosticReport, RiskAssessment, ServiceRequest proposals,
    CarePlan (when a management report is given)."""
    meta = report.metadata

    def url(*parts: object) -> str:
        return "urn:uuid:" + str(uuid.uuid5(_NAMESPACE, "|".join([seed, "result", *map(str, parts)])))

    subject = {"reference": patient_ref}
    method = f"calcinosis {meta.calcinosis_version}, knowledge base {meta.kb_version}"
    top = report.differential[:3]
    lines = [f"{report.category} ({report.category_probabilities.get(report.category, 0):.0%})"]
    lines += [f"{d.name}: {d.probability:.1%}" for d in top]
    measured = meta.measured.text + " " if meta.measured is not None else ""  # what such figures have meant
    conclusion = "; ".join(lines) + ". " + measured + meta.disclaimer
    entries: list[dict[str, Any]] = []
    report_url = url("DiagnosticReport")
    diagnostic: dict[str, Any] = {
        "resourceType": "DiagnosticReport",
        "id": report_url.removeprefix("urn:uuid:"),
        "status": "preliminary",
        "code": {
            "coding": [{"system": OUTPUT_CODE[0], "code": OUTPUT_CODE[1]}],
            "text": "Soft-tissue calcification: category and differential",
        },
        "subject": subject,
        "effectiveDateTime": meta.analysis_time,
        "issued": meta.analysis_time,
        "conclusion": conclusion,
    }
    if report.differential:
        diagnostic["conclusionCode"] = [_outcome(kb, top[0].diagnosis, top[0].name)]
    entries.append({"fullUrl": report_url, "resource": diagnostic})
    predictions: list[dict[str, Any]] = [
        {
            "outcome": {"coding": [{"system": own_system("categories"), "code": category}], "text": category},
            "probabilityDecimal": round(probability, 6),
            "rationale": report.category_explanation[:1000] if category == report.category else "",
        }
        for category, probability in report.category_probabilities.items()
    ]
    for p in predictions:
        if not p["rationale"]:
            del p["rationale"]
    for d in report.differential:
        reasons = "; ".join(d.for_[:5]) or "-"
        against = "; ".join(d.against[:3])
        prediction: dict[str, Any] = {
            "outcome": _outcome(kb, d.diagnosis, d.name),
            "probabilityDecimal": round(d.probability, 6),
            "rationale": (f"For: {reasons}" + (f" Against: {against}" if against else ""))[:2000],
        }
        predictions.append(prediction)
    risk_url = url("RiskAssessment")
    entries.append(
        {
            "fullUrl": risk_url,
            "resource": {
                "resourceType": "RiskAssessment",
                "id": risk_url.removeprefix("urn:uuid:"),
                "status": "preliminary",
                "subject": subject,
                "occurrenceDateTime": meta.analysis_time,
                "parent": {"reference": report_url},
                "method": {"coding": [{"system": OUTPUT_CODE[0], "code": "calcinosis_engine"}], "text": method},
                "basis": [{"reference": ref} for ref in basis],
                "prediction": predictions,
                "note": [{"text": meta.disclaimer}],
            },
        }
    )
    for step in report.workup_steps:
        step_url = url("ServiceRequest", step.id)
        entries.append(
            {
                "fullUrl": step_url,
                "resource": {
                    "resourceType": "ServiceRequest",
                    "id": step_url.removeprefix("urn:uuid:"),
                    "status": "draft",
                    "intent": "proposal",
                    "code": {"coding": [{"system": own_system("workup"), "code": step.id}], "text": step.text},
                    "subject": subject,
                    "reasonCode": [{"text": step.reason}],
                    "reasonReference": [{"reference": report_url}],
                },
            }
        )
    if management is not None:
        activities: list[dict[str, Any]] = []
        for mechanism, options in management.options.items():
            for option in options:
                text = f"{option.name} ({mechanism}, {option.role}): {option.summary}"
                if option.dose:
                    text += f" Dose: {option.dose}"
                activities.append({"detail": {"status": "not-started", "description": text[:2000]}})
        for item in management.followup.schedule:
            activities.append({"detail": {"status": "not-started", "description": f"{item.every}: {item.text}"[:2000]}})
        plan_url = url("CarePlan")
        plan: dict[str, Any] = {
            "resourceType": "CarePlan",
            "id": plan_url.removeprefix("urn:uuid:"),
            "status": "draft",
            "intent": "proposal",
            "category": [{"coding": [{"system": OUTPUT_CODE[0], "code": "calcinosis_plan"}]}],
            "title": f"Soft-tissue calcification: {management.diagnosis_name}",
            "description": management.disclaimer,
            "subject": subject,
            "supportingInfo": [{"reference": report_url}],
        }
        if activities:
            plan["activity"] = activities
        entries.append({"fullUrl": plan_url, "resource": plan})
    return entries


def case_bundle(
    case: Case,
    kb: KnowledgeBase,
    codes: CodeTable,
    *,
    report: DiagnosisReport | None = None,
    management: ManagementReport | None = None,
    analysis_date: dt.date | None = None,
    lang: str = "en",
) -> dict[str, Any]:
    """A collection Bundle: the case's inputs, and the result when given; validated (R4B)."""
    from fhir.resources.R4B.bundle import Bundle

    w = _writer(case, kb, codes, analysis_date, lang)
    _inputs(w)
    entries = list(w.entries)
    if report is not None:
        basis = [e["fullUrl"] for e in entries]
        entries += result_resources(
            report, kb, patient_ref=w.patient_ref, basis=basis, management=management, seed=w.seed
        )
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "id": str(uuid.uuid5(_NAMESPACE, w.seed + "|bundle")),
        "type": "collection",
        "timestamp": (
            report.metadata.analysis_time if report else dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        ),
        "entry": entries,
    }
    Bundle.model_validate(bundle)  # raises on anything R4 would not accept: a bug here, not bad input
    return bundle


def result_bundle(
    case: Case, kb: KnowledgeBase, *, analysis_date: dt.date | None = None, lang: str = "en"
) -> dict[str, Any]:
    """Diagnose and plan ``case`` (one scoring for both) and write it all as a Bundle: what
    ``calcinosis diagnose --fhir`` and ``POST /api/v1/diagnose?format=fhir`` return."""
    from calcinosis.engine.diagnose import analyse, diagnose
    from calcinosis.management.manage import manage

    analysis = analyse(case, kb, lang=lang)
    report = diagnose(case, kb, lang=lang, analysis=analysis)
    plan = manage(case, kb, lang=lang, report=report, analysis=analysis)
    codes = codes_of(kb)
    return case_bundle(case, kb, codes, report=report, management=plan, analysis_date=analysis_date, lang=lang)
