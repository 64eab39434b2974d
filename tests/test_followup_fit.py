"""The follow-up plan and the leaflet's signs fit the patient: an infant, a pregnancy, a dialysis,
a cancer, a heterotopic ossification (a clinical review of the follow-up and leaflet texts)."""

from __future__ import annotations

from pathlib import Path

from calcinosis import KnowledgeBase, diagnose, parse_case, read_case
from calcinosis.reports.leaflet import build_leaflet

from .conftest import PUBLISHED_CASES, REPO

FRESH_CASES = REPO / "tests" / "data" / "published-fresh" / "cases"


def case_path(name: str) -> Path:
    """The published case whose file name starts with ``name``."""
    return next(p for folder in (PUBLISHED_CASES, FRESH_CASES) for p in folder.glob(f"{name}-*.yaml"))


def test_a_dialysis_patient_s_calcium_emergency_names_signs_they_can_feel(kb: KnowledgeBase) -> None:
    """fa-11: a haemodialysis patient at 3.39 mmol/L read 'great thirst, passing a lot of urine'
    in the urgent note, which an anuric patient cannot use; the dialysis words (as the raised
    calcium's signs on dialysis say them), in both languages. A patient not on dialysis keeps
    the thirst and the urine; a baby's parents read a baby's signs."""
    dialysis = read_case(case_path("fa-11"), kb)
    for lang, thirst, team in (("en", "thirst", "dialysis team"), ("fr", "soif", "équipe de dialyse")):
        note = build_leaflet(diagnose(dialysis, kb, lang=lang), kb, lang=lang).urgent_note
        assert note and thirst not in note and team in note
        assert "urine" not in note
    base = {"patient": {"age": 60, "sex": "female"}, "findings": ["palpable_nodules"], "sites": ["hand"]}
    kidneys_working = parse_case({**base, "labs": [{"test": "calcium", "value": 3.7, "unit": "mmol/L"}]}, kb)
    assert "great thirst" in build_leaflet(diagnose(kidneys_working, kb), kb, lang="en").urgent_note
    baby = parse_case(
        {**base, "patient": {"age": 0.2, "sex": "male"}, "labs": [{"test": "calcium", "value": 3.7, "unit": "mmol/L"}]},
        kb,
    )
    note = build_leaflet(diagnose(baby, kb, lang="fr"), kb, lang="fr").urgent_note
    assert "soif" not in note and "couches" in note
