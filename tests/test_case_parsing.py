"""Reading cases: every vocabulary list, aliases, and a clear error for each kind of bad field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from calcinosis import CaseValidationError, KnowledgeBase, parse_case, read_case
from calcinosis.case.model import Case

BASE: dict[str, Any] = {"patient": {"age": 40, "sex": "female"}}


def case(**extra: Any) -> dict[str, Any]:
    return {**BASE, **extra}


LIST_FIELDS = {
    "conditions": lambda t: case(history=[t]),
    "exposures": lambda t: case(exposures=[t]),
    "findings": lambda t: case(findings=[t]),
    "sites": lambda t: case(sites=[t]),
    "tissues": lambda t: case(imaging=[{"modality": "ct", "tissues": [t]}]),
    "patterns": lambda t: case(imaging=[{"modality": "ct", "patterns": [t]}]),
    "distributions": lambda t: case(imaging=[{"modality": "ct", "distribution": t}]),
    "modalities": lambda t: case(imaging=[{"modality": t}]),
    "antibodies": lambda t: case(antibodies=[{"name": t, "result": "positive"}]),
    "genetics": lambda t: case(genetics=[{"gene": t, "result": "pathogenic_variant"}]),
    "labs": lambda t: case(labs=[{"test": t, "interpretation": "high"}]),
    "sexes": lambda t: {"patient": {"age": 40, "sex": t}},
}


@pytest.mark.parametrize("list_name", sorted(LIST_FIELDS))
def test_every_term_of_every_list_is_accepted(kb: KnowledgeBase, list_name: str) -> None:
    """Each canonical term of each vocabulary list parses, and its French label resolves to it."""
    build = LIST_FIELDS[list_name]
    for term in kb.vocabulary.lists[list_name].values():
        parsed = parse_case(build(term.id), kb)
        again = parse_case(build(term.fr), kb)
        assert parsed.model_dump() == again.model_dump(), f"{list_name}: French label {term.fr!r} resolves elsewhere"


def test_absent_takes_findings_conditions_and_exposures(kb: KnowledgeBase) -> None:
    """`absent` accepts terms of the three lists."""
    parsed = parse_case(case(absent=["pain", "trauma_local", "warfarin"]), kb)
    assert parsed.absent == ["pain", "trauma_local", "warfarin"]


def test_aliases_resolve_to_canonical_terms(kb: KnowledgeBase) -> None:
    """Common synonyms and French words become canonical terms."""
    parsed = parse_case(case(history=["CREST", "sclérodermie"], findings=["Raynaud"], sites=["doigts"]), kb)
    assert parsed.history == ["limited_systemic_sclerosis", "systemic_sclerosis"]
    assert parsed.findings == ["raynaud_phenomenon"]
    assert parsed.sites == ["hand"]


@pytest.mark.parametrize(
    ("data", "location", "fragment"),
    [
        (case(history=["dermatomyosits"]), "history[0]", "dermatomyositis"),
        (
            case(imaging=[{"modality": "ct", "patterns": ["linear", "rice-grian"]}]),
            "imaging[0].patterns[1]",
            "rice_grain",
        ),
        (case(imaging=[{"modality": "xray2"}]), "imaging[0].modality", "expected"),
        (
            case(labs=[{"test": "calcum", "value": 2.4, "unit": "mmol/L"}]),
            "labs[0].test",
            "calcium",
        ),
        (
            case(antibodies=[{"name": "anti_scl7", "result": "positive"}]),
            "antibodies[0].name",
            "anti_scl70",
        ),
        (case(antibodies=[{"name": "ana", "result": "maybe"}]), "antibodies[0].result", "positive"),
        (
            case(genetics=[{"gene": "abcc", "result": "pathogenic_variant"}]),
            "genetics[0].gene",
            "abcc6",
        ),
        (case(absent=["payn"]), "absent[0]", "pain"),
        (case(onset_days_after={"warfarine2": 3}), "onset_days_after.warfarine2", "warfarin"),
        (case(finding=["pain"]), "finding", "findings"),
        (case(imaging=[{"modality": "ct", "size": 3}]), "imaging[0].size", "size_cm"),
        ({"patient": {"age": -3, "sex": "female"}}, "patient.age", "greater than or equal"),
        ({"patient": {"sex": "female"}}, "patient.age", "missing"),
        ({"history": ["gout"]}, "patient", "missing"),
        ({"patient": {"age": 40, "sex": "femal"}}, "patient.sex", "female"),
        (case(labs=[{"test": "calcium", "value": 2.4}]), "labs[0]", "unit"),
        (case(labs=[{"test": "calcium"}]), "labs[0]", "interpretation"),
        (
            case(labs=[{"test": "calcium", "interpretation": "raised"}]),
            "labs[0].interpretation",
            "high",
        ),
        (case(duration_months="long"), "duration_months", "number"),
        (
            case(expected={"category": "dystrophik", "diagnosis": "gout"}),
            "expected.category",
            "dystrophic",
        ),
    ],
)
def test_bad_input_names_location_and_close_terms(
    kb: KnowledgeBase, data: dict[str, Any], location: str, fragment: str
) -> None:
    """Each kind of bad field gives an error with its path and what was expected or is close."""
    with pytest.raises(CaseValidationError) as info:
        parse_case(data, kb, source="bad.yaml")
    text = str(info.value)
    assert "bad.yaml" in text
    assert any(issue.location == location for issue in info.value.issues), text
    assert fragment in text


def test_wrong_unit_is_an_input_error(kb: KnowledgeBase) -> None:
    """A unit that does not fit its test is rejected with the units that fit."""
    with pytest.raises(
        CaseValidationError,
        match=r"labs\[0\]\.unit: 'g/L' is not a unit of calcium \(expected one of mmol/L",
    ):
        parse_case(case(labs=[{"test": "calcium", "value": 2.4, "unit": "g/L"}]), kb)


def test_unit_spellings_are_accepted(kb: KnowledgeBase) -> None:
    """umol/L, µmol/L (micro sign) and μmol/L (Greek mu) are the same unit."""
    for unit in ("umol/L", "µmol/L", "μmol/L", "UMOL/L"):
        parse_case(case(labs=[{"test": "creatinine", "value": 80, "unit": unit}]), kb)


def test_yaml_and_json_read_the_same(kb: KnowledgeBase, tmp_path: Path) -> None:
    """A case reads the same from YAML and JSON."""
    data = case(history=["gout"], labs=[{"test": "uric_acid", "value": 9.1, "unit": "mg/dL"}])
    (tmp_path / "c.json").write_text(json.dumps(data))
    import yaml

    (tmp_path / "c.yaml").write_text(yaml.safe_dump(data))
    assert read_case(tmp_path / "c.json", kb) == read_case(tmp_path / "c.yaml", kb)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("patient: [unclosed", "not valid YAML"),
        ("- just\n- a list\n", "must be a mapping"),
        ("", "must be a mapping"),
    ],
)
def test_unreadable_files(kb: KnowledgeBase, tmp_path: Path, content: str, fragment: str) -> None:
    """Broken YAML, a list or an empty file are clear errors naming the file."""
    path = tmp_path / "broken.yaml"
    path.write_text(content)
    with pytest.raises(CaseValidationError, match=fragment) as info:
        read_case(path, kb)
    assert "broken.yaml" in str(info.value)


def test_missing_file(kb: KnowledgeBase, tmp_path: Path) -> None:
    """A missing file is a clear error."""
    with pytest.raises(CaseValidationError, match="no such case file"):
        read_case(tmp_path / "nope.yaml", kb)


@pytest.mark.parametrize(
    ("case_id", "shown"),
    [
        ("a\x1b[2Jb", "U+001B"),
        ("two\nlines", "U+000A"),
        ("nul\x00", "U+0000"),
        ("tab\there", "U+0009"),
        ("left\u202eright", "U+202E (RIGHT-TO-LEFT OVERRIDE)"),
        ("zero\u200bwidth", "U+200B (ZERO WIDTH SPACE)"),
        ("no\u00a0break", "U+00A0 (NO-BREAK SPACE)"),
    ],
)
def test_an_id_with_a_character_that_is_not_printed_is_refused(
    kb: KnowledgeBase, tmp_path: Path, case_id: str, shown: str
) -> None:
    """A hardening audit: an id holding ESC, a newline, NUL or a right-to-left override was read,
    and reached terminals, report pages and file names as it was. It is refused at ``id``,
    naming the character and where it is; the message shows the id escaped, never raw."""
    for lang, words in (("en", "is not printed"), ("fr", "ne s'imprime pas")):
        with pytest.raises(CaseValidationError) as caught:
            parse_case(case(id=case_id), kb, lang=lang)
        (issue,) = caught.value.issues
        assert issue.location == "id" and shown in issue.message and words in issue.message
        assert case_id not in issue.message and repr(case_id)[1:-1] in issue.message
    path = tmp_path / "c.json"
    path.write_text(json.dumps(case(id=case_id)), encoding="utf-8")
    with pytest.raises(CaseValidationError, match="U\\+"):
        read_case(path, kb)


def test_an_id_in_any_script_with_spaces_and_punctuation_is_read_and_a_long_one_refused(kb: KnowledgeBase) -> None:
    """The case format's id is free text: letters of any script, digits, spaces and punctuation
    (a registry export's 'P001/2025-07-12') are kept as written; past 200 characters, the case
    file's limit, the id is refused on every path that builds a case, not only in a file."""
    for case_id in ("P001/2025-07-12", "patiente Éloïse (n° 12)", "病例-7", "x" * 200):
        assert parse_case(case(id=case_id), kb).id == case_id
    with pytest.raises(ValueError, match="200"):
        Case.model_validate(case(id="x" * 201))
