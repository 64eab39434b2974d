"""Round 8b of issue 18: the ways of writing lab results that round 8 left (the odd half of
``tests/data/lab-sentences2``), each tested on sentences of our own, in both languages where the
way of writing exists."""

from __future__ import annotations

from typing import Any

import pytest

from ._helpers import labs_by_test


@pytest.mark.parametrize(
    ("text", "lang", "test", "value", "unit"),
    [
        ("Table 2. Laboratory data\nCreatinine2.31 mg/dL\nAlbumin3.1 g/dL", "en", "creatinine", 2.31, "mg/dL"),
        ("Table 2. Laboratory data\nCreatinine2.31 mg/dL\nAlbumin3.1 g/dL", "en", "albumin", 3.1, "g/dL"),
        ("Table 1. Admission\nUric acid9.8 mg/dL\nWBC12.4 × 109/L", "en", "uric_acid", 9.8, "mg/dL"),
        ("Table 1. Admission\nUric acid9.8 mg/dL\nWBC12.4 × 109/L", "en", "wbc", 12.4, "10^9/L"),
        ("Tableau 1. Bilan d'entrée\nCalcémie2,91 mmol/l\nPhosphorémie0,62 mmol/l", "fr", "calcium", 2.91, "mmol/L"),
        ("Tableau 1. Bilan d'entrée\nCalcémie2,91 mmol/l\nPhosphorémie0,62 mmol/l", "fr", "phosphate", 0.62, "mmol/L"),
    ],
)
def test_a_name_glued_to_its_value_in_a_flattened_table(  # type: ignore[no-untyped-def]
    read, text: str, lang: str, test: str, value: float, unit: str
) -> None:
    """A table copied as text loses the cell border: "Creatinine2.31" is the name and its value."""
    assert labs_by_test(read(text, lang))[test] == {"test": test, "value": value, "unit": unit}


@pytest.mark.parametrize(
    ("text", "test", "value", "unit"),
    [
        ("Le bilan montre une hypercalcémie à3,1 mmol/l et une PTH à412 ng/l.", "calcium", 3.1, "mmol/L"),
        ("Le bilan montre une hypercalcémie à3,1 mmol/l et une PTH à412 ng/l.", "pth", 412.0, "ng/L"),
    ],
)
def test_a_glued_to_the_number(read, text: str, test: str, value: float, unit: str) -> None:  # type: ignore[no-untyped-def]
    """French "à" typed against the number ("à3,1") still introduces the value."""
    assert labs_by_test(read(text, "fr"))[test] == {"test": test, "value": value, "unit": unit}


@pytest.mark.parametrize(
    ("text", "lang", "test", "value", "unit"),
    [
        ("La phosphorémie plasma-\ntique est mesurée à 0,71 mmol/l.", "fr", "phosphate", 0.71, "mmol/L"),
        ("The serum creatinine concen-\ntration was 1.9 mg/dL.", "en", "creatinine", 1.9, "mg/dL"),
    ],
)
def test_a_word_cut_at_a_line_end_between_name_and_value(  # type: ignore[no-untyped-def]
    read, text: str, lang: str, test: str, value: float, unit: str
) -> None:
    """A journal wraps "plasmatique" as "plasma-/tique": the cut word is the filler it is whole."""
    assert labs_by_test(read(text, lang))[test] == {"test": test, "value": value, "unit": unit}


@pytest.mark.parametrize(
    ("text", "lang", "test", "interp"),
    [
        ("Le bilan retrouve une normo phosphatémie et une hypo phosphaturie.", "fr", "phosphate", "normal"),
        ("Le bilan retrouve une normo phosphatémie et une hypo phosphaturie.", "fr", "urine_phosphate_24h", "low"),
        ("Le bilan retrouve une hyper-calciurie.", "fr", "urine_calcium_24h", "high"),
        ("Workup showed hypo-phosphatemia and normo calcemia.", "en", "phosphate", "low"),
        ("Workup showed hypo-phosphatemia and normo calcemia.", "en", "calcium", "normal"),
    ],
)
def test_a_level_prefix_written_apart(  # type: ignore[no-untyped-def]
    read, text: str, lang: str, test: str, interp: str
) -> None:
    """A prefix written apart ("normo phosphatémie", "hypo-phosphatemia") and the test's word are one word."""
    assert labs_by_test(read(text, lang))[test] == {"test": test, "interpretation": interp}


@pytest.mark.parametrize(
    ("text", "lang", "test", "entry"),
    [
        ("Her alkaline phosphate was 512 U/L.", "en", "alkaline_phosphatase", {"value": 512.0, "unit": "U/L"}),
        ("Serum phosphoros was 6.1 mg/dl.", "en", "phosphate", {"value": 6.1, "unit": "mg/dL"}),
        ("Low parathormone-related peptide levels were found.", "en", "pthrp", {"interpretation": "low"}),
        ("La 1,25(OH)2-vitamine D3 était augmentée.", "fr", "vitamin_d_1_25", {"interpretation": "high"}),
        ("The 1,25(OH)2-vitamin D3 level was 95 pg/ml.", "en", "vitamin_d_1_25", {"value": 95.0, "unit": "pg/mL"}),
    ],
)
def test_names_of_tests_as_reports_write_them(  # type: ignore[no-untyped-def]
    read, text: str, lang: str, test: str, entry: dict[str, Any]
) -> None:
    """Common misspellings (alkaline phosphate, phosphoros) and written forms of PTHrP and
    calcitriol the lexicon did not know; the calcitriol form is not also read as 25-OH vitamin D."""
    labs = labs_by_test(read(text, lang))
    assert labs[test] == {"test": test, **entry}
    if test == "vitamin_d_1_25":
        assert "vitamin_d_25oh" not in labs


@pytest.mark.parametrize(
    ("text", "lang", "test", "interp"),
    [
        ("Her CK and aldolase levels were elevated, as was her erythrocyte sedimentation rate.", "en", "esr", "high"),
        ("Serum phosphate was normal, as were the PTH levels.", "en", "pth", "normal"),
        ("Le bilan montre des taux normaux d'albumine, de même pour les taux de calcium.", "fr", "calcium", "normal"),
        ("La calcémie était élevée, de même que la PTH.", "fr", "pth", "high"),
    ],
)
def test_as_was_shares_the_result_just_said(  # type: ignore[no-untyped-def]
    read, text: str, lang: str, test: str, interp: str
) -> None:
    """A test after "as was" ("..., as was her ESR") or "de même pour" takes the result said before."""
    assert labs_by_test(read(text, lang))[test] == {"test": test, "interpretation": interp}
