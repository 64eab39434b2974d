"""Round 12: safety faults a clinician review of the intake found. Each probe is a sentence of
our own that isolates the rule, in English and French; the expected reading is what the note
says.

1. A disease named as a test ("myeloma screen", "bilan de myélome") is not a known disease.
2. A pain's place ("epigastric pain", "douleurs abdominales") is not where the deposits are.
3. Brand names of calcium and vitamin D products are read (or set aside with the reason).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from calcinosis.intake import Extraction


def _dropped(x: Extraction, field: str, term: str) -> list[str]:
    return [i.reason for i in x.dropped if i.field == field and i.term == term]


# ---------------------------------------------------------------- 1. a disease named as a test


@pytest.mark.parametrize(
    ("note", "lang", "term"),
    [
        ("Calcified nodules of both elbows. Myeloma screen and PTHrP were normal.", "en", "multiple_myeloma"),
        ("Calcified nodules of both elbows. TB screening negative.", "en", "tuberculosis"),
        ("Calcified nodules of the hands. Negative TB screening, calcium high.", "en", "tuberculosis"),
        ("Calcified nodules of the hands. Sarcoidosis work-up was unremarkable.", "en", "sarcoidosis"),
        ("Calcified nodules of the hands. Screening for tuberculosis was negative.", "en", "tuberculosis"),
        ("Nodules calcifiés des coudes. Bilan de myélome négatif.", "fr", "multiple_myeloma"),
        ("Nodules calcifiés des coudes. Recherche de tuberculose négative.", "fr", "tuberculosis"),
        ("Nodules calcifiés des coudes. Recherche d'une tuberculose : négative.", "fr", "tuberculosis"),
        ("Nodules calcifiés des coudes. Sérologie lupique négative.", "fr", "systemic_lupus_erythematosus"),
    ],
)
def test_a_disease_named_as_a_test_with_a_normal_result_is_absent(
    read: Callable[..., Extraction], note: str, lang: str, term: str
) -> None:
    """ "Myeloma screen and PTHrP were normal" was read as a known myeloma (and the tool then
    wrote that a cancer was already known): the test is not the disease, its normal result
    denies it."""
    x = read(note, lang=lang)
    assert term not in x.case.get("history", [])
    assert term in x.case.get("absent", [])
    item = next(i for i in x.items if i.field == "absent" and i.term == term)
    assert item.status == "absent" and ("test" in item.reason or "examen" in item.reason)


@pytest.mark.parametrize(
    ("note", "lang", "term"),
    [
        ("Calcified nodules of both elbows. Lupus serology was sent.", "en", "systemic_lupus_erythematosus"),
        ("Calcified nodules of both elbows. Sarcoidosis work-up pending.", "en", "sarcoidosis"),
        ("Calcified nodules of both elbows. Lupus serology positive.", "en", "systemic_lupus_erythematosus"),
        ("Calcified nodules of both elbows. No myeloma screen was done.", "en", "multiple_myeloma"),
        ("Nodules calcifiés des coudes. Dépistage du myélome demandé.", "fr", "multiple_myeloma"),
        ("Nodules calcifiés des coudes. Sérologie lupique en cours.", "fr", "systemic_lupus_erythematosus"),
        # a normal word denied is no normal result (a review: 'not normal' read the myeloma absent)
        ("Calcified nodules of both elbows. Myeloma screen was not normal.", "en", "multiple_myeloma"),
        ("Calcified nodules of both elbows. TB screening not negative.", "en", "tuberculosis"),
        ("Nodules calcifiés des coudes. Bilan de myélome pas normal.", "fr", "multiple_myeloma"),
        ("Nodules calcifiés des coudes. Sérologie lupique non négative.", "fr", "systemic_lupus_erythematosus"),
    ],
)
def test_a_disease_named_as_a_test_without_a_normal_result_is_set_aside_with_the_reason(
    read: Callable[..., Extraction], note: str, lang: str, term: str
) -> None:
    """A test sent, pending, positive or not done says neither that the disease is known nor that
    it is absent: it is not placed, and shown among the items set aside (never silently dropped)."""
    x = read(note, lang=lang)
    assert term not in x.case.get("history", []) and term not in x.case.get("absent", [])
    reasons = _dropped(x, "history", term)
    assert reasons and any("test" in r or "examen" in r for r in reasons)


@pytest.mark.parametrize(
    ("note", "kept"),
    [
        (
            "Known multiple myeloma and a hypercalcaemia work-up that was unremarkable. Calcified nodules.",
            "multiple_myeloma",
        ),
        ("A woman with sarcoidosis, tested for tuberculosis: negative. Calcified nodules.", "sarcoidosis"),
    ],
)
def test_a_test_s_normal_result_does_not_deny_the_disease_named_before_the_test(
    read: Callable[..., Extraction], note: str, kept: str
) -> None:
    """The denial after a test is its result: it said a known myeloma was absent."""
    x = read(note, lang="en")
    assert kept not in x.case.get("absent", [])
    assert _dropped(x, "history", kept)


def test_a_disease_said_known_or_denied_plainly_is_read_as_before(read: Callable[..., Extraction]) -> None:
    x = read("History of tuberculosis treated in 1990. No lupus. Calcified nodules of the elbows.", lang="en")
    assert "tuberculosis" in x.case["history"] and "systemic_lupus_erythematosus" in x.case["absent"]


# ---------------------------------------------------------------- 2. a pain's place is not a lesion site


@pytest.mark.parametrize(
    ("note", "lang"),
    [
        ("Calcified nodules of both elbows. She reports epigastric pain after meals.", "en"),
        ("Calcified nodules of both elbows. Abdominal pain for two weeks.", "en"),
        ("Calcified nodules of both elbows. Abdominal tenderness on examination.", "en"),
        ("Calcified nodules of both elbows. He complains of abdominal discomfort.", "en"),
        ("Nodules calcifiés des coudes. Douleurs abdominales depuis deux semaines.", "fr"),
        ("Nodules calcifiés des coudes. Gêne abdominale après les repas.", "fr"),
    ],
)
def test_the_place_of_a_pain_is_not_a_lesion_site(read: Callable[..., Extraction], note: str, lang: str) -> None:
    """ "Epigastric pain" put the abdomen among the sites of the deposits, and the engine counted
    it as where they are. The pain is still a finding; its place is set aside with the reason."""
    x = read(note, lang=lang)
    assert "abdomen" not in x.case.get("sites", []) and "abdominal_wall" not in x.case.get("sites", [])
    assert x.case["sites"] == ["elbow"]
    if "discomfort" not in note and "Gêne" not in note:
        assert "pain" in x.case["findings"]
        assert _dropped(x, "sites", "abdomen")


@pytest.mark.parametrize(
    ("note", "lang", "site"),
    [
        ("Painful nodules of the elbow.", "en", "elbow"),
        ("Painful elbow nodules for a year.", "en", "elbow"),
        ("Pain and swelling of the right knee for a month.", "en", "knee"),
        ("Swelling and pain of the right knee for a month.", "en", "knee"),
        ("Abdominal pain and a calcified mass of the abdominal wall.", "en", "abdominal_wall"),
        ("Nodules douloureux du coude droit.", "fr", "elbow"),
        ("Douleur et tuméfaction du genou droit depuis un mois.", "fr", "knee"),
    ],
)
def test_a_lesion_at_the_place_of_a_pain_keeps_its_site(
    read: Callable[..., Extraction], note: str, lang: str, site: str
) -> None:
    x = read(note, lang=lang)
    assert site in x.case["sites"]


def test_a_pain_beside_lesions_placed_elsewhere_does_not_place_them(read: Callable[..., Extraction]) -> None:
    x = read("Abdominal pain and calcified nodules on both thighs.", lang="en")
    assert x.case["sites"] == ["thigh"] and "pain" in x.case["findings"]


def test_a_shoulder_pain_is_still_a_shoulder_pain(read: Callable[..., Extraction]) -> None:
    """The pain's place is the finding's own term where it has one (intake.yaml site_findings)."""
    x = read("Acute right shoulder pain for four days.", lang="en")
    assert "shoulder_pain" in x.case["findings"]


@pytest.mark.parametrize(
    ("note", "lang", "site"),
    [
        ("Right hip pain for two months. Radiographs showed a calcified mass around the right hip.", "en", "hip"),
        ("Douleur du coude droit depuis un mois. La radiographie montre une calcification du coude.", "fr", "elbow"),
    ],
)
def test_a_pain_where_the_note_places_deposits_keeps_its_site(
    read: Callable[..., Extraction], note: str, lang: str, site: str
) -> None:
    """The place of a pain is a site of the lesions where a study or an examination shows them."""
    assert site in read(note, lang=lang).case["sites"]


# ---------------------------------------------------------------- 3. brand names of calcium and vitamin D


@pytest.mark.parametrize(
    ("brand", "term"),
    [
        ("Rocaltrol", "active_vitamin_d"),
        ("Un-Alfa", "active_vitamin_d"),
        ("One-Alpha", "active_vitamin_d"),
    ],
)
def test_a_brand_whose_content_is_an_exposure_is_that_exposure(
    read: Callable[..., Extraction], brand: str, term: str
) -> None:
    x = read(f"Calcified nodules of both elbows. Her treatment includes {brand} daily.", lang="en")
    assert term in x.case["exposures"]


@pytest.mark.parametrize(
    "brand",
    [
        "Adcal-D3",
        "Adcal D3",
        "Calcichew-D3",
        "Calcichew",
        "Cacit D3",
        "Orocal D3",
        "Calcidose",
        "Ideos",
        "Fixical",
        "Caltrate",
        "Os-Cal",
        "Citracal",
        "Dedrogyl",
    ],
)
def test_a_supplement_brand_at_a_usual_dose_is_read_and_set_aside_with_its_reason(
    read: Callable[..., Extraction], brand: str
) -> None:
    """A calcium or vitamin D supplement at no stated high dose is no exposure of the case (a
    calcium supplement is high-dose calcium only when said so); the brand is read and shown,
    not missed."""
    x = read(f"Calcified nodules of both elbows. Her treatment includes {brand} daily.", lang="en")
    assert not x.case.get("exposures")
    dropped = [i for i in x.dropped if i.field == "exposures"]
    assert dropped and dropped[0].text.replace(" ", "-").lower().startswith(brand.replace(" ", "-").lower()[:5])
    assert brand.split("-")[0].split(" ")[0] not in " ".join(u.text for u in x.not_understood)


@pytest.mark.parametrize(
    ("note", "lang", "term", "content"),
    [
        (
            "Calcified nodules of both elbows. She takes Rennie daily.",
            "en",
            "milk_alkali_intake",
            "magnesium carbonate",
        ),
        ("Calcified nodules of both elbows. She takes Tums daily.", "en", "milk_alkali_intake", "calcium carbonate"),
    ],
)
def test_a_product_named_without_its_amount_says_what_is_taken_not_how_much(
    read: Callable[..., Extraction], note: str, lang: str, term: str, content: str
) -> None:
    """A clinical review: "Rennie" was read as milk-alkali intake and "Uvédose" as high-dose
    vitamin D, an amount no note had given. The product is read, set aside with what it holds."""
    x = read(note, lang=lang)
    assert not x.case.get("exposures")
    dropped = [i for i in x.dropped if i.field == "exposures"]
    assert [i.term for i in dropped] == [term]
    assert content in dropped[0].reason


@pytest.mark.parametrize(
    ("note", "lang"),
    [
        ("Nodules calcifiés des coudes. Elle prend de l'Uvédose.", "fr"),
        ("Calcified nodules of both elbows. He takes ergocalciferol.", "en"),
        ("Calcified nodules of both elbows. Her treatment includes ZymaD daily.", "en"),
        ("Calcified nodules of both elbows. Her treatment includes Sterogyl daily.", "en"),
    ],
)
def test_a_native_vitamin_d_named_without_its_amount_is_the_supplement_not_a_high_dose(
    read: Callable[..., Extraction], note: str, lang: str
) -> None:
    """A clinical review found "Uvédose" alone read as high-dose vitamin D, an amount no note had
    given; the product is native vitamin D taken, the supplement (features.yaml: a high dose only
    with the dose said)."""
    x = read(note, lang=lang)
    assert x.case.get("exposures") == ["vitamin_d_supplement"]


def test_a_vitamin_d_ampoule_with_its_dose_said_is_read_by_the_dose(read: Callable[..., Extraction]) -> None:
    x = read("Nodules calcifiés des coudes. Uvédose 100 000 UI chaque semaine.", lang="fr")
    assert x.case["exposures"] == ["vitamin_d_high_dose"]


def test_a_vitamin_d_brand_with_a_high_dose_said_is_high_dose_vitamin_d(read: Callable[..., Extraction]) -> None:
    x = read("Nodules calcifiés des coudes. Traitement : ZymaD 80 000 UI par semaine.", lang="fr")
    assert x.case["exposures"] == ["vitamin_d_high_dose"]
    # the brand read as the supplement gives way to the high dose (one exposure, not two)
    assert [i.term for i in x.dropped if i.field == "exposures"] == ["vitamin_d_supplement"]


def test_a_french_note_reads_the_brands(read: Callable[..., Extraction]) -> None:
    x = read("Nodules calcifiés des coudes. Traitement : Cacit D3, Un-Alfa et Rennie.", lang="fr")
    assert set(x.case["exposures"]) == {"active_vitamin_d"}
    assert [i.text for i in x.dropped if i.field == "exposures"] == ["Cacit D3", "Rennie"]
