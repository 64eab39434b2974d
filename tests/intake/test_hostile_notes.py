"""Hostile and random notes: the intake never crashes and never returns an invalid case.

Whatever the text (French and English clinical words shuffled with numbers, units, punctuation,
control characters, emoji, right-to-left marks), reading it either refuses with IntakeError (empty,
too short, another language) or returns a case the case reader accepts once an age is given,
with every item's span inside the note and equal to its text.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calcinosis.case.reader import parse_case
from calcinosis.intake import IntakeError, extract_case
from calcinosis.kb.model import KnowledgeBase

WORDS = [
    "Patiente",
    "patient",
    "de",
    "45",
    "ans",
    "sclérodermie",
    "systémique",
    "pas",
    "d'ulcération",
    "ni",
    "fièvre",
    "calcémie",
    "2,35",
    "mmol/l",
    "phosphorémie",
    "normale",
    "PTH",
    "<",
    "5",
    "pg/ml",
    "radiographie",
    "scanner",
    "calcifications",
    "en",
    "nappe",
    "linéaires",
    "depuis",
    "6",
    "mois",
    "sa",
    "mère",
    "suspicion",
    "à",
    "éliminer",
    "A",
    "woman",
    "with",
    "no",
    "denies",
    "rule",
    "out",
    "calcinosis",
    "of",
    "the",
    "fingertips",
    "X-ray",
    "showed",
    "punctate",
    "deposits",
    "for",
    "2",
    "years",
    "hemodialysis",
    "warfarin",
    "CK",
    "U/L",
    "1",
    "500",
    "(",
    ")",
    ";",
    ":",
    ",",
    ".",
    "\n",
    "\t",
    "\u200f",
    "\u0000",
    "🙂",
    "∞",
    "NaN",
    "-1e308",
    "mg/dL",
    "µmol/L",
    "x",
    "10^9/L",
    # the pieces round 10 reads (issue 18): temperatures, unknown units, reference ranges,
    # "respectively", duration ranges, countries, model numbers, renal failure, local surgery,
    # containment, a palpation idiom, MRI sequences, ages counted in life
    "température",
    "38,9",
    "°C",
    "°F",
    "UI/ml",
    "él/mm3",
    "(N",
    "<",
    "0.5)",
    "respectively",
    "4–6",
    "week",
    "history",
    "Malawi",
    "DP-30",
    "insuffisance rénale",
    "renal failure",
    "total hip replacement",
    "within",
    "insertion",
    "roulant sous le doigt",
    "T2FS",
    "relative",
    "on radiographs,",
    "semaines de vie",
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(WORDS), min_size=0, max_size=80), st.sampled_from([None, "fr", "en"]))
def test_random_notes_give_a_valid_case_or_a_clear_refusal(
    kb: KnowledgeBase, words: list[str], lang: str | None
) -> None:
    text = " ".join(words)
    try:
        extraction = extract_case(text, kb, lang=lang)
    except IntakeError as exc:
        assert str(exc)  # a message, in both languages
        return
    for item in [*extraction.items, *extraction.dropped]:
        assert 0 <= item.start <= item.end <= len(text) and text[item.start : item.end] == item.text
    data = dict(extraction.case)
    data["patient"] = {"age": 40.0, "sex": "unknown", **data.get("patient", {})}
    parse_case(data, kb, source="random note")


@pytest.mark.parametrize(
    "text",
    [
        "Patiente de 45 ans, calcémie 1e308 mmol/l, phosphorémie -3 mmol/l, PTH NaN pg/ml, sclérodermie.",
        "A 200-year-old man with calcinosis of the fingertips for 3000 years and calcium 99999 mg/dL.",
        "Patient de 45 ans " + "(" * 500 + "calcinose" + ")" * 500,
        "Patiente de 45 ans\u0000 avec une \u202esclérodermie\u202c et des nodules\u200b calciques des doigts.",
    ],
)
def test_absurd_values_are_never_placed_silently(kb: KnowledgeBase, text: str) -> None:
    """Impossible values are set aside (or refused), never put in the case: the case stays valid."""
    try:
        extraction = extract_case(text, kb)
    except IntakeError:
        return
    data = dict(extraction.case)
    data["patient"] = {"age": 40.0, "sex": "unknown", **data.get("patient", {})}
    parse_case(data, kb, source="absurd note")
