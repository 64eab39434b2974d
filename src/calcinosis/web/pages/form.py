"""The case form of the web page, both ways: form fields to a case (case format v1) and back.

The page posts flat fields (``history=dialysis``, ``lab-0-test=calcium``...); :func:`form_to_case`
turns them into the same dict a case file holds, which then goes through the one case reader.
:func:`case_to_form` is the reverse, to fill the form from an uploaded case file. Keys of a
case that the form does not edit (genetics, onset_days_after, expected...) travel unchanged in
a hidden ``extra`` field, so nothing a user loaded is lost.

A posted field the form cannot turn into a case item is a :class:`FormProblem`, never dropped:
a hostile-input audit found a misspelt field (``histroy=dialysis``), a lab row with a value but
no test, a row index beyond :data:`MAX_ROWS` and a malformed ``extra`` each giving the result of
the case without them, and no word. :func:`read_form` returns them beside the case.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from calcinosis.case.document import LIMITS
from calcinosis.case.reader import separator_readings
from calcinosis.i18n import message
from calcinosis.issues import Issue, closest

__all__ = [
    "FORM_KEYS",
    "MAX_FIELDS",
    "TERM_LISTS",
    "CaseForm",
    "FormProblem",
    "PostedForm",
    "case_to_form",
    "form_to_case",
    "read_form",
    "rows_beyond",
]

# case key -> vocabulary list of its terms
TERM_LISTS = {"history": "conditions", "exposures": "exposures", "findings": "findings", "sites": "sites"}
IMAGING_TERM_LISTS = {"sites": "sites", "tissues": "tissues", "patterns": "patterns"}
IMAGING_FLAGS = ("symmetric", "bone_destruction", "uptake", "along_muscle_fibers")
# keys of a case the form edits; every other key travels in `extra`
FORM_KEYS = frozenset({"id", "patient", "duration_months", "labs", "antibodies", "imaging", "absent", *TERM_LISTS})
_PATIENT_KEYS = frozenset({"age", "sex"})
_ROW = re.compile(r"^(lab|ab|img)-(\d{1,9})-([a-z_]+)$")
# the fields of the form outside its tables (a posted name that is none of these nor a row's is refused)
FIELDS = ("id", "age", "sex", "duration_months", *TERM_LISTS, "absent", "extra")
# the field a lab or antibody row is about: a row with other items and not this one cannot be read
_ROW_SUBJECT = {"lab": "test", "ab": "name"}
_RANGE_FIELDS = {"range_low": "low", "range_high": "high"}  # form field -> key of a lab's reference_range
MAX_ROWS = 200  # rows per table (labs, antibodies, imaging): the case reader's own limits are far wider
# the case keys of the form's tables, and the kind of their rows' fields ('lab-0-test')
_TABLES = {"labs": "lab", "antibodies": "ab", "imaging": "img"}
MAX_FIELDS = LIMITS["items"]
"""How many fields one post of the form may hold. Starlette's default (1,000) refused a case
the page had loaded (199 labs with a date and an interval are 1,200 fields) with a bare 400:
the page and what was typed in it were gone. The form's own bounds (:data:`MAX_ROWS` rows of a
few fields, the vocabulary's terms) stay far below the case reader's item limit used here."""


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
    extra_refused: str = ""  # an `extra` the form could not read, sent back as it came


@dataclass(frozen=True)
class FormProblem:
    """A posted field the form cannot read, kept as a ``messages.yaml`` key and its values so
    that the page says it in its own language."""

    where: str  # the posted field's name ('histroy', 'lab-0-test', 'extra.history')
    key: str
    values: dict[str, object] = field(default_factory=dict)
    near: tuple[str, ...] = ()

    def issue(self, lang: str) -> Issue:
        """The problem as the result panel lists the case reader's issues."""
        return Issue.error(
            "web.form_field", message(self.key, lang, **self.values), self.where, suggestions=list(self.near)
        )


@dataclass
class PostedForm:
    """A posted form read: the case it holds, what could not be read, and a refused ``extra``."""

    data: dict[str, Any]
    problems: list[FormProblem] = field(default_factory=list)
    extra_text: str = ""


def _number(text: str) -> float | int | str:
    """A number typed in the form (a decimal comma accepted); anything else stays text for the
    case reader to refuse with its located message.

    A comma before exactly three digits after a non-zero whole part (1,200; 12,500) stays text
    too: it separates thousands in English and marks the decimals in French, and a hostile-input
    audit saw alkaline phosphatase '1,200' U/L read as 1.2 and shown as low, without a word. So
    does a dot there (1.200): the decimal point in English, thousands in French ('CK 1.200' was
    read 1.2). The reader names the field and both ways to write it (``err_ambiguous_comma``,
    ``err_ambiguous_dot``)."""
    t = text.strip().replace("\u202f", "").replace("\xa0", "").replace(" ", "")
    if separator_readings(t) is not None or len(t) > LIMITS["number_digits"] + 2:
        # a number of thousands of digits stays text for the reader to refuse at its field (a
        # code review: int() refused it in Python's words, and the page answered 500)
        return text
    if re.fullmatch(r"[+-]?\d+", t):
        return int(t)
    if re.fullmatch(r"[+-]?(\d+[.,]\d*|[.,]\d+)", t):
        return float(t.replace(",", "."))
    return text


def _shown(value: object) -> str:
    """A value of a loaded case as the form shows it, so that posting it back reads the same
    value: a number with three decimals after a whole part of one to three digits ('1.125')
    is shown with a fourth ('1.1250'), since '1.125' typed is refused as ambiguous (1125 in
    French writing) and the case would be refused on save."""
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    shown = str(value)
    if isinstance(value, float) and separator_readings(shown) is not None:
        return shown + "0"
    return shown


def form_to_case(fields: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """The case dict of the posted fields (see :func:`read_form`, which also says what it could
    not read): for the form's own fields, built by the page from a case already read."""
    return read_form(fields).data


def _shortened(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _read_extra(value: str, posted: PostedForm) -> dict[str, Any]:
    """The items of a loaded case that the form keeps (the hidden ``extra`` field), or nothing
    with the problem said: it is written by the page, so a bad one was altered or cut."""
    try:
        loaded = json.loads(value)
    except ValueError as exc:
        posted.extra_text = value
        position = getattr(exc, "pos", 0) + 1
        posted.problems.append(FormProblem("extra", "ui_form_extra_json", {"position": position}))
        return {}
    except RecursionError:  # '[[[[...' a few thousand deep was a 500 (json recurses per level)
        from calcinosis.case.document import LIMITS

        posted.extra_text = value
        posted.problems.append(FormProblem("extra", "err_too_deep", {"limit": LIMITS["depth"]}))
        return {}
    if not isinstance(loaded, dict):
        posted.extra_text = value
        posted.problems.append(FormProblem("extra", "ui_form_extra_not_object", {"where": "extra"}))
        return {}
    for key in loaded:
        if key in FORM_KEYS and key != "patient":
            posted.problems.append(FormProblem(f"extra.{key}", "ui_form_extra_form_key", {"key": key}))
    if "patient" in loaded and not isinstance(loaded["patient"], dict):
        posted.problems.append(FormProblem("extra.patient", "ui_form_extra_not_object", {"where": "extra.patient"}))
    if any(p.where.startswith("extra") for p in posted.problems):
        posted.extra_text = value
    return {k: v for k, v in loaded.items() if k not in FORM_KEYS or k == "patient"}


def _check_rows(rows: dict[str, dict[int, dict[str, Any]]], posted: PostedForm) -> None:
    """A lab row without its test, or an antibody row without its name, that holds anything
    else; and a row beyond the form's :data:`MAX_ROWS`."""
    for kind, subject in _ROW_SUBJECT.items():
        for index, row in sorted(rows[kind].items()):
            if subject not in row:
                given = ", ".join(f"{name}={_shown_posted(v)}" for name, v in row.items())
                posted.problems.append(
                    FormProblem(f"{kind}-{index}-{subject}", f"ui_form_{kind}_without", {"given": given})
                )
    for kind, by_index in rows.items():
        for index in sorted(i for i in by_index if i >= MAX_ROWS):
            posted.problems.append(
                FormProblem(f"{kind}-{index}-*", "ui_form_row_beyond", {"index": index, "limit": MAX_ROWS})
            )


def rows_beyond(data: Mapping[str, Any]) -> list[FormProblem]:
    """The tables of a case that hold more rows than the form has (:data:`MAX_ROWS`): such a case
    loaded into the form, but posting the form back was refused (each row from the 201st is
    beyond the form), so the user could never save what the page showed. The page refuses to
    load it instead, with the same limit said, before anything is typed."""
    out: list[FormProblem] = []
    for key, kind in _TABLES.items():
        items = data.get(key)
        if isinstance(items, list) and len(items) > MAX_ROWS:
            values = {"table": key, "count": len(items), "limit": MAX_ROWS, "reader_limit": LIMITS["list_length"]}
            out.append(FormProblem(f"{kind}-{MAX_ROWS}-*", "ui_form_too_many_rows", values))
    return out


def _shown_posted(value: object) -> str:
    if isinstance(value, dict):
        return "/".join(str(v) for v in value.values())
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return _shortened(str(value))


def read_form(fields: Iterable[tuple[str, str]]) -> PostedForm:
    """The case dict from the posted fields (blank fields are not reported, never zero or
    absent), and every field it could not read: a name the form has not, a row without its
    test or antibody, a row index beyond :data:`MAX_ROWS`, an ``extra`` that is no JSON object.
    What such a field holds stays in the case dict wherever the form can show it again (a row
    is kept, renumbered by the page), so nothing typed is lost."""
    posted = PostedForm(data={})
    case: dict[str, Any] = {}
    patient: dict[str, Any] = {}
    rows: dict[str, dict[int, dict[str, Any]]] = {"lab": {}, "ab": {}, "img": {}}
    extra: dict[str, Any] = {}
    for key, raw in fields:
        value = raw.strip()
        if not value:
            continue
        if key == "extra":
            extra = _read_extra(value, posted)
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
            _put_in_row(rows[kind].setdefault(index, {}), kind, name, value)
        else:
            shown: dict[str, object] = {"field": _shortened(key, 40), "value": _shortened(value)}
            posted.problems.append(
                FormProblem(_shortened(key, 40), "ui_form_unknown_field", shown, tuple(closest(key, FIELDS)))
            )
    _check_rows(rows, posted)
    labs = [r for _, r in sorted(rows["lab"].items())]
    for r in labs:
        if "value" in r:  # a measured value wins over an interpretation left in the row
            r.pop("interpretation", None)
    antibodies = [r for _, r in sorted(rows["ab"].items())]
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
    posted.data = result
    return posted


def _put_in_row(row: dict[str, Any], kind: str, name: str, value: str) -> None:
    """One posted item of a table row, in the row's case-format shape."""
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
