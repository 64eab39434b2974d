"""The leaflets of the development cases as a patient-information nurse reads them, rendered:
agreement, words a patient cannot read, advice that contradicts the clinician's plan."""

from __future__ import annotations

import html
import re

import pytest

from calcinosis import KnowledgeBase, parse_case, read_case
from calcinosis.case.model import Case
from calcinosis.i18n import message
from calcinosis.reports.render import render_html

from .conftest import DEV_CASES


def _leaflet_text(kb: KnowledgeBase, name: str, lang: str) -> str:
    """The rendered patient leaflet of a development case, without its markup, its spaces joined
    (the no-break ones kept: the French text is read with them)."""
    path = next(p for p in DEV_CASES if name in p.name)
    return _text_of(read_case(path, kb), kb, lang)


def _text_of(case: Case, kb: KnowledgeBase, lang: str) -> str:
    """The rendered patient leaflet of ``case``, read as :func:`_leaflet_text` reads it."""
    page = render_html(case, kb, lang=lang, audience="patient")
    return re.sub(r"[ \t\r\n]+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page.split("<body>", 1)[1]))).strip()


# a young woman with hypercalcaemia and a known chronic kidney disease, nodules at the elbow:
# the parathyroid and the kidneys are both in play
PARATHYROID_OR_KIDNEYS = {
    "patient": {"age": 27, "sex": "female"},
    "history": ["hypercalcemia_known", "chronic_kidney_disease"],
    "findings": ["palpable_nodules"],
    "sites": ["elbow"],
    "labs": [{"test": "calcium", "interpretation": "high"}],
}


@pytest.mark.parametrize(
    "name",
    [
        "dev-013-",  # « dépôts de calcium de l'insuffisance rénale chronique »
        "dev-015-",  # « surdosage en vitamine D »
        "dev-018-",  # « calcinose tumorale secondaire »
    ],
)
def test_the_french_heading_agrees_whatever_the_gender_of_the_cause(kb: KnowledgeBase, name: str) -> None:
    """« Votre médecin vous dira si elle est confirmée » followed « dépôts de calcium ... » and
    « surdosage en vitamine D »: the sentence now speaks of the cause, which agrees with any name."""
    text = _leaflet_text(kb, name, "fr")
    assert "Votre médecin vous dira si cette cause est confirmée." in text
    assert "si elle est confirmée" not in text


def test_the_causes_in_play_read_as_french_after_penser_a(kb: KnowledgeBase) -> None:
    """« Ici, vos médecins pensent surtout à : une maladie des reins » (a colon after « à »), and
    'are mainly looking at: kidney disease'. Without the colon, each French cause opens on « un »
    or « une », which reads after « à »."""
    case = parse_case(PARATHYROID_OR_KIDNEYS, kb)
    fr = _text_of(case, kb, "fr")
    assert "Ici, vos médecins pensent surtout à une glande parathyroïde trop active ou une maladie des reins" in fr
    assert "surtout à\u00a0:" not in fr and "surtout à :" not in fr
    assert "Here your doctors are mainly thinking of an overactive parathyroid gland" in _text_of(case, kb, "en")
    for key, words in kb.leaflet.in_play.items():
        assert words.cause.fr.startswith(("un ", "une ")), key


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_an_adult_whose_vitamin_d_is_the_cause_is_told_to_take_none(kb: KnowledgeBase, lang: str) -> None:
    """A woman of 67 with a vitamin D intoxication read 'do not take high doses of vitamin D
    without medical advice' (as if her usual dose were fine) while her plan said 'no vitamin D
    supplement meanwhile'. A raised calcium alone (a parathyroid patient, whose low vitamin D may
    be corrected) does not say it."""
    said = message("leaflet_no_vitamin_d", lang)
    assert said in _leaflet_text(kb, "dev-015-", lang)
    assert said not in _leaflet_text(kb, "dev-016-", lang)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_calcinosis_cutis_leaflet_says_bumps_not_papules(kb: KnowledgeBase, lang: str) -> None:
    """'Firm whitish or yellowish papules, plaques or hard lumps': a dermatologist's word."""
    for name in ("dev-001-", "dev-003-"):
        text = _leaflet_text(kb, name, lang)
        assert "papule" not in text.lower()
        assert ("bumps, patches or hard lumps" if lang == "en" else "petites bosses, des plaques") in text


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("en", "This leaflet is written for the parents: “you” stands for your child."),
        ("fr", "Cette fiche s'adresse aux parents\u00a0: «\u00a0vous\u00a0» désigne votre enfant."),
    ],
)
def test_a_child_s_leaflet_says_plainly_that_it_is_for_the_parents(kb: KnowledgeBase, lang: str, said: str) -> None:
    """The parents of a girl of 12 read 'This leaflet is written for the patient: for a child, it
    is for the parents', a rule about leaflets in general rather than what this one is."""
    text = _leaflet_text(kb, "dev-017-", lang)
    assert said in text
    assert "for the patient: for a child" not in text and "au patient" not in text


@pytest.mark.parametrize(
    ("lang", "when", "what", "twice"),
    [
        (
            "en",
            "once, if needed",
            "an X-ray only if the lump is still there after about 3 months",
            "still felt 3 months",
        ),
        ("fr", "une fois, si besoin", "une radiographie seulement si la boule est encore là", "encore palpable 3 mois"),
    ],
)
def test_a_follow_up_check_says_its_condition_once(
    kb: KnowledgeBase, lang: str, when: str, what: str, twice: str
) -> None:
    """A baby's parents read 'once, if the deposit is still felt 3 months after it appeared: an
    X-ray only if the lump is still there after about 3 months'."""
    text = _leaflet_text(kb, "dev-019-", lang)
    assert when in text and what in text and twice not in text
