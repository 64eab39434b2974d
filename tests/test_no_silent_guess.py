"""No silent guesses (issue: what the clinician and the patient read, item 5): a word that names a
substance but not the exposure is asked about, and a lab value that only fits another unit is
refused with the likely unit."""

from __future__ import annotations

import pytest

from calcinosis import CaseValidationError, KnowledgeBase, parse_case


@pytest.mark.parametrize(
    "word, candidates",
    [
        ("calcium_carbonate", ["milk_alkali_intake", "calcium_supplements_high_dose"]),
        ("antacids", ["milk_alkali_intake"]),
        ("calcium gluconate", ["iv_calcium", "calcium_supplements_high_dose"]),
        ("cola", ["high_phosphate_intake"]),
    ],
)
def test_an_ambiguous_exposure_is_asked_not_assumed(kb: KnowledgeBase, word: str, candidates: list[str]) -> None:
    with pytest.raises(CaseValidationError) as err:
        parse_case({"patient": {"age": 50, "sex": "male"}, "exposures": [word]}, kb)
    (issue,) = err.value.issues
    assert issue.code == "case.ambiguous_term" and issue.location == "exposures[0]"
    assert issue.suggestions == candidates


def test_the_explicit_terms_still_read(kb: KnowledgeBase) -> None:
    case = parse_case(
        {"patient": {"age": 50, "sex": "male"}, "exposures": ["milk_alkali_intake", "iv_calcium_gluconate"]}, kb
    )
    assert case.exposures == ["milk_alkali_intake", "iv_calcium"]


def test_an_ambiguous_word_in_absent_is_asked_too(kb: KnowledgeBase) -> None:
    with pytest.raises(CaseValidationError, match="does not say which"):
        parse_case({"patient": {"age": 50, "sex": "male"}, "absent": ["antacids"]}, kb)
