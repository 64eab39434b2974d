"""Lab values as published case reports write them (issue 18): one mechanism per test, each on
sentences written for the test in both languages.

The mechanisms were found on the development half of tests/data/lab-sentences (odd-numbered
passages); none of these sentences is taken from it or from any note set. The last tests check
the measure itself (scripts/lab_sentences_eval.py) on a passage folder made for the test.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from calcinosis.evaluation.intake import evaluate_lab_passages, lab_entry_item


def _labs(x: Any) -> list[dict[str, Any]]:
    return list(x.case.get("labs", []))


def _of(x: Any, test: str) -> list[dict[str, Any]]:
    return [e for e in _labs(x) if e["test"] == test]


# ---------------------------------------------------------------- numbers and units
def test_a_raised_decimal_point_is_a_decimal_point(read):
    """British journals print "2·9": the whole number is the value, never "2" with a lent unit."""
    x = read("A 50-year-old woman. Her adjusted calcium was 3·1 mmol/L and her phosphate 0·6 mmol/L.", "en")
    assert _of(x, "calcium") == [{"test": "calcium", "value": 3.1, "unit": "mmol/L"}]
    assert _of(x, "phosphate") == [{"test": "phosphate", "value": 0.6, "unit": "mmol/L"}]


@pytest.mark.parametrize(
    ("text", "lang", "test", "value"),
    [
        # a French note: the dot separates thousands (its decimals, if any, are commas)
        ("Femme de 54 ans, calcinose. PTH 1.200 pg/ml, calcémie 2,45 mmol/l.", "fr", "pth", 1200.0),
        ("Femme de 54 ans, calcinose. CK 1.200 UI/l.", "fr", "ck", 1200.0),
        # an English note: the dot is the decimal point
        ("A 54-year-old woman with calcinosis. PTH 1.200 pg/mL, calcium 2.45 mmol/L.", "en", "pth", 1.2),
        # what the test can measure settles it, whatever the language
        ("Femme de 54 ans, calcinose. Calcémie 2.500 mmol/l.", "fr", "calcium", 2.5),
        ("A 54-year-old woman with calcinosis. Creatinine 1.200 µmol/L.", "en", "creatinine", 1200.0),
        ("A 54-year-old woman with calcinosis. Ionised calcium 1.125 mmol/L.", "en", "ionized_calcium", 1.125),
        # dots that can only separate thousands, and the sentence cut at "1." joined again
        ("Femme de 54 ans, calcinose. CK 1.200,5 UI/l.", "fr", "ck", 1200.5),
        ("A 54-year-old woman with calcinosis. CK 1.200,5 U/L.", "en", "ck", 1200.5),
        ("Femme de 54 ans, calcinose. CK 1.200.000 UI/l, PTH 80 pg/ml.", "fr", "ck", 1200000.0),
    ],
)
def test_a_dot_before_three_digits(read, text, lang, test, value):
    """ "CK 1.200 UI/l" in a French note is 1200, not 1.2 (it was read 1.2 in any note); "CK
    1.200,5 UI/l" was read 1 U/L. The note's decimal mark, its language and what the test can
    measure decide, and the reason says which reading was taken when the other was possible."""
    x = read(text, lang)
    assert [e["value"] for e in _of(x, test)] == [value]


def test_a_dot_before_three_digits_nothing_settles_is_not_placed(read):
    """An English note that writes decimal commas too ("calcium 2,45"): "CK 1.200 U/L" may be
    1200 or 1.2 and both are CK values; the value is set aside with both readings."""
    x = read("A 54-year-old woman with calcinosis. CK 1.200 U/L, calcium 2,45 mmol/L, phosphate 1.15 mmol/L.", "en")
    assert _of(x, "ck") == []
    (dropped,) = [i for i in x.dropped if i.term == "ck"]
    assert "1200" in dropped.reason and "1.2 " in dropped.reason and "not placed" in dropped.reason
    y = read("Femme de 54 ans, calcinose. CK 1.200 UI/l.", "fr")
    (item,) = [i for i in y.items if i.term == "ck"]
    assert "(1.200 UI/l)\u202f; «\u00a01.200\u00a0» lu 1200\u00a0:" in item.reason
    assert item.reason.endswith("\u202f; 1,2 si c'était un point décimal")


def test_a_clearance_in_ml_per_minute_is_no_egfr(read):
    """mL/min is a unit written, not a missing one: the eGFR's only unit is not lent to the number,
    and a creatinine clearance is not the creatinine."""
    x = read("A 70-year-old man. The estimated GFR was 25 mL/min and creatinine clearance 30 mL/min.", "en")
    assert _of(x, "egfr") == [] and _of(x, "creatinine") == []
    y = read("Homme de 70 ans. La clairance de la créatinine était estimée à 40 ml/min, l'urée à 9 mmol/l.", "fr")
    assert _of(y, "creatinine") == []
    assert _of(y, "urea") == [{"test": "urea", "value": 9.0, "unit": "mmol/L"}]
    z = read("A 60-year-old man. His eGFR was 48 mL/min/1.73 m2.", "en")
    assert _of(z, "egfr") == [{"test": "egfr", "value": 48.0, "unit": "mL/min/1.73m2"}]


# ---------------------------------------------------------------- words between name and value
@pytest.mark.parametrize(
    ("text", "lang", "test", "entry"),
    [
        ("A man of 60. His intact PTH was appropriately suppressed (< 5 pg/mL).", "en", "pth", (5.0, "pg/mL", "<")),
        ("A man of 60. The serum calcium was markedly elevated at 13.9 mg/dL.", "en", "calcium", (13.9, "mg/dL", None)),
        (
            "A man of 60. His 25-hydroxyvitamin D was within the normal range (38 ng/mL).",
            "en",
            "vitamin_d_25oh",
            (38.0, "ng/mL", None),
        ),
        (
            "Homme de 60 ans. La phosphorémie était légèrement basse, à 0,71 mmol/l.",
            "fr",
            "phosphate",
            (0.71, "mmol/L", None),
        ),
        ("Homme de 60 ans. La calcémie est élevée, à 2,81 mmol/l.", "fr", "calcium", (2.81, "mmol/L", None)),
        ("A man of 60. Serum PTH was found to be raised (88 pg/mL, range 10-65).", "en", "pth", (88.0, "pg/mL", None)),
    ],
)
def test_the_result_said_in_words_may_stand_between_name_and_value(read, text, lang, test, entry):
    """A result word with its degree ("appropriately suppressed", "légèrement basse"), a result
    phrase ("within the normal range"), a comma after it, or "found to be" do not hide the value."""
    value, unit, qualifier = entry
    expected: dict[str, Any] = {"test": test, "value": value, "unit": unit}
    if qualifier:
        expected["qualifier"] = qualifier
    assert _of(read(text, lang), test) == [expected]


def test_a_urine_test_and_its_specimen(read):
    """The collection a urine test was measured in stands between the test and its result; the
    excretion of calcium or phosphate is the urine test, not the blood one."""
    x = read("A 40-year-old man. Phosphate excretion in a 24-hour urine collection was mildly increased.", "en")
    assert _labs(x) == [{"test": "urine_phosphate_24h", "interpretation": "high"}]
    y = read("Femme de 40 ans. Le calcium dans les urines de 24 heures était à 9,1 mmol/24h.", "fr")
    assert _of(y, "urine_calcium_24h") == [{"test": "urine_calcium_24h", "value": 9.1, "unit": "mmol/24h"}]


def test_an_elided_article_before_the_test_keeps_the_result_said_first(read):
    """ "élévation de l'ECA": the result said before the name reaches it through "l'", and is
    shared along "et de la"."""
    x = read("Femme de 50 ans. Le bilan montre une élévation de l'ECA et de la calcémie.", "fr")
    assert {e["test"]: e.get("interpretation") for e in _labs(x)} == {"ace": "high", "calcium": "high"}


# ---------------------------------------------------------------- words that state a result
def test_a_word_for_a_level_states_the_result_without_a_value(read):
    """ "hypercalcémie", "hypercalciuria", "normocalcémie" name a measured level: alone they state
    the result (the condition they name is still read); a gland or organ word does not."""
    x = read("Femme de 60 ans. Le bilan retrouvait une hypercalcémie et une hypercalciurie.", "fr")
    assert {e["test"]: e.get("interpretation") for e in _labs(x)} == {"calcium": "high", "urine_calcium_24h": "high"}
    y = read("A 30-year-old man with normocalcemia and hypophosphatemia.", "en")
    assert {e["test"]: e.get("interpretation") for e in _labs(y)} == {"calcium": "normal", "phosphate": "low"}
    z = read("Femme de 60 ans suivie pour une hyperparathyroïdie primaire et une insuffisance rénale.", "fr")
    assert _labs(z) == []


def test_a_value_wins_over_the_result_said_of_the_same_test(read):
    """One entry per test, as a case is coded: the value, not also the words said of it."""
    x = read(
        "A 65-year-old woman had hypercalcemia. Her serum calcium was high-normal (10.3 mg/dL) and "
        "her PTH level was elevated at 95 pg/mL.",
        "en",
    )
    assert _of(x, "calcium") == [{"test": "calcium", "value": 10.3, "unit": "mg/dL"}]
    assert _of(x, "pth") == [{"test": "pth", "value": 95.0, "unit": "pg/mL"}]
    assert any(d.field == "labs" and d.term == "calcium" for d in x.dropped)


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        (
            "Homme de 45 ans. La fonction rénale est préservée et la CRP négative.",
            "fr",
            {"creatinine": "normal", "crp": "normal"},
        ),
        ("Femme de 45 ans. Fonction rénale correcte.", "fr", {"creatinine": "normal"}),
        ("A 45-year-old man. Renal function was preserved.", "en", {"creatinine": "normal"}),
    ],
)
def test_preserved_and_negative_are_normal_results(read, text, lang, expected):
    assert {e["test"]: e.get("interpretation") for e in _labs(read(text, lang))} == expected


# ---------------------------------------------------------------- multiples of the normal
@pytest.mark.parametrize(
    ("text", "lang", "test"),
    [
        ("Homme de 30 ans. Les CPK étaient à 12N.", "fr", "ck"),
        ("Homme de 30 ans. Les phosphatases alcalines sont à 3 fois la normale.", "fr", "alkaline_phosphatase"),
        ("A 30-year-old man. Creatine kinase was 8 times the upper limit of normal.", "en", "ck"),
        ("A 30-year-old man. Alkaline phosphatase was 2.5x ULN.", "en", "alkaline_phosphatase"),
    ],
)
def test_a_multiple_of_the_normal_is_a_high_result_not_a_value(read, text, lang, test):
    """ "CPK à 12N" is no CK of 12 U/L (the test's only unit must not be lent): it is high."""
    assert _labs(read(text, lang)) == [{"test": test, "interpretation": "high"}]


def test_a_multiple_in_brackets_after_a_unit_that_does_not_fit(read):
    """A value whose unit is no unit of the test cannot be entered; the multiple of the normal
    written with it in brackets still says the result."""
    x = read("Femme de 70 ans. PTH 540 ng/mL (soit 8×N), calcémie 3,3 mmol/l.", "fr")
    assert _of(x, "pth") == [{"test": "pth", "interpretation": "high"}]
    y = read("Femme de 70 ans. PTH 540 ng/mL, calcémie 3,3 mmol/l.", "fr")
    assert _of(y, "pth") == []


# ---------------------------------------------------------------- lists
@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        (
            "A 50-year-old woman. Serum calcium and phosphorus were 2.7 and 1.9 mmol/L, respectively.",
            "en",
            {"calcium": (2.7, "mmol/L"), "phosphate": (1.9, "mmol/L")},
        ),
        (
            "Femme de 50 ans. La calcémie, la phosphorémie et la PTH étaient respectivement à 2,2 mmol/l, "
            "2,4 mmol/l et 610 pg/ml.",
            "fr",
            {"calcium": (2.2, "mmol/L"), "phosphate": (2.4, "mmol/L"), "pth": (610.0, "pg/mL")},
        ),
        (
            "Femme de 50 ans. Calcémie et créatininémie à 102 et 15 mg/l respectivement.",
            "fr",
            {"calcium": (102.0, "mg/L"), "creatinine": (15.0, "mg/L")},
        ),
    ],
)
def test_respectively_gives_each_test_the_value_of_its_rank(read, text, lang, expected):
    """Names listed, then their values in the same order: the first value is no longer the last
    name's."""
    got = {e["test"]: (e["value"], e["unit"]) for e in _labs(read(text, lang))}
    assert got == expected


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        # the panel's own spelling ("serum calcium and phosphate") names its tests one by one
        ("A 54-year-old woman. Serum calcium and phosphate were 2.9 and 1.1 mmol/L, respectively.", "en"),
        ("A 54-year-old woman. Serum calcium and phosphate levels of 2.9 and 1.1 mmol/L, respectively.", "en"),
        ("A 54-year-old woman. Calcium and phosphate at 2.9 and 1.1 mmol/L respectively.", "en"),
        ("A 54-year-old woman. Calcium and phosphate were 2.9 mmol/L and 1.1 mmol/L, respectively.", "en"),
        # without "respectively": as many values as tests, right after them
        ("A 54-year-old woman. Serum calcium and phosphorus were 2.9 and 1.1 mmol/L.", "en"),
        ("A 54-year-old woman. Calcium and phosphate levels were 2.9 and 1.1 mmol/L", "en"),
        ("Femme de 54 ans. Calcémie et phosphorémie à 2,9 et 1,1 mmol/l.", "fr"),
        ("Femme de 54 ans. La calcémie et la phosphorémie étaient de 2,9 et 1,1 mmol/l.", "fr"),
    ],
)
def test_a_list_of_tests_and_its_values_in_the_same_order(read, text, lang):
    """ "Serum calcium and phosphate were 2.9 and 1.1 mmol/L, respectively" was read as the
    calcium-phosphate panel, which takes no value: both values vanished, with nothing under "Not
    understood". Each test now takes the value of its rank, said in the reason when the note
    does not say "respectively"."""
    x = read(text, lang)
    got = {e["test"]: (e["value"], e["unit"]) for e in _labs(x)}
    assert got == {"calcium": (2.9, "mmol/L"), "phosphate": (1.1, "mmol/L")}
    reasons = [i.reason for i in x.items if i.field == "labs"]
    in_order = "dans l'ordre des examens" if lang == "fr" else "in the order of the tests"
    assert all((in_order in r) == ("respectiv" not in text) for r in reasons)


@pytest.mark.parametrize(
    ("text", "lang", "words"),
    [
        (
            "A 54-year-old woman. Serum calcium and phosphate were 2.9, 1.1 and 3.1 mmol/L, respectively.",
            "en",
            "Serum calcium and phosphate were 2.9, 1.1 and 3.1 mmol/L",
        ),
        (
            "A 54-year-old woman. Calcium, phosphate and PTH were 2.9, 1.1, 1.2 and 4, respectively.",
            "en",
            "Calcium, phosphate and PTH were 2.9, 1.1, 1.2 and 4",
        ),
        (
            "Femme de 54 ans. Calcémie, phosphorémie : 2,9 ; 1,1 ; 3 mmol/l.",
            "fr",
            "Calcémie, phosphorémie : 2,9 ; 1,1 ; 3 mmol/l",
        ),
    ],
)
def test_values_no_reading_can_share_out_are_not_understood(read, text, lang, words):
    """More values than tests: nothing is placed, and the list is under "Not understood" with its
    values (it used to vanish without a word)."""
    x = read(text, lang)
    assert [e for e in _labs(x) if "value" in e] == []
    assert words in [u.text for u in x.not_understood]


def test_a_time_after_a_test_is_no_unread_value(read):
    """ "Contrôle du bilan phosphocalcique à 15 jours" says when, not a result."""
    x = read("Femme de 54 ans, calcinose. Contrôle du bilan phosphocalcique à 15 jours.", "fr")
    assert x.not_understood == []


def test_respectively_without_as_many_values_reads_nothing_wrong(read):
    """A value without a unit before the unit of another dimension is not placed."""
    x = read("A 50-year-old woman. Calcium and PTH were 9.1 mg/dL and 50, respectively.", "en")
    assert _of(x, "calcium") == [{"test": "calcium", "value": 9.1, "unit": "mg/dL"}]
    assert _of(x, "pth") == []


# ---------------------------------------------------------------- spellings
@pytest.mark.parametrize(
    ("text", "lang", "test", "value", "unit"),
    [
        ("A man of 50. The 1,25-dihydroxyvitamin D3 was 70 pg/mL.", "en", "vitamin_d_1_25", 70.0, "pg/mL"),
        ("A man of 50. 25-hydroxyvitamin D3 was 11 ng/mL.", "en", "vitamin_d_25oh", 11.0, "ng/mL"),
        ("Homme de 50 ans. 25OHvitD 14ng/mL, PTH 80 pg/mL.", "fr", "vitamin_d_25oh", 14.0, "ng/mL"),
        ("Homme de 50 ans. Parathormonémie à 312 pg/ml.", "fr", "pth", 312.0, "pg/mL"),
    ],
)
def test_spellings_of_lab_names_from_case_reports(read, text, lang, test, value, unit):
    assert _of(read(text, lang), test) == [{"test": test, "value": value, "unit": unit}]


# ---------------------------------------------------------------- the measure
def _folder(tmp_path: Path, text: str, gold: str) -> Path:
    (tmp_path / "en.yaml").write_text(
        "passages:\n"
        "  - id: en-01\n    source: written for the test\n    lang: en\n"
        f'    text: "{text}"\n'
        f"    labs:\n{gold}",
        encoding="utf-8",
    )
    return tmp_path


def test_the_measure_counts_values_units_and_results(kb, tmp_path):
    """A value counts with its number and unit (spelling aside: umol/l is µmol/L); a value read
    in another unit is a miss and an extra; a result word counts by its interpretation."""
    folder = _folder(
        tmp_path,
        "A 60-year-old man. Creatinine was 2.1 mg/dL and CRP was normal.",
        "      - {test: creatinine, value: 186, unit: umol/l}\n      - {test: crp, interpretation: normal}\n",
    )
    result = evaluate_lab_passages(folder, kb)
    score = result.scores["all"]
    assert (score.tp, score.found, score.gold) == (1, 2, 2)
    assert result.values["en"] == [0, 1]
    assert result.passages[0].missed == ["creatinine:186.0:µmol/l:"]
    assert result.passages[0].extra == ["creatinine:2.1:mg/dl:"]
    assert evaluate_lab_passages(folder, kb, half="held-out").passages == []


def test_unit_spellings_are_one_unit(kb):
    a = lab_entry_item(kb, {"test": "creatinine", "value": 80, "unit": "umol/l"})
    b = lab_entry_item(kb, {"test": "creatinine", "value": 80.0, "unit": "µmol/L"})
    assert a == b


@pytest.mark.parametrize(
    ("text", "lang", "test", "value", "unit"),
    [
        ("Femme de 60 ans. Hypercalcémie sévère à 3,7 mmol/l.", "fr", "calcium", 3.7, "mmol/L"),
        ("Femme de 60 ans. Hyperphosphorémie importante à 2,6 mmol/l.", "fr", "phosphate", 2.6, "mmol/L"),
        ("Femme de 60 ans. Hypocalcémie profonde à 1,61 mmol/l.", "fr", "calcium", 1.61, "mmol/L"),
    ],
)
def test_how_severe_a_disorder_is_said_does_not_hide_its_value(read, text, lang, test, value, unit):
    """ "hypercalcémie sévère à 3,7 mmol/l": the severity stands between the word and its value."""
    assert _of(read(text, lang), test) == [{"test": test, "value": value, "unit": unit}]


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("A 70-year-old woman with vitamin D deficiency.", "en", {"vitamin_d_25oh": "low"}),
        ("Femme de 70 ans. Carence en vitamine D et hypocalcémie.", "fr", {"vitamin_d_25oh": "low", "calcium": "low"}),
        (
            "A 50-year-old man. Complete blood count, renal and liver function tests were normal.",
            "en",
            {"wbc": "normal", "creatinine": "normal"},
        ),
        ("Homme de 50 ans. Le bilan rénal était normal.", "fr", {"creatinine": "normal"}),
        ("Homme de 50 ans. La calcémie était à la limite supérieure de la normale.", "fr", {"calcium": "normal"}),
        ("A 50-year-old man. His PTH was at the upper limit of normal.", "en", {"pth": "normal"}),
    ],
)
def test_results_named_by_a_condition_or_a_panel(read, text, lang, expected):
    """A deficiency names a low level; the renal panel is read through creatinine; the upper limit
    of the normal range is still normal."""
    assert {e["test"]: e.get("interpretation") for e in _labs(read(text, lang))} == expected


def test_a_value_the_case_reader_refuses_is_said_in_the_notes_language(read):
    """A French note's value beyond any measurement was set aside with the case reader's message
    in English inside a French reason ("refusé par le lecteur de cas : ... is beyond any
    measurable value"); the case reader now speaks the reasons' language."""
    x = read("Femme de 54 ans, calcinose. PAL 1.200.000 UI/l.", "fr")
    (dropped,) = [i for i in x.dropped if i.term == "alkaline_phosphatase"]
    assert "refusé par le lecteur de cas" in dropped.reason and "dépasse toute valeur mesurable" in dropped.reason
    assert "beyond" not in dropped.reason


def test_a_flag_the_study_cannot_carry_is_set_aside_not_the_whole_note(read):
    """A radiograph "superposable aux zones d'hyperfixation scintigraphique" was given the tracer
    uptake, which the case reader refuses on a radiograph: the whole note was refused ("the case
    cannot be read as written"), nothing of it read. The flag is set aside with the reader's
    message and the rest of the note is read."""
    x = read(
        "Femme de 44 ans, lupus. Radiographies des membres : calcifications étendues des parties molles, "
        "superposables aux zones d'hyperfixation scintigraphique.",
        "fr",
    )
    assert [s["modality"] for s in x.case["imaging"]] == ["radiograph"] and "uptake" not in x.case["imaging"][0]
    (dropped,) = [i for i in x.dropped if i.term == "uptake"]
    assert "refusé par le lecteur de cas" in dropped.reason and "radiographie" in dropped.reason
