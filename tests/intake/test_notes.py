"""Whole notes: imaging sentences, every vocabulary label, languages, size, spans."""

from __future__ import annotations

import time

import pytest

from calcinosis.intake import IntakeError, extract_case
from calcinosis.intake.lexicon import CONCEPT_LISTS


def test_imaging_sentence_french(read):
    """Modality, sites, tissues, patterns, distribution, flags and size of one study."""
    x = read(
        "Patient de 30 ans. La radiographie des cuisses montre des calcifications intermusculaires "
        "en nappe, diffuses et symétriques, sans lyse osseuse, la plus grande de 45 mm.",
        "fr",
    )
    assert x.case["imaging"] == [
        {
            "modality": "radiograph",
            "sites": ["thigh"],
            "tissues": ["intermuscular"],
            "patterns": ["sheet"],
            "distribution": "widespread",
            "symmetric": True,
            "bone_destruction": False,
            "size_cm": 4.5,
        }
    ]
    assert "sites" not in x.case


def test_imaging_rice_grain_and_fibres(read):
    """'Aspect en grains de riz' and alignment with the muscle fibres."""
    x = read(
        "Patiente de 80 ans. Le scanner retrouve de multiples calcifications aspect en grains de riz, "
        "linéaires le long des fibres musculaires.",
        "fr",
    )
    study = x.case["imaging"][0]
    assert study["modality"] == "ct"
    assert study["patterns"] == ["rice_grain", "linear"]
    assert study["along_muscle_fibers"] is True


def test_imaging_english_and_continuation(read):
    """An English study, and a following sentence that goes on describing it. The region
    filmed (the hands) is not a site of the deposits, which have their own (the fingertips)."""
    x = read(
        "A 60-year-old man. Plain radiographs of the hands showed calcifications of the fingertips. "
        "The deposits were punctate and subcutaneous.",
        "en",
    )
    study = x.case["imaging"][0]
    assert study["modality"] == "radiograph"
    assert study["sites"] == ["fingertips"]
    assert study["patterns"] == ["punctate"]
    assert study["tissues"] == ["subcutaneous"]


def test_pattern_without_modality_is_reported(read):
    """A pattern with no study named is listed, not guessed into a modality."""
    x = read("Patiente de 50 ans. Calcifications en nappe.", "fr")
    assert "imaging" not in x.case
    assert [d.term for d in x.dropped] == ["sheet"]


def test_referral_letter_french(read):
    """The issue's example letter, end to end."""
    note = (
        "Patiente de 45 ans suivie pour une sclérodermie systémique, nodules calciques des pulpes digitales, "
        "pas d'ulcération, calcémie 2,35 mmol/L, phosphorémie normale."
    )
    x = read(note, "fr")
    assert x.case == {
        "patient": {"age": 45.0, "sex": "female"},
        "history": ["systemic_sclerosis"],
        "findings": ["palpable_nodules"],
        "sites": ["fingertips"],
        "absent": ["ulceration"],
        "labs": [
            {"test": "calcium", "value": 2.35, "unit": "mmol/L"},
            {"test": "phosphate", "interpretation": "normal"},
        ],
    }


def test_abbreviations(read):
    """French abbreviations in capitals; the same letters in lower case are ordinary words."""
    x = read("Patient de 70 ans, IRC en HD, LES connu. Les nodules sont durs.", "fr")
    assert x.case["history"] == ["chronic_kidney_disease", "dialysis", "systemic_lupus_erythematosus"]


def test_antibodies_and_genes(read):
    """Antibody results in words, a list sharing one result, a gene with a mutation."""
    x = read(
        "A 12-year-old girl. Anti-NXP2 antibodies were positive; anti-Jo-1 and anti-MDA5 negative. "
        "Sequencing found a GALNT3 mutation.",
        "en",
    )
    assert x.case["antibodies"] == [
        {"name": "anti_nxp2", "result": "positive"},
        {"name": "anti_jo1", "result": "negative"},
        {"name": "anti_mda5", "result": "negative"},
    ]
    assert x.case["genetics"] == [{"gene": "galnt3", "result": "pathogenic_variant"}]


def test_not_understood(read):
    """Medical-looking words with no term are listed with their span."""
    x = read("Patiente de 50 ans. Elle présente une hyperkératose palmaire et une xérostomie.", "fr")
    texts = [u.text for u in x.not_understood]
    assert "hyperkératose palmaire" in texts or "hyperkératose" in texts


def _sentence(lang: str, label: str) -> str:
    return (
        f"Patient de 50 ans. Il est question de {label} ici."
        if lang == "fr"
        else f"A 50-year-old man. He mentions {label} here."
    )


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_vocabulary_label_is_found(kb, lang):
    """Each label of the concept lists, put in a sentence, is found as its own term."""
    missed = []
    for list_name in CONCEPT_LISTS:
        if list_name in ("sexes",):
            continue
        for term in kb.vocabulary.lists[list_name].values():
            label = term.label(lang)
            from calcinosis.intake._assemble import _lexicon

            found = list(_lexicon(kb).find(_sentence(lang, label), lang))
            targets = {(t.list_name, t.term) for m in found for t in m.targets}
            if (list_name, term.id) not in targets:
                missed.append(f"{list_name}.{term.id}: {label!r}")
    assert missed == []


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_lab_label_with_a_value(kb, lang):
    """Each lab label followed by a value in one of its units is read as that lab."""
    missed = []
    for test, spec in kb.units["tests"].items():
        unit = next(iter(spec["units"]))
        label = kb.vocabulary.lists["labs"][test].label(lang)
        low = float(spec.get("plausible", [0, 1])[0]) or 1.0
        value = f"{max(low * 2, 1):g}".replace(".", "," if lang == "fr" else ".")
        age = "Patiente de 50 ans. " if lang == "fr" else "A 50-year-old woman. "
        x = extract_case(f"{age}{label} {value} {unit}.", kb, lang=lang)
        if [lab["test"] for lab in x.case.get("labs", [])] != [test]:
            missed.append(f"{test}: {label!r} -> {x.case.get('labs')} {[d.reason for d in x.dropped]}")
    assert missed == []


def test_empty_note(kb):
    """An empty note is refused with a message in both languages."""
    with pytest.raises(IntakeError, match=r"empty.*vide"):
        extract_case("   \n ", kb)


def test_other_language(kb):
    """A German or Spanish note is refused, naming the language."""
    with pytest.raises(IntakeError, match=r"German.*allemand"):
        extract_case("Die Patientin ist 45 Jahre alt und hat seit einem Jahr keine Schmerzen in der Hand.", kb)
    with pytest.raises(IntakeError, match=r"Spanish.*espagnol"):
        extract_case("La paciente de 45 años presenta nódulos en los dedos desde hace un año, sin dolor.", kb)


def test_detects_french_and_english(kb):
    """Detection picks the note's language and says how."""
    assert extract_case("Patiente de 45 ans suivie pour une sclérodermie.", kb).lang == "fr"
    x = extract_case("A 45-year-old woman with scleroderma and no fever.", kb)
    assert x.lang == "en" and not x.lang_given and "en" in x.lang_detection


def test_spans_point_at_the_text(read):
    """Every item's offsets give back its text in the original note (accents, line breaks)."""
    note = "Monsieur B., 58 ans.\n\nÉchographie : calcifications tendineuses de l'épaule droite.\nPas de fièvre."
    x = read(note, "fr")
    assert x.items
    for item in x.items:
        assert note[item.start : item.end] == item.text


def test_one_megabyte_note_in_bounded_time(kb):
    """A 1 MB note is read in bounded time (chunked), and still gives a valid case."""
    paragraph = (
        "Patiente de 45 ans suivie pour une sclérodermie systémique. Pas de fièvre ni d'ulcération. "
        "Calcémie 2,35 mmol/l. La radiographie montre des calcifications sous-cutanées des doigts.\n\n"
    )
    note = paragraph * (1_000_000 // len(paragraph) + 1)
    assert len(note) >= 1_000_000
    started = time.perf_counter()
    x = extract_case(note, kb, lang="fr")
    elapsed = time.perf_counter() - started
    assert elapsed < 60, elapsed
    assert x.case["history"] == ["systemic_sclerosis"]
    assert x.case["absent"] == ["fever", "ulceration"]


@pytest.mark.parametrize(
    ("stem", "half"),
    [
        ("fr-01-kyste", "dev"),
        ("en-02-knee", "held-out"),
        ("fr-a-03-sclerodermie", "dev"),  # a writer's letter before the number
        ("en-b-10-calciphylaxis", "held-out"),
        ("notes-without-number", "held-out"),  # no number: never read as development
    ],
)
def test_note_half_takes_the_first_number_of_the_name(stem: str, half: str) -> None:
    """The split is the first number in the note's name, whatever comes before it."""
    from calcinosis.evaluation.intake import note_half

    assert note_half(stem) == half
