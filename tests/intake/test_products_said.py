"""A drug's name says what is taken, not how long, by which route or how often.

A clinical review found "prednisone" and "Cortancyl" read as long-term corticosteroids (no
duration said), "calcium gluconate" as intravenous calcium (it is also taken by mouth) and any
dose of 50,000 IU of vitamin D as high-dose even every 3 months. Each is placed only when the
note says the duration, route or frequency that makes it the exposure; otherwise it is set
aside with the reason (intake.yaml ``unplaced_products``, ``product_stated``, ``dose_exposures``).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from calcinosis.intake import Extraction

ROWS: list[tuple[str, str, str, bool]] = [
    # corticosteroids: named, or with how long
    ("en", "Calcified nodules of the elbows. She takes prednisone 10 mg a day.", "long_term_corticosteroids", False),
    ("fr", "Nodules calcifiés des coudes. Traitement par Cortancyl 10 mg.", "long_term_corticosteroids", False),
    ("en", "Calcified nodules of the elbows. She has taken steroids.", "long_term_corticosteroids", False),
    ("en", "Calcified nodules of the elbows. Prednisone for four years.", "long_term_corticosteroids", True),
    (
        "en",
        "Calcified nodules. Prednisone was tapered to 10 mg/d but never discontinued.",
        "long_term_corticosteroids",
        True,
    ),
    ("fr", "Nodules calcifiés des coudes. Elle prend du Cortancyl depuis 2 ans.", "long_term_corticosteroids", True),
    ("fr", "Nodules calcifiés des coudes. Cortancyl au long cours.", "long_term_corticosteroids", True),
    ("en", "Calcified nodules. Prednisolone for about five years in the 1970s.", "long_term_corticosteroids", True),
    ("fr", "Nodules calcifiés. Cortancyl pendant plus de 2 ans.", "long_term_corticosteroids", True),
    ("fr", "Nodules calcifiés des coudes. Solupred depuis 1 mois.", "long_term_corticosteroids", False),
    # calcium gluconate: named, or with its route
    ("fr", "Nourrisson de 2 mois traité par gluconate de calcium pour une hypocalcémie.", "iv_calcium", False),
    ("en", "A 2-month-old infant treated with calcium gluconate for hypocalcaemia.", "iv_calcium", False),
    ("en", "He was injected calcium gluconate intravenously through a femoral catheter.", "iv_calcium", True),
    ("fr", "Nourrisson traité par gluconate de calcium en perfusion pour une hypocalcémie.", "iv_calcium", True),
]


@pytest.mark.parametrize(("lang", "note", "term", "placed"), ROWS, ids=[r[1][:50] for r in ROWS])
def test_a_drug_is_the_exposure_only_with_what_the_note_says(
    read: Callable[..., Extraction], lang: str, note: str, term: str, placed: bool
) -> None:
    x = read(note, lang=lang)
    assert (term in x.case.get("exposures", [])) is placed
    if not placed:
        dropped = [i for i in x.dropped if i.field == "exposures" and i.term == term]
        assert dropped and ("not placed" in dropped[0].reason or "non retenu" in dropped[0].reason)


@pytest.mark.parametrize(
    ("lang", "note", "term"),
    [
        ("fr", "Nodules calcifiés. Pas de corticoïdes chez elle.", "long_term_corticosteroids"),
        ("en", "Calcified nodules. No steroids in this woman.", "long_term_corticosteroids"),
    ],
)
def test_a_drug_denied_denies_the_exposure(read: Callable[..., Extraction], lang: str, note: str, term: str) -> None:
    assert term in read(note, lang=lang).case.get("absent", [])


@pytest.mark.parametrize(
    ("lang", "note", "average"),
    [
        ("en", "Calcified nodules. She takes 100,000 IU of vitamin D every 3 months.", "1,111"),
        ("fr", "Nodules calcifiés. Vitamine D 100 000 UI tous les trois mois.", "1\u202f111"),
        ("fr", "Nodules calcifiés. ZymaD 50 000 UI par semaine.", "7\u202f143"),
    ],
)
def test_a_vitamin_d_dose_with_its_interval_is_judged_by_its_daily_equivalent(
    read: Callable[..., Extraction], lang: str, note: str, average: str
) -> None:
    x = read(note, lang=lang)
    assert "vitamin_d_high_dose" not in x.case.get("exposures", [])
    assert any(average in i.reason for i in x.dropped if i.term == "vitamin_d_high_dose")
