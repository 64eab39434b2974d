"""A referral often says "on vitamin D" / "sous vitamine D" with no dose: the native vitamin D
supplement (vocabulary exposures: vitamin_d_supplement), a high dose only when the dose is said
(intake.yaml dose_exposures, which replaces the supplement)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from calcinosis.intake import Extraction


@pytest.mark.parametrize(
    ("note", "lang"),
    [
        ("A woman of 80 with hypercalcaemia. She has been taking vitamin D for 3 months.", "en"),
        ("An 80-year-old woman on vitamin D supplementation presented with hypercalcaemia.", "en"),
        ("A man of 75 with calcified nodules. His treatment includes cholecalciferol.", "en"),
        ("Patiente de 80 ans, hypercalcémie. Elle est sous vitamine D depuis 3 mois.", "fr"),
        ("Patiente de 80 ans. Supplémentation en vitamine D depuis 3 mois. Hypercalcémie.", "fr"),
        ("Patient de 75 ans, nodules calcifiés. Traitement : cholécalciférol.", "fr"),
    ],
)
def test_a_note_reads_the_vitamin_d_supplement(read: Callable[..., Extraction], note: str, lang: str) -> None:
    assert read(note, lang=lang).case.get("exposures") == ["vitamin_d_supplement"]


@pytest.mark.parametrize(
    ("note", "lang"),
    [
        ("Calcified nodules. She is not taking vitamin D.", "en"),
        ("Nodules calcifiés. Pas de supplémentation en vitamine D.", "fr"),
    ],
)
def test_a_supplement_denied_is_absent(read: Callable[..., Extraction], note: str, lang: str) -> None:
    x = read(note, lang=lang)
    assert "vitamin_d_supplement" in x.case.get("absent", [])
    assert not x.case.get("exposures")


@pytest.mark.parametrize(
    ("note", "lang"),
    [
        ("Patiente de 80 ans, hypercalcémie. Cholécalciférol 100 000 UI chaque semaine depuis un an.", "fr"),
        ("A woman of 80 with hypercalcaemia. She was taking cholecalciferol 20,000 IU a day.", "en"),
    ],
)
def test_a_high_dose_said_is_the_high_dose_alone(read: Callable[..., Extraction], note: str, lang: str) -> None:
    """A high dose is the supplement at that dose (features.yaml implies): one exposure, the
    supplement read from the drug's name set aside with the reason."""
    x = read(note, lang=lang)
    assert x.case["exposures"] == ["vitamin_d_high_dose"]
    assert [i.term for i in x.dropped if i.field == "exposures"] == ["vitamin_d_supplement"]
