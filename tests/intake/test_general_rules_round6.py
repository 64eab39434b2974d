"""Round 6 of issue 18: the general misses left on the odd half of ``tests/data/notes-dev2``,
each tested on sentences of our own (no note's text), in both languages where the phenomenon
exists."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("A 40-year-old woman had a swelling of the thigh which had been progressively increasing.", "en"),
        ("A 40-year-old woman had a swelling of the thigh that was slowly increasing in size.", "en"),
        ("Patiente de 40 ans, tuméfaction de la cuisse augmentant progressivement de taille.", "fr"),
        ("Patiente de 40 ans, tuméfaction de la cuisse qui a lentement grossi.", "fr"),
    ],
)
def test_a_growth_verb_is_a_growing_mass(read, text: str, lang: str) -> None:  # type: ignore[no-untyped-def]
    """A verb of growth with a manner adverb or a size complement says the mass grows."""
    assert "growing_mass" in read(text, lang).case.get("findings", [])


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("A 40-year-old woman had a nodule of the thigh with progressively increasing pain.", "en"),
        ("Patiente de 40 ans, nodule de la cuisse, douleur augmentant progressivement.", "fr"),
    ],
)
def test_a_growth_verb_said_of_something_else_is_not(read, text: str, lang: str) -> None:  # type: ignore[no-untyped-def]
    """A growth verb written before a word that is not a lesion (pain) qualifies that word; a
    level or a pain "increasing" is no mass, and "increasing" alone says nothing."""
    x = read(text, lang)
    assert "growing_mass" not in x.case.get("findings", [])
    assert "pain" in x.case.get("findings", [])


@pytest.mark.parametrize(
    ("text", "lang", "site"),
    [
        ("A 40-year-old man had a palpable mass in the bilateral hip region.", "en", "hip"),
        ("A 40-year-old man had a swelling in the region of the left knee.", "en", "knee"),
        ("Patient de 40 ans, masse de la région de la hanche droite.", "fr", "hip"),
    ],
)
def test_a_mass_in_a_joint_region_is_periarticular(read, text: str, lang: str, site: str) -> None:  # type: ignore[no-untyped-def]
    """The region of a joint is around it, as "around the hip" already was."""
    x = read(text, lang)
    assert "periarticular_mass" in x.case["findings"]
    assert "swelling" not in x.case["findings"]
    assert site in x.case["sites"]


def test_a_region_that_is_not_a_joint_is_not_periarticular(read) -> None:  # type: ignore[no-untyped-def]
    x = read("A 40-year-old man had a swelling in the gluteal region.", "en")
    assert "periarticular_mass" not in x.case["findings"]


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        (
            "A 40-year-old woman had a nodule. She did not experience any restrictions in the movement of her joints.",
            "en",
        ),
        ("A 40-year-old woman had a nodule of the elbow. There was no limitation of range of motion.", "en"),
        ("A 40-year-old woman had a nodule of the elbow. Range of motion was not limited.", "en"),
        ("Patiente de 40 ans, nodule du coude, sans limitation de la mobilité articulaire.", "fr"),
    ],
)
def test_a_denied_limitation_is_an_absence(read, text: str, lang: str) -> None:  # type: ignore[no-untyped-def]
    """The function rule read the state word ("restrictions", "limitation") and ignored the
    negation in front of it: a denied limitation is joint restriction absent."""
    x = read(text, lang)
    assert "joint_restriction" in x.case.get("absent", [])
    assert "joint_restriction" not in x.case.get("findings", [])


def test_a_limitation_is_still_a_finding(read) -> None:  # type: ignore[no-untyped-def]
    x = read("A 40-year-old woman had a nodule of the elbow with reduced range of motion.", "en")
    assert "joint_restriction" in x.case["findings"]


@pytest.mark.parametrize(
    "text",
    [
        "A 40-year-old woman had a nodule of the elbow. Family history was unremarkable.",
        "A 40-year-old woman had a nodule. Medical history, family history and drug history were all unremarkable.",
        "A 40-year-old woman had a nodule. Medical history, family history and social history were all negative.",
    ],
)
def test_a_history_list_denied_after_it(read, text: str) -> None:  # type: ignore[no-untyped-def]
    """ "Family history ... unremarkable" used to place a family history of similar lesions."""
    x = read(text, "en")
    assert "family_history_similar" not in x.case.get("findings", [])
    assert "family_history_similar" in x.case.get("absent", [])
    assert x.case.get("history", []) == []


def test_otherwise_unremarkable_denies_nothing_before_it(read) -> None:  # type: ignore[no-untyped-def]
    x = read("A 40-year-old woman had a nodule of the elbow and the examination was otherwise unremarkable.", "en")
    assert "palpable_nodules" in x.case["findings"]


def test_a_relative_named_as_the_source_is_the_informant(read) -> None:  # type: ignore[no-untyped-def]
    """ "According to the parents, the lesions had enlarged": the parents tell, the patient has."""
    x = read("A 7-year-old girl had nodules. According to the parents of the patient, the nodules had enlarged.", "en")
    assert "growing_mass" in x.case["findings"]
    assert "family_history_similar" not in x.case["findings"]


def test_a_relative_with_the_finding_is_still_family(read) -> None:  # type: ignore[no-untyped-def]
    x = read("A 7-year-old girl had nodules of the elbow. Her mother had similar nodules that had enlarged.", "en")
    assert "growing_mass" not in x.case["findings"]


@pytest.mark.parametrize(
    ("text", "lang", "months"),
    [
        ("A 7-year-old girl had nodules of the elbow, first noted 2 years prior to the visit.", "en", 24.0),
        ("Patiente de 40 ans, nodule du coude apparu il y a 2 ans.", "fr", 24.0),
    ],
)
def test_an_onset_before_the_visit_is_a_duration(read, text: str, lang: str, months: float) -> None:  # type: ignore[no-untyped-def]
    assert read(text, lang).case["duration_months"] == months
