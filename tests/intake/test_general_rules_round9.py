"""Round 9 of issue 18: general mechanisms found on the published note sets read as development
sets from this round on (``notes-heldout2``, ``-3``, ``-4``), each tested on sentences of our own
(no note's text), in both languages where the phenomenon exists. ``notes-heldout5`` measures the
round, unread."""

from __future__ import annotations

import pytest

from tests.intake._helpers import labs_by_test


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("A 40-year-old woman with calcified nodules. Calcium, phosphate and PTH levels were all normal.", "en"),
        (
            "A 40-year-old woman with calcified nodules. Calcium, phosphate and PTH were both normal and unremarkable.",
            "en",
        ),
        (
            "A 40-year-old woman with calcified nodules. Serum calcium, phosphate and PTH remained within normal limits.",
            "en",
        ),
        (
            "Patiente de 40 ans, nodules calcifiés. La calcémie, la phosphorémie et la PTH étaient toutes normales.",
            "fr",
        ),
    ],
)
def test_a_quantifier_or_a_verb_of_state_keeps_the_result_with_the_tests(read, text: str, lang: str) -> None:  # type: ignore[no-untyped-def]
    """ "were all normal", "remained within normal limits": the result is still the tests'."""
    labs = labs_by_test(read(text, lang))
    assert labs["calcium"]["interpretation"] == "normal"
    assert labs["phosphate"]["interpretation"] == "normal"


@pytest.mark.parametrize(
    ("text", "lang", "absent", "present"),
    [
        (
            "A 45-year-old woman with a calcified deposit of the shoulder. She denies trauma, reporting that the pain came on suddenly.",
            "en",
            "trauma_local",
            "pain",
        ),
        (
            "A 45-year-old man with a calcified deposit of the shoulder. He denied fever, stating that the swelling was painful.",
            "en",
            "fever",
            "swelling",
        ),
        (
            "Patiente de 45 ans, calcification de l'épaule. Pas de fièvre, la patiente rapportant une douleur intense.",
            "fr",
            "fever",
            "pain",
        ),
    ],
)
def test_a_reporting_clause_ends_a_negation(read, text: str, lang: str, absent: str, present: str) -> None:  # type: ignore[no-untyped-def]
    """What the patient goes on to report is present: a negation stops at "reporting that"."""
    case = read(text, lang).case
    assert absent in case.get("absent", [])
    assert present in case.get("findings", [])
    assert present not in case.get("absent", [])


@pytest.mark.parametrize(
    ("text", "lang", "months"),
    [
        ("A 40-year-old woman had calcified nodules of the thigh, which appeared one year previously.", "en", 12.0),
        ("A 40-year-old man had a swelling of the hip progressing during one-year.", "en", 12.0),
        ("A 40-year-old man had a year-long history of calcified nodules of the leg.", "en", 12.0),
        ("A 40-year-old man had a decade-long history of calcified nodules of the leg.", "en", 120.0),
        ("A 40-year-old woman had calcified nodules of the hand for 2 decades.", "en", 240.0),
        ("A 40-year-old woman had calcified nodules of the hand that first appeared 3 years back.", "en", 36.0),
        ("Patient de 40 ans, nodules calcifiés de la cuisse évoluant depuis 3ans.", "fr", 36.0),
    ],
)
def test_more_ways_to_say_how_long(read, text: str, lang: str, months: float) -> None:  # type: ignore[no-untyped-def]
    """ "previously", "back", "year-long", "during", decades, a number glued to "ans"."""
    assert read(text, lang).case.get("duration_months") == months


@pytest.mark.parametrize(
    ("text", "lang", "modality"),
    [
        (
            "Patiente de 50 ans, douleur du poignet.\n\nTDM :\n\nPas d'anomalie osseuse.\n\n"
            "Calcification amorphe en regard du carpe.",
            "fr",
            "ct",
        ),
        (
            "A 50-year-old woman with wrist pain.\n\nRADIOGRAPH\n\nNo bone abnormality.\n\n"
            "Amorphous calcification at the wrist.",
            "en",
            "radiograph",
        ),
    ],
)
def test_a_modality_heading_governs_the_paragraphs_below_it(read, text: str, lang: str, modality: str) -> None:  # type: ignore[no-untyped-def]
    """A study named as a heading is described in the paragraphs under it, past blank lines."""
    studies = read(text, lang).case.get("imaging", [])
    assert [s["modality"] for s in studies] == [modality]
    assert "amorphous" in studies[0].get("patterns", [])


def test_a_heading_section_ends_at_the_next_heading(read) -> None:  # type: ignore[no-untyped-def]
    """Under another heading ("Biology:") a calcification word is no longer the study's."""
    text = (
        "A 50-year-old woman with wrist pain.\n\nRADIOGRAPH\n\nAmorphous calcification at the wrist.\n\n"
        "Biology:\n\nNo vascular calcification risk factor; ring-shaped lesions were not seen."
    )
    studies = read(text, "en").case.get("imaging", [])
    assert [s["modality"] for s in studies] == ["radiograph"]
    assert "ring" not in studies[0].get("patterns", [])


@pytest.mark.parametrize(
    ("text", "heading"),
    [
        ("Douleur.\n\nTDM :\n\nCalcification.", True),
        ("Douleur.\nRADIOGRAPHIE STANDARD A J0\nCalcification.", True),
        ("Intro.\nA radiograph was then taken:\nfine.", True),
        ("Intro.\nPain. A radiograph was taken.\nEnd.", False),
        ("Pain.\nCalcification amorphe en regard du pisiforme\nFin.", False),
        ("Pain.\nCT SCAN OF THE LEFT THIGH AND KNEE WITH CONTRAST\nFin.", False),
    ],
)
def test_what_counts_as_a_heading(text: str, heading: bool) -> None:
    """A heading is a line of its own, of at most five words, in capitals or ending with a colon."""
    from calcinosis.intake._reader import _heading_line

    lines = text.split("\n")
    middle = next(line for line in lines[1:] if line)
    start = text.index(middle)
    assert _heading_line(text, start, start + len(middle)) is heading


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("A 14-year-old boy without any personal or familial disease, was worried by a swelling of the hip.", "en"),
        ("A 30-year-old woman with no past history, presented with a swelling of the hip.", "en"),
    ],
)
def test_a_new_clause_after_a_comma_ends_a_negation(read, text: str, lang: str) -> None:  # type: ignore[no-untyped-def]
    """ ", was worried by", ", presented with": a new clause; what it brings is present."""
    case = read(text, lang).case
    assert "swelling" in case.get("findings", [])
    assert "swelling" not in case.get("absent", [])


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("A 45-year-old woman had sudden severe shoulder pain; a calcific deposit was seen.", "en"),
        ("Patiente de 45 ans, douleur de l'épaule, calcification tendineuse.", "fr"),
    ],
)
def test_a_pain_at_a_named_place_is_also_a_pain(read, text: str, lang: str) -> None:  # type: ignore[no-untyped-def]
    findings = read(text, lang).case.get("findings", [])
    assert "shoulder_pain" in findings
    assert "pain" in findings


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("A 40-year-old woman had hard calcified nodules on the abdomen and the thighs.", "en"),
        ("Patiente de 40 ans, nodules durs calcifiés de l'abdomen et des cuisses.", "fr"),
    ],
)
def test_a_lesion_on_the_abdomen_is_in_its_wall(read, text: str, lang: str) -> None:  # type: ignore[no-untyped-def]
    sites = read(text, lang).case.get("sites", [])
    assert "abdominal_wall" in sites
    assert "abdomen" not in sites


def test_an_abdominal_tenderness_is_not_in_the_wall(read) -> None:  # type: ignore[no-untyped-def]
    """A pain or tenderness of the abdomen is felt inside it: never read as its wall."""
    text = "A 40-year-old man had calcified nodules of the thigh. He had diffuse abdominal tenderness."
    assert "abdominal_wall" not in read(text, "en").case.get("sites", [])


@pytest.mark.parametrize(
    ("text", "lang", "known"),
    [
        ("A 60-year-old woman with calcified nodules had severe hypercalcemia (calcium 14.2 mg/dL).", "en", False),
        ("A 60-year-old woman with calcified nodules had a known chronic hypercalcemia.", "en", True),
        ("Patiente de 60 ans, nodules calcifiés, hypercalcémie sévère à 3,5 mmol/l.", "fr", False),
        ("Patiente de 60 ans, nodules calcifiés, hypercalcémie chronique connue depuis plusieurs années.", "fr", True),
    ],
)
def test_hypercalcaemia_found_now_is_the_lab_not_a_known_condition(read, text: str, lang: str, known: bool) -> None:  # type: ignore[no-untyped-def]
    """Known hypercalcaemia is a condition known before this presentation; found by this work-up,
    the word is the calcium's level only."""
    x = read(text, lang)
    assert ("hypercalcemia_known" in x.case.get("history", [])) is known
    assert labs_by_test(x)["calcium"].get("interpretation", "high") == "high"


@pytest.mark.parametrize(
    ("text", "lang", "tests", "result"),
    [
        (
            "A 40-year-old woman with calcified nodules. Laboratory data were within normal limits, "
            "including ESR, C-reactive protein and white blood cell counts.",
            "en",
            ("esr", "crp", "wbc"),
            "normal",
        ),
        (
            "A 40-year-old woman with calcified nodules. Inflammatory markers were raised, including CRP and ESR.",
            "en",
            ("crp", "esr"),
            "high",
        ),
        (
            "Patiente de 40 ans, nodules calcifiés. Le bilan biologique était normal, notamment la calcémie et la phosphorémie.",
            "fr",
            ("calcium", "phosphate"),
            "normal",
        ),
    ],
)
def test_a_list_after_including_takes_the_result_said_before_it(
    read, text: str, lang: str, tests: tuple[str, ...], result: str
) -> None:  # type: ignore[no-untyped-def]
    labs = labs_by_test(read(text, lang))
    assert all(labs[t]["interpretation"] == result for t in tests)


def test_showed_between_a_test_and_its_result(read) -> None:  # type: ignore[no-untyped-def]
    text = "A 40-year-old woman with calcified nodules. Blood chemistry including renal function showed normal ranges."
    assert labs_by_test(read(text, "en"))["creatinine"]["interpretation"] == "normal"


@pytest.mark.parametrize(
    ("text", "lang", "acute"),
    [
        ("A 40-year-old man with a calcific deposit presented with acute on chronic right shoulder pain.", "en", True),
        ("A 40-year-old man with a calcific deposit complained of acute right-sided wrist pain.", "en", True),
        ("Homme de 40 ans, calcification, consulte pour une douleur aiguë du genou droit.", "fr", True),
        ("A 40-year-old man with a calcific deposit had gradually worsening right shoulder pain.", "en", False),
    ],
)
def test_a_joint_pain_said_acute_is_an_acute_joint_pain(read, text: str, lang: str, acute: bool) -> None:  # type: ignore[no-untyped-def]
    findings = read(text, lang).case.get("findings", [])
    assert ("acute_joint_pain" in findings) is acute
    assert "pain" in findings


@pytest.mark.parametrize(
    ("text", "lang", "symptoms"),
    [
        (
            "A 70-year-old woman with hypercalcaemia and calcified nodules presented with confusion and lethargy.",
            "en",
            True,
        ),
        ("Patiente de 70 ans, hypercalcémie, nodules calcifiés, syndrome confusionnel et asthénie.", "fr", True),
        (
            "A 70-year-old woman with calcified nodules of the thigh presented with confusion after a stroke.",
            "en",
            False,
        ),
        ("A 70-year-old woman with hypercalcaemia and calcified nodules had no nausea.", "en", False),
    ],
)
def test_confusion_is_a_symptom_of_hypercalcaemia_in_a_note_about_it(
    read, text: str, lang: str, symptoms: bool
) -> None:  # type: ignore[no-untyped-def]
    case = read(text, lang).case
    assert ("hypercalcemia_symptoms" in case.get("findings", [])) is symptoms
    assert "hypercalcemia_symptoms" not in case.get("absent", [])


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        (
            "A 40-year-old woman with calcified nodules of the leg. A provisional diagnosis of soft tissue infection was made.",
            "en",
        ),
        ("A 40-year-old woman had calcified nodules; misinterpreted as abscesses, they were incised.", "en"),
        (
            "Patiente de 40 ans, nodules calcifiés de la jambe, initialement pris pour une infection des parties molles.",
            "fr",
        ),
    ],
)
def test_a_misdiagnosis_is_a_hypothesis(read, text: str, lang: str) -> None:  # type: ignore[no-untyped-def]
    """ "provisional diagnosis of", "misinterpreted as", "pris pour": what was supposed, not found."""
    assert "local_infection" not in read(text, lang).case.get("findings", [])


def test_an_abbreviation_in_the_bracket_before_the_value(read) -> None:  # type: ignore[no-untyped-def]
    """ "glomerular filtration rate (GFR; 25 ml/min/1.73 m2)": the value after the abbreviation."""
    text = (
        "A 40-year-old woman with calcified ulcers. Investigations revealed glomerular filtration rate "
        "(GFR; 25 ml/min/1.73 m2) and C-reactive protein (CRP; 7 mg/L)."
    )
    labs = labs_by_test(read(text, "en"))
    assert labs["egfr"]["value"] == 25.0
    assert labs["crp"]["value"] == 7.0


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("A 58-year-old man with knee locking. Knee radiographs revealed multiple intra-articular loose bodies.", "en"),
        (
            "Homme de 58 ans, blocages du genou. La radiographie du genou montre de multiples corps libres intra-articulaires.",
            "fr",
        ),
    ],
)
def test_loose_bodies_are_deposits_a_study_shows(read, text: str, lang: str) -> None:  # type: ignore[no-untyped-def]
    studies = read(text, lang).case.get("imaging", [])
    assert [s["modality"] for s in studies] == ["radiograph"]
    assert "knee" in studies[0].get("sites", [])


def test_the_sites_of_occurrence_are_the_lesions_sites(read) -> None:  # type: ignore[no-untyped-def]
    text = "An 8-year-old girl had 4 hard nodules. The sites of occurrence were the neck and the right thigh."
    sites = read(text, "en").case.get("sites", [])
    assert "head_neck" in sites
    assert "thigh" in sites


@pytest.mark.parametrize(
    ("text", "lang", "test", "value", "unit"),
    [
        (
            "A 60-year-old woman with calcified nodules. Calcium level at admission was 3.1 mmol/L.",
            "en",
            "calcium",
            3.1,
            "mmol/L",
        ),
        (
            "A 60-year-old woman with calcified nodules. Her serum calcium on the day of admission was 12.5 mg/dL.",
            "en",
            "calcium",
            12.5,
            "mg/dL",
        ),
        (
            "Patiente de 60 ans, nodules calcifiés. La calcémie mesurée aux urgences était de 3,1 mmol/l.",
            "fr",
            "calcium",
            3.1,
            "mmol/L",
        ),
    ],
)
def test_a_value_a_few_unknown_words_after_its_test(
    read, text: str, lang: str, test: str, value: float, unit: str
) -> None:  # type: ignore[no-untyped-def]
    """Words the fillers do not know between a test and its value: the value is still read, with
    a unit of that test."""
    entry = labs_by_test(read(text, lang))[test]
    assert (entry["value"], entry["unit"]) == (value, unit)


@pytest.mark.parametrize(
    "text",
    [
        "A 60-year-old woman with calcified nodules. Calcium was measured twice in 2019 at 2.6 mmol/L.",
        "A 60-year-old woman with calcified nodules. Calcium was checked after 3 days of treatment.",
    ],
)
def test_no_value_is_taken_past_another_number(read, text: str) -> None:  # type: ignore[no-untyped-def]
    """The first number met must be the value, with the test's unit: a year or a count stops it."""
    assert "value" not in labs_by_test(read(text, "en")).get("calcium", {})


@pytest.mark.parametrize(
    ("text", "interp"),
    [
        ("A 60-year-old woman with calcified nodules. Calcium level on admission was elevated.", "high"),
        (
            "A 60-year-old woman with calcified nodules. Phosphate at the first visit was within normal limits.",
            "normal",
        ),
    ],
)
def test_a_result_word_a_few_unknown_words_after_its_test(read, text: str, interp: str) -> None:  # type: ignore[no-untyped-def]
    labs = labs_by_test(read(text, "en"))
    assert next(iter(labs.values()))["interpretation"] == interp


def test_a_result_word_after_another_term_is_that_terms(read) -> None:  # type: ignore[no-untyped-def]
    text = "A 60-year-old woman with calcified nodules. Calcium was checked and her blood pressure was high."
    assert "calcium" not in labs_by_test(read(text, "en"))


@pytest.mark.parametrize(
    ("text", "lang", "field"),
    [
        (
            "Patiente de 40 ans, nodules calcifiés. Pas de traumatisme, et pas d'antécédent familial similaire.",
            "fr",
            "absent",
        ),
        ("Patiente de 40 ans, nodules calcifiés. Antécédents familiaux similaires chez sa mère.", "fr", "findings"),
        (
            "A 40-year-old woman with calcified nodules. She has two children and her family history is unremarkable.",
            "en",
            "absent",
        ),
    ],
)
def test_the_family_history_term_is_not_hidden_by_its_own_family_word(read, text: str, lang: str, field: str) -> None:  # type: ignore[no-untyped-def]
    """ "antécédent familial similaire" names the family itself: the family cue is its own word;
    a denial before it ("pas d'") or after it ("is unremarkable") denies it."""
    case = read(text, lang).case
    assert "family_history_similar" in case.get(field, [])


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        (
            "A 45-year-old woman with shoulder pain. Ultrasound showed a hyperechoic focus with posterior acoustic shadowing in the tendon.",
            "en",
        ),
        (
            "Patiente de 45 ans, douleur de l'épaule. L'échographie montrait une image hyperéchogène avec cône d'ombre postérieur dans le tendon.",
            "fr",
        ),
    ],
)
def test_an_acoustic_shadow_is_a_deposit_on_ultrasound(read, text: str, lang: str) -> None:  # type: ignore[no-untyped-def]
    studies = read(text, lang).case.get("imaging", [])
    assert [s["modality"] for s in studies] == ["ultrasound"]
    assert "tendon" in studies[0].get("tissues", [])


@pytest.mark.parametrize(
    ("text", "site"),
    [
        ("A 40-year-old man. Plain films demonstrated soft tissue densities around the knee.", "knee"),
        ("A 40-year-old man. CT showed a heterotopic bone formation anterior to the hip.", "hip"),
        ("A 40-year-old woman with neck pain. CT showed a calcific density in the longus colli.", "head_neck"),
    ],
)
def test_more_words_for_what_a_study_shows(read, text: str, site: str) -> None:  # type: ignore[no-untyped-def]
    studies = read(text, "en").case.get("imaging", [])
    assert len(studies) == 1
    assert site in studies[0].get("sites", [])


@pytest.mark.parametrize(
    ("text", "lang", "sites"),
    [
        (
            "A 40-year-old woman had multiple hard nodules. They were located on the elbows and knees.",
            "en",
            {"elbow", "knee"},
        ),
        (
            "A 40-year-old man had several firm lesions. These involved both hands and the left foot.",
            "en",
            {"hand", "foot"},
        ),
        (
            "Patiente de 40 ans, nodules durs multiples. Ils siégeaient aux coudes et aux genoux.",
            "fr",
            {"elbow", "knee"},
        ),
    ],
)
def test_a_sentence_that_places_the_lesions_just_described(read, text: str, lang: str, sites: set[str]) -> None:  # type: ignore[no-untyped-def]
    """No lesion word of its own, but a pronoun or a verb of place: the lesions of the sentence before."""
    assert set(read(text, lang).case.get("sites", [])) == sites


def test_a_place_in_a_sentence_about_something_else_is_not_the_lesions(read) -> None:  # type: ignore[no-untyped-def]
    text = "A 40-year-old woman had multiple hard nodules. Her mother lives in the south of France."
    assert read(text, "en").case.get("sites", []) == []


@pytest.mark.parametrize(
    ("text", "lang", "high"),
    [
        # a dose said with how often it is taken is judged by its daily equivalent (7,143 and 3,333
        # IU a day here, under 10,000: a clinical review found 100,000 IU every 3 months read as high)
        ("A 60-year-old woman with hypercalcaemia. She took 50,000 IU of vitamin D weekly for a year.", "en", False),
        ("A 60-year-old man with hypercalcaemia. He took 20,000 IU of vitamin D a day.", "en", True),
        ("Patiente de 60 ans, hypercalcémie. Elle prenait de la vitamine D 100 000 UI par mois.", "fr", False),
        ("Patiente de 60 ans, hypercalcémie. Elle prenait de la vitamine D 100 000 UI tous les 3 mois.", "fr", False),
        ("A 60-year-old woman with hypercalcaemia. She took 100,000 IU of vitamin D every 3 months.", "en", False),
        ("Patiente de 60 ans, hypercalcémie. Vitamine D 100 000 UI chaque semaine depuis un an.", "fr", True),
        ("A 60-year-old man with hypercalcaemia. He was given 600,000 IU of vitamin D.", "en", True),
        ("A 60-year-old man with calcified nodules. He was taking vitamin D3 2000 IU daily.", "en", False),
    ],
)
def test_a_vitamin_d_dose_says_whether_it_is_high(read, text: str, lang: str, high: bool) -> None:  # type: ignore[no-untyped-def]
    """10,000 IU or more a day, or on average over the interval the note says; 50,000 IU or more in
    one dose with no interval said (intake.yaml dose_exposures)."""
    assert ("vitamin_d_high_dose" in read(text, lang).case.get("exposures", [])) is high


@pytest.mark.parametrize(
    ("text", "lang", "placed"),
    [
        (
            "A 70-year-old man with hypercalcaemia had been drinking large amounts of milk and taking calcium carbonate antacids.",
            "en",
            True,
        ),
        (
            "Homme de 70 ans, hypercalcémie, consommation excessive de lait et antiacides à base de carbonate de calcium.",
            "fr",
            True,
        ),
        ("A 70-year-old man with hypercalcaemia took antacids for reflux.", "en", False),
    ],
)
def test_milk_and_calcium_antacids_are_a_milk_alkali_intake(read, text: str, lang: str, placed: bool) -> None:  # type: ignore[no-untyped-def]
    """Antacids alone stay ambiguous (the vocabulary says so); with milk or calcium named, they are the intake."""
    assert ("milk_alkali_intake" in read(text, lang).case.get("exposures", [])) is placed


@pytest.mark.parametrize(
    ("text", "lang", "months"),
    [
        ("A 35-year-old woman had calcified nodules. The lesions first appeared at the age of 12.", "en", 276.0),
        ("Patiente de 35 ans, nodules calcifiés. Les nodules sont apparus à l'âge de 12 ans.", "fr", 276.0),
        ("A 35-year-old woman had calcified nodules of the elbows for the last eighteen months.", "en", 18.0),
        ("Patiente de 35 ans, nodules calcifiés des coudes évoluant depuis dix-huit mois.", "fr", 18.0),
    ],
)
def test_an_onset_age_and_numbers_in_words(read, text: str, lang: str, months: float) -> None:  # type: ignore[no-untyped-def]
    assert read(text, lang).case.get("duration_months") == months


def test_an_age_at_a_visit_is_no_onset(read) -> None:  # type: ignore[no-untyped-def]
    text = "A 35-year-old woman had calcified nodules. She was seen at the age of 30 for them."
    assert read(text, "en").case.get("duration_months") is None


@pytest.mark.parametrize(
    ("text", "name", "result"),
    [
        (
            "A 30-year-old woman with calcified nodules. The NXP-2 antibody was strongly positive.",
            "anti_nxp2",
            "positive",
        ),
        ("A 30-year-old woman with calcified nodules. Jo-1 antibodies were negative.", "anti_jo1", "negative"),
        ("A 30-year-old woman with calcified nodules. MDA5 antibody was detected.", "anti_mda5", "positive"),
    ],
)
def test_an_antibody_named_without_its_anti(read, text: str, name: str, result: str) -> None:  # type: ignore[no-untyped-def]
    """ "NXP-2 antibody", "Jo-1 antibodies": the target's name followed by the word antibody."""
    assert {"name": name, "result": result} in read(text, "en").case.get("antibodies", [])


@pytest.mark.parametrize(
    ("text", "lang", "term"),
    [
        ("A 40-year-old woman with calcified nodules. Tuberculosis was ruled out.", "en", "tuberculosis"),
        ("A 40-year-old man with a calcified mass. A fracture was excluded on radiographs.", "en", "fracture"),
        ("Patiente de 40 ans, nodules calcifiés. On a éliminé une tuberculose.", "fr", "tuberculosis"),
    ],
)
def test_what_the_work_up_ruled_out_is_not_placed(read, text: str, lang: str, term: str) -> None:  # type: ignore[no-untyped-def]
    """The case holds what was known before the work-up: a ruled-out diagnosis is no absence."""
    x = read(text, lang)
    assert term not in x.case.get("absent", [])
    assert any(d.term == term for d in x.dropped)


@pytest.mark.parametrize(
    ("text", "lang", "term"),
    [
        ("A 40-year-old woman with calcified nodules and no history of tuberculosis.", "en", "tuberculosis"),
        ("Patient de 40 ans, masse calcifiée, pas de fracture.", "fr", "fracture"),
    ],
)
def test_a_plain_denial_is_still_an_absence(read, text: str, lang: str, term: str) -> None:  # type: ignore[no-untyped-def]
    assert term in read(text, lang).case.get("absent", [])
