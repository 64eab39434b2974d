"""Work-up and questions read the whole case (issue: what the clinician and the patient read,
item 3): known context answers what it implies, nothing is ordered twice or again, the panel is
proportionate, and questions say what a yes or a no would change."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from calcinosis import KnowledgeBase, diagnose, load_kb, parse_case, read_case
from calcinosis.cli.main import app
from calcinosis.errors import KnowledgeBaseError

from .conftest import DEV_CASES, edited_disease

METABOLIC_STEPS = {"calcium", "phosphate", "pth", "vitamin_d", "renal_function"}


def run(kb: KnowledgeBase, lang: str = "en", **extra: Any):  # type: ignore[no-untyped-def]
    data = {"patient": {"age": 60, "sex": "female"}, **extra}
    return diagnose(parse_case(data, kb), kb, lang=lang)


def test_dialysis_answers_kidney_function(kb: KnowledgeBase) -> None:
    report = run(kb, history=["dialysis"], findings=["skin_necrosis", "pain"])
    assert "renal_function" not in {w.id for w in report.workup_steps}
    asked = {q.feature for q in report.next_questions}
    assert not asked & {"lab:egfr_below_60", "lab:egfr_below_15", "condition:chronic_kidney_disease"}


def test_tests_in_the_case_are_not_ordered_again(kb: KnowledgeBase) -> None:
    report = run(
        kb,
        history=["systemic_sclerosis"],
        findings=["palpable_nodules"],
        labs=[
            {"test": "calcium", "value": 2.3, "unit": "mmol/L"},
            {"test": "pth", "value": 40, "unit": "pg/mL"},
            {"test": "albumin", "value": 40, "unit": "g/L"},
        ],
        antibodies=[{"name": "ana", "result": "positive"}],
        imaging=[{"modality": "radiograph", "sites": ["fingertips"]}],
    )
    ids = {w.id for w in report.workup_steps}
    assert not ids & {"radiograph", "calcium", "pth", "albumin", "connective_tissue_antibodies"}


def test_nothing_is_listed_twice(kb: KnowledgeBase) -> None:
    for path in DEV_CASES:
        steps = diagnose(read_case(path, kb), kb).workup_steps
        assert len({w.id for w in steps}) == len(steps), path.name
        assert len({w.text for w in steps}) == len(steps), path.name


def test_typical_calcific_tendinitis_needs_no_calcium_panel(kb: KnowledgeBase) -> None:
    path = next(p for p in DEV_CASES if "calcific-tendinitis" in p.name)
    report = diagnose(read_case(path, kb), kb)
    assert report.differential[0].diagnosis == "calcific_tendinitis"
    assert not {w.id for w in report.workup_steps} & METABOLIC_STEPS
    assert report.workup_omitted and "Calcium-phosphate panel not proposed" in report.workup_omitted[0]


def test_the_panel_is_asked_with_its_reason_when_a_metabolic_cause_is_in_play(kb: KnowledgeBase) -> None:
    report = run(kb, findings=["periarticular_mass", "growing_mass"], sites=["hip"])
    steps = {w.id: w for w in report.workup_steps}
    assert {"calcium", "phosphate"} <= steps.keys()
    assert "separates dystrophic from metabolic causes" in steps["phosphate"].reason
    assert report.workup_omitted == []


def test_questions_clear_the_floor_and_say_what_each_answer_changes(kb: KnowledgeBase) -> None:
    floor = kb.constants.next_question_min_gain_bits.value
    for path in DEV_CASES:
        report = diagnose(read_case(path, kb), kb, lang="fr")
        for q in report.next_questions:
            assert q.expected_information_bits >= floor
            assert q.if_yes and q.if_no
            assert "favours" not in q.if_yes + q.if_no  # French words on the French path


def test_a_settled_case_may_get_fewer_than_three_questions(kb: KnowledgeBase) -> None:
    counts = [len(diagnose(read_case(p, kb), kb).next_questions) for p in DEV_CASES]
    assert min(counts) < 3 and max(counts) <= 5


def test_the_terminal_shows_answers_not_bits() -> None:
    path = next(p for p in DEV_CASES if "dracunculiasis" in p.name)  # a case with open questions
    result = CliRunner().invoke(app, ["diagnose", str(path), "--full"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert " bits)" not in result.stdout and "yes:" in result.stdout and "no:" in result.stdout


def test_reported_radiographs_are_not_ordered_again_by_a_diagnosis_step(kb: KnowledgeBase) -> None:
    path = next(p for p in DEV_CASES if "crest" in p.name)  # hand radiographs are in the case
    ids = {w.id for w in diagnose(read_case(path, kb), kb).workup_steps}
    assert "ssc_hand_radiographs" not in ids and "radiograph" not in ids
    bare = run(kb, history=["systemic_sclerosis"], findings=["palpable_nodules"], sites=["fingertips"])
    assert "ssc_hand_radiographs" in {w.id for w in bare.workup_steps}


def test_english_questions_read_naturally(kb: KnowledgeBase) -> None:
    assert kb.features["finding:palpable_nodules"].question("en") == "Are there palpable nodules?"
    assert kb.features["finding:pain"].question("en") == "Is there pain?"
    assert kb.features["antibody:anti_jo1"].question("en") == "Is anti-Jo-1 positive?"


def test_a_measured_lab_answers_a_step_that_asks_its_other_side(kb: KnowledgeBase) -> None:
    """A low PTH says the PTH is not raised: a step asking 'calcium, phosphate, Ca x P and PTH'
    is not proposed again to a case that gives all four, one of them low (the evidence sets
    only PTH low, one measurement counted once)."""
    labs = [
        {"test": "creatinine", "value": 7.5, "unit": "mg/dL"},
        {"test": "calcium", "value": 11.3, "unit": "mg/dL"},
        {"test": "albumin", "value": 4, "unit": "g/dL"},
        {"test": "phosphate", "value": 6.8, "unit": "mg/dL"},
    ]
    mass = {
        "findings": ["periarticular_mass", "growing_mass"],
        "imaging": [{"modality": "radiograph", "sites": ["hip"]}],
    }
    without_pth = run(kb, labs=labs, **mass)
    assert without_pth.differential[0].diagnosis == "tumoral_calcinosis_secondary"
    assert "utc_mineral_panel" in {w.id for w in without_pth.workup_steps}  # the step is in play
    low_pth = run(kb, labs=[*labs, {"test": "pth", "value": 4, "unit": "pg/mL"}], **mass)
    assert low_pth.differential[0].diagnosis == "tumoral_calcinosis_secondary"
    assert "utc_mineral_panel" not in {w.id for w in low_pth.workup_steps}


def test_a_step_for_normal_kidney_function_is_not_proposed_in_kidney_failure(kb: KnowledgeBase) -> None:
    """'With normal or mildly reduced kidney function, look for the other causes' holds only
    where kidney failure is not reported (features_present_none)."""
    mass = {
        "findings": ["periarticular_mass", "growing_mass"],
        "imaging": [{"modality": "radiograph", "sites": ["hip"]}],
    }
    high = [{"test": "calcium", "value": 11.3, "unit": "mg/dL"}, {"test": "phosphate", "value": 6.8, "unit": "mg/dL"}]
    failure = run(kb, labs=[*high, {"test": "egfr", "value": 9, "unit": "mL/min/1.73m2"}], **mass)
    dialysis = run(kb, history=["dialysis"], labs=high, **mass)
    for report in (failure, dialysis):
        assert report.differential[0].diagnosis == "tumoral_calcinosis_secondary"
        assert "stc_non_renal_cause" not in {w.id for w in report.workup_steps}
    kidneys_unknown = run(kb, labs=high, **mass)
    assert kidneys_unknown.differential[0].diagnosis == "tumoral_calcinosis_secondary"
    assert "stc_non_renal_cause" in {w.id for w in kidneys_unknown.workup_steps}


def test_a_misspelt_step_condition_is_refused_with_the_closest_name(tmp_path: Path) -> None:
    """A condition the engine does not read was silently ignored, so the step held everywhere."""

    def edit(data: dict[str, Any]) -> None:
        step = next(s for s in data["workup"] if s["id"] == "stc_non_renal_cause")
        step["when"] = {"features_present_nne": ["lab:egfr_below_15"]}

    with pytest.raises(KnowledgeBaseError) as err:
        load_kb(edited_disease(tmp_path, "tumoral_calcinosis_secondary", edit), cache=False)
    text = str(err.value)
    assert "tumoral_calcinosis_secondary" in text and "features_present_nne" in text
    assert "did you mean 'features_present_none'" in text


def test_a_step_condition_naming_an_unknown_feature_is_refused(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        step = next(s for s in data["workup"] if s["id"] == "stc_non_renal_cause")
        step["when"] = {"features_present_none": ["lab:egfr_below_51"]}

    with pytest.raises(KnowledgeBaseError) as err:
        load_kb(edited_disease(tmp_path, "tumoral_calcinosis_secondary", edit), cache=False)
    assert "stc_non_renal_cause.when" in str(err.value) and "lab:egfr_below_15" in str(err.value)
