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


def test_a_child_s_caution_on_a_per_kg_dose_says_where_the_dose_comes_from(kb: KnowledgeBase) -> None:
    """IVIG (2 g/kg), rituximab (375 mg/m²) and thalidomide (1.3 mg/kg/day, a girl of 14) read
    'the doses above are adults'' for a child, which is not what their dose texts say (a clinical
    review): the caution names the population each dose comes from, in both languages."""
    for treatment, source in (
        ("ivig", "Aggarwal 2022"),
        ("rituximab", "Daoussis 2012"),
        ("thalidomide", "Miyamae 2010"),
    ):
        caution = next(c for c in kb.treatments[treatment].cautions if "patient:child" in c.when)
        assert "adults'" not in caution.en and "celles de l'adulte" not in caution.fr
        assert source in caution.en and source in caution.fr
    thalidomide = next(c for c in kb.treatments["thalidomide"].cautions if "patient:child" in c.when)
    assert "girl of 14" in thalidomide.en and "fille de 14 ans" in thalidomide.fr
