"""codes.yaml read as a table: loading, lookup of exact and prefix codes, code-shape helpers."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from calcinosis.errors import KnowledgeBaseError
from calcinosis.kb.codes import (
    OWN_SYSTEM_PREFIX,
    SYSTEMS,
    CodeTable,
    load_codes,
    loinc_check_digit_ok,
    snomed_check_digit_ok,
    well_formed,
)
from calcinosis.kb.loader import default_kb_path

ICD10 = SYSTEMS["icd10"]
ICD10CM = SYSTEMS["icd10cm"]
ALL = ("labs", "antibodies", "conditions", "exposures", "findings", "genetics")


@pytest.fixture(scope="module")
def table() -> CodeTable:
    """The shipped codes.yaml."""
    return load_codes(default_kb_path())


def test_exact_code_resolves(table: CodeTable) -> None:
    """An exact code names its term: LOINC 2160-0 is creatinine, HP:0030880 Raynaud phenomenon."""
    assert table.lookup(SYSTEMS["loinc"], "2160-0", ALL) == ("labs", "creatinine")
    assert table.lookup(SYSTEMS["hpo"], "HP:0030880", ALL) == ("findings", "raynaud_phenomenon")
    assert table.lookup(SYSTEMS["snomed"], "105502003", ALL) == ("conditions", "dialysis")
    assert table.lookup(ICD10, "Z99.2", ("conditions",)) == ("conditions", "dialysis")


def test_prefix_code_covers_its_subcodes(table: CodeTable) -> None:
    """N18 covers every stage of chronic kidney disease; ATC B01AA covers warfarin and acenocoumarol."""
    for code in ("N18.1", "N18.5", "N18.9"):
        assert table.lookup(ICD10, code, ("conditions",)) == ("conditions", "chronic_kidney_disease")
    assert table.lookup(ICD10CM, "N18.6", ("conditions",)) == ("conditions", "chronic_kidney_disease")
    for atc in ("B01AA03", "B01AA07"):
        assert table.lookup(SYSTEMS["atc"], atc, ("exposures",)) == ("exposures", "warfarin")


def test_longest_prefix_wins(table: CodeTable) -> None:
    """M34.1 (CREST) is limited systemic sclerosis although M34 is systemic sclerosis; K86.1 is pancreatitis, K86.8 pancreatic disease."""
    assert table.lookup(ICD10, "M34.1", ("conditions",)) == ("conditions", "limited_systemic_sclerosis")
    assert table.lookup(ICD10, "M34.0", ("conditions",)) == ("conditions", "systemic_sclerosis")
    assert table.lookup(ICD10, "K86.1", ("conditions",)) == ("conditions", "pancreatitis")
    assert table.lookup(ICD10, "K86.8", ("conditions",)) == ("conditions", "pancreatic_disease")
    assert table.lookup(ICD10, "K72.1", ("conditions",)) == ("conditions", "liver_failure")
    assert table.lookup(ICD10, "K74.6", ("conditions",)) == ("conditions", "liver_disease")


def test_longest_prefix_wins_whatever_the_order(table: CodeTable) -> None:
    """The longest prefix wins even when the shorter one is listed first and in an earlier list."""
    data = table.model_dump()
    data["labs"] = {}
    data["antibodies"] = {}
    data["exposures"] = {
        "radiation_therapy": {
            "codes": [{"system": "icd10", "code": "M3", "display": "x", "match": "prefix"}],
            "checked": "t",
        }
    }
    data["conditions"] = {
        "a": {"codes": [{"system": "icd10", "code": "M34", "display": "x", "match": "prefix"}], "checked": "t"},
        "b": {"codes": [{"system": "icd10", "code": "M34.1", "display": "x", "match": "prefix"}], "checked": "t"},
    }
    t = CodeTable.model_validate(data)
    assert t.lookup(ICD10, "M34.12", ("exposures", "conditions")) == ("conditions", "b")
    assert t.lookup(ICD10, "M35", ("exposures", "conditions")) == ("exposures", "radiation_therapy")


def test_icd_without_dot_and_in_lower_case(table: CodeTable) -> None:
    """Hospital feeds send M341 or m34.1: both are M34.1."""
    assert table.lookup(ICD10, "M341", ("conditions",)) == ("conditions", "limited_systemic_sclerosis")
    assert table.lookup(ICD10, " m34.1 ", ("conditions",)) == ("conditions", "limited_systemic_sclerosis")


def test_code_broader_than_its_term_is_never_read(table: CodeTable) -> None:
    """E83.5 (disorders of calcium metabolism) is written for known hypercalcaemia but not read back as it."""
    codes = table.codes_of("conditions", "hypercalcemia_known", "icd10")
    assert [(c.code, c.on_import) for c in codes] == [("E83.5", False)]
    assert table.lookup(ICD10, "E83.5", ("conditions",)) is None
    assert table.lookup(ICD10CM, "E83.52", ("conditions",)) == ("conditions", "hypercalcemia_known")
    # M35.1 is read as overlap syndrome, never as mixed connective tissue disease
    assert table.lookup(ICD10, "M35.1", ("conditions",)) == ("conditions", "overlap_syndrome")


def test_lookup_misses(table: CodeTable) -> None:
    """Unknown system, unknown code, a list not searched: no term, never a guess."""
    assert table.lookup("http://example.org/codes", "N18", ("conditions",)) is None
    assert table.lookup(ICD10, "Q99.9", ("conditions",)) is None
    assert table.lookup(ICD10, "N18.5", ("exposures",)) is None
    assert table.lookup(SYSTEMS["snomed"], "7090440", ("conditions",)) is None  # no prefix matching of SNOMED ids


def test_own_vocabulary_urn(table: CodeTable) -> None:
    """A Bundle written by calcinosis reads back through its own URNs, uncoded terms included."""
    assert table.lookup(OWN_SYSTEM_PREFIX + "exposures", "endemic_area", ("exposures",)) == (
        "exposures",
        "endemic_area",
    )
    assert table.lookup(OWN_SYSTEM_PREFIX + "exposures", "endemic_area", ("conditions",)) is None
    assert table.lookup(OWN_SYSTEM_PREFIX + "labs", "no_such_test", ("labs",)) is None


def test_codes_of(table: CodeTable) -> None:
    """codes_of gives one system's codes of a term, mass and molar LOINC codes with their units."""
    loinc = {c.code: c.units for c in table.codes_of("labs", "magnesium", "loinc")}
    assert loinc == {"19123-9": ["mg/dL"], "2601-3": ["mmol/L"]}
    assert table.codes_of("labs", "tmp_gfr", "loinc") == []
    assert table.codes_of("labs", "no_such_test", "loinc") == []


def test_every_list_is_covered(table: CodeTable) -> None:
    """Census: 30 labs, 14 antibodies, 56 conditions, 25 exposures, 47 findings, 7 genes (the vocabulary's counts)."""
    assert {k: len(v) for k, v in table.lists().items()} == {
        "labs": 30,
        "antibodies": 14,
        "conditions": 56,
        "exposures": 25,
        "findings": 47,
        "genetics": 7,
    }


def test_missing_or_broken_file_is_a_clear_error(tmp_path: Path) -> None:
    """No file, bad YAML, an unknown key: KnowledgeBaseError naming the file and the place, no traceback."""
    with pytest.raises(KnowledgeBaseError, match=r"codes\.yaml: missing"):
        load_codes(tmp_path)
    (tmp_path / "codes.yaml").write_text("ucum: [unclosed\n", encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match=r"codes\.yaml: cannot be read"):
        load_codes(tmp_path)
    root = tmp_path / "kb"
    shutil.copytree(default_kb_path(), root)
    path = root / "codes.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["conditions"]["gout"]["codes"][0]["matches"] = "prefix"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match=r"conditions\.gout\.codes\.0\.matches: Extra inputs"):
        load_codes(root)


@pytest.mark.parametrize(
    ("code", "ok"),
    [("2160-0", True), ("2160-1", False), ("98979-8", True), ("107563-9", True), ("107563-8", False), ("2160", False)],
)
def test_loinc_check_digit(code: str, ok: bool) -> None:
    """The mod-10 check digit of LOINC catches a mistyped digit."""
    assert loinc_check_digit_ok(code) is ok


@pytest.mark.parametrize(
    ("sctid", "ok"),
    [("709044004", True), ("709044005", False), ("790440040", False), ("105502003", True), ("x", False)],
)
def test_snomed_check_digit(sctid: str, ok: bool) -> None:
    """The Verhoeff check digit of SNOMED CT ids catches a mistyped or swapped digit."""
    assert snomed_check_digit_ok(sctid) is ok


@pytest.mark.parametrize(
    ("system", "code", "ok"),
    [
        ("icd10", "M34", True),
        ("icd10", "M34.1", True),
        ("icd10", "M341", False),
        ("icd10", "M1A", False),
        ("icd10cm", "M1A", True),
        ("icd10cm", "T79.A", True),
        ("icd10cm", "Z79.52", True),
        ("atc", "B01AA", True),
        ("atc", "B01AA03", True),
        ("atc", "B01A03", False),
        ("hpo", "HP:0003761", True),
        ("hpo", "HP:3761", False),
        ("hgnc", "HGNC:57", True),
        ("snomed", "0123456", False),
        ("nosuch", "1", False),
    ],
)
def test_well_formed(system: str, code: str, ok: bool) -> None:
    """Code shapes per system."""
    assert well_formed(system, code) is ok
