"""General rules of round 3 (issue 18): mechanisms, not phrasings, each on sentences written
for the test.

None of these sentences comes from a note set (tests/data/notes*): each states one mechanism
(how a value finds its unit, how a list is negated, which sentence carries the duration, what
a qualified swelling is) in words a clinician would use, in both languages where it applies.
"""

from __future__ import annotations

from ._helpers import labs_by_test


# ---------------------------------------------------------------- labs: value, unit, list
def test_a_unit_written_once_serves_the_values_listed_before_it(read):
    """ "calcium 2.61, phosphate 1.9 mmol/l and PTH 410 pg/ml": calcium takes mmol/l too."""
    x = read("A 58-year-old woman on dialysis. Calcium 2.61, phosphate 1.9 mmol/l and PTH 410 pg/ml.", "en")
    labs = labs_by_test(x)
    assert labs["calcium"] == {"test": "calcium", "value": 2.61, "unit": "mmol/L"}
    assert labs["phosphate"]["unit"] == "mmol/L"
    assert labs["pth"] == {"test": "pth", "value": 410.0, "unit": "pg/mL"}
    y = read("Femme de 58 ans. Calcémie à 2,48, phosphorémie à 1,72 mmol/l.", "fr")
    assert labs_by_test(y)["calcium"] == {"test": "calcium", "value": 2.48, "unit": "mmol/L"}


def test_a_unit_of_another_dimension_is_never_lent(read):
    """ "calcium 2.6, PTH 300 pg/ml": pg/ml does not fit calcium, so calcium gets no unit."""
    x = read("A 61-year-old man. Calcium 2.6, PTH 300 pg/ml.", "en")
    labs = labs_by_test(x)
    assert "calcium" not in labs
    assert labs["pth"]["value"] == 300.0
    assert any(i.term == "calcium" and i.field == "labs" for i in x.dropped)


def test_a_short_test_name_right_after_a_number_is_a_unit(read):
    """ "urinary calcium was 250 mg (100-300)": "mg" is the unit, not magnesium."""
    x = read("A 40-year-old man. His 24-hour urinary calcium was 250 mg (100-300).", "en")
    assert "magnesium" not in labs_by_test(x)
    assert not any(i.term == "magnesium" for i in [*x.items, *x.dropped])


def test_a_result_word_before_the_value_lets_the_value_through(read):
    """ "PTH was suppressed at 9 pg/mL": the value, not only "low"."""
    x = read("A 50-year-old woman with nodules. Parathyroid hormone was suppressed at 9 pg/mL.", "en")
    assert labs_by_test(x)["pth"] == {"test": "pth", "value": 9.0, "unit": "pg/mL"}


def test_a_bracketed_threshold_that_cannot_be_placed_leaves_the_result_word(read):
    """ "CRP was raised (>5 mg/dl)": mg/dl does not fit CRP; the result word "raised" is kept."""
    x = read("A 9-year-old boy with nodules. CRP was raised (>5 mg/dl).", "en")
    assert labs_by_test(x)["crp"] == {"test": "crp", "interpretation": "high"}


def test_a_flattened_superscript_unit(read):
    """ "leucocyte count of 12 × 109/l" is 12 × 10⁹/l (the superscript lost in a copy)."""
    x = read("A 30-year-old man with nodules. Total leucocyte count of 12 × 109/l.", "en")
    assert labs_by_test(x)["wbc"] == {"test": "wbc", "value": 12.0, "unit": "10^9/L"}


# ---------------------------------------------------------------- durations
def test_durations_in_words_and_approximations(read):
    """ "for last three months", "one and a half years", "une quinzaine de jours", "N years before
    this presentation": every way a clinician dates the onset."""
    cases = [
        ("A 20-year-old man presented with painful nodules on the knee for last three months.", "en", 3.0),
        ("A 20-year-old man with nodules on the knee for one and a half years.", "en", 18.0),
        ("A 20-year-old man. Two years before this presentation he noticed nodules on the knee.", "en", 24.0),
        ("Homme de 20 ans. Nodules du genou évoluant depuis une quinzaine de jours.", "fr", 15 / 30.44),
        ("Homme de 20 ans. Nodules du genou évoluant depuis une dizaine d'années.", "fr", 120.0),
    ]
    for text, lang, months in cases:
        x = read(text, lang)
        assert abs(x.case["duration_months"] - months) < 0.1, text


def test_ten_years_before_without_presentation_is_not_the_lesions_onset(read):
    """ "Ten years before, he had gout attacks": "before" alone dates another event."""
    x = read("A 60-year-old man presented with nodules of the fingers. Ten years before, he had joint pain.", "en")
    assert "duration_months" not in x.case


def test_age_at_onset_in_words(read):
    """ "present as early as twelve years of age" in a 42-year-old: 30 years."""
    x = read("A 42-year-old woman with papules on the neck, present as early as twelve years of age.", "en")
    assert x.case["duration_months"] == 360.0


def test_the_presentation_sentence_dates_the_problem_whatever_its_words(read):
    """ "presented for evaluation of a 2 week history of leg wounds", "consulte pour ... depuis 3
    mois": the reason for coming is the problem of the case, even when no lesion word names it."""
    x = read("A 70-year-old man presented for evaluation of a 2 week history of leg wounds.", "en")
    assert abs(x.case["duration_months"] - 0.46) < 0.05
    y = read("Femme de 70 ans. Elle consulte pour des douleurs de la hanche depuis 3 mois.", "fr")
    assert y.case["duration_months"] == 3.0


def test_a_treatment_duration_in_the_presentation_sentence_stays_the_treatments(read):
    """ "on hemodialysis for six years presented with ...": the years belong to the dialysis."""
    x = read("A 45-year-old man on hemodialysis for six years presented with nodules of the hands.", "en")
    assert "duration_months" not in x.case


# ---------------------------------------------------------------- findings: a qualified swelling
def test_a_painless_swelling_in_either_word_order(read):
    """ "a painless, firm swelling", "a non-tender lump", "une masse ... indolore"."""
    for text, lang in (
        ("A 12-year-old girl presented with a painless, firm swelling of the forearm.", "en"),
        ("A 12-year-old girl presented with a non-tender lump on the forearm.", "en"),
        ("Fillette de 12 ans. Masse de l'avant-bras, indolore.", "fr"),
    ):
        x = read(text, lang)
        assert "painless_swelling" in x.case["findings"], text
        assert "swelling" not in x.case["findings"], text


def test_a_painless_nodule_is_not_a_painless_swelling(read):
    """The rule is about swellings: "painless nodules" stays nodules, pain absent."""
    x = read("A 50-year-old woman with painless nodules on the fingers.", "en")
    assert "painless_swelling" not in x.case.get("findings", [])
    assert "pain" in x.case["absent"]


def test_a_swelling_at_a_joint_is_a_periarticular_mass(read):
    """ "masses around the right hip", "tuméfaction en regard de l'articulation du genou"."""
    x = read("A 30-year-old man on dialysis with firm masses around the right hip.", "en")
    assert "periarticular_mass" in x.case["findings"]
    assert "swelling" not in x.case["findings"]
    y = read("Homme de 30 ans. Tuméfaction ferme en regard de l'articulation du genou.", "fr")
    assert "periarticular_mass" in y.case["findings"]
    z = read("A 30-year-old man with a firm swelling of the thigh.", "en")
    assert z.case["findings"] == ["swelling"]


# ---------------------------------------------------------------- negation and context scope
def test_a_family_cue_at_the_end_of_a_negated_list_looks_forward_only(read):
    """ "no history of fever, trauma or family history of similar lesions": fever and trauma are
    absent, not a relative's."""
    x = read(
        "A 16-year-old boy with nodules. There was no history of fever, trauma or family history of similar lesions.",
        "en",
    )
    assert {"fever", "trauma_local"} <= set(x.case["absent"])


def test_a_sign_named_after_the_lesions_it_describes_is_present(read):
    """ "red papules over the knuckles suggestive of Gottron papules": seen, not supposed; a
    diagnosis after the same cue stays a hypothesis."""
    x = read(
        "A 7-year-old girl with red papules over the knuckles suggestive of Gottron papules, "
        "and purple patches on the eyelids consistent with heliotrope rash.",
        "en",
    )
    assert {"gottron_papules", "heliotrope_rash"} <= set(x.case["findings"])
    y = read("A 7-year-old girl with red papules on the knuckles. The picture was suggestive of dermatomyositis.", "en")
    assert "juvenile_dermatomyositis" not in y.case.get("history", [])
    assert "dermatomyositis" not in y.case.get("history", [])


# ---------------------------------------------------------------- imaging
def test_modalities_joined_in_one_sentence_share_its_description(read):
    """ "Radiographs and CT showed a calcified mass in the buttock": two studies, same deposit."""
    x = read("A 40-year-old man with a firm mass. Radiographs and CT showed a calcified mass in the buttock.", "en")
    studies = {s["modality"]: s for s in x.case["imaging"]}
    assert set(studies) == {"radiograph", "ct"}
    assert studies["ct"]["sites"] == studies["radiograph"]["sites"] == ["buttock"]
    y = read("Homme de 40 ans. Radiographie et échographie montrant une calcification de la cuisse.", "fr")
    assert {s["modality"] for s in y.case["imaging"]} == {"radiograph", "ultrasound"}


def test_a_modality_after_but_is_its_own_statement(read):
    """ "The radiograph was normal, but CT showed calcifications": the radiograph describes none."""
    x = read("A 40-year-old man. The radiograph was normal, but CT showed calcifications of the thigh.", "en")
    assert [s["modality"] for s in x.case["imaging"]] == ["ct"]


def test_one_deposit_counted_by_its_article(read):
    """ "an oval calcification", "une masse calcifiée": single; "calcifications" says nothing."""
    x = read("A 35-year-old woman. Ultrasound showed an oval calcification in the calf muscle.", "en")
    assert x.case["imaging"][0]["distribution"] == "single"
    y = read("Femme de 35 ans. Le scanner montrait une masse calcifiée de la fesse.", "fr")
    assert y.case["imaging"][0]["distribution"] == "single"
    z = read("A 35-year-old woman. Ultrasound showed calcifications in the calf muscle.", "en")
    assert "distribution" not in z.case["imaging"][0]


def test_a_distribution_word_must_be_said_of_the_deposits(read):
    """ "diffuse echoes" is not a widespread calcinosis; "diffuse calcifications" is."""
    x = read("A 35-year-old woman. Ultrasound showed a calcified nodule surrounded by fluid with diffuse echoes.", "en")
    assert x.case["imaging"][0].get("distribution") != "widespread"
    y = read("A 35-year-old woman. Radiographs showed diffuse calcifications of the legs.", "en")
    assert y.case["imaging"][0]["distribution"] == "widespread"


def test_a_radiographic_view_is_a_radiograph(read):
    """ "An AP view of the shoulder showed ...": a view names a plain radiograph."""
    x = read("A 45-year-old woman with shoulder pain. An AP view of the shoulder showed a calcific deposit.", "en")
    assert x.case["imaging"][0]["modality"] == "radiograph"


def test_a_negation_list_covers_every_item_in_both_languages(read):
    """ "no X, Y or Z", "without X, Y, or Z", "sans X ni Y ni Z", "ni X, ni Y": the cue governs the list."""
    for text, lang, absent in (
        ("A 50-year-old woman with nodules of the knee. No fever, pruritus or ulceration.", "en", 3),
        ("A 50-year-old woman with nodules of the knee, without fever, pruritus, or ulceration.", "en", 3),
        ("Femme de 50 ans. Nodules du genou, sans fièvre ni prurit ni ulcération.", "fr", 3),
        ("Femme de 50 ans. Elle n'a ni fièvre, ni prurit. Nodules du genou.", "fr", 2),
    ):
        x = read(text, lang)
        assert {"fever", "pruritus", "ulceration"}.intersection(x.case["absent"]) == (
            {"fever", "pruritus", "ulceration"} if absent == 3 else {"fever", "pruritus"}
        ), text
        assert "palpable_nodules" in x.case["findings"], text


def test_an_english_negation_ends_at_the_clause_boundary(read):
    """ "without any obvious cause, and later itching", "no fever; pruritus was intense": what
    follows the clause boundary is present."""
    x = read("A 50-year-old woman had nodules without any obvious cause, and later itching and pain.", "en")
    assert {"pruritus", "pain"} <= set(x.case["findings"])
    assert not {"pruritus", "pain"} & set(x.case.get("absent", []))
    y = read("A 50-year-old woman with nodules of the knee. There was no fever; pruritus was intense.", "en")
    assert "pruritus" in y.case["findings"]
    assert y.case["absent"] == ["fever"]


def test_a_24_hour_amount_without_the_period_is_per_24_hours(read):
    """ "24-hour urinary calcium was 250 mg": the test's name gives the period; a plain "mg"
    after a blood test stays without a unit."""
    x = read("A 40-year-old man with nodules. His 24-hour urinary calcium was 250 mg (100-300).", "en")
    assert labs_by_test(x)["urine_calcium_24h"] == {
        "test": "urine_calcium_24h",
        "value": 250.0,
        "unit": "mg/24h",
        "reference_range": {"low": 100.0, "high": 300.0},  # the bracket after the value: the laboratory's interval
    }
    y = read("A 40-year-old man with nodules. Serum calcium was 9 mg.", "en")
    assert "calcium" not in labs_by_test(y)
