"""FHIR R4 import and export: a hospital Bundle becomes a case with a report of every element,
a case and its result become a Bundle that validates and reads back into the same case."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from typer.testing import CliRunner

from calcinosis import KnowledgeBase
from calcinosis.case.reader import parse_case, read_case
from calcinosis.cli.main import app
from calcinosis.engine.diagnose import diagnose
from calcinosis.errors import CaseValidationError
from calcinosis.interop.fhir.read import age_at, read_bundle
from calcinosis.interop.fhir.write import case_bundle
from calcinosis.kb.codes import CodeTable, load_codes
from calcinosis.kb.loader import default_kb_path
from calcinosis.management.manage import manage
from tests.conftest import DEV_CASES, REPO

WHEN = dt.date(2026, 12, 4)
DATA = REPO / "tests" / "data" / "fhir"
DEMO = sorted((REPO / "src" / "calcinosis" / "demo").glob("*.yaml"))
runner = CliRunner()


@pytest.fixture(scope="module")
def codes() -> CodeTable:
    return load_codes(default_kb_path())


def hospital_bundle() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / "dialysis-warfarin-r4.json").read_text(encoding="utf-8"))
    return data


def _by_resource(imported: Any, ref: str) -> list[Any]:
    return [m for m in imported.mapping if m.resource == ref]


@pytest.mark.parametrize("path", DEV_CASES + DEMO, ids=lambda p: p.stem)
def test_round_trip_gives_the_same_case_and_result(path: Path, kb: KnowledgeBase, codes: CodeTable) -> None:
    case = read_case(path, kb)
    report = diagnose(case, kb)
    bundle = case_bundle(case, kb, codes, report=report, management=manage(case, kb), analysis_date=WHEN)
    again = read_bundle(json.loads(json.dumps(bundle)), kb, codes, analysis_date=WHEN)
    assert again.case.model_dump(exclude={"expected"}) == case.model_dump(exclude={"expected"})
    second = diagnose(again.case, kb)
    assert [(d.diagnosis, d.probability) for d in second.differential] == [
        (d.diagnosis, d.probability) for d in report.differential
    ]
    assert second.category_probabilities == report.category_probabilities
    # calcinosis' own results are recognised as outputs, never read as inputs
    outputs = [m for m in again.mapping if m.outcome == "not_used" and "30525-0" not in m.reason]
    assert {m.element for m in outputs} <= {"DiagnosticReport", "RiskAssessment", "ServiceRequest", "CarePlan"}


def test_export_validates_and_holds_the_result(kb: KnowledgeBase, codes: CodeTable) -> None:
    case = read_case(DEV_CASES[0], kb)
    report = diagnose(case, kb)
    plan = manage(case, kb)
    bundle = case_bundle(case, kb, codes, report=report, management=plan, analysis_date=WHEN)
    Bundle.model_validate(bundle)
    by_type: dict[str, list[dict[str, Any]]] = {}
    for entry in bundle["entry"]:
        resource = entry["resource"]
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        assert entry["fullUrl"].endswith(resource["id"])
        by_type.setdefault(resource["resourceType"], []).append(resource)
    risk = by_type["RiskAssessment"][0]
    diagnoses = [p for p in risk["prediction"] if p["outcome"]["coding"][-1]["system"].endswith(":diagnoses")]
    assert [p["probabilityDecimal"] for p in diagnoses] == [round(d.probability, 6) for d in report.differential]
    assert all(p.get("rationale") for p in diagnoses)
    categories = [p for p in risk["prediction"] if p["outcome"]["coding"][0]["system"].endswith(":categories")]
    assert sum(p["probabilityDecimal"] for p in categories) == pytest.approx(
        sum(report.category_probabilities.values())
    )
    top = report.differential[0]
    orpha = [c for c in diagnoses[0]["outcome"]["coding"] if c["system"] == "http://www.orpha.net"]
    assert [c["code"] for c in orpha] == [f"ORPHA:{o}" for o in kb.disease(top.diagnosis).codes.orpha]
    assert len(by_type["ServiceRequest"]) == len(report.workup_steps)
    assert all(s["status"] == "draft" and s["intent"] == "proposal" for s in by_type["ServiceRequest"])
    assert by_type["DiagnosticReport"][0]["status"] == "preliminary"
    assert "clinician" in by_type["DiagnosticReport"][0]["conclusion"]
    assert "published patients never used to build or tune this engine" in by_type["DiagnosticReport"][0]["conclusion"]
    activities = by_type["CarePlan"][0]["activity"]
    assert len(activities) == sum(len(v) for v in plan.options.values()) + len(plan.followup.schedule)
    # every lab carries LOINC (with the code of its unit's property) and UCUM
    for obs in by_type["Observation"]:
        quantity = obs.get("valueQuantity")
        if quantity and obs["code"]["coding"][0]["system"] == "http://loinc.org":
            assert quantity["system"] == "http://unitsofmeasure.org"


def test_hospital_bundle_is_read_with_a_report_of_every_element(kb: KnowledgeBase, codes: CodeTable) -> None:
    imported = read_bundle(hospital_bundle(), kb, codes, analysis_date=WHEN)
    case = imported.case
    assert case.patient.age == 65 and case.patient.sex == "female"
    assert case.sites == ["thigh"] and case.duration_months == pytest.approx(2.1)
    labs = {lab.test: lab for lab in case.labs}
    assert (labs["calcium"].value, labs["calcium"].unit) == (9.8, "mg/dL")  # the latest of two
    assert labs["pth"].interpretation == "high" and labs["pth"].value is None
    assert case.exposures == ["warfarin"]
    assert case.onset_days_after == {"warfarin": 122.0}  # started 2026-06-01, lesions since 2026-10-01
    older = _by_resource(imported, "Observation/obs-ca-1")[0]
    assert older.outcome == "not_used" and "latest" in older.reason
    assert _by_resource(imported, "Observation/obs-bad")[0].outcome == "not_used"
    assert "Encounter" in _by_resource(imported, "Encounter/enc-1")[0].reason
    # every resource of the Bundle is accounted for in the report
    refs = {f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in hospital_bundle()["entry"]}
    assert refs == {m.resource for m in imported.mapping}


def test_french_report(kb: KnowledgeBase, codes: CodeTable) -> None:
    imported = read_bundle(hospital_bundle(), kb, codes, analysis_date=WHEN, lang="fr")
    older = _by_resource(imported, "Observation/obs-ca-1")[0]
    assert "plus récent" in older.reason and "Calcémie" in older.reason


def test_refuted_and_unconfirmed_conditions(kb: KnowledgeBase, codes: CodeTable) -> None:
    bundle = hospital_bundle()
    own = "urn:calcinosis:vocabulary:conditions"
    status = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
    for i, (term, verification) in enumerate((("diabetes_mellitus", "refuted"), ("sarcoidosis", "provisional"))):
        bundle["entry"].append(
            {
                "resource": {
                    "resourceType": "Condition",
                    "id": f"c{i}",
                    "subject": {"reference": "Patient/pat-1"},
                    "verificationStatus": {"coding": [{"system": status, "code": verification}]},
                    "code": {"coding": [{"system": own, "code": term}]},
                }
            }
        )
    imported = read_bundle(bundle, kb, codes, analysis_date=WHEN)
    assert "diabetes_mellitus" in imported.case.absent
    assert "sarcoidosis" not in imported.case.history
    assert _by_resource(imported, "Condition/c1")[0].outcome == "not_used"


def test_a_drug_whose_exposure_depends_on_the_dose_is_reported_not_guessed(kb: KnowledgeBase, codes: CodeTable) -> None:
    bundle = hospital_bundle()
    bundle["entry"].append(
        {
            "resource": {
                "resourceType": "MedicationStatement",
                "id": "vitd",
                "status": "active",
                "subject": {"reference": "Patient/pat-1"},
                "medicationCodeableConcept": {"text": "vitamin_d_high_dose"},
            }
        }
    )
    imported = read_bundle(bundle, kb, codes, analysis_date=WHEN)
    assert "vitamin_d_high_dose" not in imported.case.exposures
    line = _by_resource(imported, "MedicationStatement/vitd")[0]
    assert line.outcome == "not_used" and "dose" in line.reason


def test_operation_outcome_and_invalid_resources(kb: KnowledgeBase, codes: CodeTable) -> None:
    bundle = hospital_bundle()
    bundle["entry"].append({"resource": {"resourceType": "OperationOutcome", "id": "oo", "issue": []}})
    bad = copy.deepcopy(bundle)
    bad["entry"].append({"resource": {"resourceType": "Observation", "id": "x", "code": {"text": "calcium"}, "foo": 1}})
    with pytest.raises(CaseValidationError) as caught:
        read_bundle(bad, kb, codes, analysis_date=WHEN)
    assert "entry[11].resource.foo" in str(caught.value)
    lenient = read_bundle(bad, kb, codes, analysis_date=WHEN, strict=False)
    assert _by_resource(lenient, "Observation/x")[0].outcome == "not_used"
    assert _by_resource(lenient, "OperationOutcome/oo")[0].outcome == "not_used"


@pytest.mark.parametrize(
    ("document", "fragment"),
    [
        ({"resourceType": "Bundle", "type": "collection", "entry": []}, "age"),
        ({"patient": {"age": 3}}, "resourceType"),
        ({"resourceType": "Bundle", "type": "collection", "entry": {"a": 1}}, "list"),
    ],
)
def test_documents_that_cannot_become_a_case(kb: KnowledgeBase, codes: CodeTable, document: Any, fragment: str) -> None:
    with pytest.raises(CaseValidationError, match=fragment):
        read_bundle(document, kb, codes, analysis_date=WHEN)


@pytest.mark.parametrize(
    ("born", "age"),
    [("1961-03-14", 65.0), ("1961-12-05", 64.0), ("1961-12-04", 65.0), ("2026-06-04", 0.5), ("2024-12-05", 1.92)],
)
def test_age_at(born: str, age: float) -> None:
    assert age_at(dt.date.fromisoformat(born), WHEN) == age


def test_cli_import_writes_a_case_that_reads_back(tmp_path: Path, kb: KnowledgeBase) -> None:
    out = tmp_path / "case.yaml"
    result = runner.invoke(
        app, ["fhir", "import", str(DATA / "dialysis-warfarin-r4.json"), "-o", str(out), "--date", "2026-12-04"]
    )
    assert result.exit_code == 0, result.output
    case = read_case(out, kb)
    assert case.exposures == ["warfarin"] and case.patient.age == 65
    again = runner.invoke(app, ["fhir", "import", str(DATA / "dialysis-warfarin-r4.json"), "-o", str(out)])
    assert again.exit_code == 2 and "--force" in again.output
    bad_date = runner.invoke(app, ["fhir", "import", str(DATA / "dialysis-warfarin-r4.json"), "--date", "04/12/2026"])
    assert bad_date.exit_code == 2 and "YYYY-MM-DD" in bad_date.output


def test_cli_diagnose_reads_a_bundle_and_writes_fhir(kb: KnowledgeBase) -> None:
    result = runner.invoke(app, ["diagnose", str(DATA / "dialysis-warfarin-r4.json"), "--json", "--date", "2026-12-04"])
    assert result.exit_code == 0, result.output
    direct = diagnose(read_bundle(hospital_bundle(), kb, load_codes(default_kb_path()), analysis_date=WHEN).case, kb)
    payload = json.loads(result.stdout)
    assert payload["differential"][0]["diagnosis"] == direct.differential[0].diagnosis
    fhir = runner.invoke(app, ["diagnose", str(DEV_CASES[0]), "--fhir"])
    assert fhir.exit_code == 0, fhir.output
    bundle = Bundle.model_validate_json(fhir.stdout)
    kinds = {e.resource.get_resource_type() for e in bundle.entry or []}
    assert {"Patient", "DiagnosticReport", "RiskAssessment", "CarePlan"} <= kinds


def test_case_parsed_from_import_equals_parse_case(kb: KnowledgeBase, codes: CodeTable) -> None:
    imported = read_bundle(hospital_bundle(), kb, codes, analysis_date=WHEN)
    assert parse_case(imported.case.model_dump(mode="json", exclude_none=True), kb) == imported.case


def test_api_diagnose_as_fhir(kb: KnowledgeBase) -> None:
    from fastapi.testclient import TestClient

    from calcinosis.web.app import create_app

    body = (DEMO[0]).read_text(encoding="utf-8")
    with TestClient(create_app()) as client:
        response = client.post(
            "/api/v1/diagnose?format=fhir", content=body, headers={"content-type": "application/yaml"}
        )
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/fhir+json")
        bundle = Bundle.model_validate_json(response.text)
        imported = read_bundle(json.loads(response.text), kb, load_codes(default_kb_path()))
        assert imported.case == read_case(DEMO[0], kb).model_copy(update={"expected": None})
        assert any(e.resource.get_resource_type() == "RiskAssessment" for e in bundle.entry or [])
        refused = client.post("/api/v1/diagnose?format=xml", content=body, headers={"content-type": "application/yaml"})
        assert refused.status_code in (400, 422)


def test_api_and_case_page_accept_a_bundle(kb: KnowledgeBase) -> None:
    from fastapi.testclient import TestClient

    from calcinosis.web.app import create_app

    body = (DATA / "dialysis-warfarin-r4.json").read_bytes()
    with TestClient(create_app()) as client:
        response = client.post("/api/v1/diagnose", content=body, headers={"content-type": "application/fhir+json"})
        assert response.status_code == 200, response.text
        assert response.json()["case"]["exposures"] == ["warfarin"]
        bad = json.loads(body)
        del bad["entry"][0]
        problem = client.post("/api/v1/diagnose", json=bad)
        assert problem.status_code == 422 and "age" in problem.text
        page = client.post("/ui/load", files={"case_file": ("bundle.json", body, "application/json")})
        assert page.status_code == 200
        assert 'name="age" inputmode="decimal" value="65"' in page.text
        assert "Warfarin or other vitamin K antagonist present: LR" in page.text  # scored: the panel says why


def test_a_stated_age_wins_over_the_birth_date_and_the_report_says_so(kb: KnowledgeBase, codes: CodeTable) -> None:
    bundle = hospital_bundle()
    bundle["entry"].append(
        {
            "resource": {
                "resourceType": "Observation",
                "id": "age",
                "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": "30525-0"}]},
                # 30 weeks: the bundle's deposits have been there 2.1 months (a younger age is refused)
                "valueQuantity": {"value": 30, "unit": "wk", "system": "http://unitsofmeasure.org", "code": "wk"},
            }
        }
    )
    imported = read_bundle(bundle, kb, codes, analysis_date=WHEN)
    assert imported.case.patient.age == pytest.approx(0.575, abs=1e-3)
    birth = next(m for m in imported.mapping if m.element == "birthDate")
    assert birth.outcome == "not_used" and "30525-0" in birth.reason


@pytest.mark.parametrize("age", [54, 54.5, 1.5, 0.0833, 0.01])
def test_the_export_asserts_no_birth_date_and_the_age_reads_back(
    kb: KnowledgeBase, codes: CodeTable, age: float
) -> None:
    """A case with an age only was exported with a full birthDate made from it (54 at 2026-12-04
    gave 1972-12-04), which a receiving system takes as known. The Patient now marks its birth
    date unknown (data-absent-reason) and the age is an Observation LOINC 30525-0 at the analysis
    date; the import reads the same age back, and its report says the birth date is not used."""
    case = parse_case({"patient": {"age": age, "sex": "female"}, "findings": ["palpable_nodules"]}, kb)
    bundle = case_bundle(case, kb, codes, analysis_date=WHEN)
    Bundle.model_validate(bundle)
    patient = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    assert "birthDate" not in patient
    assert patient["_birthDate"]["extension"] == [
        {"url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason", "valueCode": "unknown"}
    ]
    (stated,) = [
        e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "Observation" and e["resource"]["code"]["coding"][0]["code"] == "30525-0"
    ]
    assert stated["valueQuantity"]["value"] == age and stated["valueQuantity"]["code"] == "a"
    assert stated["effectiveDateTime"] == WHEN.isoformat()
    again = read_bundle(json.loads(json.dumps(bundle)), kb, codes, analysis_date=WHEN)
    assert again.case.patient.age == age
    birth = next(m for m in again.mapping if m.element == "birthDate")
    assert birth.outcome == "not_used" and "30525-0" in birth.reason


def test_a_hospital_report_gives_its_coded_conclusions_not_its_text(kb: KnowledgeBase, codes: CodeTable) -> None:
    bundle = hospital_bundle()
    bundle["entry"].append(
        {
            "resource": {
                "resourceType": "DiagnosticReport",
                "id": "rad",
                "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": "24627-2", "display": "Chest CT"}]},
                "conclusion": "Calcifications sous-cutanées des cuisses.",
                "conclusionCode": [
                    {"coding": [{"system": "http://human-phenotype-ontology.org", "code": "HP:0007618"}]},
                    {"coding": [{"system": "urn:calcinosis:vocabulary:findings", "code": "livedo"}]},
                    {"coding": [{"system": "http://snomed.info/sct", "code": "999999999"}]},
                ],
            }
        }
    )
    imported = read_bundle(bundle, kb, codes, analysis_date=WHEN)
    assert "livedo" in imported.case.findings
    lines = _by_resource(imported, "DiagnosticReport/rad")
    assert [m.outcome for m in lines] == ["used", "used", "not_used", "not_used"]
    assert lines[-1].element == "conclusion"


def test_a_null_required_element_is_refused_not_crashed_on(kb: KnowledgeBase, codes: CodeTable) -> None:
    bundle = hospital_bundle()
    bundle["entry"].append({"resource": {"resourceType": "Observation", "id": "n", "status": "final", "code": None}})
    with pytest.raises(CaseValidationError, match="code"):
        read_bundle(bundle, kb, codes, analysis_date=WHEN)
    lenient = read_bundle(bundle, kb, codes, analysis_date=WHEN, strict=False)
    assert _by_resource(lenient, "Observation/n")[0].outcome == "not_used"


def test_a_bundle_of_two_patients_is_refused_and_another_patients_resource_is_not_read(
    kb: KnowledgeBase, codes: CodeTable
) -> None:
    """A case is one patient's: a Bundle with two Patients is refused (a calcium of another
    record read into this one was a silent, dangerous guess), and a resource about another
    patient than the Bundle's is reported as not used, never read into the case."""
    two = hospital_bundle()
    other = copy.deepcopy(two["entry"][0])
    other["resource"]["id"] = "pat-2"
    two["entry"].append(other)
    with pytest.raises(CaseValidationError, match="2 patients"):
        read_bundle(two, kb, codes, analysis_date=WHEN)

    stray = hospital_bundle()
    calcium = next(e for e in stray["entry"] if e["resource"].get("id") == "obs-ca-2")
    calcium["resource"]["subject"] = {"reference": "Patient/someone-else"}
    imported = read_bundle(stray, kb, codes, analysis_date=WHEN)
    assert [(m.element, m.outcome) for m in _by_resource(imported, "Observation/obs-ca-2")] == [("subject", "not_used")]
    kept = read_bundle(hospital_bundle(), kb, codes, analysis_date=WHEN)
    assert len(imported.case.labs) < len(kept.case.labs) or imported.case.labs != kept.case.labs
    # an absolute address of the same Patient is the same patient
    same = hospital_bundle()
    for e in same["entry"][1:]:
        if isinstance(e["resource"].get("subject"), dict):
            e["resource"]["subject"]["reference"] = "https://ehr.example/fhir/Patient/pat-1"
    assert read_bundle(same, kb, codes, analysis_date=WHEN).case == kept.case


def test_the_api_says_what_a_bundle_held_that_is_not_in_the_case(kb: KnowledgeBase) -> None:
    from fastapi.testclient import TestClient

    from calcinosis.web.app import create_app

    body = (DATA / "dialysis-warfarin-r4.json").read_bytes()
    with TestClient(create_app()) as client:
        response = client.post("/api/v1/diagnose", content=body, headers={"content-type": "application/fhir+json"})
        assert response.status_code == 200, response.text
        assert any(w.startswith("FHIR Observation/obs-bad") for w in response.json()["warnings"])
        managed = client.post("/api/v1/manage?lang=fr", content=body, headers={"content-type": "application/fhir+json"})
        assert any("non utilisé" in w for w in managed.json()["warnings"])


def test_what_was_not_known_at_the_analysis_date_or_cannot_be_the_patients_is_not_read(
    kb: KnowledgeBase, codes: CodeTable
) -> None:
    """A hardening review: a calcium dated after the analysis date was read as the latest value, one
    dated before birth as any other, 'M' became an unknown sex without a word, and a dead
    patient grew older. Each is now reported as not used (or read as the age at death)."""
    bundle = hospital_bundle()
    analysed = read_bundle(bundle, kb, codes, analysis_date=WHEN)
    calcium = next(e for e in bundle["entry"] if e["resource"].get("id") == "obs-ca-2")["resource"]
    calcium["effectiveDateTime"] = "2031-01-01"
    future = read_bundle(bundle, kb, codes, analysis_date=WHEN)
    assert [(m.element, m.outcome) for m in _by_resource(future, "Observation/obs-ca-2")] == [("date", "not_used")]
    assert "after the analysis date" in _by_resource(future, "Observation/obs-ca-2")[0].reason
    calcium["effectiveDateTime"] = "1900-01-01"
    early = read_bundle(bundle, kb, codes, analysis_date=WHEN)
    assert "before the birth date" in _by_resource(early, "Observation/obs-ca-2")[0].reason
    patient = bundle["entry"][0]["resource"]
    patient["gender"] = "M"
    odd = read_bundle(bundle, kb, codes, analysis_date=WHEN)
    assert odd.case.patient.sex == "unknown"
    assert [m.outcome for m in _by_resource(odd, f"Patient/{patient['id']}") if m.element == "gender"] == ["not_used"]
    born = dt.date.fromisoformat(patient["birthDate"])
    patient["deceasedDateTime"] = f"{born.year + 40}-{born.month:02d}-{born.day:02d}"
    dead = read_bundle(bundle, kb, codes, analysis_date=WHEN)
    assert dead.case.patient.age == 40 and analysed.case.patient.age > 40


def test_a_partial_date_and_a_versioned_reference_are_read_as_what_they_may_be(
    kb: KnowledgeBase, codes: CodeTable
) -> None:
    """A code review: a calcium dated '2026-12' was set aside as after an analysis date of
    2026-12-04 (read as the 15th), and 'Patient/pat-1/_history/3' was another patient."""
    bundle = hospital_bundle()
    calcium = next(e for e in bundle["entry"] if e["resource"].get("id") == "obs-ca-2")["resource"]
    calcium["effectiveDateTime"] = "2026-12"
    assert not [
        m
        for m in _by_resource(read_bundle(bundle, kb, codes, analysis_date=WHEN), "Observation/obs-ca-2")
        if m.element == "date"
    ]
    versioned = hospital_bundle()
    for e in versioned["entry"][1:]:
        if isinstance(e["resource"].get("subject"), dict):
            e["resource"]["subject"]["reference"] = "Patient/pat-1/_history/3"
    assert (
        read_bundle(versioned, kb, codes, analysis_date=WHEN).case
        == read_bundle(hospital_bundle(), kb, codes, analysis_date=WHEN).case
    )


def _calcium_bundle(*observations: dict[str, Any]) -> dict[str, Any]:
    """A Patient and calcium Observations (LOINC 17861-6), as a hostile-input audit wrote them."""
    patient = {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1980-05-01"}
    entries = [{"resource": patient}]
    for i, extra in enumerate(observations):
        observation = {
            "resourceType": "Observation",
            "id": f"o{i + 1}",
            "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "17861-6"}]},
            "subject": {"reference": "Patient/p1"},
            "effectiveDateTime": "2024-01-01",
        }
        entries.append({"resource": observation | extra})
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def _quantity(value: float, unit: str, code: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": code}


def test_two_names_of_one_unit_do_not_conflict(kb: KnowledgeBase, codes: CodeTable) -> None:
    """A code review: a PTH of 450 with unit 'pg/mL' and UCUM code 'ng/L' (two names of one unit)
    was thrown away as a conflict, and the PTH treatments then waited for a test already done."""
    bundle = _calcium_bundle({"valueQuantity": _quantity(450, "pg/mL", "ng/L")})
    bundle["entry"][1]["resource"]["code"] = {"coding": [{"system": "http://loinc.org", "code": "2731-8"}]}
    imported = read_bundle(bundle, kb, codes, analysis_date=dt.date(2024, 6, 1))
    assert [(lab.test, lab.value) for lab in imported.case.labs] == [("pth", 450)]


def test_a_unit_that_its_ucum_code_contradicts_is_not_used(kb: KnowledgeBase, codes: CodeTable) -> None:
    """A hostile-input audit: a calcium of 2.4 with unit 'mmol/L' and UCUM code 'mg/dL' was read
    as 2.4 mg/dL without a word, and the diagnosis warned of a severe hypocalcaemia. Which one the
    laboratory meant cannot be told: the value is reported as not used, naming both."""
    when = dt.date(2024, 6, 1)
    clash = read_bundle(
        _calcium_bundle({"valueQuantity": _quantity(2.4, "mmol/L", "mg/dL")}), kb, codes, analysis_date=when
    )
    assert clash.case.labs == []
    [line] = _by_resource(clash, "Observation/o1")
    assert line.outcome == "not_used" and "mmol/L" in line.reason and "mg/dL" in line.reason
    agreed = read_bundle(
        _calcium_bundle({"valueQuantity": _quantity(2.4, "mmol/l", "mmol/L")}), kb, codes, analysis_date=when
    )
    assert [(lab.value, lab.unit) for lab in agreed.case.labs] == [(2.4, "mmol/L")]
    ranged = _calcium_bundle(
        {
            "valueQuantity": _quantity(2.4, "mmol/L", "mmol/L"),
            "referenceRange": [{"low": _quantity(2.2, "mmol/L", "mmol/L"), "high": _quantity(2.6, "mmol/L", "mg/dL")}],
        }
    )
    imported = read_bundle(ranged, kb, codes, analysis_date=when)
    assert [(lab.value, lab.reference_range) for lab in imported.case.labs] == [(2.4, None)]
    assert any(m.element == "referenceRange" and "mg/dL" in m.reason for m in _by_resource(imported, "Observation/o1"))


def test_two_results_of_one_date_are_both_kept_never_picked_by_their_order(kb: KnowledgeBase, codes: CodeTable) -> None:
    """A hostile-input audit: of two calcium results of the same date, the second in the file was
    set aside as 'an earlier result ... the latest one is used', which was untrue. The file does
    not say which came later: both are kept as repeated readings (the case format allows them),
    whatever their order, and the report says so; a later result still replaces both."""
    when = dt.date(2024, 6, 1)
    high = {"id": "a", "valueQuantity": _quantity(3.5, "mmol/L", "mmol/L")}
    low = {"id": "b", "valueQuantity": _quantity(2.4, "mmol/L", "mmol/L")}
    for first, second in ((high, low), (low, high)):
        imported = read_bundle(_calcium_bundle(first, second), kb, codes, analysis_date=when)
        assert sorted(lab.value for lab in imported.case.labs) == [2.4, 3.5]
        [line] = _by_resource(imported, f"Observation/{second['id']}")
        assert line.outcome == "used" and f"same date as Observation/{first['id']}" in line.reason
        assert "earlier" not in " ".join(m.reason for m in imported.mapping)
    later = {"id": "c", "effectiveDateTime": "2024-02-01", "valueQuantity": _quantity(2.3, "mmol/L", "mmol/L")}
    replaced = read_bundle(_calcium_bundle(high, low, later), kb, codes, analysis_date=when)
    assert [lab.value for lab in replaced.case.labs] == [2.3]
    assert [m.outcome for m in replaced.mapping if m.resource in ("Observation/a", "Observation/b")] == ["not_used"] * 2


def test_repeated_readings_of_a_case_survive_the_round_trip(kb: KnowledgeBase, codes: CodeTable) -> None:
    """The export writes a case's repeated readings of one test without a date: the import kept
    only the first of them (the second was 'an earlier result'); each is now read back."""
    case = parse_case(
        {
            "patient": {"age": 50, "sex": "male"},
            "labs": [
                {"test": "calcium", "value": 3.5, "unit": "mmol/L"},
                {"test": "calcium", "value": 2.4, "unit": "mmol/L"},
            ],
        },
        kb,
    )
    again = read_bundle(
        json.loads(json.dumps(case_bundle(case, kb, codes, analysis_date=WHEN))), kb, codes, analysis_date=WHEN
    )
    assert [(lab.test, lab.value) for lab in again.case.labs] == [("calcium", 3.5), ("calcium", 2.4)]


def test_a_bundle_with_one_id_twice_is_refused_naming_both_entries(kb: KnowledgeBase, codes: CodeTable) -> None:
    """A hostile-input audit (dup_ids.json): two Observation/o1 with different calcium values were
    both read, one set aside by its place in the file. Which one the record means cannot be told."""
    twice = _calcium_bundle(
        {"id": "o1", "valueQuantity": _quantity(2.4, "mmol/L", "mmol/L")},
        {"id": "o1", "valueQuantity": _quantity(3.5, "mmol/L", "mmol/L")},
    )
    with pytest.raises(CaseValidationError) as caught:
        read_bundle(twice, kb, codes, analysis_date=dt.date(2024, 6, 1), source="dup.json")
    assert str(caught.value).startswith(
        "dup.json: Observation/o1 appears twice (entry[1].resource and entry[2].resource)"
    )
    with pytest.raises(CaseValidationError, match="apparaît deux fois"):
        read_bundle(twice, kb, codes, analysis_date=dt.date(2024, 6, 1), lang="fr")
    twice["entry"][2]["resource"]["id"] = "o2"  # the same values under two ids are two results
    assert len(read_bundle(twice, kb, codes, analysis_date=dt.date(2024, 6, 1)).case.labs) == 2


def test_a_birth_date_in_the_future_is_named_as_such(kb: KnowledgeBase, codes: CodeTable) -> None:
    """A hostile-input audit (future_birth.json): a birthDate of 2090 was refused as 'no Patient
    with a birth date'. The error says the date is in the future, or after the analysis date."""
    today = dt.datetime.now(dt.UTC).date()
    bundle = _calcium_bundle()
    bundle["entry"][0]["resource"]["birthDate"] = (today + dt.timedelta(days=400)).isoformat()
    with pytest.raises(CaseValidationError) as caught:
        read_bundle(bundle, kb, codes, analysis_date=dt.date(2024, 6, 1))
    assert "Patient/p1 has a birth date in the future" in str(caught.value) and today.isoformat() in str(caught.value)
    assert "no Patient with a birth date" not in str(caught.value)
    bundle["entry"][0]["resource"]["birthDate"] = "2025-01-01"
    with pytest.raises(
        CaseValidationError, match=r"birth date after the analysis date \(2025-01-01, analysis on 2024-06-01\)"
    ):
        read_bundle(bundle, kb, codes, analysis_date=dt.date(2024, 6, 1))


@pytest.mark.parametrize(
    ("age", "months", "onset"),
    [(54, 6, {"onsetAge": 53.5}), (40, 7, {"onsetAge": 40 - 7 / 12}), (1, 18, {"onsetString": "18 months before"})],
)
def test_the_onset_is_the_age_at_onset_never_a_date_made_from_the_export_date(
    kb: KnowledgeBase, codes: CodeTable, age: float, months: float, onset: dict[str, Any]
) -> None:
    """A hardening audit: the calcification's Condition had ``onsetDateTime`` = the export date
    less the duration, a day the clinician never gave. It is now the age at onset (the age less
    the duration, UCUM 'a'), or, where an age in completed years is below the duration, the
    duration in words; the exact duration rides in an extension, and the case reads back whole."""
    case = parse_case({"patient": {"age": age, "sex": "female"}, "sites": ["thigh"], "duration_months": months}, kb)
    bundle = case_bundle(case, kb, codes, analysis_date=WHEN)
    Bundle.model_validate(bundle)
    (condition,) = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Condition"]
    get_fhir_model_class("Condition").model_validate(condition)
    assert not [k for k in condition if k.startswith("onset") and k not in onset]  # no onsetDateTime
    if "onsetAge" in onset:
        assert condition["onsetAge"] == {
            "value": pytest.approx(onset["onsetAge"]),
            "unit": "a",
            "system": "http://unitsofmeasure.org",
            "code": "a",
        }
    else:
        assert condition["onsetString"].startswith(onset["onsetString"])
    assert condition["extension"] == [{"url": "urn:calcinosis:extension:duration-months", "valueDecimal": months}]
    again = read_bundle(json.loads(json.dumps(bundle)), kb, codes, analysis_date=WHEN)
    assert again.case.duration_months == months and again.case.sites == ["thigh"]


def test_an_onset_age_from_another_system_gives_the_duration_and_words_are_reported(
    kb: KnowledgeBase, codes: CodeTable
) -> None:
    """A hospital's calcification Condition with ``onsetAge`` (no calcinosis extension) gives the
    duration as the patient's age less it, in any unit of age; an onset age above the age, and
    an onset in words, are not read, and the report says so (they used to vanish)."""

    def imported(**onset: Any) -> Any:
        bundle = hospital_bundle()
        calc = next(e["resource"] for e in bundle["entry"] if e["resource"]["id"] == "cond-calc")
        del calc["onsetDateTime"]
        calc.update(onset)
        return read_bundle(bundle, kb, codes, analysis_date=WHEN)

    ucum = "http://unitsofmeasure.org"
    assert imported(onsetAge={"value": 64.5, "unit": "a", "system": ucum, "code": "a"}).case.duration_months == 6
    assert imported(onsetAge={"value": 774, "unit": "mo", "system": ucum, "code": "mo"}).case.duration_months == 6
    for onset, element in (
        ({"onsetAge": {"value": 70, "unit": "a", "system": ucum, "code": "a"}}, "onsetAge"),
        ({"onsetString": "since the summer"}, "onsetString"),
    ):
        got = imported(**onset)
        assert got.case.duration_months is None
        (line,) = [m for m in _by_resource(got, "Condition/cond-calc") if m.element == element]
        assert line.outcome == "not_used" and line.reason


def test_a_negative_onset_age_is_reported_not_read_as_a_duration_longer_than_the_life(
    kb: KnowledgeBase, codes: CodeTable
) -> None:
    """A code review: an ``onsetAge`` below 0 passed the reader's check (only 'above the age' was
    refused) and gave a duration longer than the patient's life, so that the whole import failed
    on the case's own check. It is reported not used, as an onset age above the age is."""
    bundle = hospital_bundle()
    calc = next(e["resource"] for e in bundle["entry"] if e["resource"]["id"] == "cond-calc")
    del calc["onsetDateTime"]
    calc["onsetAge"] = {"value": -2, "unit": "a", "system": "http://unitsofmeasure.org", "code": "a"}
    got = read_bundle(bundle, kb, codes, analysis_date=WHEN)
    assert got.case.duration_months is None
    (line,) = [m for m in _by_resource(got, "Condition/cond-calc") if m.element == "onsetAge"]
    assert line.outcome == "not_used"
