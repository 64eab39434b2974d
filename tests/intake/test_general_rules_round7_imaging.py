"""Round 7 of issue 18, imaging and sites: the general mechanisms behind the extra and missed
imaging and site items of the odd half of ``tests/data/notes-synth``, each tested on sentences
of our own (no note's text), in both languages where the mechanism exists."""

from __future__ import annotations

from typing import Any

import pytest


def _study(case: dict[str, Any], modality: str) -> dict[str, Any] | None:
    return next((s for s in case.get("imaging", []) if s["modality"] == modality), None)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        (
            "A 50-year-old woman with shoulder pain. Radiographs show a calcific deposit of the supraspinatus tendon. "
            "Plan: ultrasound-guided lavage of the deposit.",
            "en",
        ),
        (
            "Patiente de 50 ans, douleur de l'épaule. La radiographie montre une calcification du tendon du "
            "supra-épineux. Proposition : ponction-lavage écho-guidée du dépôt.",
            "fr",
        ),
        (
            "Patiente de 50 ans, douleur de l'épaule. La radiographie montre une calcification du tendon du "
            "supra-épineux. Une ponction du dépôt guidée par échographie est proposée.",
            "fr",
        ),
    ],
)
def test_a_modality_that_guides_a_procedure_is_no_study(read, text: str, lang: str) -> None:  # type: ignore[no-untyped-def]
    """ "Ultrasound-guided", "écho-guidée", "guidée par échographie" name the tool of a procedure:
    the deposit named in that sentence does not make it a study."""
    case = read(text, lang).case
    assert _study(case, "radiograph") is not None
    assert _study(case, "ultrasound") is None


@pytest.mark.parametrize(
    ("text", "lang", "landmarks"),
    [
        (
            "A 12-year-old boy with a thigh mass. Radiographs show a calcified lesion of the thigh, "
            "separate from the pubis and ischium.",
            "en",
            {"pelvis"},
        ),
        (
            "A 12-year-old boy with a thigh mass. MRI shows a calcified lesion of the thigh that abuts the pubic ramus.",
            "en",
            {"pelvis"},
        ),
        (
            "Garçon de 12 ans, masse de la cuisse. Les radiographies montrent une calcification de la cuisse, "
            "à distance du pubis et de l'ischion.",
            "fr",
            {"pelvis"},
        ),
        (
            "Garçon de 12 ans, masse de la cuisse. L'IRM montre une calcification de la cuisse, au contact de la "
            "branche ischio-pubienne.",
            "fr",
            {"pelvis"},
        ),
    ],
)
def test_a_landmark_is_not_a_site_of_the_deposits(read, text: str, lang: str, landmarks: set[str]) -> None:  # type: ignore[no-untyped-def]
    """A place named to situate the deposits (separate from, abuts, à distance de, au contact
    de) is a landmark; the deposits' own site stays."""
    case = read(text, lang).case
    study = case["imaging"][0]
    assert "thigh" in study["sites"]
    assert not landmarks & set(study["sites"])


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        (
            "A 3-week-old boy with a hard swelling of the lower leg. Radiographs show linear calcification of the "
            "lower leg, extending from the level of the knee down to the ankle.",
            "en",
        ),
        (
            "Nourrisson de 3 semaines, tuméfaction dure du mollet. La radiographie montre des calcifications "
            "linéaires du mollet, s'étendant du genou jusqu'à la cheville.",
            "fr",
        ),
    ],
)
def test_the_bounds_of_an_extent_are_not_sites_of_their_own(read, text: str, lang: str) -> None:  # type: ignore[no-untyped-def]
    """ "From the knee down to the ankle" says how far the deposits of the lower leg reach: the
    knee and the ankle are not sites of the study when the deposits have one of their own."""
    study = read(text, lang).case["imaging"][0]
    assert not {"knee", "ankle"} & set(study["sites"])
    assert study["sites"]
    # with no other site, the bounds are where the deposits are (as the region examined is)
    alone = read("A 30-year-old man. Radiographs show calcifications extending from the knee to the ankle.", "en")
    assert {"knee", "ankle"} <= set(alone.case["imaging"][0]["sites"])


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("A 3-week-old boy. Radiographs show calcification of the left knee; right leg normal.", "en"),
        (
            "Nourrisson de 3 semaines. La radiographie montre une calcification du genou gauche, la jambe droite est normale.",
            "fr",
        ),
    ],
)
def test_a_site_said_normal_is_no_site_of_the_deposits(read, text: str, lang: str) -> None:  # type: ignore[no-untyped-def]
    """ "Right leg normal", "la jambe droite est normale": no deposit there."""
    study = read(text, lang).case["imaging"][0]
    assert study["sites"] == ["knee"]


@pytest.mark.parametrize(
    ("text", "lang", "site"),
    [
        (
            "A 40-year-old man. Ultrasound of the right heel shows a calcific deposit in the Achilles tendon.",
            "en",
            "achilles",
        ),
        ("Homme de 40 ans. Radiographie du bassin : calcification de la hanche droite.", "fr", "hip"),
    ],
)
def test_a_site_bound_to_the_modality_is_the_region_examined(read, text: str, lang: str, site: str) -> None:  # type: ignore[no-untyped-def]
    """ "Ultrasound of the heel shows ...", "radiographie du bassin : ...": the place bound to the
    study by "of"/"de" is the region examined, which gives way to the deposits' own site."""
    study = read(text, lang).case["imaging"][0]
    assert study["sites"] == [site]


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        (
            "A 50-year-old woman. Radiographs of the hands show calcifications over the distal phalanges of three fingers.",
            "en",
        ),
        (
            "Patiente de 50 ans. Radiographies des mains : calcifications en regard des phalanges distales des trois doigts.",
            "fr",
        ),
    ],
)
def test_a_coarser_site_completing_a_finer_one_in_a_study(read, text: str, lang: str) -> None:  # type: ignore[no-untyped-def]
    """ "The distal phalanges of three fingers" is one place, the finer: in a study as in the
    clinical sentences (a cardinal number may stand in the complement)."""
    study = read(text, lang).case["imaging"][0]
    assert study["sites"] == ["fingertips"]


def test_au_sein_de_is_no_breast(read) -> None:  # type: ignore[no-untyped-def]
    """ "Au sein de" means "within": it names no breast."""
    x = read("Garçon de 12 ans. L'IRM montre une calcification au sein de la loge des adducteurs de la cuisse.", "fr")
    assert "breast" not in x.case["imaging"][0].get("sites", [])


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        (
            "An 80-year-old woman. Radiographs show calcifications of the thigh muscles. Brain CT shows no "
            "parenchymal calcification.",
            "en",
        ),
        (
            "Patiente de 80 ans. Les radiographies montrent des calcifications des muscles de la cuisse. Le scanner "
            "cérébral ne montre pas de calcification.",
            "fr",
        ),
    ],
)
def test_a_study_that_shows_no_deposit_is_no_study(read, text: str, lang: str) -> None:  # type: ignore[no-untyped-def]
    """A deposit said absent is no evidence of a study of the lesions."""
    case = read(text, lang).case
    assert _study(case, "radiograph") is not None
    assert _study(case, "ct") is None


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("A 6-year-old girl. CT shows a lobulated calcific mass of the hip with multiple calcium-fluid levels.", "en"),
        (
            "Fillette de 6 ans. Le scanner montre une masse calcifiée de la hanche avec de multiples niveaux liquide-calcium.",
            "fr",
        ),
    ],
)
def test_fluid_levels_count_no_deposits(read, text: str, lang: str) -> None:  # type: ignore[no-untyped-def]
    """ "Multiple fluid levels" lie within one mass: no distribution of the deposits."""
    study = read(text, lang).case["imaging"][0]
    assert study.get("distribution") != "multiple_localized"


def test_vascular_dementia_names_no_vessel(read) -> None:  # type: ignore[no-untyped-def]
    """ "Vascular dementia" is a condition: "vascular" in it is no arterial tissue of the study
    whose description it would otherwise continue."""
    x = read(
        "An 83-year-old woman. Radiographs show calcifications in the thigh muscles. She has vascular dementia.",
        "en",
    )
    assert "artery" not in x.case["imaging"][0].get("tissues", [])


@pytest.mark.parametrize(
    ("text", "lang", "site"),
    [
        ("A 22-year-old man with multiple hard nodules on the backs of both hands.", "en", "hand"),
        ("A newborn with a firm nodule at the back and inner side of the right ankle.", "en", "ankle"),
        ("Homme de 22 ans, nodules durs sur le dos des deux mains.", "fr", "hand"),
    ],
)
def test_the_back_of_a_site_is_a_side_of_it(read, text: str, lang: str, site: str) -> None:  # type: ignore[no-untyped-def]
    """ "The backs of both hands", "le dos des mains": a side of the hand, not the back."""
    sites = read(text, lang).case.get("sites", [])
    assert site in sites
    assert "back" not in sites
    # a nodule "on the back" is on the back
    assert "back" in read("A 40-year-old man with a hard nodule on the back.", "en").case.get("sites", [])


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        (
            "Patiente de 50 ans. La radiographie montre une calcification de l'épaule. Proposition d'une échographie "
            "pour préciser la consistance du dépôt.",
            "fr",
        ),
        (
            "Patiente de 50 ans. La radiographie montre des calcifications de la cuisse. Avis : compléter par "
            "une IRM de la cuisse et exérèse des calcifications les plus gênantes.",
            "fr",
        ),
        (
            "A 50-year-old woman. Radiographs show a calcification of the shoulder. We will request an MRI to "
            "characterise the deposit.",
            "en",
        ),
    ],
)
def test_a_study_only_proposed_is_no_study(read, text: str, lang: str) -> None:  # type: ignore[no-untyped-def]
    """ "Proposition d'une échographie", "compléter par radiographies", "we will request an MRI":
    a study proposed is not done, whatever deposit its sentence names."""
    case = read(text, lang).case
    assert [s["modality"] for s in case["imaging"]] == ["radiograph"]


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Patiente de 45 ans, lombalgie. L'échographie rénale ne montre pas de calcul mais une néphrocalcinose.", "fr"),
        ("A 45-year-old woman with flank pain. Renal ultrasound shows no stone but nephrocalcinosis.", "en"),
    ],
)
def test_an_organ_named_by_its_calcification_is_a_deposit(read, text: str, lang: str) -> None:  # type: ignore[no-untyped-def]
    """ "Néphrocalcinose" is a calcification of the kidney: the study that shows it is a study of
    the deposits, with the visceral tissue."""
    study = _study(read(text, lang).case, "ultrasound")
    assert study is not None
    assert study.get("tissues") == ["visceral"]


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Je vous adresse Jeanne, 5 ans, pour avis en chirurgie pédiatrique concernant un nodule du dos.", "fr"),
        ("Chirurgie orthopédique – compte rendu. Garçon de 10 ans, masse calcifiée de la cuisse.", "fr"),
        ("A 3-week-old girl with a calcified nodule of the flank. Discharged with plastic surgery follow-up.", "en"),
        ("A 60-year-old woman with calcified nodules of the scalp. Background of cataract surgery.", "en"),
    ],
)
def test_a_surgical_specialty_is_no_past_surgery(read, text: str, lang: str) -> None:  # type: ignore[no-untyped-def]
    """A surgical service or specialty ("avis en chirurgie pédiatrique", "plastic surgery
    follow-up") and surgery of another organ (cataract) are no local surgery of the lesions."""
    assert "surgery_local" not in read(text, lang).case.get("history", [])


@pytest.mark.parametrize(
    "text",
    [
        "DISCHARGE SUMMARY (extract)\n\nA 26-year-old man with hard calcified nodules of the thighs.",
        "A 3-week-old girl with a calcified nodule of the flank. Biopsy result pending at discharge.",
    ],
)
def test_a_discharge_summary_is_no_discharge(read, text: str) -> None:  # type: ignore[no-untyped-def]
    """ "Discharge summary", "at discharge": leaving hospital, not a discharge from a lesion."""
    assert "chalky_discharge" not in read(text, "en").case.get("findings", [])


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("A 20-year-old man with calcified nodules of the calves and ulnar drift of both hands.", "en"),
        ("Homme de 20 ans, nodules calcifiés des mollets et déviation cubitale des doigts.", "fr"),
    ],
)
def test_a_deformity_owns_its_site(read, text: str, lang: str) -> None:  # type: ignore[no-untyped-def]
    """ "Ulnar drift of both hands", "déviation cubitale des doigts": the hands are the deformity's."""
    sites = read(text, lang).case.get("sites", [])
    assert "calf" in sites
    assert "hand" not in sites
