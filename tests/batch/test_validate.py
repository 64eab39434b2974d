"""The row validator: its shortcut gives exactly what parse_case gives, or leaves the row to it."""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest

from calcinosis.batch.validate import RowValidator
from calcinosis.case.reader import parse_case
from calcinosis.errors import CaseValidationError
from calcinosis.kb.model import KnowledgeBase

from .cohort import cohort

# Changes a table row can carry that the reader resolves or refuses (aliases, units, limits).
_VARIANTS: list[tuple[str, Any]] = [
    ("sex", "F"),
    ("sex", "Femme"),
    ("sex", "martian"),
    ("sex", 3),
    ("age", 130.0),
    ("age", "abc"),
    ("age", float("nan")),
    ("modality", "CT"),
    ("modality", "x-ray"),
    ("modality", "xray2"),
    ("distribution", "Widespread"),
    ("distribution", "everywhere"),
    ("unit", "mg/dl"),
    ("unit", "mg/L"),
    ("value", 95.0),
    ("value", -1.0),
    ("value", True),
    ("interpretation", "raised"),
    ("onset", -3.0),
    ("onset", 1e7),
    ("duration", 5000.0),
    ("id", "x" * 201),
    ("absent", "gout"),
    ("absent", "nonsense_term"),
    ("antibody", "weak"),
    ("finding", "raynaud"),
    ("finding", "pain"),
    ("lab", "Ca"),
    ("lab", "calcium"),
]


def _vary(case: dict[str, Any], what: str, value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(case)
    if what in ("sex", "age"):
        doc["patient"][what] = value
    elif what in ("modality", "distribution"):
        doc.setdefault("imaging", [{"modality": "ct"}])[0][what] = value
    elif what in ("unit", "value"):
        doc["labs"] = [{"test": "calcium", "value": 2.4, "unit": "mmol/L", what: value}]
    elif what == "interpretation":
        doc["labs"] = [{"test": "pth", "interpretation": value}]
    elif what == "onset":
        doc["exposures"] = ["warfarin"]
        doc["onset_days_after"] = {"warfarin": value}
    elif what == "duration":
        doc["duration_months"] = value
    elif what == "id":
        doc["id"] = value
    elif what == "absent":
        doc["absent"] = [*doc.get("absent", []), value]
    elif what == "antibody":
        doc["antibodies"] = [{"name": "ana", "result": value}]
    elif what == "finding":  # a synonym, or a term given twice
        doc["findings"] = [*doc.get("findings", []), value, value] if value == "pain" else [value]
        doc.pop("absent", None)
    elif what == "lab":
        doc["labs"] = [{"test": value, "value": 2.4, "unit": "mmol/L"}]
    return doc


def test_shortcut_is_parse_case(kb: KnowledgeBase) -> None:
    """On valid rows and on rows with every variant above, the shortcut's case equals parse_case's,
    and it never accepts a row parse_case refuses."""
    validator = RowValidator(kb)
    rng = random.Random(5)
    docs = cohort(kb, 60, seed=3)
    docs += [_vary(rng.choice(docs[:60]), what, value) for what, value in _VARIANTS for _ in range(3)]
    accepted = refused = 0
    for doc in docs:
        try:
            expected = parse_case(copy.deepcopy(doc), kb)
        except CaseValidationError:
            expected = None
        # twice: the second time from the validator's memory of checked items
        for _ in range(2):
            got = validator._shortcut(copy.deepcopy(doc))
            if expected is None:
                assert got is None, doc
            elif got is not None:
                assert got == expected, doc
        accepted += got is not None
        refused += expected is None
        if expected is None:  # the full reading refuses it too
            with pytest.raises(CaseValidationError):
                validator.parse_row(copy.deepcopy(doc), source="t")
        else:
            assert validator.parse_row(copy.deepcopy(doc), source="t") == expected
    assert accepted >= 60 + 12  # every valid random row, and the resolvable aliases, took the shortcut
    assert refused >= 30


def test_parse_row_errors_are_the_readers(kb: KnowledgeBase) -> None:
    """A row the shortcut leaves gets parse_case's located issues."""
    validator = RowValidator(kb)
    doc = {"patient": {"age": 40.0, "sex": "female"}, "labs": [{"test": "calcium", "value": 2.4, "unit": "mg/L"}]}
    try:
        validator.parse_row(doc, source="t.csv, row 3")
    except CaseValidationError as exc:
        assert [i.location for i in exc.issues] == ["labs[0].unit"]
        assert str(exc).startswith("t.csv, row 3")
    else:  # pragma: no cover
        raise AssertionError("a wrong unit was accepted")
