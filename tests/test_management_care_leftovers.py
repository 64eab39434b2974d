"""Leftovers of the management knowledge reviews (s33): a leading gout read the calcinosis cutis
surgery principle; the heterotopic ossification's care pathway ended on 'what HAS recommends for
calcinosis cutis'; the juvenile dermatomyositis' severe signs never reached the child's leaflet;
a calciphylaxis without kidney disease had nephrology in its team; 'new hard nodules' was a
warning sign of a gout, a chondrocalcinosis and a heterotopic ossification."""

from __future__ import annotations

import html
from pathlib import Path

import pytest

from calcinosis import KnowledgeBase, diagnose, parse_case, read_case
from calcinosis.management.manage import manage
from calcinosis.reports.leaflet import build_leaflet
from calcinosis.reports.render import render_html

AUDIT = Path(__file__).parent / "data" / "care-audit"

JDM_CHILD = {
    "patient": {"age": 9, "sex": "female"},
    "findings": ["muscle_weakness", "heliotrope_rash", "gottron_papules", "palpable_nodules"],
    "sites": ["elbow"],
    "imaging": [
        {"modality": "radiograph", "sites": ["elbow"], "tissues": ["subcutaneous"], "patterns": ["sheet_like"]}
    ],
}


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_leading_gout_removes_tophi_only_for_their_complications(kb: KnowledgeBase, lang: str) -> None:
    """Not 'surgery is for large, well-defined deposits': the tophi are treated by lowering the
    urate, surgery kept for an infected or ulcerated tophus, a nerve compressed, a blocked joint."""
    result = manage(read_case(AUDIT / "gout-hand.yaml", kb), kb, lang=lang)
    said = {s.id: s.text for s in result.statements}
    assert "surgery_when" not in said, said.get("surgery_when")
    text = said["gout_tophus_surgery"]
    if lang == "fr":
        assert "traitement hypo-uricémiant les traite" in text and "nerf comprimé" in text
        assert "tophus infecté ou ulcéré" in text
    else:
        assert "urate-lowering therapy treats them" in text and "a nerve compressed" in text
        assert "an infected or ulcerated tophus" in text
    assert "ACR 2020" in text


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_heterotopic_ossification_care_pathway_speaks_of_it_not_of_calcinosis_cutis(
    kb: KnowledgeBase, lang: str
) -> None:
    case = read_case(AUDIT / "hip-ho-brain-injury.yaml", kb)
    plan = manage(case, kb, lang=lang).followup
    ids = [i.id for i in plan.schedule]
    assert "care_pathway" not in ids and "ho_care_pathway" in ids
    text = " ".join(i.text for i in plan.schedule)
    assert "HAS" not in text and "calcinosis cutis" not in text and "calcinose cutanée" not in text, text
    pathway = next(i for i in plan.schedule if i.id == "ho_care_pathway")
    words = (
        ("équipe de rééducation", "réunion pluridisciplinaire")
        if lang == "fr"
        else ("rehabilitation team", "multidisciplinary team")
    )
    assert all(w in pathway.text for w in words), pathway.text
    assert "denormandie2018" in pathway.references


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_child_with_juvenile_dermatomyositis_reads_its_severe_signs_in_the_leaflet(
    kb: KnowledgeBase, lang: str
) -> None:
    case = parse_case(JDM_CHILD, kb)
    result = manage(case, kb, lang=lang)
    assert result.diagnosis == "juvenile_dermatomyositis"
    signs = " ".join(result.followup.warning_signs)
    leaflet = build_leaflet(diagnose(case, kb, lang=lang), kb, lang=lang)
    body = " ".join(s.text for s in leaflet.sections)
    if lang == "fr":
        assert "fausses routes" in signs and "Difficulté à avaler ou fausses routes" in body, body
        assert "mal au ventre" in body
    else:
        assert "choking" in signs and "Trouble swallowing or choking" in body, body
        assert "tummy pain" in body
    # and the patient's report, which reads the leaflet
    patient = html.unescape(render_html(case, kb, lang=lang, audience="patient"))
    assert ("fausses routes" if lang == "fr" else "choking") in patient


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_calciphylaxis_team_names_nephrology_only_with_a_kidney_disease(kb: KnowledgeBase, lang: str) -> None:
    """As its follow-up: the weekly review with nephrology on dialysis, without it otherwise."""
    well = parse_case({"patient": {"age": 60, "sex": "female"}}, kb)
    said = {s.id: s.text for s in manage(well, kb, diagnosis="calciphylaxis", lang=lang).statements}
    assert "calciphylaxis_team" not in said
    team = said["calciphylaxis_team_non_uraemic"]
    assert ("sans maladie rénale" if lang == "fr" else "without a kidney disease") in team
    assert ("prise en charge conjointe dermatologie" if lang == "fr" else "manage with dermatology") in team
    dialysis = parse_case({"patient": {"age": 60, "sex": "female"}, "history": ["dialysis"]}, kb)
    said = {s.id: s.text for s in manage(dialysis, kb, diagnosis="calciphylaxis", lang=lang).statements}
    assert "calciphylaxis_team_non_uraemic" not in said
    assert ("néphrologie" if lang == "fr" else "nephrology") in said["calciphylaxis_team"]


NODULES = {"en": "New hard nodules", "fr": "nouveaux nodules durs"}


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_new_hard_nodules_is_not_the_warning_sign_of_a_gout_a_cppd_or_a_heterotopic_ossification(
    kb: KnowledgeBase, lang: str
) -> None:
    """Each reads its own: a gout's flare, a chondrocalcinosis' attacks that do not settle, a
    heterotopic ossification's joint losing movement (which stands for the general function sign)."""
    own = {
        "gout-hand": ("Une crise (articulation qui devient brutalement douloureuse", "A flare (a joint that suddenly"),
        "knee-chondrocalcinosis": ("Une crise qui ne cède pas", "An attack that does not settle"),
        "hip-ho-brain-injury": ("qui perd de la mobilité", "or that loses movement"),
    }
    for name, (fr, en) in own.items():
        signs = manage(read_case(AUDIT / f"{name}.yaml", kb), kb, lang=lang).followup.warning_signs
        said = " ".join(signs)
        assert NODULES[lang] not in said, (name, signs)
        assert (fr if lang == "fr" else en) in said, (name, signs)
    ho = " ".join(manage(read_case(AUDIT / "hip-ho-brain-injury.yaml", kb), kb, lang=lang).followup.warning_signs)
    assert ("Gêne fonctionnelle croissante" if lang == "fr" else "Increasing loss of function") not in ho
    # kept where the lumps are the disease: a juvenile dermatomyositis' calcinosis cutis
    jdm = manage(parse_case(JDM_CHILD, kb), kb, lang=lang).followup.warning_signs
    assert NODULES[lang] in " ".join(jdm)
