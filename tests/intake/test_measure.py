"""Lab values and units, qualitative labs, ages, sex, durations."""

from __future__ import annotations

import pytest

from calcinosis.intake.measure import parse_number


@pytest.mark.parametrize(
    ("text", "lang", "value"),
    [
        ("2,35", "fr", 2.35),
        ("1 500", "fr", 1500.0),
        ("1,500", "en", 1500.0),
        ("2.35", "en", 2.35),
        ("0,9", "en", 0.9),
        ("0,850", "en", 0.85),  # no thousands group after a 0
        ("1,200,000", "en", 1200000.0),  # raised ValueError
        ("1,200.5", "en", 1200.5),
    ],
)
def test_numbers(text, lang, value):
    """Decimal commas, French and English thousands."""
    assert parse_number(text, lang) == value


@pytest.mark.parametrize(
    ("sentence", "lang", "entry"),
    [
        ("Calcémie 2,35 mmol/l.", "fr", {"test": "calcium", "value": 2.35, "unit": "mmol/L"}),
        ("Créatinine à 88 µmol/L.", "fr", {"test": "creatinine", "value": 88.0, "unit": "µmol/L"}),
        ("Créatininémie 102 umol/l.", "fr", {"test": "creatinine", "value": 102.0, "unit": "µmol/L"}),
        ("Phosphorémie : 1,9 mmol/L.", "fr", {"test": "phosphate", "value": 1.9, "unit": "mmol/L"}),
        ("Albuminémie 38 g/l.", "fr", {"test": "albumin", "value": 38.0, "unit": "g/L"}),
        ("PTH 312 pg/ml.", "fr", {"test": "pth", "value": 312.0, "unit": "pg/mL"}),
        ("PTH < 5 pg/ml.", "fr", {"test": "pth", "value": 5.0, "unit": "pg/mL", "qualifier": "<"}),
        ("PTHrP inférieure à 2 pmol/l.", "fr", {"test": "pthrp", "value": 2.0, "unit": "pmol/L", "qualifier": "<"}),
        ("CPK 1 250 UI/l.", "fr", {"test": "ck", "value": 1250.0, "unit": "U/L"}),
        ("Serum calcium was 10.6 mg/dl.", "en", {"test": "calcium", "value": 10.6, "unit": "mg/dL"}),
        ("Phosphate 6.8 mg/dL.", "en", {"test": "phosphate", "value": 6.8, "unit": "mg/dL"}),
        ("25-OH vitamin D 12 ng/mL.", "en", {"test": "vitamin_d_25oh", "value": 12.0, "unit": "ng/mL"}),
        ("CK 1,250 U/L.", "en", {"test": "ck", "value": 1250.0, "unit": "U/L"}),
        ("CRP 35.", "en", {"test": "crp", "value": 35.0, "unit": "mg/L"}),
    ],
)
def test_lab_values(read, sentence, lang, entry):
    """Lab name, value, unit (French notation too), qualifier."""
    age = "Patiente de 50 ans. " if lang == "fr" else "A 50-year-old woman. "
    x = read(age + sentence, lang)
    assert x.case["labs"] == [entry]
    item = next(i for i in x.items if i.field == "labs")
    assert item.text.lower().startswith(sentence.split()[0].lower())


@pytest.mark.parametrize(
    ("sentence", "lang", "labs"),
    [
        ("Calcémie normale.", "fr", [("calcium", "normal")]),
        (
            "Calcémie, phosphorémie et PTH normales.",
            "fr",
            [("calcium", "normal"), ("phosphate", "normal"), ("pth", "normal")],
        ),
        ("Bilan phosphocalcique normal.", "fr", [("calcium", "normal"), ("phosphate", "normal")]),
        ("PTH élevée.", "fr", [("pth", "high")]),
        ("Normal phosphate.", "en", [("phosphate", "normal")]),
        ("Elevated PTH.", "en", [("pth", "high")]),
    ],
)
def test_qualitative_labs(read, sentence, lang, labs):
    """Interpretation words, shared along a list of tests."""
    age = "Patiente de 50 ans. " if lang == "fr" else "A 50-year-old woman. "
    x = read(age + sentence, lang)
    assert [(lab["test"], lab["interpretation"]) for lab in x.case["labs"]] == labs


def test_mg_per_litre(read, kb):
    """French mg/L: kept when units.yaml takes it, else turned into mg/dL (x0.1), never guessed."""
    from calcinosis.case.labs import resolve_unit

    x = read("Patiente de 50 ans. Calcémie 98 mg/l.", "fr")
    if resolve_unit(kb, "calcium", "mg/L") is not None:
        assert x.case["labs"] == [{"test": "calcium", "value": 98.0, "unit": "mg/L"}]
    else:
        assert x.case["labs"] == [{"test": "calcium", "value": 9.8, "unit": "mg/dL"}]


@pytest.mark.parametrize(
    ("note", "labs"),
    [
        ("Calcium 2,4 mmol/L.", [{"test": "calcium", "value": 2.4, "unit": "mmol/L"}]),
        (
            "Calcium 2,4 mmol/L, phosphate 1,1 mmol/L.",
            [
                {"test": "calcium", "value": 2.4, "unit": "mmol/L"},
                {"test": "phosphate", "value": 1.1, "unit": "mmol/L"},
            ],
        ),
        (
            "Calcium 2,4, phosphate 1,1 mmol/L.",
            [
                {"test": "calcium", "value": 2.4, "unit": "mmol/L"},
                {"test": "phosphate", "value": 1.1, "unit": "mmol/L"},
            ],
        ),
        ("Alkaline phosphatase 1,250 U/L.", [{"test": "alkaline_phosphatase", "value": 1250.0, "unit": "U/L"}]),
    ],
)
def test_an_english_note_reads_a_decimal_comma(read, note, labs):
    """A hostile-input audit: "Calcium 2,4 mmol/L" in an English note was read as 2 mmol/L (the
    4 lost) and "phosphate 1,1" as 1. A comma before anything but three digits cannot separate
    thousands: it is a decimal comma; "1,250" is still 1250 in English."""
    x = read("A 45-year-old woman with calcinosis of the fingers. " + note, "en")
    assert x.case["labs"] == labs
    assert not x.dropped


@pytest.mark.parametrize(
    ("note", "lang", "words"),
    [
        ("A 45-year-old woman. Calcium 2, 2.4 mmol/L.", "en", "2, 2.4 mmol/L"),
        ("A 45-year-old woman. CK 200, 300 U/L.", "en", "200, 300 U/L"),
        ("Patiente de 45 ans. Calcémie 2, 2,4 mmol/l.", "fr", "2, 2,4 mmol/l"),
    ],
)
def test_two_values_of_one_test_are_dropped_with_both(read, note, lang, words):
    """A hostile-input audit: "Calcium 2, 2.4 mmol/L" was read as 2 mmol/L (the unit of the
    second value lent to the first) and 2.4 was lost without a word. Nothing says which is the
    result: neither is placed, and the dropped item holds both, with the reason."""
    x = read(note, lang)
    assert "labs" not in x.case
    (dropped,) = x.dropped
    assert dropped.field == "labs" and dropped.text.endswith(words)
    assert words in dropped.reason and ("not placed" in dropped.reason or "non retenues" in dropped.reason)


def test_value_without_unit_is_reported(read):
    """A value with no unit is not given a guessed one: it is listed as dropped."""
    x = read("Patiente de 50 ans. Calcémie 2,4.", "fr")
    assert "labs" not in x.case
    assert [d.term for d in x.dropped] == ["calcium"]
    assert "sans unité" in x.dropped[0].reason


def test_unit_that_does_not_fit(read):
    """A unit the test does not take is reported, not converted."""
    x = read("Patiente de 50 ans. PTH 5 mmol/l.", "fr")
    assert "labs" not in x.case
    assert "ne convient pas à pth" in x.dropped[0].reason


def test_calcium_phosphate_product_is_not_a_lab(read):
    """'Ca x P' is recognised and reported as computed, never entered."""
    x = read("Patient de 60 ans. Produit phosphocalcique élevé.", "fr")
    assert "labs" not in x.case
    assert x.dropped[0].term == "calcium_phosphate_product"


@pytest.mark.parametrize(
    ("text", "lang", "age", "sex"),
    [
        ("Patiente de 45 ans suivie pour une sclérodermie.", "fr", 45, "female"),
        ("Mme D., âgée de 67 ans, est adressée pour des nodules.", "fr", 67, "female"),
        ("Un jeune homme de 24 ans suivi pour une DMJ diagnostiquée à l'âge de 11 ans.", "fr", 24, "male"),
        ("Nourrisson de 3 mois présentant une tuméfaction de la cuisse.", "fr", 0.25, None),
        ("A 45-year-old woman with scleroderma.", "en", 45, "female"),
        ("A 24-day-old boy with a swelling of the leg.", "en", 0.066, "male"),
        ("The patient, a man aged 70, has nodules.", "en", 70, "male"),
    ],
)
def test_age_and_sex(read, text, lang, age, sex):
    """Age (never an age at an earlier event) and sex from words and agreement."""
    x = read(text, lang)
    assert x.case["patient"]["age"] == pytest.approx(age, abs=0.01)
    assert x.case["patient"]["sex"] == (sex or "unknown")


@pytest.mark.parametrize(
    ("text", "lang", "months"),
    [
        ("Patiente de 45 ans. Nodules des doigts depuis 6 mois.", "fr", 6),
        ("Patient de 45 ans. Calcinose évoluant depuis 2 ans.", "fr", 24),
        ("A 45-year-old man with painful nodules for 2 years.", "en", 24),
        ("A 45-year-old man. Swelling of the thigh for three weeks.", "en", 0.69),
    ],
)
def test_durations(read, text, lang, months):
    """Durations of the lesions, in months."""
    x = read(text, lang)
    assert x.case["duration_months"] == pytest.approx(months, abs=0.01)


def test_no_age_is_reported_missing(kb):
    """Without an age the case says so instead of inventing one."""
    from calcinosis.intake import extract_case

    x = extract_case("Patiente suivie pour une sclérodermie systémique, sans fièvre.", kb)
    assert x.missing == ["patient.age"]
    assert "age" not in x.case["patient"]
