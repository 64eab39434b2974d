"""The leaflet says what fits the patient and the diagnoses in play (a clinical review of the
leaflets: another disease's treatments, an adult's signs for a baby, a missing NSAID warning,
tumour names before the biopsy)."""

from __future__ import annotations

from pathlib import Path

import pytest

from calcinosis import KnowledgeBase, diagnose, read_case
from calcinosis.reports.leaflet import Leaflet, build_leaflet

DATA = Path(__file__).resolve().parent / "data"


def case_path(name: str) -> Path:
    """The case file of the test sets whose name starts with ``name``."""
    return next(p for p in sorted(DATA.glob("*/cases/*.yaml")) if p.name.startswith(name))


def leaflet(kb: KnowledgeBase, name: str, lang: str) -> Leaflet:
    return build_leaflet(diagnose(read_case(case_path(name), kb), kb, lang=lang), kb, lang=lang)


def body(lf: Leaflet) -> str:
    return " ".join([lf.heading, *(s.text for s in lf.sections)])


@pytest.mark.parametrize("name", ["pub-tumoral-09-", "pub-dys-14-"])
def test_a_lump_with_a_sarcoma_to_exclude_opens_on_the_specialised_team_not_tumour_names(
    kb: KnowledgeBase, name: str
) -> None:
    """'Probably calcium deposited in damaged tissue (possibilities: synovial sarcoma, soft-tissue
    chondroma, chondrosarcoma)' reassured and named tumours in jargon before any biopsy."""
    fr = leaflet(kb, name, "fr")
    assert fr.heading.startswith("La cause de votre grosseur n'est pas encore connue")
    assert "sarcome" not in fr.heading and "probablement" not in fr.heading and fr.named == ""
    assert "sarcoma" not in leaflet(kb, name, "en").heading


def test_the_follow_up_of_a_lump_to_examine_names_no_sarcoma_team(kb: KnowledgeBase) -> None:
    from calcinosis.management.manage import manage

    for lang, team in (("fr", "l'équipe spécialisée"), ("en", "the specialised team")):
        plan = manage(read_case(case_path("pub-tumoral-09-"), kb), kb, lang=lang).followup
        said = " ".join(f"{i.patient_every or i.every} {i.patient}" for i in plan.schedule if i.patient)
        assert team in said and "sarcom" not in said


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("fb-10-", "vos reins fonctionnent très peu"),  # on dialysis
        ("pub-meta-01-", "reins qui fonctionnent déjà moins bien"),  # chronic kidney disease
        ("fd-07-", "maladie du foie"),  # cirrhosis
        ("fa-02-", "pendant la grossesse"),
    ],
)
def test_the_leaflet_says_no_anti_inflammatory_where_manage_avoids_them(
    kb: KnowledgeBase, name: str, reason: str
) -> None:
    """manage avoided NSAIDs for these patients, and their leaflet had no word of the ibuprofen
    they can buy without prescription."""
    daily = next(s for s in leaflet(kb, name, "fr").sections if s.id == "daily_life").text
    assert "Ne prenez pas d'anti-inflammatoires (ibuprofène, kétoprofène…) sans avis médical\u00a0:" in daily
    assert reason in daily
    # a dialysis patient reads the contraindication alone, as manage shows it
    assert name != "fb-10-" or "moins bien" not in daily
    en = next(s for s in leaflet(kb, name, "en").sections if s.id == "daily_life").text
    assert "Do not take anti-inflammatory painkillers (ibuprofen, naproxen…) without medical advice:" in en


@pytest.mark.parametrize("name", ["pub-tumoral-09-", "fb-15-"])
def test_no_anti_inflammatory_warning_where_manage_has_no_reason(kb: KnowledgeBase, name: str) -> None:
    assert "anti-inflammatory" not in body(leaflet(kb, name, "en"))


def _text(kb: KnowledgeBase, name: str, lang: str, audience: str) -> str:
    """A report's text without its markup."""
    import html
    import re

    from calcinosis.reports.render import render_html

    page = render_html(read_case(case_path(name), kb), kb, lang=lang, audience=audience)  # type: ignore[arg-type]
    return html.unescape(re.sub(r"<[^>]+>", " ", page.split("<body>", 1)[1]))


def test_the_french_reports_speak_plainly(kb: KnowledgeBase) -> None:
    """A French clinical review: « d'abord : » as an interval, « hebdomadaire », « Antécédents :
    Grossesse » for a current pregnancy, « 1 mois · Femme » for a baby girl, « la boule » in a
    clinician's sign, « chélateurs » for a patient."""
    dys14 = " ".join(_text(kb, "pub-dys-14-", "fr", "patient").split())
    assert "en premier, avant le reste du suivi" in dys14 and "d'abord :" not in dys14
    fa11 = _text(kb, "fa-11-", "fr", "patient")
    assert "chaque semaine" in fa11 and "hebdomadaire" not in fa11
    assert "Grossesse en cours" in _text(kb, "fa-02-", "fr", "clinician")
    baby = _text(kb, "fb-15-", "fr", "clinician")
    assert "Nourrisson de sexe féminin, 1\u00a0mois" in baby or "Nourrisson de sexe féminin, 1 mois" in baby
    assert "· Femme" not in baby
    assert "· Femme" in _text(kb, "fa-02-", "fr", "clinician")  # an adult keeps the short line
    assert "au-delà du nodule" in _text(kb, "fe-04-", "fr", "clinician")
    for name in ("fb-10-", "pub-tumoral-09-", "fb-15-"):  # tumoral, metastatic
        assert "chélateurs" not in _text(kb, name, "fr", "patient")
    assert "Female infant, 1 month" in _text(kb, "fb-15-", "en", "clinician")


@pytest.mark.parametrize("name", ["fb-15-", "pub-meta-15-"])
def test_a_metastatic_leaflet_s_causes_and_treatments_are_those_of_the_diagnoses_in_play(
    kb: KnowledgeBase, name: str
) -> None:
    """A baby with a newborn's fat necrosis and a cancer patient read 'kidney care and dialysis, a
    phosphate diet and binders' and 'a large intake of milk' (which may lead parents to cut the
    baby's milk): the category's generic list."""
    for lang in ("fr", "en"):
        lf = leaflet(kb, name, lang)
        text = " ".join(s.text for s in lf.sections if s.id in ("what_it_is", "treatment"))
        for other in (
            "dialyse",
            "dialysis",
            "phosphate diet",
            "régime pauvre en phosphore",
            "lait et de comprimés",
            "milk and calcium tablets",
        ):
            assert other not in text
    fr = " ".join(s.text for s in leaflet(kb, name, "fr").sections)
    if name == "fb-15-":
        assert "cytostéatonécrose du nouveau-né" in fr and "parathyroïde" in fr
    else:
        assert "traitement du cancer" in fr


def test_a_kidney_patient_s_metastatic_leaflet_keeps_dialysis(kb: KnowledgeBase) -> None:
    """The same texts for a dialysis patient whose calcinosis comes from the kidneys."""
    treatment = next(s for s in leaflet(kb, "fb-10-", "fr").sections if s.id == "treatment").text
    assert "dialyse" in treatment and "médicaments qui fixent le phosphore" in treatment
    assert "parathyroïde" not in treatment


def test_the_leaflets_anti_inflammatory_reasons_follow_manages_whole_caution_rule(
    kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The leaflet read an NSAID caution by its features alone, manage by its diagnoses in play
    and its measured bounds too (a code review): a caution whose diagnosis is not in play, or
    whose value is out of its bounds, is not in the leaflet either. Both read
    management.options.caution_applies."""
    from calcinosis.kb.deferred_schema import MeasuredNote

    nsaids = kb.treatments["nsaids"]
    kidneys = next(c for c in nsaids.cautions if "lab:egfr_below_60" in c.when)
    reason = "they can harm kidneys that already work less well"

    def said(caution: object) -> str:
        cautions = [caution if c is kidneys else c for c in nsaids.cautions]
        monkeypatch.setitem(kb.treatments, "nsaids", nsaids.model_copy(update={"cautions": cautions}))
        return body(leaflet(kb, "pub-meta-01-", "en"))

    assert reason in said(kidneys)
    assert reason not in said(kidneys.model_copy(update={"while_in_play": ["calcific_tendinitis"]}))
    bound = MeasuredNote(value="egfr", below=1, en="{value}", fr="{value}")
    assert reason not in said(kidneys.model_copy(update={"measured": bound}))


def test_the_leaflets_context_signs_follow_manages_rule(kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch) -> None:
    """The leaflet read a sign written for some patients by its ``when`` alone, manage by its
    ``unless`` and ``in_play`` too (a code review): a sign its ``unless`` rules out is not in the
    leaflet either, and one written for a diagnosis in play is."""
    import dataclasses

    fever = next(w for w in kb.followup.warning_signs if w.id == "fever_on_chemotherapy")
    said = fever.patient.get("en") if fever.patient is not None else ""
    child = "pub-iatro-04-"

    parts, followup = kb._deferred.get(), kb.followup

    def signs(sign: object) -> str:
        others = [sign if w is fever else w for w in followup.warning_signs]
        edited = dataclasses.replace(parts, followup=followup.model_copy(update={"warning_signs": others}))
        monkeypatch.setattr(kb._deferred, "get", lambda: edited)
        return body(leaflet(kb, child, "en"))

    assert said in signs(fever)
    assert said not in signs(fever.model_copy(update={"unless": ["exposure:chemotherapy"]}))
    leading = diagnose(read_case(case_path(child), kb), kb).differential[0].diagnosis
    assert said in signs(fever.model_copy(update={"when": [], "in_play": [leading]}))


@pytest.mark.parametrize(("lang", "lumps"), [("en", "New hard lumps"), ("fr", "nouveaux nodules durs")])
def test_new_hard_lumps_are_watched_for_where_the_calcium_forms_lumps(kb: KnowledgeBase, lang: str, lumps: str) -> None:
    """A clinical review: 'New hard lumps, especially if painful or growing fast' was read by a
    patient with a vascular calcification and by one with a calcific tendinitis of the shoulder.
    The line follows the case's deposits (in or under the skin, a lump felt) or a diagnosis in
    play whose deposits are lumps (leaflet.yaml lines), in both languages."""
    from calcinosis import parse_case

    def consult(data: dict[str, object]) -> str:
        report = diagnose(parse_case(data, kb), kb, lang=lang)
        return next(s.text for s in build_leaflet(report, kb, lang=lang).sections if s.id == "when_to_consult")

    # a dialysis patient's arterial calcification of the hands (tram-track): no lump
    vessels = {
        "patient": {"age": 66, "sex": "male"},
        "history": ["chronic_kidney_disease", "dialysis"],
        "sites": ["hand"],
        "imaging": [
            {
                "modality": "radiograph",
                "sites": ["hand"],
                "tissues": ["artery"],
                "patterns": ["tram_track"],
                "distribution": "regional",
            }
        ],
    }
    # subcutaneous nodules of the forearm felt under the skin
    skin = {
        "patient": {"age": 50, "sex": "female"},
        "findings": ["palpable_nodules"],
        "sites": ["forearm"],
        "imaging": [
            {
                "modality": "radiograph",
                "sites": ["forearm"],
                "tissues": ["subcutaneous"],
                "patterns": ["nodular"],
                "distribution": "multiple_localized",
            }
        ],
    }
    assert lumps not in consult(vessels)
    assert lumps in consult(skin)
    # pelvic phleboliths (a vein's calcified clots), a case of the development set
    phleboliths = build_leaflet(diagnose(read_case(case_path("dev-006-"), kb), kb, lang=lang), kb, lang=lang)
    assert lumps not in next(s.text for s in phleboliths.sections if s.id == "when_to_consult")
