"""General rules of round 2 (issue 18), each on sentences written for the test.

None of these sentences comes from the note set (tests/data/notes): each pins one rule of the
lexicon or of the reader, as a clinician would state it.
"""

from __future__ import annotations


def test_french_negated_list_goes_on_after_commas_and_et(read):
    """ "pas de X, d'Y et de Z": every item of the partitive list is absent."""
    x = read("Patiente de 40 ans. Absence de fièvre, d'adénopathies et de prurit. Nodules du coude.", "fr")
    assert {"fever", "lymphadenopathy", "pruritus"} <= set(x.case["absent"])
    assert "fever" not in x.case.get("findings", [])


def test_french_negated_list_stops_at_mais(read):
    """ "ne ... pas de X, d'Y mais une Z": Z is present."""
    x = read("Homme de 52 ans. On ne notait pas d'amaigrissement, d'adénopathies mais une fièvre.", "fr")
    assert {"weight_loss", "lymphadenopathy"} <= set(x.case["absent"])
    assert "fever" in x.case["findings"]


def test_french_non_after_a_noun_negates_the_adjective(read):
    """ "tuméfaction non mobilisable", "diabète non insuliné": the noun stays present."""
    x = read("Homme de 61 ans, diabète non insuliné. Tuméfaction non mobilisable de la cuisse.", "fr")
    assert "swelling" in x.case["findings"]
    assert "diabetes_mellitus" in x.case["history"]
    assert x.case["sites"] == ["thigh"]


def test_french_denied_doubt_verb_is_a_negation(read):
    """ "aucun contexte traumatique n'a été évoqué" is no trauma; "est évoquée" stays a hypothesis."""
    x = read("Garçon de 12 ans. Aucun contexte traumatique n'a été évoqué. Une sarcoïdose est évoquée.", "fr")
    assert "trauma_local" in x.case["absent"]
    assert "sarcoidosis" not in x.case.get("history", []) + x.case.get("absent", [])


def test_negative_forms_of_fever_and_infection(read):
    """ "apyrétique" and "non infectés" say the fever and the infection are absent."""
    x = read("Patiente de 70 ans, apyrétique, avec des nodules non infectés de la jambe.", "fr")
    assert {"fever", "local_infection"} <= set(x.case["absent"])
    y = read("An afebrile 30-year-old man with uninfected nodules on the forearm.", "en")
    assert {"fever", "local_infection"} <= set(y.case["absent"])


def test_a_drug_class_denied_is_its_member_absent_but_not_present(read):
    """ "ne prend pas d'anticoagulant": no vitamin K antagonist; "on anticoagulation": no guess."""
    x = read("Homme de 64 ans, ne prenant pas de traitement anticoagulant, avec des nodules du bras.", "fr")
    assert "warfarin" in x.case["absent"]
    y = read("A 64-year-old man on anticoagulation has painful nodules of the thigh.", "en")
    assert "warfarin" not in y.case.get("exposures", []) + y.case.get("absent", [])


def test_synonym_families(read):
    """fébricule is fever, altération de l'état général is weight loss, a white discharge is chalky."""
    x = read("Femme de 33 ans avec une fébricule et une altération de l'état général.", "fr")
    assert {"fever", "weight_loss"} <= set(x.case["findings"])
    y = read("A 50-year-old woman with a painful nodule of the finger and a whitish discharge.", "en")
    assert "chalky_discharge" in y.case["findings"]
    z = read("A 12-year-old boy with a slow-growing lump over the scalp.", "en")
    assert "growing_mass" in z.case["findings"]


def test_finding_at_a_site_with_a_term_of_its_own(read):
    """Pain of the shoulder is shoulder pain; nodules of the scrotum are scrotal nodules; a painful
    nodule listed at several sites further on is not shoulder pain."""
    x = read("Homme de 40 ans avec des douleurs vives de l'épaule gauche.", "fr")
    assert {"pain", "shoulder_pain"} <= set(x.case["findings"])
    y = read("Homme de 38 ans avec des lésions nodulaires du scrotum.", "fr")
    assert {"palpable_nodules", "scrotal_nodules"} <= set(y.case["findings"])
    z = read("Femme de 60 ans : nodules douloureux revêtus d'une peau rouge, siégeant aux épaules et aux coudes.", "fr")
    assert "shoulder_pain" not in z.case["findings"]


def test_result_word_between_test_and_value(read):
    """ "phosphate was elevated 2.53 mmol/L", "PTH values of 900pg/ml": the values are read."""
    x = read("A 40-year-old man. Serum phosphate was elevated 2.41 mmol/L; PTH values of 900pg/ml.", "en")
    assert {"test": "phosphate", "value": 2.41, "unit": "mmol/L"} in x.case["labs"]
    assert {"test": "pth", "value": 900.0, "unit": "pg/mL"} in x.case["labs"]


def test_disorder_word_takes_the_value_that_follows(read):
    """ "hypercalcémie à 3,05 mmol/l": calcium 3.05 mmol/L. Since round 9 the condition (known
    hypercalcaemia) only with a word that says it was known before ("chronique", "connue")."""
    x = read("Femme de 70 ans. Hypercalcémie à 3,05 mmol/l.", "fr")
    assert {"test": "calcium", "value": 3.05, "unit": "mmol/L"} in x.case["labs"]
    assert "hypercalcemia_known" not in x.case.get("history", [])
    known = read("Femme de 70 ans. Hypercalcémie chronique connue à 3,05 mmol/l.", "fr")
    assert "hypercalcemia_known" in known.case["history"]
    y = read("A 70-year-old woman had a mild hypercalcemia (mean 2.71 mmol/l).", "en")
    assert {"test": "calcium", "value": 2.71, "unit": "mmol/L"} in y.case["labs"]
    z = read("Homme de 30 ans. Hyperphosphorémie à 2,4 mmol/l (N<1,4), hypophosphorémie exclue.", "fr")
    assert {"test": "phosphate", "value": 2.4, "unit": "mmol/L"} in z.case["labs"]


def test_lab_list_with_articles_and_plural_verbs(read):
    """ "La CRP ainsi que les enzymes musculaires étaient normales"; "bilan ... complet était normal"."""
    x = read("Patiente de 50 ans. La CRP ainsi que les enzymes musculaires étaient normales.", "fr")
    assert {"test": "crp", "interpretation": "normal"} in x.case["labs"]
    assert {"test": "ck", "interpretation": "normal"} in x.case["labs"]
    y = read("Patiente de 50 ans. Le bilan phosphocalcique complet était normal.", "fr")
    assert {"test": "phosphate", "interpretation": "normal"} in y.case["labs"]


def test_limited_mobility_is_joint_restriction(read):
    """ "limitation franche de la mobilité active", "limitations in ROM": joint restriction."""
    x = read("Femme de 45 ans, douleur du poignet avec une limitation franche de la mobilité active.", "fr")
    assert "joint_restriction" in x.case["findings"]
    y = read("A 50-year-old woman with shoulder pain and mild limitations in ROM on abduction.", "en")
    assert "joint_restriction" in y.case["findings"]


def test_french_sex_words_and_days_before(read):
    """ "adolescente" is female, "adolescent" male; "15 jours avant" is 15 days (0.49 month)."""
    x = read("Une adolescente de 14 ans a une douleur de la cuisse apparue 15 jours avant.", "fr")
    assert x.case["patient"]["sex"] == "female"
    assert x.case["duration_months"] == 0.49
    y = read("Un adolescent de 16 ans a une tuméfaction du genou.", "fr")
    assert y.case["patient"]["sex"] == "male"


def test_site_takes_the_clause_of_its_finding(read):
    """ "douleur de la hanche, aucun contexte traumatique": the hip is the pain's, not denied. (A
    pain's place is a lesion site only where the note places deposits, round 12: the radiograph.)"""
    note = "Garçon de 15 ans avec une douleur de la hanche, aucun contexte traumatique."
    x = read(note + " La radiographie montre une calcification de la hanche.", "fr")
    assert x.case["sites"] == ["hip"]
    alone = read(note, "fr")
    assert [(i.term, i.status) for i in alone.dropped if i.field == "sites"] == [("hip", "present")]
