"""`kb check` on codes.yaml: the shipped file is clean, and each check catches one broken copy."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from calcinosis import KnowledgeBase, load_kb
from calcinosis.cli.main import app
from calcinosis.issues import Issue, IssueLevel
from calcinosis.kb.check import CODED_LISTS, check_codes, check_hpo_codes, check_kb
from calcinosis.kb.codes import load_codes
from calcinosis.kb.loader import default_kb_path

Edit = Callable[[dict[str, Any]], None]


def broken_copy(tmp_path: Path, edit: Edit, file: str = "codes.yaml") -> Path:
    """A copy of the shipped knowledge folder with one YAML file edited."""
    root = tmp_path / "kb"
    shutil.copytree(default_kb_path(), root)
    path = root / file
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return root


def codes_found(kb: KnowledgeBase, root: Path, *, hpo: bool = False) -> dict[str, list[Issue]]:
    """Issues of check_codes by issue code."""
    out: dict[str, list[Issue]] = {}
    for issue in check_codes(kb, root, hpo=hpo):
        out.setdefault(issue.code, []).append(issue)
    return out


def code_at(data: dict[str, Any], list_name: str, term: str, system: str, code: str) -> dict[str, Any]:
    """The mapping of one code inside the parsed codes.yaml."""
    found = [c for c in data[list_name][term]["codes"] if c["system"] == system and c["code"] == code]
    assert len(found) == 1, (list_name, term, system, code)
    result: dict[str, Any] = found[0]
    return result


def test_shipped_codes_pass_every_check(kb: KnowledgeBase) -> None:
    """The bundled codes.yaml: no error and no warning, HPO ids checked against the ontology too."""
    assert kb.root is not None
    issues = check_codes(kb, kb.root, hpo=True)
    assert [i.render() for i in issues] == []


def test_kb_check_includes_codes(kb: KnowledgeBase, shared: Path) -> None:
    """check_kb runs the codes checks on the folder the knowledge base came from (kb.root)."""
    codes = [i.code for i in check_kb(kb, seed_facts=shared / "seed-facts.yaml", hpo=True)]
    assert not [c for c in codes if c.startswith("kb.codes")]


def test_shipped_hpo_ids_are_current() -> None:
    """Every HPO id exists in HPO 2025-01-16 and carries its exact name (a real lookup, not a stub)."""
    table = load_codes(default_kb_path())
    hpo = [c for entries in table.lists().values() for e in entries.values() for c in e.codes if c.system == "hpo"]
    assert len(hpo) >= 50
    assert check_hpo_codes(table) == []


def test_every_term_has_codes_or_a_reason(kb: KnowledgeBase) -> None:
    """Coverage: every term of the coded lists has at least one code or an uncoded reason."""
    table = load_codes(default_kb_path())
    for list_name in CODED_LISTS:
        for term in kb.vocabulary.lists[list_name]:
            entry = table.lists()[list_name][term]
            assert entry.codes or entry.uncoded, (list_name, term)


def test_missing_term(kb: KnowledgeBase, tmp_path: Path) -> None:
    """A vocabulary term without an entry is an error naming the list and the term."""
    root = broken_copy(tmp_path, lambda d: d["conditions"].pop("gout"))
    found = codes_found(kb, root)
    assert [i.location for i in found["kb.codes_missing"]] == ["codes.yaml:conditions.gout"]


def test_entry_without_code_or_reason(kb: KnowledgeBase, tmp_path: Path) -> None:
    """An entry with no code must say why."""

    def edit(d: dict[str, Any]) -> None:
        d["findings"]["pruritus"]["codes"] = []
        d["findings"]["pruritus"].pop("uncoded", None)

    found = codes_found(kb, broken_copy(tmp_path, edit))
    assert [i.location for i in found["kb.codes_empty"]] == ["codes.yaml:findings.pruritus"]


def test_unknown_term_suggests_the_closest(kb: KnowledgeBase, tmp_path: Path) -> None:
    """A term the vocabulary lacks (a typo) is an error that proposes the known term."""

    def edit(d: dict[str, Any]) -> None:
        d["conditions"]["goutt"] = d["conditions"]["gout"]

    found = codes_found(kb, broken_copy(tmp_path, edit))
    [issue] = found["kb.codes_unknown_term"]
    assert issue.location == "codes.yaml:conditions.goutt" and "gout" in issue.suggestions


def test_loinc_unit_not_accepted_by_units_yaml(kb: KnowledgeBase, tmp_path: Path) -> None:
    """A LOINC code listing a unit units.yaml refuses for that test is an error."""
    root = broken_copy(tmp_path, lambda d: code_at(d, "labs", "calcium", "loinc", "17861-6").update(units=["U/L"]))
    [issue] = codes_found(kb, root)["kb.codes_unit"]
    assert "U/L" in issue.message and "17861-6" in issue.message and "mg/dL" in issue.expected


def test_lab_loinc_without_units(kb: KnowledgeBase, tmp_path: Path) -> None:
    """A lab's LOINC code must say which units it takes (mass and molar codes differ)."""
    root = broken_copy(tmp_path, lambda d: code_at(d, "labs", "urea", "loinc", "3094-0").pop("units"))
    assert "kb.codes_units_missing" in codes_found(kb, root)


def test_unit_without_ucum_code(kb: KnowledgeBase, tmp_path: Path) -> None:
    """Every unit units.yaml accepts needs its UCUM code."""
    root = broken_copy(tmp_path, lambda d: d["ucum"].pop("mm/h"))
    [issue] = codes_found(kb, root)["kb.codes_ucum_missing"]
    assert "mm/h" in issue.message and "esr" in issue.message


def test_unit_added_to_units_yaml_needs_ucum(tmp_path: Path) -> None:
    """The same through check_kb on a whole broken copy: a new unit in units.yaml without UCUM code."""
    root = broken_copy(tmp_path, lambda d: d["tests"]["esr"]["units"].update({"mm/2h": 1}), file="units.yaml")
    kb = load_kb(root, cache=False)
    assert kb.root == root
    found = {i.code: i for i in check_kb(kb)}
    assert "kb.codes_ucum_missing" in found and "mm/2h" in found["kb.codes_ucum_missing"].message
    assert "kb.codes_unit_uncovered" in found  # and no LOINC code of esr takes it


def test_loinc_check_digit(kb: KnowledgeBase, tmp_path: Path) -> None:
    """A mistyped LOINC number (2160-1 for 2160-0) fails its check digit."""
    root = broken_copy(tmp_path, lambda d: code_at(d, "labs", "creatinine", "loinc", "2160-0").update(code="2160-1"))
    [issue] = codes_found(kb, root)["kb.codes_loinc_check_digit"]
    assert issue.location == "codes.yaml:labs.creatinine.codes[0]"


def test_icd10_malformed(kb: KnowledgeBase, tmp_path: Path) -> None:
    """An ICD-10 code without its dot, or a CM-only shape under WHO ICD-10, is not well formed."""

    def edit(d: dict[str, Any]) -> None:
        code_at(d, "conditions", "dialysis", "icd10", "Z99.2").update(code="Z992")
        code_at(d, "conditions", "gout", "icd10cm", "M1A").update(system="icd10")

    found = codes_found(kb, broken_copy(tmp_path, edit))
    assert sorted(i.location.split(":")[1].split(".")[1] for i in found["kb.codes_malformed"]) == ["dialysis", "gout"]


def test_snomed_check_digit(kb: KnowledgeBase, tmp_path: Path) -> None:
    """A mistyped SNOMED CT id fails its Verhoeff check digit."""
    root = broken_copy(
        tmp_path,
        lambda d: code_at(d, "conditions", "chronic_kidney_disease", "snomed", "709044004").update(code="709044005"),
    )
    assert "kb.codes_snomed_check_digit" in codes_found(kb, root)


def test_prefix_only_for_hierarchical_systems(kb: KnowledgeBase, tmp_path: Path) -> None:
    """match: prefix on a SNOMED CT id is refused."""
    root = broken_copy(
        tmp_path, lambda d: code_at(d, "conditions", "sarcoidosis", "snomed", "31541009").update(match="prefix")
    )
    [issue] = codes_found(kb, root)["kb.codes_prefix_system"]
    assert "sarcoidosis" in issue.location


def test_same_code_read_as_two_terms(kb: KnowledgeBase, tmp_path: Path) -> None:
    """A code read on import by two terms is ambiguous, unless one is marked on_import: false."""

    def edit(d: dict[str, Any]) -> None:
        code_at(d, "conditions", "mixed_connective_tissue_disease", "icd10", "M35.1").pop("on_import")

    [issue] = codes_found(kb, broken_copy(tmp_path, edit))["kb.codes_ambiguous"]
    assert "overlap_syndrome" in issue.message and "mixed_connective_tissue_disease" in issue.message


def test_unreadable_codes_file(kb: KnowledgeBase, tmp_path: Path) -> None:
    """A codes.yaml that fails its schema is one located error, not a traceback."""
    root = broken_copy(tmp_path, lambda d: code_at(d, "labs", "ck", "loinc", "2157-6").update(system="loinc2"))
    [issue] = check_codes(kb, root)
    assert issue.code == "kb.codes_unreadable" and "labs.ck.codes.0.system" in issue.message


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"code": "HP:9999999"}, "kb.codes_hpo_unknown"),
        ({"code": "HP:0003464", "display": "obsolete Abnormal cholesterol homeostasis"}, "kb.codes_hpo_obsolete"),
        ({"display": "Raynaud's phenomenon"}, "kb.codes_hpo_display"),
    ],
)
def test_hpo_checks(kb: KnowledgeBase, tmp_path: Path, change: dict[str, str], expected: str) -> None:
    """HPO: an unknown id, an obsolete id (with its replacement proposed), a display that is not the HPO name."""
    root = broken_copy(
        tmp_path, lambda d: code_at(d, "findings", "raynaud_phenomenon", "hpo", "HP:0030880").update(change)
    )
    found = codes_found(kb, root, hpo=True)
    assert list(found) == [expected]
    assert found[expected][0].location == "codes.yaml:findings.raynaud_phenomenon.codes[0]"
    if expected == "kb.codes_hpo_obsolete":
        assert found[expected][0].suggestions == ["HP:0003107"]
    if expected == "kb.codes_hpo_display":
        assert found[expected][0].expected == "Raynaud phenomenon"
    assert codes_found(kb, root, hpo=False) == {}  # opt-in: not checked without hpo


def test_cli_kb_check_reports_codes_errors(tmp_path: Path) -> None:
    """`calcinosis kb check --kb COPY` exits 1 and names the broken code; --hpo checks HPO ids."""
    root = broken_copy(tmp_path, lambda d: code_at(d, "labs", "creatinine", "loinc", "2160-0").update(code="2160-1"))
    result = CliRunner().invoke(app, ["kb", "check", "--kb", str(root)])
    assert result.exit_code == 1
    assert "2160-1" in result.stdout and "labs.creatinine" in result.stdout
    shutil.rmtree(root)
    root = broken_copy(
        tmp_path, lambda d: code_at(d, "findings", "fever", "hpo", "HP:0001945").update(display="Pyrexia")
    )
    assert CliRunner().invoke(app, ["kb", "check", "--kb", str(root)]).exit_code == 0
    result = CliRunner().invoke(app, ["kb", "check", "--kb", str(root), "--hpo"])
    assert result.exit_code == 1 and "HP:0001945" in result.stdout


def test_issues_are_errors_except_uncovered_units(kb: KnowledgeBase, tmp_path: Path) -> None:
    """Broken codes fail kb check (errors); a unit without an exported code is only a warning."""
    root = broken_copy(tmp_path, lambda d: d["labs"]["vitamin_d_25oh"].update(checked="reference/codes.md"))
    found = codes_found(kb, root)
    assert list(found) == ["kb.codes_unit_uncovered"]
    assert found["kb.codes_unit_uncovered"][0].level is IssueLevel.WARNING
