"""Round 8 of issue 18: how lab results are written in published case reports (the mechanisms
of the odd half of ``tests/data/lab-sentences2``), each tested on sentences of our own, in both
languages where the way of writing exists."""

from __future__ import annotations

from typing import Any

import pytest

from ._helpers import labs_by_test


@pytest.mark.parametrize(
    ("text", "lang", "test", "interp"),
    [
        ("Patiente de 40 ans hospitalisée pour une hypomagnésémie sévère.", "fr", "magnesium", "low"),
        ("A 40-year-old woman was admitted with severe hypomagnesemia.", "en", "magnesium", "low"),
        ("A 40-year-old woman was admitted with hypermagnesaemia.", "en", "magnesium", "high"),
        ("Patiente de 40 ans : hypercalcémie modérée avec hyperparathormonémie.", "fr", "pth", "high"),
    ],
)
def test_a_word_for_the_level_of_magnesium_or_pth_states_the_result(  # type: ignore[no-untyped-def]
    read, text: str, lang: str, test: str, interp: str
) -> None:
    """Hypomagnesaemia, hyperparathormonaemia: the level word of the test, as hypercalcaemia is calcium's."""
    assert labs_by_test(read(text, lang))[test] == {"test": test, "interpretation": interp}


def test_a_level_word_takes_its_value(read) -> None:  # type: ignore[no-untyped-def]
    x = read("Patient de 60 ans. Le bilan montre une hypomagnésémie à 0,45 mmol/l.", "fr")
    assert labs_by_test(x)["magnesium"] == {"test": "magnesium", "value": 0.45, "unit": "mmol/L"}


@pytest.mark.parametrize(
    ("text", "lang", "test", "value", "unit"),
    [
        ("Urine: Na 27 mmol/l, Ca 7.8 mg/day and P 850.2 mg/day.", "en", "urine_calcium_24h", 7.8, "mg/24h"),
        ("Urine: Na 27 mmol/l, Ca 7.8 mg/day and P 850.2 mg/day.", "en", "urine_phosphate_24h", 850.2, "mg/24h"),
        ("Urines : calcium 5,2 mmol/jour, phosphore 21 mmol/j.", "fr", "urine_calcium_24h", 5.2, "mmol/24h"),
        ("La calciurie est de 2,45 mmol/24 heures.", "fr", "urine_calcium_24h", 2.45, "mmol/24h"),
        ("The urinary calcium was 310 mg/24 hours.", "en", "urine_calcium_24h", 310.0, "mg/24h"),
    ],
)
def test_an_amount_per_day_is_the_24_hour_urine_test(  # type: ignore[no-untyped-def]
    read, text: str, lang: str, test: str, value: float, unit: str
) -> None:
    """A unit per 24 hours (also with the period in words) fits no blood test: after the blood
    test's name it is the 24-hour excretion's value."""
    labs = labs_by_test(read(text, lang))
    assert labs[test] == {"test": test, "value": value, "unit": unit}
    assert "calcium" not in labs and "phosphate" not in labs


@pytest.mark.parametrize(
    ("text", "lang", "test", "entry"),
    [
        (
            "Les données sont en faveur d'une hyperparathyroïdie primaire (PTH 172 ng/L, vitamine D normale).",
            "fr",
            "pth",
            {"test": "pth", "value": 172.0, "unit": "ng/L"},
        ),
        (
            "Les données sont en faveur d'une hyperparathyroïdie primaire (PTH 172 ng/L, vitamine D normale).",
            "fr",
            "vitamin_d_25oh",
            {"test": "vitamin_d_25oh", "interpretation": "normal"},
        ),
        (
            "An evaluation for other causes of hypercalcemia revealed a below normal 1,25-dihydroxyvitamin D level.",
            "en",
            "vitamin_d_1_25",
            {"test": "vitamin_d_1_25", "interpretation": "low"},
        ),
    ],
)
def test_a_hypothesis_about_a_disorder_leaves_the_measured_result(  # type: ignore[no-untyped-def]
    read, text: str, lang: str, test: str, entry: dict[str, Any]
) -> None:
    """A hypothesis cue ("en faveur de", "evaluation for") governs the term it introduces; a test
    written after that term gives what was measured."""
    assert labs_by_test(read(text, lang))[test] == entry


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Rule out elevated PTH.", "en"),
        ("Suspicion d'une PTH élevée.", "fr"),
    ],
)
def test_a_hypothesis_about_the_test_itself_is_still_not_a_result(read, text: str, lang: str) -> None:  # type: ignore[no-untyped-def]
    assert "pth" not in labs_by_test(read(text, lang))


@pytest.mark.parametrize(
    ("text", "test", "interp"),
    [
        ("She had low serum PTH and normal serum 1,25-dihydroxyvitamin D.", "vitamin_d_1_25", "normal"),
        ("He had a normal plasma calcium.", "calcium", "normal"),
    ],
)
def test_a_result_word_before_the_specimen_and_the_test(read, text: str, test: str, interp: str) -> None:  # type: ignore[no-untyped-def]
    """The specimen between the result word and the test's name ("normal serum X"): the result is still read."""
    assert labs_by_test(read(text, "en"))[test] == {"test": test, "interpretation": interp}


@pytest.mark.parametrize(
    ("text", "test", "interp"),
    [
        ("Les examens ont montré des taux sériques normaux de 25(OH)D.", "vitamin_d_25oh", "normal"),
        ("Le bilan retrouve un taux élevé de PTH.", "pth", "high"),
        ("L'analyse d'urine a montré une faible calciurie.", "urine_calcium_24h", "low"),
    ],
)
def test_a_french_result_written_before_the_test(read, text: str, test: str, interp: str) -> None:  # type: ignore[no-untyped-def]
    """French puts the result between the word of measure and the test ("des taux normaux de X",
    "un taux élevé de X"), and "faible" before its noun ("une faible calciurie")."""
    assert labs_by_test(read(text, "fr"))[test] == {"test": test, "interpretation": interp}


def test_a_value_reached(read) -> None:  # type: ignore[no-untyped-def]
    """The verb of a value reached ("la PTH plasmatique atteint 139 ng/l")."""
    x = read("Le taux de PTH plasmatique atteint 139 ng/l (norme : 10-55).", "fr")
    assert labs_by_test(x)["pth"] == {"test": "pth", "value": 139.0, "unit": "ng/L"}


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Laboratory tests: urea 71 mg/dl, creatinine 3.69 mg/dl.", "en"),
        ("Bilan : urée 45 mg/dl, créatinine 12 mg/l.", "fr"),
    ],
)
def test_urea_in_mg_per_dl_is_not_blood_urea_nitrogen(read, text: str, lang: str) -> None:  # type: ignore[no-untyped-def]
    """The case's urea in mg/dL is blood urea nitrogen: the mass of urea (2.14 times more) is left
    out, never taken for the nitrogen."""
    labs = labs_by_test(read(text, lang))
    assert "urea" not in labs
    assert "creatinine" in labs


@pytest.mark.parametrize("name", ["BUN", "Blood urea nitrogen"])
def test_blood_urea_nitrogen_keeps_its_mg_per_dl(read, name: str) -> None:  # type: ignore[no-untyped-def]
    x = read(f"Laboratory tests: {name} 90 mg/dL, creatinine 14 mg/dL.", "en")
    assert labs_by_test(x)["urea"] == {"test": "urea", "value": 90.0, "unit": "mg/dL"}
