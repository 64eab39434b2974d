"""The reasons a clinician reads on a page: the case-file paths they quote written in words,
without renaming a test or losing the site the case reported (a code review of plain_basis)."""

from __future__ import annotations

import re

import pytest

from calcinosis import KnowledgeBase, diagnose, read_case
from calcinosis.reports.plain_basis import plain_basis

from .conftest import PUBLISHED_CASES

PATHS = re.compile(r"\b[a-z_]+\[\d+\]|patient\.\w+|onset_days_after\.|duration_months")


@pytest.mark.parametrize(
    ("lang", "raw", "expected"),
    [
        # a French label that begins with a test's id is not renamed ('Calcémie totale ionisé')
        (
            "fr",
            "Hypocalcémie présente (labs[2] calcium ionisé 0,66 mmol/L : bas)",
            "(calcium ionisé 0,66 mmol/L : bas)",
        ),
        ("fr", "VS élevée présente (labs[1] vitesse de sédimentation : élevée)", "(vitesse de sédimentation : élevée)"),
        ("en", "Hypercalcaemia present (labs[0] calcium 2.8 mmol/L: high)", "(Calcium (total) 2.8 mmol/L: high)"),
        # a term in brackets inside the quoted term
        (
            "fr",
            "Écoulement crayeux (aspect de dentifrice) présent (findings[2] écoulement crayeux (aspect de dentifrice)) : RV 4,5",
            "présent : RV 4,5",
        ),
        # the region keeps the site the case reported; the site the sentence names is said once
        ("en", "Pelvis involved (sites[0] penis): LR 3", "Pelvis involved (penis): LR 3"),
        ("en", "Thigh involved (sites[0] thigh): LR 3", "Thigh involved: LR 3"),
        ("en", "Female sex (patient.sex female): LR 1.4", "Female sex: LR 1.4"),
        ("en", "Tracer uptake present (imaging[0].uptake true): LR 1.1", "(seen on imaging)"),
        (
            "en",
            "Muscle involved (imaging[0].tissues[0] muscle; imaging[1].tissues[0] muscle): LR 4.7",
            "(imaging: muscle): LR",
        ),
        ("en", "Age under 1 year (patient.age 0.07): LR 31", "(age 26 days)"),
        ("fr", "Âge inférieur à 1 an (patient.age 0,07) : RV 31", "(âge 26 jours)"),
        (
            "en",
            "Onset within 90 days (onset_days_after.trauma_local 21 (threshold 90 days)): LR 2",
            "(21 days after the event (threshold 90 days))",
        ),
        (
            "en",
            "Tissue damage (present: by history[0] limited systemic sclerosis) ×1.7",
            "(present: by limited systemic sclerosis)",
        ),
    ],
)
def test_a_path_is_written_in_words(kb: KnowledgeBase, lang: str, raw: str, expected: str) -> None:
    text = plain_basis(raw, kb, lang)
    assert expected in text, text
    assert not PATHS.search(text), text


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_no_reason_of_a_published_case_keeps_a_path(kb: KnowledgeBase, lang: str) -> None:
    """Every reason and category explanation of the validation set, in both languages."""
    for path in sorted(PUBLISHED_CASES.glob("*.yaml")):
        report = diagnose(read_case(path, kb), kb, lang=lang)
        texts = [report.category_explanation, *(t for d in report.differential for t in (*d.for_, *d.against))]
        for text in texts:
            plain = plain_basis(text, kb, lang)
            assert not PATHS.search(plain), (path.name, plain)
            assert "Calcémie totale ionisé" not in plain and "true)" not in plain, (path.name, plain)
