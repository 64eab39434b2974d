"""The flat-table columns: the header is checked before any row, each cell goes to its place."""

from __future__ import annotations

import pytest

from calcinosis.batch.columns import Layout, known_columns, parse_header, table_docs
from calcinosis.errors import CaseValidationError
from calcinosis.kb.model import KnowledgeBase


def _issues(names: list[str], kb: KnowledgeBase) -> dict[str, list[str]]:
    with pytest.raises(CaseValidationError) as info:
        parse_header(names, kb, source="t.csv")
    return {i.location: [i.message, *i.suggestions] for i in info.value.issues}


def test_unknown_column_names_the_closest(kb: KnowledgeBase) -> None:
    """A misspelt column is refused with the closest known column."""
    found = _issues(["id", "age", "sex", "finding:painn", "lab:calcum", "histroy:gout"], kb)
    assert found["finding:painn"][0] == "unknown column" and found["finding:painn"][1] == "finding:pain"
    assert found["lab:calcum"][1] == "lab:calcium"
    assert found["histroy:gout"][1] == "history:gout"


def test_a_semicolon_header_is_named(kb: KnowledgeBase) -> None:
    """A spreadsheet's ';'-separated export reads as one column: the error says so."""
    found = _issues(["id;age;sex;finding:pain"], kb)
    assert "separated by ';'" in found["id;age;sex;finding:pain"][0]


def test_synonym_columns_ask_for_the_canonical_term(kb: KnowledgeBase) -> None:
    """A column naming a term by a synonym is refused with the canonical column, never mapped silently."""
    found = _issues(["age", "sex", "finding:raynaud", "imaging:pattern:sheet-like"], kb)
    assert found["finding:raynaud"][1] == "finding:raynaud_phenomenon"
    assert "synonym" in found["finding:raynaud"][0]


def test_header_rules(kb: KnowledgeBase) -> None:
    """Missing age and sex, a duplicate, a value without unit, a wrong fixed unit, a unit without value."""
    found = _issues(
        ["id", "id", "lab:calcium", "lab:phosphate[U/L]", "lab:pth:unit", "lab:albumin", "lab:albumin[g/L]"], kb
    )
    assert "age" in found and "sex" in found
    assert "appears 2 times" in found["id"][0]
    assert "has no unit" in found["lab:calcium"][0] and "lab:calcium[mmol/L]" in found["lab:calcium"][0]
    assert "does not fit test 'phosphate'" in found["lab:phosphate[U/L]"][0]
    assert "needs the value column 'lab:pth'" in found["lab:pth:unit"][0]
    assert "both a unit column and a unit" in found["lab:albumin[g/L]"][0]


def test_french_header_messages(kb: KnowledgeBase) -> None:
    """Column errors in French, with French typography."""
    with pytest.raises(CaseValidationError) as info:
        parse_header(["age", "finding:painn"], kb, source="t.csv", lang="fr")
    text = str(info.value)
    assert "colonne inconnue" in text and "le tableau n'a pas de colonne 'sex'" in text
    assert "t.csv\u00a0: colonnes du tableau non comprises" in text


def test_every_known_column_is_accepted(kb: KnowledgeBase) -> None:
    """The documented names all parse (lab values with their unit columns)."""
    layout = parse_header(known_columns(kb), kb, source="all.csv")
    assert len(layout.columns) == len(known_columns(kb)) > 400


def _docs(
    layout: Layout, rows: list[dict[str, object]], kb: KnowledgeBase
) -> tuple[list[dict[str, object]], dict[int, list[str]]]:
    cells = []
    for col in layout.columns:
        idx = [i for i, r in enumerate(rows) if r.get(col.name) is not None]
        cells.append((idx, [rows[i][col.name] for i in idx]))
    docs, errors = table_docs(layout, len(rows), cells, kb=kb)
    return docs, {i: [f"{e.column}: {e.message}" for e in errs] for i, errs in errors.items()}


def test_cells_become_case_items(kb: KnowledgeBase) -> None:
    """true/false/empty, units per row or per column, one imaging study, onset delays, typed or text cells."""
    names = ["id", "age", "sex", "finding:pain", "history:dialysis", "site:thigh", "lab:calcium", "lab:calcium:unit"]
    names += ["lab:phosphate[mg/dL]", "lab:pth:interpretation", "antibody:ana", "imaging:modality"]
    names += ["imaging:pattern:sheet", "imaging:size_cm", "onset_days_after:iv_calcium", "postmenopausal"]
    layout = parse_header(names, kb, source="t")
    rows: list[dict[str, object]] = [
        {
            "id": "a",
            "age": "61.5",
            "sex": " female ",
            "finding:pain": "TRUE",
            "history:dialysis": "false",
            "site:thigh": True,
            "lab:calcium": "2.41",
            "lab:calcium:unit": "mmol/L",
            "lab:phosphate[mg/dL]": 5.1,
            "lab:pth:interpretation": "high",
            "antibody:ana": "positive",
            "imaging:modality": "ct",
            "imaging:pattern:sheet": "true",
            "imaging:size_cm": "3",
            "onset_days_after:iv_calcium": 2,
            "postmenopausal": False,
        },
        {
            "id": 7,
            "age": 40,
            "sex": "male",
            "finding:pain": "maybe",
            "site:thigh": "false",
            "lab:pth:interpretation": " ",
        },
    ]
    docs, errors = _docs(layout, rows, kb)
    assert docs[0] == {
        "id": "a",
        "patient": {"age": 61.5, "sex": "female", "postmenopausal": False},
        "findings": ["pain"],
        "absent": ["dialysis"],
        "sites": ["thigh"],
        "labs": [
            {"test": "calcium", "value": 2.41, "unit": "mmol/L"},
            {"test": "phosphate", "value": 5.1, "unit": "mg/dL"},
            {"test": "pth", "interpretation": "high"},
        ],
        "antibodies": [{"name": "ana", "result": "positive"}],
        "imaging": [{"modality": "ct", "patterns": ["sheet"], "size_cm": 3.0}],
        "onset_days_after": {"iv_calcium": 2.0},
    }
    assert docs[1] == {"id": "7", "patient": {"age": 40.0, "sex": "male"}}
    assert errors == {
        1: [
            "finding:pain: expected true, false or empty, got 'maybe'",
            "site:thigh: expected true or empty, got 'false' (case format v1 has no absent site: leave the cell empty)",
        ]
    }


def test_issue_locations_map_back_to_columns(kb: KnowledgeBase) -> None:
    """Every place of a row's case names the column it came from."""
    names = [
        "id",
        "age",
        "sex",
        "finding:pain",
        "history:gout",
        "lab:calcium",
        "lab:calcium:unit",
        "lab:pth[pg/mL]",
        "imaging:modality",
        "imaging:tissue:fascia",
        "onset_days_after:warfarin",
    ]
    layout = parse_header(names, kb, source="t")
    doc = {
        "patient": {"age": 3, "sex": "x"},
        "findings": ["pain"],
        "absent": ["gout"],
        "labs": [{"test": "calcium", "value": 1, "unit": "x"}, {"test": "pth", "value": 2, "unit": "pg/mL"}],
        "imaging": [{"modality": "ct", "tissues": ["fascia"]}],
        "onset_days_after": {"warfarin": -1},
    }
    expected = {
        "patient.age": "age",
        "patient.sex": "sex",
        "findings[0]": "finding:pain",
        "absent[0]": "history:gout",
        "labs[0].unit": "lab:calcium:unit",
        "labs[0].value": "lab:calcium",
        "labs[1].unit": "lab:pth[pg/mL]",
        "labs[1]": "lab:pth[pg/mL]",
        "imaging[0].modality": "imaging:modality",
        "imaging[0].tissues[0]": "imaging:tissue:fascia",
        "imaging[0]": "imaging:modality",
        "onset_days_after.warfarin": "onset_days_after:warfarin",
        "": "",
    }
    assert {loc: layout.column_at(loc, doc) for loc in expected} == expected
