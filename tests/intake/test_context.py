"""Negation, hypothesis, family and history scopes in French and English."""

from __future__ import annotations

import pytest

FR = "Patiente de 50 ans. "
EN = "A 50-year-old woman. "


def status(x, term):
    """The statuses of ``term`` among placed and dropped items."""
    return [i.status for i in [*x.items, *x.dropped] if i.term == term]


@pytest.mark.parametrize(
    ("sentence", "absent", "present"),
    [
        ("Pas de fièvre ni de prurit.", ["fever", "pruritus"], []),
        ("Absence d'ulcération ou d'infection.", ["ulceration", "local_infection"], []),
        ("Elle ne présente pas de fièvre.", ["fever"], []),
        ("Nodules sans ulcération.", ["ulceration"], ["palpable_nodules"]),
        ("Pas de traumatisme, mais une douleur importante.", ["trauma_local"], ["pain"]),
        ("Nodules indolores.", ["pain"], ["palpable_nodules"]),
    ],
)
def test_french_negation(read, sentence, absent, present):
    """Negated French mentions go to absent, with the right scope."""
    x = read(FR + sentence, "fr")
    assert x.case.get("absent", []) == absent
    assert x.case.get("findings", []) == present


@pytest.mark.parametrize(
    ("sentence", "absent", "present"),
    [
        ("No fever or pruritus.", ["fever", "pruritus"], []),
        ("She denies trauma.", ["trauma_local"], []),
        ("Nodules without ulceration or infection.", ["ulceration", "local_infection"], ["palpable_nodules"]),
        ("There is no evidence of infection.", ["local_infection"], []),
        ("No pain, but weakness is present.", ["pain"], ["muscle_weakness"]),
        ("Fever was absent.", ["fever"], []),
        ("Painless nodules.", ["pain"], ["palpable_nodules"]),
    ],
)
def test_english_negation(read, sentence, absent, present):
    """Negated English mentions go to absent, with the right scope."""
    x = read(EN + sentence, "en")
    assert x.case.get("absent", []) == absent
    assert x.case.get("findings", []) == present


@pytest.mark.parametrize(
    ("text", "lang", "term", "expected"),
    [
        (FR + "Dermatomyosite à éliminer.", "fr", "dermatomyositis", "hypothetical"),
        (FR + "Suspicion de sarcoïdose.", "fr", "sarcoidosis", "hypothetical"),
        (FR + "Sa mère a une sclérodermie.", "fr", "systemic_sclerosis", "family"),
        (FR + "Antécédent de fracture.", "fr", "fracture", "historical"),
        (EN + "Rule out sarcoidosis.", "en", "sarcoidosis", "hypothetical"),
        (EN + "Dermatomyositis was suspected.", "en", "dermatomyositis", "hypothetical"),
        (EN + "His brother has scleroderma.", "en", "systemic_sclerosis", "family"),
        (EN + "History of stroke.", "en", "stroke", "historical"),
    ],
)
def test_qualifiers(read, text, lang, term, expected):
    """Hypothetical and family mentions are dropped with their cue; history is kept."""
    x = read(text, lang)
    assert status(x, term) == [expected]
    placed = [i.term for i in x.items]
    if expected in ("hypothetical", "family"):
        assert term not in placed
        dropped = next(i for i in x.dropped if i.term == term)
        assert dropped.cue is not None and dropped.cue.text
        assert text[dropped.cue.start : dropped.cue.end] == dropped.cue.text
    else:
        assert term in placed


def test_history_condition_goes_to_history(read):
    """A past condition is history; a past finding stays a finding."""
    x = read(FR + "Antécédent de sarcoïdose et de fracture du poignet.", "fr")
    assert x.case["history"] == ["sarcoidosis"]
    assert x.case["findings"] == ["fracture"]
    assert "sites" not in x.case


def test_family_calcinosis_is_family_history(read):
    """Calcinosis in a relative is the finding family_history_similar."""
    x = read(EN + "Her mother had similar lesions.", "en")
    assert x.case["findings"] == ["family_history_similar"]


def test_rule_out_is_not_negation_in_english():
    """negspacy as shipped reads 'rule out X' as a negation; the adjusted termset does not."""
    from spacy.tokens import Span

    from calcinosis.intake import english

    def negated(adjusted: bool) -> bool:
        nlp, sentencizer, negex = english.pipeline(adjusted)
        doc = sentencizer(nlp.make_doc("Rule out sarcoidosis."))
        doc.ents = [Span(doc, 2, 3, label="X")]
        return bool(negex(doc).ents[0]._.negex)

    assert negated(False) is True
    assert negated(True) is False
