"""Flat tables of cases: one row per patient, one column per item of case format v1.

A cohort exported from a registry or an EHR is a table, not a folder of YAML files. The
column names (reference: ``docs/batch.md``) map each column to one place of a case, with the
canonical vocabulary term in the name, so that a table is read with the same meaning as a
case file and nothing is guessed:

==================================  ==============================================================
``id``, ``age``, ``sex``            the case id; the patient's age (years) and sex (required)
``postmenopausal``                  true / false / empty
``duration_months``                 number
``history:<condition>``             true (in ``history``), false (in ``absent``), empty (not reported)
``exposure:<exposure>``             true (in ``exposures``), false (in ``absent``), empty
``finding:<finding>``               true (in ``findings``), false (in ``absent``), empty
``site:<site>``                     true or empty (case format v1 has no absent site)
``lab:<test>``                      the value, with its unit in ``lab:<test>:unit`` (per row), or
                                    in the name for the whole column: ``lab:calcium[mmol/L]``
``lab:<test>:interpretation``       high / normal / low (without or beside a value)
``lab:<test>:qualifier``            ``<`` ``>`` ``<=`` ``>=`` for a censored value
``lab:<test>:low``, ``:high``       the laboratory's reference interval, in the value's unit
                                    (a case's ``reference_range``; either or both)
``antibody:<name>``                 positive / negative
``gene:<gene>``                     pathogenic_variant / not_found
``imaging:modality``                one imaging study per row: its modality (required with any
                                    other ``imaging:`` cell), ``imaging:distribution``,
                                    ``imaging:size_cm``, ``imaging:symmetric``,
                                    ``imaging:bone_destruction``, ``imaging:uptake``,
                                    ``imaging:along_muscle_fibers``
``imaging:pattern:<p>``             true or empty; also ``imaging:tissue:<t>``, ``imaging:site:<s>``
``onset_days_after:<term>``         days from an exposure or condition to the first sign
==================================  ==============================================================

The header is checked before any row is read: an unknown column is an error that names the
closest known column. Each row then becomes a case dict that the case reader validates
(``batch/validate.py``); a problem is reported with the row and the column it came from.
"""

from __future__ import annotations

import decimal
import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from calcinosis.batch._text import say
from calcinosis.case.labs import plausible, resolve_unit
from calcinosis.case.reader import separator_readings
from calcinosis.errors import CaseValidationError
from calcinosis.issues import Issue
from calcinosis.kb.model import KnowledgeBase

__all__ = ["CellError", "Column", "Layout", "known_columns", "parse_header", "table_docs"]

_SCALARS = ("id", "age", "sex", "postmenopausal", "duration_months")
# prefix -> (role, vocabulary lists the term comes from, the case's list it fills)
_TERMS: dict[str, tuple[str, tuple[str, ...]]] = {
    "history": ("history", ("conditions",)),
    "exposure": ("exposure", ("exposures",)),
    "finding": ("finding", ("findings",)),
    "site": ("site", ("sites",)),
    "antibody": ("antibody", ("antibodies",)),
    "gene": ("gene", ("genetics",)),
    "onset_days_after": ("onset", ("exposures", "conditions")),
}
_CASE_LIST = {"history": "history", "exposure": "exposures", "finding": "findings"}
_IMAGING_FIELDS = {
    "modality": "imaging_modality",
    "distribution": "imaging_distribution",
    "size_cm": "imaging_size_cm",
    "symmetric": "imaging_bool",
    "bone_destruction": "imaging_bool",
    "uptake": "imaging_bool",
    "along_muscle_fibers": "imaging_bool",
}
_IMAGING_LISTS = {"pattern": ("patterns", "patterns"), "tissue": ("tissues", "tissues"), "site": ("sites", "sites")}
_LAB_PARTS = ("unit", "interpretation", "qualifier", "low", "high")
_LAB_FIXED_UNIT = re.compile(r"lab:([^:\[\]]+)\[([^\[\]]+)\]")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


@dataclass(frozen=True)
class Column:
    """One column of a table: its header, what it fills in a case, the term, a fixed unit."""

    name: str
    role: str
    term: str = ""
    unit: str | None = None


@dataclass(frozen=True)
class CellError:
    """A cell that cannot be put into a case (e.g. ``maybe`` in a true/false column)."""

    column: str
    message: str


@dataclass(frozen=True)
class Layout:
    """The checked header of a table: each column's role, and the lab tests in column order."""

    columns: tuple[Column, ...]
    lab_tests: tuple[str, ...] = field(default=())

    @cached_property
    def _where(self) -> dict[tuple[str, str], str]:
        """(case list or lab field, term) -> column name: where an issue of the case came from."""
        out: dict[tuple[str, str], str] = {}
        for col in self.columns:
            role, term = col.role, col.term
            if role in _CASE_LIST:
                out.setdefault((_CASE_LIST[role], term), col.name)
                out.setdefault(("absent", term), col.name)
            elif role == "site":
                out[("sites", term)] = col.name
            elif role in ("antibody", "gene"):
                out[("antibodies" if role == "antibody" else "genetics", term)] = col.name
            elif role == "onset":
                out[("onset_days_after", term)] = col.name
            elif role.startswith("lab_"):
                part = role[4:]
                out[(f"lab.{part}", term)] = col.name
                if col.unit is not None:
                    out[("lab.unit", term)] = col.name
                out.setdefault(("lab.", term), col.name)
            elif role.startswith("imaging_") and role not in ("imaging_pattern", "imaging_tissue", "imaging_site"):
                out[("imaging", term)] = col.name
            elif role in ("imaging_pattern", "imaging_tissue", "imaging_site"):
                out[(_IMAGING_LISTS[role[8:]][1], term)] = col.name
            else:
                out[(role, "")] = col.name
        return out

    def column_at(self, location: str, doc: Mapping[str, Any]) -> str:
        """The column behind an issue's ``location`` in the case ``doc`` built from a row ('' if none)."""
        try:
            return self._column_at(location, doc)
        except (KeyError, IndexError, TypeError, ValueError):
            return ""

    def _column_at(self, location: str, doc: Mapping[str, Any]) -> str:
        where = self._where
        parts = location.split(".")
        key, index = _segment(parts[0])
        if key == "patient":
            return where.get((parts[1] if len(parts) > 1 else "age", ""), "")
        if key in ("id", "duration_months"):
            return where.get((key, ""), "")
        if (
            key in ("history", "exposures", "findings", "sites", "absent", "antibodies", "genetics")
            and index is not None
        ):
            item = doc[key][index]
            term = item if isinstance(item, str) else item.get("name") or item.get("gene")
            return where.get((key, str(term)), "")
        if key == "labs" and index is not None:
            test = str(doc["labs"][index]["test"])
            part = parts[1] if len(parts) > 1 else ""
            if part == "reference_range":  # the laboratory's interval: its low or high column
                limits = [parts[2]] if len(parts) > 2 else ["low", "high"]
                found = next((where[(f"lab.{k}", test)] for k in limits if (f"lab.{k}", test) in where), "")
                if found:
                    return found
            return where.get((f"lab.{part}", test)) or where.get(("lab.value", test)) or where.get(("lab.", test), "")
        if key == "imaging":
            if len(parts) < 2:
                return where.get(("imaging", "modality"), "")
            sub, sub_index = _segment(parts[1])
            if sub in ("patterns", "tissues", "sites") and sub_index is not None:
                return where.get((sub, str(doc["imaging"][index or 0][sub][sub_index])), "")
            return where.get(("imaging", sub), "") or where.get(("imaging", "modality"), "")
        if key == "onset_days_after" and len(parts) > 1:
            return where.get(("onset_days_after", parts[1]), "")
        return ""


def _segment(text: str) -> tuple[str, int | None]:
    m = re.fullmatch(r"([^\[\]]*)(?:\[(\d+)\])?", text)
    if m is None:
        return text, None
    return m.group(1), (int(m.group(2)) if m.group(2) is not None else None)


def known_columns(kb: KnowledgeBase) -> list[str]:
    """Every column name a table may have (lab values with a per-row unit column)."""
    lists = kb.vocabulary.lists
    out = list(_SCALARS)
    for prefix, (_, vocab) in _TERMS.items():
        for name in vocab:
            out.extend(f"{prefix}:{t}" for t in lists[name])
    for test in lists["labs"]:
        out.append(f"lab:{test}")
        out.extend(f"lab:{test}:{part}" for part in _LAB_PARTS)
    out.extend(f"imaging:{f}" for f in _IMAGING_FIELDS)
    for key, (list_name, _) in _IMAGING_LISTS.items():
        out.extend(f"imaging:{key}:{t}" for t in lists[list_name])
    return out


def _classify(name: str, kb: KnowledgeBase) -> Column | str | None:
    """The column ``name`` means, or the canonical name when it used a synonym, or None."""
    vocab = kb.vocabulary
    if name in _SCALARS:
        return Column(name, name)
    fixed = _LAB_FIXED_UNIT.fullmatch(name)
    if fixed:
        test, unit = fixed.group(1), fixed.group(2)
        if test in vocab.lists["labs"]:
            return Column(name, "lab_value", test, unit)
        canonical = vocab.resolve("labs", test)
        return f"lab:{canonical}[{unit}]" if canonical else None
    parts = name.split(":")
    if parts[0] == "lab" and len(parts) in (2, 3):
        role = "lab_value" if len(parts) == 2 else f"lab_{parts[2]}"
        if len(parts) == 3 and parts[2] not in _LAB_PARTS:
            return None
        if parts[1] in vocab.lists["labs"]:
            return Column(name, role, parts[1])
        canonical = vocab.resolve("labs", parts[1])
        return ":".join(["lab", canonical, *parts[2:]]) if canonical else None
    if parts[0] == "imaging" and len(parts) == 2 and parts[1] in _IMAGING_FIELDS:
        return Column(name, _IMAGING_FIELDS[parts[1]], parts[1])
    if parts[0] == "imaging" and len(parts) == 3 and parts[1] in _IMAGING_LISTS:
        vocab_name = _IMAGING_LISTS[parts[1]][0]
        if parts[2] in vocab.lists[vocab_name]:
            return Column(name, f"imaging_{parts[1]}", parts[2])
        canonical = vocab.resolve(vocab_name, parts[2])
        return f"imaging:{parts[1]}:{canonical}" if canonical else None
    if len(parts) == 2 and parts[0] in _TERMS:
        role, lists = _TERMS[parts[0]]
        for list_name in lists:
            if parts[1] in vocab.lists[list_name]:
                return Column(name, role, parts[1])
        for list_name in lists:
            canonical = vocab.resolve(list_name, parts[1])
            if canonical is not None:
                return f"{parts[0]}:{canonical}"
    return None


def parse_header(names: Sequence[str], kb: KnowledgeBase, *, source: str, lang: str = "en") -> Layout:
    """Check a table's column names and say what each fills in a case.

    Raises
    ------
    CaseValidationError
        Listing every column problem at once: unknown (with the closest known column), a
        synonym instead of the canonical term, a duplicate, a missing ``age`` or ``sex``, a lab
        value without a unit, a unit that does not fit its test.
    """
    from calcinosis.case.labs import resolve_unit

    issues: list[Issue] = []
    columns: list[Column] = []
    known: list[str] | None = None
    seen: dict[str, int] = {}
    for raw in names:
        name = str(raw).strip()
        seen[name] = seen.get(name, 0) + 1
        if seen[name] == 2:
            issues.append(
                Issue.error(
                    "batch.column_twice",
                    say("column_twice", lang, name=name, n=sum(str(n).strip() == name for n in names)),
                    name,
                )
            )
        if seen[name] > 1:
            continue
        found = _classify(name, kb)
        if isinstance(found, Column):
            columns.append(found)
            continue
        if isinstance(found, str):
            issues.append(
                Issue.error("batch.column_alias", say("column_alias", lang, name=name), name, suggestions=[found])
            )
            continue
        separator = next((sep for sep in (";", "\t", "|") if sep in name), None)
        if separator is not None and len(names) == 1:
            issues.append(Issue.error("batch.column_separator", say("column_separator", lang, sep=separator), name))
            continue
        if known is None:
            known = known_columns(kb)
        close = difflib.get_close_matches(name.lower(), known, n=3, cutoff=0.6)
        issues.append(
            Issue.error(
                "batch.unknown_column",
                say("column_unknown", lang, name=name),
                name,
                expected=say("column_expected", lang),
                suggestions=close,
            )
        )
    roles = {c.role for c in columns}
    for required in ("age", "sex"):
        if required not in roles:
            issues.append(Issue.error("batch.column_required", say("column_required", lang, name=required), required))
    tests: list[str] = []
    by_test: dict[str, dict[str, Column]] = {}
    for col in columns:
        if col.role.startswith("lab_"):
            if col.term not in by_test:
                tests.append(col.term)
            parts = by_test.setdefault(col.term, {})
            if col.role == "lab_value" and "lab_value" in parts:  # lab:x and lab:x[unit]
                issues.append(Issue.error("batch.column_twice", say("column_two_units", lang, test=col.term), col.name))
            parts.setdefault(col.role, col)
            if col.unit is not None:
                parts["fixed"] = col
    for test, parts in by_test.items():
        value = parts.get("lab_value")
        fixed = parts.get("fixed")
        if fixed is not None and fixed.unit is not None and resolve_unit(kb, test, fixed.unit) is None:
            units = list(kb.units["tests"][test]["units"])
            issues.append(
                Issue.error(
                    "batch.column_unit",
                    say("column_unit_unknown", lang, unit=fixed.unit, name=fixed.name, test=test),
                    fixed.name,
                    expected=say("one_of", lang, items=", ".join(units)),
                    suggestions=difflib.get_close_matches(fixed.unit, units, n=3, cutoff=0.5),
                )
            )
        if fixed is not None and "lab_unit" in parts:
            issues.append(Issue.error("batch.column_unit", say("column_two_units", lang, test=test), fixed.name))
        if value is not None and fixed is None and "lab_unit" not in parts:
            unit = next(iter(kb.units["tests"][test]["units"]))
            issues.append(
                Issue.error(
                    "batch.column_no_unit",
                    say(
                        "column_no_unit",
                        lang,
                        name=value.name,
                        unit_col=f"lab:{test}:unit",
                        example=f"lab:{test}[{unit}]",
                    ),
                    value.name,
                )
            )
        for part in ("lab_unit", "lab_qualifier", "lab_low", "lab_high"):
            if part in parts and value is None:
                issues.append(
                    Issue.error(
                        "batch.column_needs_value",
                        say("column_needs_value", lang, name=parts[part].name, value_col=f"lab:{test}"),
                        parts[part].name,
                    )
                )
    if issues:
        raise CaseValidationError(say("columns_bad", lang, source=source), issues=issues, path=source, lang=lang)
    return Layout(columns=tuple(columns), lab_tests=tuple(tests))


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _number(value: Any) -> Any:
    """A cell as a number; text that is not a plain decimal number stays text for the reader to refuse.

    A separator before exactly three digits ("1.200", "1,200") stays text too: it is 1200 or 1.2
    (the dot is the decimal point in English and separates thousands in French), and the case
    reader refuses such a text with both readings, as it does in a case file and the web form
    (``case.reader.separator_readings``). A hostile-input audit saw a CSV's alkaline phosphatase
    "1.200" U/L read as 1.2, low, without a word. A lab cell is settled first when its unit
    leaves one reading only (:func:`_settle_separator`)."""
    if isinstance(value, str):
        text = value.strip()
        if separator_readings(text) is not None:
            return text
        return float(text) if _NUMBER.fullmatch(text) else text
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float | decimal.Decimal):
        return float(value)
    return value


def _settle_separator(item: dict[str, Any], kb: KnowledgeBase) -> None:
    """A lab cell written "1.200" (or "1,200") read as the one number its unit allows, in place.

    The decision (the free-text intake's own, ``intake.measure.dot_reading``, less the note's
    decimal marks and language, which a table does not have): of the two readings, the one
    within the test's plausible range in the item's unit (units.yaml) is taken when the other
    is not: a calcium of "2.400" mmol/L is 2.4 (2400 mmol/L is no result), a creatinine of
    "1.200" µmol/L is 1200. A machine export writing three decimals ("2.450") is thus read
    as meant. When both readings, or neither, are plausible (alkaline phosphatase "1.200" U/L,
    PTH "1.200" pg/mL), or the unit is missing or unknown, the text stays and the case reader
    refuses the row with both readings ("write 1200 or 1.2"). The value, the laboratory's
    ``low`` and ``high`` are settled each on its own; every other numeric column (age,
    duration, size, onset delay) has no unit range to settle it and is refused."""
    unit = item.get("unit")
    canonical = resolve_unit(kb, str(item["test"]), unit) if isinstance(unit, str) else None
    if canonical is None:
        return
    limits = item.get("reference_range")
    places = [(item, "value"), *(((limits, k) for k in ("low", "high")) if isinstance(limits, dict) else ())]
    for place, key in places:
        written = place.get(key)
        readings = separator_readings(written) if isinstance(written, str) else None
        if readings is None:
            continue
        fits = [float(r) for r in readings if plausible(kb, str(item["test"]), float(r), canonical)]
        if len(fits) == 1:
            place[key] = fits[0]


def _text(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return {"true": True, "false": False}.get(value.strip().lower())
    return None


def _shown(value: Any) -> str:
    text = repr(value.strip() if isinstance(value, str) else value)
    return text if len(text) <= 40 else text[:39] + "…"


def table_docs(
    layout: Layout,
    n: int,
    cells: Sequence[tuple[Sequence[int], Sequence[Any]]],
    *,
    kb: KnowledgeBase,
    lang: str = "en",
) -> tuple[list[dict[str, Any]], dict[int, list[CellError]]]:
    """Case dicts of ``n`` rows from the non-empty cells of each column.

    ``cells[c]`` holds, for ``layout.columns[c]``, the positions (0-based in the chunk) of its
    non-null cells and their values. Empty text counts as empty. A cell that cannot go into a
    case is returned as a :class:`CellError` of its row, and left out of the dict. ``kb`` gives
    the lab units' plausible ranges that settle a value written "1.200" (:func:`_settle_separator`).
    """
    docs: list[dict[str, Any]] = [{"patient": {}} for _ in range(n)]
    errors: dict[int, list[CellError]] = {}
    labs: dict[str, dict[int, dict[str, Any]]] = {t: {} for t in layout.lab_tests}
    imaging: dict[int, dict[str, Any]] = {}

    def bad(i: int, col: Column, text: str) -> None:
        errors.setdefault(i, []).append(CellError(col.name, text))

    # the term lists of every row, filled column by column (a wide table is mostly these)
    term_lists: dict[str, list[list[str]]] = {}

    def per_row(key: str) -> list[list[str]]:
        found = term_lists.get(key)
        if found is None:
            found = term_lists[key] = [[] for _ in range(n)]
        return found

    for col, (rows, values) in zip(layout.columns, cells, strict=True):
        role, term = col.role, col.term
        # tight loops for the true/false columns (a typed Parquet column gives bools, a CSV text)
        if role in _CASE_LIST:
            present, absent = per_row(_CASE_LIST[role]), per_row("absent")
            for i, value in zip(rows, values, strict=True):
                flag = value if value is True or value is False else _bool(value)
                if flag is True:
                    present[i].append(term)
                elif flag is False:
                    absent[i].append(term)
                elif not _empty(value):
                    bad(i, col, say("cell_bool", lang, value=_shown(value)))
            continue
        if role == "site" or role in ("imaging_pattern", "imaging_tissue", "imaging_site"):
            listed = per_row("sites" if role == "site" else f"imaging.{_IMAGING_LISTS[role[8:]][1]}")
            for i, value in zip(rows, values, strict=True):
                if value is True or _bool(value) is True:
                    listed[i].append(term)
                elif not _empty(value):
                    what = say("what_site" if role.endswith("site") else f"what_{role[8:]}", lang)
                    bad(i, col, say("cell_flag", lang, value=_shown(value), what=what))
            continue
        for i, value in zip(rows, values, strict=True):
            if _empty(value):
                continue
            doc = docs[i]
            if role.startswith("lab_"):
                item = labs[term].setdefault(i, {"test": term})
                if role in ("lab_low", "lab_high"):
                    item.setdefault("reference_range", {})[role[4:]] = _number(value)
                else:
                    item[role[4:]] = _number(value) if role == "lab_value" else _text(value)
            elif role == "antibody":
                doc.setdefault("antibodies", []).append({"name": term, "result": _text(value)})
            elif role == "gene":
                doc.setdefault("genetics", []).append({"gene": term, "result": _text(value)})
            elif role == "onset":
                doc.setdefault("onset_days_after", {})[term] = _number(value)
            elif role in ("imaging_modality", "imaging_distribution"):
                imaging.setdefault(i, {})[term] = _text(value)
            elif role == "imaging_size_cm":
                imaging.setdefault(i, {})[term] = _number(value)
            elif role in ("imaging_bool", "postmenopausal"):
                flag = _bool(value)
                if flag is None:
                    bad(i, col, say("cell_bool", lang, value=_shown(value)))
                elif role == "postmenopausal":
                    doc["patient"]["postmenopausal"] = flag
                else:
                    imaging.setdefault(i, {})[term] = flag
            elif role in ("age", "duration_months"):
                (doc["patient"] if role == "age" else doc)[role] = _number(value)
            elif role == "sex":
                doc["patient"]["sex"] = _text(value)
            elif role == "id":
                doc["id"] = (
                    str(value).strip() if isinstance(value, str | int) and not isinstance(value, bool) else value
                )
    for col in layout.columns:
        if col.role == "lab_value" and col.unit is not None:
            for item in labs[col.term].values():
                if "value" in item:
                    item["unit"] = col.unit
    for key in ("history", "exposures", "findings", "sites", "absent"):
        if key in term_lists:
            for doc, terms in zip(docs, term_lists[key], strict=True):
                if terms:
                    doc[key] = terms
    for key in ("patterns", "tissues", "sites"):
        if f"imaging.{key}" in term_lists:
            for i, terms in enumerate(term_lists[f"imaging.{key}"]):
                if terms:
                    imaging.setdefault(i, {})[key] = terms
    for test in layout.lab_tests:
        for i, item in labs[test].items():
            _settle_separator(item, kb)
            docs[i].setdefault("labs", []).append(item)
    for i, study in sorted(imaging.items()):
        docs[i]["imaging"] = [study]
    return docs, errors
