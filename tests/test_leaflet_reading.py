"""The leaflets of the development cases as a patient-information nurse reads them, rendered:
agreement, words a patient cannot read, advice that contradicts the clinician's plan."""

from __future__ import annotations

import html
import re

import pytest

from calcinosis import KnowledgeBase, read_case
from calcinosis.i18n import message
from calcinosis.reports.render import render_html

from .conftest import DEV_CASES


def _leaflet_text(kb: KnowledgeBase, name: str, lang: str) -> str:
    """The rendered patient leaflet of a development case, without its markup, spaces joined."""
    path = next(p for p in DEV_CASES if name in p.name)
    page = render_html(read_case(path, kb), kb, lang=lang, audience="patient")
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page.split("<body>", 1)[1])).split())


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
    fr = _leaflet_text(kb, "dev-016-", "fr")
    assert "Ici, vos médecins pensent surtout à une glande parathyroïde trop active ou une maladie des reins" in fr
    assert "surtout à\u00a0:" not in fr and "surtout à :" not in fr
    assert "Here your doctors are mainly thinking of an overactive parathyroid gland" in _leaflet_text(
        kb, "dev-016-", "en"
    )
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
