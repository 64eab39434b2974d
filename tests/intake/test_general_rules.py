"""General rules of clinical French and English (issue 18), each on sentences written for the test.

None of these sentences comes from the note set (tests/data/notes): each pins one rule of the
lexicon or of the reader, as a clinician would state it.
"""

from __future__ import annotations

import re

import pytest

from calcinosis.intake import IntakeError, extract_case

# ---------------------------------------------------------------- copy artefacts, word forms


def test_words_cut_at_a_line_end_or_by_a_lost_ligature(read):
    """ "phospha-\\ntases", "fi èvre" are one word again; "sous-\\ncutanés" stays a compound."""
    x = read(
        "Patient de 60 ans avec une fi èvre à 39 °C et des nodules sous-\ncutanés. Les phospha-\n"
        "tases alcalines sont à 310 UI/l.",
        "fr",
    )
    assert "fever" in x.case["findings"]
    assert {"test": "alkaline_phosphatase", "value": 310.0, "unit": "U/L"} in x.case["labs"]


def test_anti_written_against_the_antigen(read):
    """ "antiDNA" reads as "anti-DNA"."""
    x = read("Patiente de 33 ans. Il n'y a pas d'anticorps antiDNA natif.", "fr")
    assert x.case["antibodies"] == [{"name": "anti_dsdna", "result": "negative"}]


def test_laterality_does_not_change_the_site(read):
    """ "the neck of the left femur" is the femoral neck (hip), not the neck."""
    x = read("A 70-year-old woman has painful nodules near the neck of the left femur.", "en")
    assert x.case["sites"] == ["hip"]


def test_feminine_ienne_and_elle_endings(read):
    """ "péritrochantérienne" and "artérielles" meet their masculine spellings."""
    x = read("Patiente de 66 ans. Nodule douloureux de la région péritrochantérienne.", "fr")
    assert x.case["sites"] == ["hip"]


# ---------------------------------------------------------------- labs


def test_value_in_brackets_with_a_reference_range(read):
    """ "phosphate level (2.10 [ref 0.80-1.50] mmol/L)": the value, not the range, with its unit."""
    x = read("A 50-year-old man had a raised serum phosphate level (2.10 [ref 0.80-1.50] mmol/L).", "en")
    assert x.case["labs"] == [{"test": "phosphate", "value": 2.1, "unit": "mmol/L"}]


def test_result_said_before_the_tests_and_shared(read):
    """ "normal levels of calcium and magnesium": one result for both tests."""
    x = read("A 45-year-old woman with normal levels of calcium and magnesium.", "en")
    assert x.case["labs"] == [
        {"test": "calcium", "interpretation": "normal"},
        {"test": "magnesium", "interpretation": "normal"},
    ]


def test_french_result_before_the_test_and_enzyme_groups(read):
    """ "pas d'élévation des enzymes musculaires": CK normal; "élévation de la CRP": high."""
    x = read(
        "Patient de 58 ans. Pas d'élévation des enzymes pancréatiques. On note une élévation de la CRP.",
        "fr",
    )
    assert {"test": "amylase", "interpretation": "normal"} in x.case["labs"]
    assert {"test": "lipase", "interpretation": "normal"} in x.case["labs"]
    assert {"test": "crp", "interpretation": "high"} in x.case["labs"]
    y = read("Patiente de 41 ans. Pas d'élévation des enzymes musculaires.", "fr")
    assert y.case["labs"] == [{"test": "ck", "interpretation": "normal"}]


def test_tests_listed_in_brackets_share_the_result(read):
    """ "Le bilan standard (NFS, VS, fonction rénale) est normal": every test of the brackets."""
    x = read("Patiente de 52 ans. Le bilan standard (NFS, VS, fonction rénale) est normal.", "fr")
    assert sorted(lab["test"] for lab in x.case["labs"]) == ["creatinine", "esr", "wbc"]
    assert {lab["interpretation"] for lab in x.case["labs"]} == {"normal"}


def test_word_naming_a_test_and_its_result(read):
    """ "hyperleucocytose à 16 000/mm3": a count per mm3 is the white-cell count in 10^9/L (exact),
    so the value wins; with a unit that fits nothing, the word's meaning is placed."""
    x = read("Patient de 77 ans. Hyperleucocytose à 16 000/mm3.", "fr")
    assert x.case["labs"] == [{"test": "wbc", "value": 16.0, "unit": "10^9/L"}]
    x = read("Patient de 77 ans. Hyperleucocytose à 16 mmol/l.", "fr")  # a unit of no count
    assert x.case["labs"] == [{"test": "wbc", "interpretation": "high"}]
    assert any("nomme l'analyse et son résultat" in i.reason for i in x.items)


def test_result_word_right_before_an_antibody_wins(read):
    """ "positive anti-Scl-70 antibodies, with normal creatinine": positive, not "normal"."""
    x = read("A 38-year-old woman had positive anti-Scl-70 antibodies, with normal creatinine.", "en")
    assert x.case["antibodies"] == [{"name": "anti_scl70", "result": "positive"}]


# ---------------------------------------------------------------- durations and age


def test_duration_of_a_condition_is_not_the_lesions(read):
    """ "on hemodialysis for 8 years" is the dialysis's; the nodules' "two-month history" is kept."""
    x = read(
        "A 61-year-old man on hemodialysis for 8 years presented with a two-month history of painful nodules.",
        "en",
    )
    assert x.case["duration_months"] == 2.0


def test_history_of_a_condition_named_after_it(read):
    """ "a ten-year history of scleroderma" is the disease's duration, not the lesions'."""
    x = read("A 50-year-old woman with a ten-year history of scleroderma has nodules on the elbows.", "en")
    assert "duration_months" not in x.case


def test_duration_from_the_age_at_onset(read):
    """ "depuis l'âge de 30 ans" in a patient of 40: 120 months."""
    x = read("Homme de 40 ans qui présente des nodules du coude depuis l'âge de 30 ans.", "fr")
    assert x.case["duration_months"] == 120.0


def test_more_than_one_month_with_elision(read):
    """ "il y a plus d'un mois" (with a typographic apostrophe) is one month."""
    x = read("Patient de 22 ans. Tuméfaction douloureuse du genou apparue il y a plus d’un mois.", "fr")
    assert x.case["duration_months"] == 1.0


@pytest.mark.parametrize(
    ("phrase", "age"),
    [("a man in his 30s", 35.0), ("a woman in her early sixties", 63.0), ("a man in his late 40s", 48.0)],
)
def test_age_from_the_decade(read, phrase, age):
    """A decade is read as its middle (early / late: third / eighth year) and said so."""
    x = read(f"We saw {phrase} with painful nodules of the fingers.", "en")
    assert x.case["patient"]["age"] == age
    assert any(i.term == "age" and "decade" in i.reason for i in x.items)


# ---------------------------------------------------------------- findings, absent items


@pytest.mark.parametrize(
    ("note", "lang", "field"),
    [
        ("A 30-year-old man. Muscle strength was normal in all four limbs.", "en", "absent"),
        ("A 30-year-old man. He had normal muscle power.", "en", "absent"),
        ("Patient de 30 ans. La force musculaire est normale.", "fr", "absent"),
        ("A 30-year-old man with weak proximal muscles; motor strength was reduced.", "en", "findings"),
    ],
)
def test_muscle_strength_normal_or_reduced(read, note, lang, field):
    """A normal strength says weakness is absent; a reduced one that it is present."""
    x = read(note, lang)
    assert "muscle_weakness" in x.case.get(field, [])


def test_range_of_motion(read):
    """ "reduced abduction" is a joint restriction; "full range of motion" says there is none."""
    x = read("A 40-year-old man with reduced abduction of the right shoulder.", "en")
    assert "joint_restriction" in x.case["findings"]
    y = read("A 40-year-old man. The elbow had a full range of motion.", "en")
    assert y.case["absent"] == ["joint_restriction"]


def test_painless_swelling_and_painless_nodule(read):
    """A swelling called painless is painless_swelling; a painless nodule is not (pain absent in both)."""
    x = read("Patiente de 35 ans. Tuméfaction de la cuisse, ferme, indolore.", "fr")
    assert "painless_swelling" in x.case["findings"] and x.case["absent"] == ["pain"]
    y = read("Patiente de 35 ans. Nodule de la cuisse, ferme, indolore.", "fr")
    assert "painless_swelling" not in y.case["findings"] and y.case["absent"] == ["pain"]


def test_asymptomatic_lesion_neither_hurts_nor_itches(read):
    x = read("A 29-year-old man with an asymptomatic nodule of the ear.", "en")
    assert x.case["absent"] == ["pain", "pruritus"]


@pytest.mark.parametrize(
    ("note", "lang", "term"),
    [
        ("Patiente de 45 ans. Elle se plaint de myalgies diffuses.", "fr", "pain"),
        ("A 12-year-old boy with ankylosis of both knees.", "en", "joint_restriction"),
        ("A 33-year-old man with a gradually enlarging mass of the forearm.", "en", "growing_mass"),
        ("Patient de 70 ans. Ulcère nécrosant de la jambe.", "fr", "skin_necrosis"),
        ("A 44-year-old woman; the ulcer bed had a white exudate.", "en", "chalky_discharge"),
        ("Homme de 50 ans, tuméfaction scrotale prurigineuse.", "fr", "scrotal_nodules"),
    ],
)
def test_finding_synonyms(read, note, lang, term):
    x = read(note, lang)
    assert term in x.case["findings"]


def test_words_that_are_not_the_shorter_term(read):
    """Inhaled steroids are not systemic corticosteroids; a urinary infection is not a local one;
    a bare oedema is not a leg oedema; "non insulino-dépendant" is no negation of diabetes."""
    x = read(
        "Patient de 64 ans, diabète non insulino-dépendant, sous corticothérapie inhalée, "
        "infections urinaires récidivantes, œdème de la lèvre.",
        "fr",
    )
    assert x.case["history"] == ["diabetes_mellitus"]
    assert "exposures" not in x.case
    assert "absent" not in x.case
    assert "local_infection" not in x.case.get("findings", []) and "leg_edema" not in x.case.get("findings", [])


def test_trauma_by_a_car(read):
    x = read("A 19-year-old man was hit by a car and now has a painful thigh mass.", "en")
    assert "trauma_local" in x.case["history"]


def test_dialysis_implies_kidney_disease(read):
    """A patient on maintenance dialysis has end-stage kidney disease (said in the reason)."""
    x = read("Patient de 58 ans hémodialysé depuis 6 ans.", "fr")
    assert x.case["history"] == ["dialysis", "chronic_kidney_disease"]
    ckd = next(i for i in x.items if i.term == "chronic_kidney_disease")
    assert "impliqué par" in ckd.reason


# ---------------------------------------------------------------- context


def test_relative_who_tells_is_the_informant(read):
    """ "Her mother reported fever": the fever is the child's, not a family history."""
    x = read("A 6-year-old girl. Her mother reported fever and painful nodules of the knee.", "en")
    assert "fever" in x.case["findings"]
    y = read("A 6-year-old girl. Her mother has scleroderma.", "en")
    assert "history" not in y.case


def test_planned_surgery_is_not_a_fact(read):
    x = read("Patiente de 9 ans. Une intervention chirurgicale est prévue pour la tuméfaction du bras.", "fr")
    assert "history" not in x.case
    assert any(d.term == "surgery_local" and d.status == "hypothetical" for d in x.dropped)


def test_ruled_out_diagnosis_is_not_placed(read):
    x = read("Patient de 40 ans. Le scanner permettait d'éliminer une sarcoïdose.", "fr")
    assert "history" not in x.case


# ---------------------------------------------------------------- sites


def test_site_belongs_to_its_nearest_finding(read):
    """ "télangiectasies du visage": the face is the telangiectasia's, the elbows the nodules'."""
    x = read(
        "Patiente de 50 ans. L'examen trouve des télangiectasies du visage et des nodules douloureux des coudes.",
        "fr",
    )
    assert x.case["sites"] == ["elbow"]
    assert any(d.term == "face" and "autre signe" in d.reason for d in x.dropped)


def test_site_of_a_rash_or_patch(read):
    """Patches, placards and rashes are the lesions: their sites are the lesions' sites."""
    x = read("A 70-year-old woman presented with a three-month history of violaceous patches on her legs.", "en")
    assert x.case["sites"] == ["lower_limb"]
    assert x.case["duration_months"] == 3.0


# ---------------------------------------------------------------- imaging


def test_modality_without_a_deposit_is_no_study(read):
    """A radiograph that only ruled out a fracture is not a study of the calcifications."""
    x = read(
        "A 55-year-old man. A radiograph of the wrist showed no fracture. "
        "Ultrasound showed calcific deposits in the supraspinatus tendon.",
        "en",
    )
    assert [s["modality"] for s in x.case["imaging"]] == ["ultrasound"]
    assert any(d.term == "radiograph" and "no calcification" in d.reason for d in x.dropped)


def test_region_examined_stands_in_only_when_deposits_have_no_site(read):
    """ "Radiographs of the pelvis showed calcifications": the pelvis; "... above the greater
    trochanter": the hip only; a dislocated shoulder is the dislocation's site."""
    x = read("A 60-year-old woman. Radiographs of the pelvis showed soft tissue calcifications.", "en")
    assert x.case["imaging"][0]["sites"] == ["pelvis"]
    y = read(
        "A 60-year-old woman. A radiograph of the pelvis showed an ossified mass above the greater trochanter.",
        "en",
    )
    assert y.case["imaging"][0]["sites"] == ["hip"]
    z = read(
        "A 30-year-old man. Radiographs of the right upper limb showed a shoulder dislocation and calcifications.",
        "en",
    )
    assert z.case["imaging"][0]["sites"] == ["upper_limb"]


def test_study_findings_listed_after_a_colon(read):
    """A study whose sentence ends with ":" goes on in the list items that follow."""
    note = (
        "Patiente de 60 ans.\n\nL'échographie des membres retrouve :\n\n"
        "- une sténose de l'artère fémorale ;\n\n- des calcifications pariétales des artères des jambes."
    )
    x = read(note, "fr")
    study = x.case["imaging"][0]
    assert study["modality"] == "ultrasound" and study["sites"] == ["lower_limb"]
    assert "artery" in study["tissues"]


def test_clinical_lesions_before_the_study_clause(read):
    """ "Nodules of the elbows and knees, which on radiographs were calcifications": the nodules
    and their sites are clinical, and the study shows those sites."""
    x = read(
        "A 52-year-old woman had painful nodules of the elbows and knees, which on radiographs were calcifications.",
        "en",
    )
    assert x.case["findings"][:2] == ["pain", "palpable_nodules"] or "palpable_nodules" in x.case["findings"]
    assert x.case["sites"] == ["elbow", "knee"]
    assert x.case["imaging"][0]["sites"] == ["elbow", "knee"]


# ---------------------------------------------------------------- reasons in the output language

_ENGLISH = re.compile(r"\b(?:stated|the|of|sentence|study|with|negated|value|unit|found|placed)\b")


def test_reasons_are_french_for_a_french_note(read):
    """Every reason of a French note is French, with a no-break space before ":" and ";"."""
    x = read(
        "Patiente de 45 ans suivie pour une sclérodermie systémique, nodules calciques douloureux des doigts, "
        "pas d'ulcération, calcémie 2,35 mmol/l, PTH 5 mmol/l. La radiographie montre des calcifications "
        "en nappe des doigts. Elle présente une xérodermie.",
        "fr",
    )
    texts = [i.reason for i in [*x.items, *x.dropped]] + [u.why for u in x.not_understood]
    assert texts
    for text in texts:
        assert not _ENGLISH.search(text), text
        assert not re.search(r"[^\u00a0\u202f][:;]", text.replace("://", "")), text
    assert any("\u00a0:" in t for t in texts)


def test_reasons_language_can_be_chosen(kb):
    """The reasons follow the output language when it is given apart from the note's."""
    x = extract_case("A 45-year-old woman with scleroderma and no fever.", kb, reasons="fr")
    assert all(not _ENGLISH.search(i.reason) for i in x.items)
    with pytest.raises(IntakeError, match="not de"):
        extract_case("A 45-year-old woman with scleroderma.", kb, reasons="de")
