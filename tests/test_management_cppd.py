"""A calcium pyrophosphate deposition (CPPD) is cared for as a crystal arthropathy, and a leading
diagnosis with its own leaflet is headed with its name: a CPPD read « Aucun traitement de la
calcinose n'est validé », yearly radiographs, « ceux de la cause, une fois connue » for its
specialists, and a leaflet headed « La calcinose » that called it « un dépôt de sels de calcium
dans la peau », with no word of its attacks or of an infected joint to rule out; a gout's
leaflet was headed « La calcinose » too, and its follow-up kept the yearly radiographs."""

from __future__ import annotations

from typing import Any

import pytest

from calcinosis import KnowledgeBase, diagnose, parse_case, read_case
from calcinosis.management.manage import manage
from calcinosis.reports.leaflet import build_leaflet
from calcinosis.reports.render import render_html

from .conftest import DEV_CASES, assert_plain_leaflet_texts
from .test_management_gout import TOPHI

# a woman of 78 with attacks of knee and wrist pain and chondrocalcinosis on radiographs
KNEES: dict[str, Any] = {
    "patient": {"age": 78, "sex": "female"},
    "findings": ["acute_joint_pain", "pain", "swelling"],
    "sites": ["knee", "wrist"],
    "absent": ["fever", "trauma_local"],
    "imaging": [
        {
            "modality": "radiograph",
            "sites": ["knee", "wrist"],
            "tissues": ["cartilage"],
            "patterns": ["chondrocalcinosis", "linear"],
            "distribution": "multiple_localized",
        }
    ],
}


def _crest():  # type: ignore[no-untyped-def]
    return next(p for p in DEV_CASES if "crest-fingertips" in p.name)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_leading_cppd_reads_the_treatment_of_its_attacks_not_that_no_treatment_is_validated(
    kb: KnowledgeBase, lang: str
) -> None:
    result = manage(parse_case(KNEES, kb), kb, lang=lang)
    assert result.diagnosis == "cppd" and result.diagnosis_probability >= 0.5
    said = {s.id: s for s in result.statements}
    assert "no_validated_treatment" not in said and "cppd_inflammation" in said
    text = said["cppd_inflammation"].text
    assert said["cppd_inflammation"].references == ["zhang2011cppd"]
    if lang == "fr":
        assert "aucun traitement ne fait disparaître les cristaux" in text
        assert "ponction articulaire" in text and "colchicine à faible dose" in text and "0,5 mg" in text
        assert "\u00a0:" in text or "\u202f:" in text  # the renderer's space before ':'
    else:
        assert "no treatment removes the crystals" in text
        assert "joint aspiration" in text and "low-dose colchicine" in text and "0.5 mg" in text
    # the scleroderma calcinosis keeps its principle and reads nothing of CPPD
    crest = {s.id for s in manage(read_case(_crest(), kb), kb, lang=lang).statements}
    assert "no_validated_treatment" in crest and "cppd_inflammation" not in crest


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_cppd_is_not_followed_by_yearly_radiographs_and_names_the_rheumatologist(
    kb: KnowledgeBase, lang: str
) -> None:
    plan = manage(parse_case(KNEES, kb), kb, lang=lang).followup
    ids = {i.id for i in plan.schedule}
    assert {"cppd_imaging_on_change", "cppd_care_pathway"} <= ids
    assert not ids & {"imaging", "imaging_pregnancy", "care_pathway"}, ids
    care = next(i for i in plan.schedule if i.id == "cppd_care_pathway")
    assert ("rhumatologue" if lang == "fr" else "rheumatologist") in care.text
    imaging = next(i for i in plan.schedule if i.id == "cppd_imaging_on_change")
    assert "mandl2024eular" in imaging.references
    septic = "arthrite septique" if lang == "fr" else "septic arthritis"
    assert any(septic in w and ("chondrocalcinose" if lang == "fr" else "CPPD") in w for w in plan.warning_signs)
    # the scleroderma calcinosis keeps its yearly imaging and its care pathway
    crest = {i.id for i in manage(read_case(_crest(), kb), kb, lang=lang).followup.schedule}
    assert {"imaging", "care_pathway"} <= crest and not crest & {"cppd_imaging_on_change", "cppd_care_pathway"}


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_gout_is_followed_without_yearly_radiographs_by_its_general_practitioner_or_rheumatologist(
    kb: KnowledgeBase, lang: str
) -> None:
    plan = manage(parse_case(TOPHI, kb), kb, lang=lang).followup
    ids = {i.id for i in plan.schedule}
    assert {"gout_urate", "gout_care_pathway"} <= ids
    assert not ids & {"imaging", "imaging_pregnancy", "care_pathway"}, ids
    care = next(i for i in plan.schedule if i.id == "gout_care_pathway")
    if lang == "fr":
        assert "médecin traitant" in care.text and "rhumatologue" in care.text
        assert "ceux de la cause" not in care.text
    else:
        assert "general practitioner" in care.text and "rheumatologist" in care.text
    assert {"hui2017bsr", "mandl2024eular"} <= set(care.references)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_cppd_leaflet_speaks_of_crystals_in_the_joints_and_of_their_attacks(kb: KnowledgeBase, lang: str) -> None:
    lf = build_leaflet(diagnose(parse_case(KNEES, kb), kb, lang=lang), kb, lang=lang)
    sections = {s.id: s for s in lf.sections}
    for sid in ("what_it_is", "what_you_notice", "treatment", "daily_life", "when_to_consult", "outlook"):
        assert sections[sid].written_for == "cppd", sid
    body = " ".join(s.text for s in lf.sections)
    if lang == "fr":
        assert "sels de calcium dans la peau" not in body
        assert "pyrophosphate de calcium" in sections["what_it_is"].text
        assert "Aucun médicament ne fait disparaître les cristaux" in sections["treatment"].text
        assert "infection de l'articulation" in sections["when_to_consult"].text
    else:
        assert "calcium salts in the skin" not in body
        assert "calcium pyrophosphate" in sections["what_it_is"].text
        assert "No medicine removes the crystals" in sections["treatment"].text
        assert "infection of the joint" in sections["when_to_consult"].text


def test_the_cppd_leaflet_texts_are_plain_and_keep_french_typography(kb: KnowledgeBase) -> None:
    variants = [v for v in kb.leaflet_variants.variants if v.diagnoses == ["cppd"] and v.section != "tests"]
    assert {v.section for v in variants} >= {"what_it_is", "treatment", "daily_life", "when_to_consult", "outlook"}
    assert_plain_leaflet_texts(variants)


@pytest.mark.parametrize(
    ("case", "lang", "title"),
    [
        (TOPHI, "fr", "La goutte\u00a0: information pour les patients"),
        (TOPHI, "en", "Gout: information for patients"),
        (KNEES, "fr", "La chondrocalcinose\u00a0: information pour les patients"),
        (KNEES, "en", "Chondrocalcinosis (CPPD): information for patients"),
    ],
)
def test_a_leading_diagnosis_with_its_own_heading_heads_the_leaflet(
    kb: KnowledgeBase, case: dict[str, Any], lang: str, title: str
) -> None:
    lf = build_leaflet(diagnose(parse_case(case, kb), kb, lang=lang), kb, lang=lang)
    assert lf.title.replace("\u202f", "\u00a0") == title
    html = render_html(parse_case(case, kb), kb, lang=lang, audience="patient")
    assert "Calcinosis: information for patients" not in html
    assert "La calcinose\u00a0: information pour les patients" not in html
    assert "La calcinose : information pour les patients" not in html
    # nor introduced as a leaflet about calcinosis
    assert "explains calcinosis" not in html and "explique la calcinose" not in html
    assert (
        "condition your doctors are considering" if lang == "en" else "la maladie que vos médecins envisagent"
    ) in html


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_calcinosis_keeps_the_calcinosis_heading(kb: KnowledgeBase, lang: str) -> None:
    lf = build_leaflet(diagnose(read_case(_crest(), kb), kb, lang=lang), kb, lang=lang)
    assert lf.title.startswith("La calcinose" if lang == "fr" else "Calcinosis:")
    html = render_html(read_case(_crest(), kb), kb, lang=lang, audience="patient")
    assert ("explains calcinosis" if lang == "en" else "explique la calcinose") in html


def test_a_heading_belongs_to_a_what_it_is_variant_of_a_diagnosis(kb: KnowledgeBase) -> None:
    from pydantic import ValidationError

    from calcinosis.kb.deferred_schema import LeafletVariant

    heading = {"en": "Gout: information for patients", "fr": "La goutte : information pour les patients"}
    title = {"en": "What is gout?", "fr": "Qu'est-ce que la goutte ?"}
    base: dict[str, Any] = {"references": ["nice_ng219"], "en": "x", "fr": "x", "heading": heading, "title": title}
    LeafletVariant(section="what_it_is", diagnoses=["gout"], **base)
    with pytest.raises(ValidationError):
        LeafletVariant(section="treatment", diagnoses=["gout"], **base)
    with pytest.raises(ValidationError):
        LeafletVariant(section="what_it_is", categories=["dystrophic"], **base)
