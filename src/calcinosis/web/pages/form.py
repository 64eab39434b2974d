"""The case form of the web page, both ways: form fields to a case (case format v1) and back.

The page posts flat fields (``history=dialysis``, ``lab-0-test=calcium``...); :func:`form_to_case`
turns them into the same dict a case file holds, which then goes through the one case reader.
:func:`case_to_form` is the reverse, to fill the form from an uploaded case file. Keys of a
case that the form does not edit (genetics, onset_days_after, expected...) travel unchanged in
a hidden ``extra`` field, so nothing a user loaded is lost.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from calcinosis.case.reader import comma_readings

__all__ = ["FORM_KEYS", "TERM_LISTS", "CaseForm", "case_to_form", "form_to_case"]

# case key -> vocabulary list of its terms
TERM_LISTS = {"history": "conditions", "exposures": "exposures", "findings": "findings", "sites": "sites"}
IMAGING_TERM_LISTS = {"sites": "sites", "tissues": "tissues", "patterns": "patterns"}
IMAGING_FLAGS = ("symmetric", "bone_destruction", "uptake", "along_muscle_fibers")
# keys of a case the form edits; every other key travels in `extra`
FORM_KEYS = frozenset({"id", "patient", "duration_months", "labs", "antibodies", "imaging", "absent", *TERM_LISTS})
_PATIENT_KEYS = frozenset({"age", "sex"})
_ROW = re.compile(r"^(lab|ab|img)-(\d{1,3})-([a-z_]+)$")
_RANGE_FIELDS = {"range_low": "low", "range_high": "high"}  # form field -> key of a lab's reference_range
MAX_ROWS = 200  # rows per table (labs, antibodies, imaging): the case reader's own limits are far wider


@dataclass
class CaseForm:
    """What the form shows: the case's items in the form's layout."""

    id: str = ""
    age: str = ""
    sex: str = ""
    duration_months: str = ""
    terms: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in [*TERM_LISTS, "absent"]})
    labs: list[dict[str, str]] = field(default_factory=list)
    antibodies: list[dict[str, str]] = field(default_factory=list)
    imaging: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


def _number(text: str) -> float | int | str:
    """A number typed in the form (a decimal comma accepted); anything else stays text for the
    case reader to refuse with its located message.

    A comma before exactly three digits after a non-zero whole part (1,200; 12,500) stays text
    too: it separates thousands in English and marks the decimals in French, and a hostile-input
    audit saw alkaline phosphatase '1,200' U/L read as 1.2 and shown as low, without a word. The
    reader names the field and both ways to write it (``err_ambiguous_comma``)."""
    t = text.strip().replace("\u202f", "").replace("\xa0", "").replace(" ", "")
    if comma_readings(t) is not None:
        return text
    if re.fullmatch(r"[+-]?\d+", t):
        return int(t)
    if re.fullmatch(r"[+-]?(\d+[.,]\d*|[.,]\d+)", t):
        return float(t.replace(",", "."))
    return text


def _shown(value: object) -> str:
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def form_to_case(fields: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """A case dict from the posted fields (blank fields are not reported, never zero or absent)."""
    case: dict[str, Any] = {}
    patient: dict[str, Any] = {}
    rows: dict[str, dict[int, dict[str, Any]]] = {"lab": {}, "ab": {}, "img": {}}
    extra: dict[str, Any] = {}
    for key, raw in fields:
        value = raw.strip()
        if not value:
            continue
        if key == "extra":
            try:
                loaded = json.loads(value)
            except ValueError:
                loaded = None
            if isinstance(loaded, dict):
                extra = {k: v for k, v in loaded.items() if k not in FORM_KEYS or k == "patient"}
        elif key == "id":
            case["id"] = value
        elif key in ("age", "sex"):
            patient[key] = _number(value) if key == "age" else value
        elif key == "duration_months":
            case[key] = _number(value)
        elif key in TERM_LISTS or key == "absent":
            items = case.setdefault(key, [])
            if value not in items:
                items.append(value)
        elif m := _ROW.match(key):
            kind, index, name = m.group(1), int(m.group(2)), m.group(3)
            if index >= MAX_ROWS:
                continue
            row = rows[kind].setdefault(index, {})
            if kind == "img" and name in IMAGING_TERM_LISTS:
                row.setdefault(name, [])
                if value not in row[name]:
                    row[name].append(value)
            elif kind == "img" and name in IMAGING_FLAGS:
                row[name] = value == "true" if value in ("true", "false") else value
            elif name in ("value", "size_cm"):
                row[name] = _number(value)
            elif kind == "lab" and name in _RANGE_FIELDS:  # the laboratory's interval, two inputs
                row.setdefault("reference_range", {})[_RANGE_FIELDS[name]] = _number(value)
            else:
                row[name] = value
    labs = [r for _, r in sorted(rows["lab"].items()) if r.get("test")]
    for r in labs:
        if "value" in r:  # a measured value wins over an interpretation left in the row
            r.pop("interpretation", None)
    antibodies = [r for _, r in sorted(rows["ab"].items()) if r.get("name")]
    imaging = [r for _, r in sorted(rows["img"].items()) if r]
    kept_patient = extra.pop("patient", {})
    result: dict[str, Any] = {
        **extra,
        **case,
        "patient": {**(kept_patient if isinstance(kept_patient, dict) else {}), **patient},
    }
    if labs:
        result["labs"] = labs
    if antibodies:
        result["antibodies"] = antibodies
    if imaging:
        result["imaging"] = imaging
    return result


def case_to_form(data: Mapping[str, Any]) -> CaseForm:
    """The form's layout of a case dict (as loaded from a file or built by :func:`form_to_case`)."""
    form = CaseForm(id=_shown(data.get("id", "")))
    patient = data.get("patient") if isinstance(data.get("patient"), Mapping) else {}
    assert isinstance(patient, Mapping)
    form.age = _shown(patient.get("age"))
    form.sex = _shown(patient.get("sex"))
    form.duration_months = _shown(data.get("duration_months"))
    for key in [*TERM_LISTS, "absent"]:
        items = data.get(key)
        form.terms[key] = [str(t) for t in items] if isinstance(items, list) else []
    for lab in data.get("labs") or []:
        if isinstance(lab, Mapping):
            row = {k: _shown(v) for k, v in lab.items() if k != "reference_range"}
            limits = lab.get("reference_range")
            if isinstance(limits, Mapping):
                row |= {name: _shown(limits.get(key)) for name, key in _RANGE_FIELDS.items() if key in limits}
            elif limits is not None:  # not a mapping: kept as written for the case reader to refuse
                row["reference_range"] = _shown(limits)
            form.labs.append(row)
    for ab in data.get("antibodies") or []:
        if isinstance(ab, Mapping):
            form.antibodies.append({k: _shown(v) for k, v in ab.items()})
    for img in data.get("imaging") or []:
        if isinstance(img, Mapping):
            form.imaging.append(
                {
                    k: (
                        list(v)
                        if isinstance(v, list)
                        else ("true" if v is True else "false" if v is False else _shown(v))
                    )
                    for k, v in img.items()
                }
            )
    form.extra = {k: v for k, v in data.items() if k not in FORM_KEYS}
    other_patient = {k: v for k, v in patient.items() if k not in _PATIENT_KEYS}
    if other_patient:
        form.extra["patient"] = other_patient
    return form
