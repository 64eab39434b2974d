"""Round 5 of issue 18: mechanisms found on the odd half of ``tests/data/notes-dev2``, each
tested on sentences of our own (no note's text)."""

from __future__ import annotations

import pytest

from calcinosis.intake.measure import find_durations


@pytest.mark.parametrize(
    ("text", "lang", "months"),
    [
        ("Nodule apparu depuis 1 an et demi.", "fr", 18.0),
        ("Tuméfaction évoluant depuis 2 ans et demi.", "fr", 30.0),
        ("Douleur présente depuis 3 mois et demi.", "fr", 3.5),
        ("A swelling that grew over a period of 2 years.", "en", 24.0),
        ("Nodules present for a period of six months.", "en", 6.0),
    ],
)
def test_half_units_and_periods_are_durations(text: str, lang: str, months: float) -> None:
    """ "et demi" adds half a unit; "over a period of" is read as "over"."""
    assert [d.months for d in find_durations(text, lang)] == [months]


def test_a_period_without_a_duration_is_not_one() -> None:
    """ "a period of observation" gives no number, so no duration."""
    assert find_durations("After a period of observation the lesion was excised.", "en") == []


def test_a_preserved_general_condition_denies_weight_loss(read) -> None:  # type: ignore[no-untyped-def]
    """ "état général conservé" is the French way of saying there is no general decline."""
    x = read("Patient de 60 ans, son état général est conservé, consulte pour un nodule du coude.", "fr")
    assert "weight_loss" in x.case.get("absent", [])
    assert "weight_loss" not in x.case.get("findings", [])


def test_a_traumatic_event_is_local_trauma(read) -> None:  # type: ignore[no-untyped-def]
    """ "no history of an inciting traumatic event" denies local trauma."""
    x = read("A 40-year-old man had a nodule of the elbow. There was no history of a traumatic event.", "en")
    assert "trauma_local" in x.case.get("absent", [])
