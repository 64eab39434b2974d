"""The reach of negation, hypothesis, family and history cues, on sentences of our own.

A clinical review found "Known myeloma, TB screen negative." reading the myeloma as denied: a
denial written after its mention ("negative", "absent", "non retrouvé") reached back across a
comma into a condition the note affirms. Each row is one sentence and what it says of each
concept: ``yes`` placed as stated (history, exposures, findings), ``no`` placed in ``absent``,
``hyp`` set aside as a hypothesis, ``family`` set aside as a relative's.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from calcinosis.intake import Extraction

ROWS: list[tuple[str, str, dict[str, str]]] = [
    # post-posed denials govern their own clause only
    ("en", "Known myeloma, TB screen negative.", {"multiple_myeloma": "yes", "tuberculosis": "no"}),
    ("en", "Known sarcoidosis, tuberculosis negative.", {"sarcoidosis": "yes", "tuberculosis": "no"}),
    ("en", "Dermatomyositis was diagnosed, tuberculosis was ruled out.", {"dermatomyositis": "yes"}),
    ("en", "Hemodialysis for 5 years, diabetes negative.", {"dialysis": "yes", "diabetes_mellitus": "no"}),
    ("en", "Painful nodules, fever absent.", {"palpable_nodules": "yes", "pain": "yes", "fever": "no"}),
    ("en", "Fever was absent, weight loss present.", {"fever": "no", "weight_loss": "yes"}),
    ("en", "Raynaud phenomenon: negative.", {"raynaud_phenomenon": "no"}),
    # ... and a list before them when the list is joined or the denial plural
    ("en", "Fever, weight loss and pruritus were absent.", {"fever": "no", "weight_loss": "no", "pruritus": "no"}),
    ("en", "Fever and weight loss were absent.", {"fever": "no", "weight_loss": "no"}),
    ("en", "Fever, weight loss were negative.", {"fever": "no", "weight_loss": "no"}),
    ("en", "Fever, weight loss: none in this man.", {"fever": "no", "weight_loss": "no"}),
    (
        "en",
        "Hemodialysis for 5 years, fever and pruritus were absent.",
        {"dialysis": "yes", "fever": "no", "pruritus": "no"},
    ),
    # a comma list of tests takes the result written after it: "ANA, anti-dsDNA negative" is how
    # laboratories and clinicians list results (a clinical review found the ANA left positive);
    # a diagnosis before the tests is not one of them
    ("en", "ANA, anti-dsDNA negative.", {"ana": "no", "anti_dsdna": "no"}),
    ("en", "ANA, anti-dsDNA, anti-Sm negative in this woman.", {"ana": "no", "anti_dsdna": "no", "anti_sm": "no"}),
    ("en", "Known myeloma, ANA, anti-dsDNA negative.", {"multiple_myeloma": "yes", "ana": "no", "anti_dsdna": "no"}),
    # a diagnosis heading the sentence before symptoms is not in their list (as "known" says in words)
    (
        "en",
        "Dermatomyositis, fever and pruritus were absent.",
        {"dermatomyositis": "yes", "fever": "no", "pruritus": "no"},
    ),
    ("en", "Diabetes, hypertension and sarcoidosis were absent.", {"diabetes_mellitus": "no", "sarcoidosis": "no"}),
    # pre-posed denials: lists, and a clause of its own after a comma
    ("en", "No fever or weight loss in this man.", {"fever": "no", "weight_loss": "no"}),
    ("en", "No fever, weight loss or pruritus in this man.", {"fever": "no", "weight_loss": "no", "pruritus": "no"}),
    (
        "en",
        "No Raynaud phenomenon, diagnosed with dermatomyositis.",
        {"raynaud_phenomenon": "no", "dermatomyositis": "yes"},
    ),
    (
        "en",
        "She has systemic sclerosis, no Raynaud phenomenon.",
        {"systemic_sclerosis": "yes", "raynaud_phenomenon": "no"},
    ),
    ("en", "No fever, but painful nodules of the elbows.", {"fever": "no", "palpable_nodules": "yes", "pain": "yes"}),
    ("en", "No history of trauma; painful nodules of the fingers.", {"trauma_local": "no", "palpable_nodules": "yes"}),
    ("en", "Ulceration present, no infection.", {"ulceration": "yes", "local_infection": "no"}),
    # hypotheses, relatives, uncertainty
    ("en", "Please rule out sarcoidosis.", {"sarcoidosis": "hyp"}),
    ("en", "Probable dermatomyositis in this woman.", {"dermatomyositis": "hyp"}),
    (
        "en",
        "Suspected calcinosis in a patient on hemodialysis with suspected sarcoidosis.",
        {"dialysis": "yes", "sarcoidosis": "hyp"},
    ),
    (
        "en",
        "His mother had dermatomyositis; the patient has scleroderma.",
        {"dermatomyositis": "family", "systemic_sclerosis": "yes"},
    ),
    # a relative at the head of a clause: an apposition, a relative clause or a colon about it is
    # the relative's, to the clause that names the patient again (a clinical review)
    ("en", "His mother, who had dermatomyositis, is well.", {"dermatomyositis": "family"}),
    (
        "en",
        "His mother, followed for dermatomyositis, is well; the patient has scleroderma.",
        {"dermatomyositis": "family", "systemic_sclerosis": "yes"},
    ),
    ("en", "Father: gout. The patient has scleroderma.", {"gout": "family", "systemic_sclerosis": "yes"}),
    (
        "en",
        "Her mother, diabetic, is well, the patient has dermatomyositis.",
        {"diabetes_mellitus": "family", "dermatomyositis": "yes"},
    ),
    ("en", "His mother is well, the patient has dermatomyositis.", {"dermatomyositis": "yes"}),
    ("en", "After her father died, she developed dermatomyositis.", {"dermatomyositis": "yes"}),
    ("en", "His father, who came with him, reported painful nodules.", {"palpable_nodules": "yes"}),
    # French: post-posed denials
    ("fr", "Myélome connu, dépistage de la tuberculose négatif.", {"multiple_myeloma": "yes", "tuberculosis": "no"}),
    ("fr", "Myélome connu, tuberculose non retrouvée.", {"multiple_myeloma": "yes", "tuberculosis": "no"}),
    ("fr", "Hémodialyse depuis 5 ans, diabète non retrouvé.", {"dialysis": "yes", "diabetes_mellitus": "no"}),
    ("fr", "Dermatomyosite, fièvre absente.", {"dermatomyositis": "yes", "fever": "no"}),
    ("fr", "Sclérodermie systémique, Raynaud absent.", {"systemic_sclerosis": "yes", "raynaud_phenomenon": "no"}),
    ("fr", "Fièvre et amaigrissement absents chez cette femme.", {"fever": "no", "weight_loss": "no"}),
    (
        "fr",
        "Fièvre, prurit et amaigrissement non retrouvés chez elle.",
        {"fever": "no", "pruritus": "no", "weight_loss": "no"},
    ),
    (
        "fr",
        "Dermatomyosite connue, fièvre et prurit absents.",
        {"dermatomyositis": "yes", "fever": "no", "pruritus": "no"},
    ),
    ("fr", "Diabète non insulinodépendant connu chez cette femme.", {"diabetes_mellitus": "yes"}),
    # a diagnosis heading the sentence before symptoms is not in their list: "absents" agrees with
    # the symptoms, as "connue" would say in words; a list of symptoms or of diagnoses stays a list
    (
        "fr",
        "Dermatomyosite, fièvre et prurit absents.",
        {"dermatomyositis": "yes", "fever": "no", "pruritus": "no"},
    ),
    (
        "fr",
        "Fièvre, prurit et amaigrissement absents chez elle.",
        {"fever": "no", "pruritus": "no", "weight_loss": "no"},
    ),
    (
        "fr",
        "Diabète, sarcoïdose et tuberculose non retrouvés.",
        {"diabetes_mellitus": "no", "sarcoidosis": "no", "tuberculosis": "no"},
    ),
    ("fr", "AAN, anti-ADN natif négatifs chez elle.", {"ana": "no", "anti_dsdna": "no"}),
    # French: pre-posed denials and lists
    ("fr", "Il n'a ni fièvre ni amaigrissement.", {"fever": "no", "weight_loss": "no"}),
    (
        "fr",
        "Pas de fièvre, ni de perte de poids, ni de prurit.",
        {"fever": "no", "weight_loss": "no", "pruritus": "no"},
    ),
    (
        "fr",
        "Sclérodermie, pas de fièvre ni de perte de poids.",
        {"systemic_sclerosis": "yes", "fever": "no", "weight_loss": "no"},
    ),
    (
        "fr",
        "Absence de fièvre, mais nodules douloureux des coudes.",
        {"fever": "no", "palpable_nodules": "yes", "pain": "yes"},
    ),
    ("fr", "Pas de fièvre ; prurit présent.", {"fever": "no", "pruritus": "yes"}),
    ("fr", "Pas de fièvre, dermatomyosite connue.", {"fever": "no", "dermatomyositis": "yes"}),
    ("fr", "Nodules douloureux, sans fièvre.", {"palpable_nodules": "yes", "fever": "no"}),
    # French: hypotheses, relatives, the past, uncertainty
    ("fr", "Une sarcoïdose est à éliminer chez ce patient.", {"sarcoidosis": "hyp"}),
    ("fr", "Suspicion de calcinose chez une patiente hémodialysée.", {"dialysis": "yes"}),
    (
        "fr",
        "Sa mère avait une dermatomyosite ; la patiente a une sclérodermie.",
        {"dermatomyositis": "family", "systemic_sclerosis": "yes"},
    ),
    ("fr", "Sa mère, suivie pour une dermatomyosite, va bien.", {"dermatomyositis": "family"}),
    (
        "fr",
        "Sa mère, suivie pour une dermatomyosite, va bien ; la patiente a une sclérodermie.",
        {"dermatomyositis": "family", "systemic_sclerosis": "yes"},
    ),
    ("fr", "Père : goutte, patiente diabétique.", {"gout": "family", "diabetes_mellitus": "yes"}),
    ("fr", "Après le décès de son père, elle a développé une dermatomyosite.", {"dermatomyositis": "yes"}),
    ("fr", "Son père, qui l'accompagne, rapporte des nodules douloureux.", {"palpable_nodules": "yes"}),
    ("fr", "Elle a une ancienne tuberculose.", {"tuberculosis": "yes"}),
    ("fr", "Il a une dermatomyosite probable.", {"dermatomyositis": "hyp"}),
]


def _state(x: Extraction, term: str) -> str:
    """What the extraction says of ``term``: yes, no, hyp, family, or the item's status when set
    aside for another reason, '-' when not read at all."""
    for field in ("history", "exposures", "findings"):
        if term in x.case.get(field, []):
            return "yes"
    for antibody in x.case.get("antibodies", []):
        if antibody["name"] == term:
            return {"positive": "yes", "negative": "no"}.get(antibody["result"], antibody["result"])
    if term in x.case.get("absent", []):
        return "no"
    dropped = [i for i in x.dropped if i.term == term]
    if dropped:
        return {"hypothetical": "hyp", "family": "family"}.get(dropped[0].status, dropped[0].status)
    return "-"


@pytest.mark.parametrize(("lang", "sentence", "expected"), ROWS, ids=[r[1][:50] for r in ROWS])
def test_each_cue_reaches_its_own_clause(
    read: Callable[..., Extraction], lang: str, sentence: str, expected: dict[str, str]
) -> None:
    x = read(sentence, lang=lang)
    assert {term: _state(x, term) for term in expected} == expected


def test_the_table_has_both_languages_and_thirty_sentences() -> None:
    assert len(ROWS) >= 30
    assert {lang for lang, _, _ in ROWS} == {"en", "fr"}


@pytest.mark.parametrize(
    ("lang", "sentence"),
    [
        ("en", "ANA, anti-dsDNA negative."),
        ("en", "Known myeloma, ANA, anti-Scl-70 negative, anti-centromere positive."),
        ("fr", "AAN, anti-ADN natif négatifs chez elle."),
    ],
)
def test_a_comma_list_of_tests_takes_the_result_after_it(
    read: Callable[..., Extraction], lang: str, sentence: str
) -> None:
    """The review lists each antibody with the status the engine judged: the first of a comma list
    of tests read "present" beside a case that says it negative (a clinical review)."""
    x = read(sentence, lang=lang)
    judged = {i.term: i.status for i in x.items if i.field == "antibodies"}
    said = {a["name"]: a["result"] for a in x.case["antibodies"]}
    assert judged and all((judged[t] == "absent") == (r == "negative") for t, r in said.items())
    assert all(r == "negative" for t, r in said.items() if t != "anti_centromere")
