"""General rules of round 4 (issue 18): imaging sentences and the leading diagnosis, each on
sentences written for the test.

None of these sentences comes from a note set (tests/data/notes*): each states one mechanism
(which study a word belongs to, what a tissue word qualifies, what a bracket or a typographic
apostrophe does to a cue, which of two sites is the lesions') in words a clinician would use,
in both languages where the phenomenon exists in both.
"""

from __future__ import annotations

from typing import Any

import pytest

from ._helpers import labs_by_test


def _study(x: Any, modality: str) -> dict[str, Any]:
    studies = [s for s in x.case.get("imaging", []) if s["modality"] == modality]
    assert studies, f"no {modality} study in {x.case.get('imaging')}"
    return dict(studies[0])


# ---------------------------------------------------------------- imaging vocabulary
def test_a_rim_of_calcification_is_the_ring_pattern(read):
    """ "peripherally calcified", "calcifiée de façon périphérique", "coque calcique": ring; the
    phrase still names a deposit, so the study stands on it alone."""
    x = read("A 30-year-old man. CT showed a peripherally calcified mass in the gluteus medius.", "en")
    assert "ring" in _study(x, "ct")["patterns"]
    assert _study(x, "ct")["tissues"] == ["muscle"]
    y = read("Homme de 30 ans. L'échographie montrait une lésion cernée de calcifications.", "fr")
    assert _study(y, "ultrasound")["patterns"] == ["ring"]
    z = read("Femme de 40 ans. La radiographie montrait une coque calcique de la cuisse.", "fr")
    assert _study(z, "radiograph")["patterns"] == ["ring"]


def test_blurred_calcifications_are_amorphous(read):
    x = read("A 12-year-old boy. Radiographs of the knee showed fluffy calcifications.", "en")
    assert _study(x, "radiograph")["patterns"] == ["amorphous"]
    y = read("Garçon de 12 ans. La radiographie du genou montrait des calcifications d'aspect flou.", "fr")
    assert _study(y, "radiograph")["patterns"] == ["amorphous"]


def test_calcific_tendinopathy_is_a_tendon_deposit(read):
    x = read("A 50-year-old woman. An X-ray of the shoulder showed calcific tendinosis of the supraspinatus.", "en")
    study = _study(x, "radiograph")
    assert study["tissues"] == ["tendon"] and study["patterns"] == ["tendon_deposit"]
    y = read("Femme de 50 ans. La radiographie de l'épaule montrait une tendinite calcifiante.", "fr")
    study = _study(y, "radiograph")
    assert study["tissues"] == ["tendon"] and study["patterns"] == ["tendon_deposit"]


def test_the_rotator_cuff_is_a_site_and_a_tendon(read):
    """One mention, two meanings: the shoulder (site) and the tendon (tissue)."""
    x = read("A 60-year-old man on dialysis. Radiographs showed calcium deposits in the rotator cuff.", "en")
    study = _study(x, "radiograph")
    assert study["sites"] == ["shoulder"] and study["tissues"] == ["tendon"]
    y = read("Homme de 60 ans. La radiographie montre des dépôts calciques de la coiffe des rotateurs.", "fr")
    study = _study(y, "radiograph")
    assert study["sites"] == ["shoulder"] and study["tissues"] == ["tendon"]


def test_a_named_muscle_is_the_muscle_tissue_and_its_site_stays_clinical(read):
    """ "vaste médial", "rectus femoris": muscle in a study; "swelling of the quadriceps" in a
    clinical sentence still places the thigh among the lesions' sites."""
    x = read("A 20-year-old man. MRI showed several calcifications within the rectus femoris.", "en")
    assert _study(x, "mri")["tissues"] == ["muscle"]
    y = read("Homme de 20 ans. L'IRM montrait plusieurs calcifications du vaste médial.", "fr")
    assert _study(y, "mri")["tissues"] == ["muscle"]
    z = read("A 25-year-old man presented with a painful swelling of the quadriceps.", "en")
    assert "thigh" in z.case["sites"]
    w = read("Homme de 25 ans présentant une tuméfaction douloureuse du quadriceps.", "fr")
    assert "thigh" in w.case["sites"]


def test_an_ossified_mass_is_organised_bone(read):
    x = read("A 30-year-old man. The radiograph showed an ossified mass near the elbow.", "en")
    assert _study(x, "radiograph")["patterns"] == ["trabecular"]
    y = read("Homme de 30 ans. La radiographie montrait une masse ossifiée de la cuisse.", "fr")
    assert _study(y, "radiograph")["patterns"] == ["trabecular"]


def test_hyperdense_foci_are_deposits_on_ct(read):
    """A CT that shows hyperdense foci describes deposits: the study is kept."""
    x = read("A 40-year-old woman. CT showed small hyperdense foci in the left thigh.", "en")
    assert _study(x, "ct")["modality"] == "ct"
    y = read("Femme de 40 ans. Le scanner retrouvait des plages hyperdenses de la cuisse.", "fr")
    assert _study(y, "ct")["modality"] == "ct"


def test_french_depots_alone_go_on_describing_the_study(read):
    x = read(
        "Homme de 50 ans. La radiographie montre des calcifications de l'épaule. "
        "On note aussi des dépôts plus petits en regard du poignet.",
        "fr",
    )
    assert _study(x, "radiograph")["sites"] == ["shoulder", "wrist"]


# ---------------------------------------------------------------- imaging: what belongs to a study
def test_a_description_goes_on_only_in_the_sentences_right_after(read):
    """A sentence about something else ends the study's description: a tissue word further on
    ("hypertension artérielle") is not the deposits'."""
    x = read(
        "Homme de 50 ans. La radiographie montre des calcifications de la hanche. "
        "Il est hémodialysé depuis 5 ans. Il a une hypertension artérielle.",
        "fr",
    )
    assert "tissues" not in _study(x, "radiograph")
    y = read(
        "A 50-year-old man. X-ray showed calcifications of the hip. He has been on hemodialysis "
        "for five years. He was treated for arterial hypertension.",
        "en",
    )
    assert "tissues" not in _study(y, "radiograph")
    z = read("A 50-year-old man. X-ray showed calcifications of the hip. They were linear.", "en")
    assert _study(z, "radiograph")["patterns"] == ["linear"]


def test_a_tissue_word_against_another_finding_is_that_findings(read):
    """ "dissection artérielle", "arterial dissection": the artery is the dissection's."""
    x = read("Homme de 45 ans. Le scanner montrait une calcification du cou et une dissection artérielle.", "fr")
    assert "tissues" not in _study(x, "ct")
    assert any(i.term == "artery" and i.field == "imaging" for i in x.dropped)
    y = read("A 45-year-old man. CT showed a calcification of the neck and an arterial dissection.", "en")
    assert "tissues" not in _study(y, "ct")


def test_a_run_of_sites_with_laterality_is_one_run(read):
    """ "the right elbow, pelvis, and left femur": three sites of one description."""
    x = read("A 60-year-old woman. Radiographs of the right elbow, pelvis, and left femur showed calcifications.", "en")
    assert _study(x, "radiograph")["sites"] == ["elbow", "pelvis", "thigh"]
    y = read(
        "Femme de 60 ans. Les radiographies du coude droit, du bassin et du fémur gauche montraient des calcifications.",
        "fr",
    )
    assert _study(y, "radiograph")["sites"] == ["elbow", "pelvis", "thigh"]


def test_deposits_around_a_joint_are_periarticular(read):
    x = read("A 30-year-old man on dialysis. X-ray showed calcifications around the knee.", "en")
    assert _study(x, "radiograph")["tissues"] == ["periarticular"]
    y = read("Homme de 30 ans. La radiographie montrait des calcifications autour de la hanche.", "fr")
    assert _study(y, "radiograph")["tissues"] == ["periarticular"]


def test_deposits_in_several_body_regions_are_widespread(read):
    """Upper and lower limbs: widespread; three sites of one limb: no distribution said."""
    x = read("A 40-year-old woman. Radiographs showed calcifications of the hands, hips and knees.", "en")
    assert _study(x, "radiograph")["distribution"] == "widespread"
    y = read(
        "Femme de 40 ans. Les radiographies montraient des calcifications des épaules, des coudes et des genoux.", "fr"
    )
    assert _study(y, "radiograph")["distribution"] == "widespread"
    z = read("A 40-year-old woman. Radiographs showed calcifications of the hips, thighs and knees.", "en")
    assert "distribution" not in _study(z, "radiograph")


def test_a_study_of_the_lesions_takes_their_tissue(read):
    """ "subcutaneous nodules ..., which on radiographs were calcifications": subcutaneous."""
    x = read(
        "A 50-year-old woman had subcutaneous nodules of the elbows, which on radiographs were calcifications.", "en"
    )
    study = _study(x, "radiograph")
    assert study["tissues"] == ["subcutaneous"] and study["sites"] == ["elbow"]
    assert "palpable_nodules" in x.case["findings"]
    y = read(
        "Femme de 50 ans. Nodules sous-cutanés des coudes, qui correspondaient à la radiographie à des calcifications.",
        "fr",
    )
    assert _study(y, "radiograph")["tissues"] == ["subcutaneous"]


def test_an_extent_is_no_distribution(read):
    """ "étendues sur environ 6 cm" is a size; "diffuses sur les deux cuisses" a distribution."""
    x = read("Homme de 40 ans. La radiographie montrait des calcifications étendues sur environ 6 cm.", "fr")
    assert "distribution" not in _study(x, "radiograph")
    y = read("Homme de 40 ans. La radiographie montrait des calcifications diffuses sur les deux cuisses.", "fr")
    assert _study(y, "radiograph")["distribution"] == "widespread"


# ---------------------------------------------------------------- context
def test_a_bracket_shares_the_status_of_what_it_explains(read):
    """The examples in brackets after a ruled-out cause are ruled out too."""
    x = read("Homme de 50 ans. Le scanner permettait d'éliminer les causes traumatiques (fracture, luxation).", "fr")
    assert "fracture" not in x.case.get("findings", [])
    y = read("Homme de 50 ans. Pas de maladie auto-immune connue (lupus, sclérodermie).", "fr")
    assert not {"systemic_lupus_erythematosus", "systemic_sclerosis"} & set(y.case.get("history", []))
    z = read("A 50-year-old man. CT was done to rule out traumatic causes (fracture, dislocation).", "en")
    assert "fracture" not in z.case.get("findings", [])


def test_a_french_cue_with_a_typographic_apostrophe(read):
    """ "permettait d’éliminer", "suspicion d’une": the cue is met with ’ as with '."""
    x = read("Homme de 50 ans. Le scanner permettait d’éliminer une fracture.", "fr")
    assert "fracture" not in x.case.get("findings", []) and "fracture" not in x.case.get("absent", [])
    y = read("Femme de 40 ans. Suspicion d’une sarcoïdose.", "fr")
    assert "sarcoidosis" not in y.case.get("history", [])


def test_possible_to_see_is_no_hypothesis(read):
    """English only ("il a été possible de voir" is rare in French letters): "it was possible
    to see" says what the study showed."""
    x = read("A 30-year-old woman. At CT examination it was possible to see small calcifications.", "en")
    assert _study(x, "ct")["modality"] == "ct"
    y = read("A 30-year-old woman. Calcinosis was possible.", "en")
    assert not any(i.field == "imaging" for i in y.items)


# ---------------------------------------------------------------- sites
@pytest.mark.parametrize(
    ("text", "lang", "site"),
    [
        # a region of the face by its name
        ("A 30-year-old woman with a painless preauricular nodule.", "en", "face"),
        ("Femme de 30 ans avec un nodule pré-auriculaire indolore.", "fr", "face"),
        # a coarser site that says where the finer one is: one site, the finer
        ("A 60-year-old woman with a calcified nodule of the distal phalanx of the fourth finger.", "en", "fingertips"),
        ("Femme de 60 ans avec un nodule calcifié de la pulpe du quatrième doigt.", "fr", "fingertips"),
        # a phalanx in a sentence about a toe is the foot's
        ("Femme de 80 ans. Douleur du gros orteil avec une calcification de la dernière phalange.", "fr", "foot"),
        ("An 80-year-old woman. Pain of the second toe with a calcification of the distal phalanx.", "en", "foot"),
        # the abdominal apron is the abdominal wall
        ("Homme de 50 ans. Nodules douloureux du tablier abdominal.", "fr", "abdominal_wall"),
        ("A 50-year-old man with painful nodules of the abdominal apron.", "en", "abdominal_wall"),
    ],
)
def test_sites_named_by_a_region_or_a_part(read, text: str, lang: str, site: str):
    assert read(text, lang).case["sites"] == [site]


# ---------------------------------------------------------------- findings, exposures, labs
def test_a_free_joint_moves_freely(read):
    """French examination idiom ("hanche libre"): joint restriction absent, and the hip is not
    a site of the lesions. (English "full range of motion" is read by the function rules.)"""
    x = read("Femme de 20 ans. Tuméfaction douloureuse de la cuisse, genou libre.", "fr")
    assert "joint_restriction" in x.case["absent"]
    assert x.case["sites"] == ["thigh"]


def test_panels_named_by_their_adjective_share_the_result(read):
    """ "bilan phosphocalcique, lipidique et rénal normaux": calcium, phosphate, creatinine.
    French only: English names the function ("renal function"), already a test name."""
    x = read("Homme de 30 ans. Bilan phosphocalcique, lipidique et rénal normaux.", "fr")
    labs = labs_by_test(x)
    for test in ("calcium", "phosphate", "creatinine"):
        assert labs[test]["interpretation"] == "normal"
    y = read("Homme de 30 ans. Bilan phosphocalcique normal, bilan hépatique perturbé.", "fr")
    assert "creatinine" not in labs_by_test(y)


def test_prealbumin_is_not_albumin(read):
    x = read("Homme de 60 ans. Pré-albumine à 0,12 g/l.", "fr")
    assert "albumin" not in labs_by_test(x)
    y = read("A 60-year-old man. Pre-albumin 0.15 g/L.", "en")
    assert "albumin" not in labs_by_test(y)


def test_bariatric_surgery_is_no_surgery_at_the_site(read):
    x = read("A 45-year-old woman with a history of bariatric surgery and painful nodules.", "en")
    assert "surgery_local" not in x.case.get("history", [])
    y = read("Femme de 45 ans, antécédent de chirurgie bariatrique, nodules douloureux.", "fr")
    assert "surgery_local" not in y.case.get("history", [])


def test_an_origin_in_an_endemic_country(read):
    """An origin cue and an endemic place: life in an endemic area; a demonym alone is not."""
    x = read("A 30-year-old man, originally from Guatemala, presented with calcified nodules.", "en")
    assert "endemic_area" in x.case["exposures"]
    y = read("Homme de 35 ans originaire du Cameroun, nodules calcifiés.", "fr")
    assert "endemic_area" in y.case["exposures"]
    z = read("A 35-year-old African American woman with calcified nodules.", "en")
    assert "endemic_area" not in z.case.get("exposures", [])


def test_a_sign_described_by_its_parts(read):
    """A violaceous rash of the eyelids is a heliotrope rash (the eyelids are the rash's, not
    the calcinosis' sites); yellow plaques of the neck are PXE's papules (the neck stays)."""
    x = read("A 50-year-old woman with a finger nodule. Purplish macules were seen on both upper eyelids.", "en")
    assert "heliotrope_rash" in x.case["findings"]
    assert "eyelid" not in x.case["sites"]
    y = read("Femme de 50 ans avec un nodule du doigt. Érythème violacé des paupières.", "fr")
    assert "heliotrope_rash" in y.case["findings"]
    z = read("Femme de 30 ans. Placards jaune chamois du cou.", "fr")
    assert "yellow_papules_flexures" in z.case["findings"]
    assert "head_neck" in z.case["sites"]
    w = read("A 30-year-old woman with yellow plaques on the sides of the neck.", "en")
    assert "yellow_papules_flexures" in w.case["findings"]
    v = read("A 30-year-old woman with red patches of the neck.", "en")
    assert "yellow_papules_flexures" not in v.case.get("findings", [])
