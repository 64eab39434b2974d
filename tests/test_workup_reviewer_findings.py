"""A clinical reviewer's findings on the work-up, the must-not-miss alerts and the next
questions: what the case already says (a pregnancy, an age, a known cancer, an imaged tissue)
shapes what is asked and proposed. Each rule is tested on the case that showed it and on
another case or a constructed variant."""

from __future__ import annotations

from typing import Any

from calcinosis import KnowledgeBase, diagnose, parse_case, read_case
from calcinosis.case.model import Case
from calcinosis.management.manage import manage

from .conftest import PUBLISHED_CASES, REPO

FRESH = REPO / "tests" / "data" / "published-fresh" / "cases"
PREGNANT_BACK = FRESH / "fa-02-pregnant-back-pain-paravertebral-rim-calcification.yaml"


def _asked(case: Case, kb: KnowledgeBase, lang: str = "en") -> set[str]:
    return {q.feature for q in diagnose(case, kb, lang=lang).next_questions}


def _without_history(case: Case, term: str) -> Case:
    return case.model_copy(update={"history": [h for h in case.history if h != term]})


def _followup(case: Case, kb: KnowledgeBase) -> set[str]:
    return {i.id for i in manage(case, kb).followup.schedule}


def test_a_pregnancy_is_not_asked_for_a_tracer_or_radiographic_answer(kb: KnowledgeBase) -> None:
    """A pregnant woman whose work-up said ultrasound and MRI, no bone scan (ACOG 723), was asked
    « Existe-t-il une fixation du traceur par les dépôts (scintigraphie, TEP) ? » and about a
    trabecular pattern a radiograph or CT shows; the same case without the pregnancy is."""
    pregnant = read_case(PREGNANT_BACK, kb)
    tracer_or_film = {"imaging:uptake", "pattern:trabecular"}
    assert not _asked(pregnant, kb, "fr") & tracer_or_film
    assert _asked(_without_history(pregnant, "pregnancy"), kb) & tracer_or_film
    # another case: a pregnant woman with hand nodules is not asked for a tracer study either
    hands: dict[str, Any] = {
        "patient": {"age": 31, "sex": "female"},
        "findings": ["palpable_nodules", "pain"],
        "sites": ["hand"],
        "history": ["pregnancy"],
    }
    assert not _asked(parse_case(hands, kb), kb) & tracer_or_film


def test_a_pregnancy_defers_the_imaging_of_follow_up_to_after_the_delivery(kb: KnowledgeBase) -> None:
    """The same woman's plan read 'yearly: Imaging of the affected areas ... (plain radiographs
    first)' with no word of the pregnancy: in pregnancy the follow-up imaging is ultrasound, and
    radiographs wait for the delivery unless a question cannot wait (ACOG 723)."""
    pregnant = read_case(PREGNANT_BACK, kb)
    ids = _followup(pregnant, kb)
    assert "imaging_pregnancy" in ids and "imaging" not in ids
    item = next(i for i in manage(pregnant, kb, lang="fr").followup.schedule if i.id == "imaging_pregnancy")
    assert "après l'accouchement" in item.text and "acog723" in item.references
    assert "imaging" in _followup(_without_history(pregnant, "pregnancy"), kb)
    # another case: a calciphylaxis' weekly review stands for every imaging item, pregnant or not
    skin: dict[str, Any] = {
        "patient": {"age": 34, "sex": "female"},
        "history": ["dialysis", "pregnancy"],
        "findings": ["retiform_purpura", "skin_necrosis", "pain"],
        "sites": ["thigh"],
    }
    assert not {"imaging", "imaging_pregnancy"} & _followup(parse_case(skin, kb), kb)
