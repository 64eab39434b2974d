"""Every row becomes a case the case reader accepts, or a located reject; nothing is dropped.

The case reader (:func:`calcinosis.case.reader.parse_case`) is the one definition of a valid
case, and every row goes through it, with one shortcut for rows of a flat table. Such a row's
vocabulary terms come from the checked header, so they are canonical already; what the reader
would still check is the structure (the ``Case`` model itself), the limits of
:data:`~calcinosis.case.document.LIMITS`, and a few items that need the knowledge base: the
sex, each lab result (unit and plausible value), the imaging modality and distribution, each
onset delay and each absent item. A cohort repeats those items endlessly (a calcium of
2.38 mmol/L, a CT), so each distinct one is checked once by ``parse_case`` itself, on a
minimal case holding only that item, and remembered. A row whose terms are all canonical,
whose every item passed and that the ``Case`` model accepts is the case ``parse_case``
returns (tested row by row); any other row goes through ``parse_case`` whole, which gives
its located issues. On the bench's cohort (about 30 items a row) the shortcut takes a row
from about 160 µs to about 45 µs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from calcinosis.case.document import LIMITS
from calcinosis.case.model import Case
from calcinosis.case.reader import parse_case
from calcinosis.errors import CaseValidationError
from calcinosis.kb.model import KnowledgeBase
from calcinosis.textsafe import plain

__all__ = ["Reject", "RowValidator", "reject_id"]

_MEMO_LIMIT = 200_000
"""Distinct items remembered per kind; past it items are still checked, just not remembered."""

_PROBE_PATIENT = {"age": 40.0, "sex": "unknown"}
"""The patient of a probe case: any valid one (labs, modalities and delays do not depend on it)."""

_PROBE_OLDEST = {"age": 125.0, "sex": "unknown"}
"""For onset delays: the oldest patient, so that the probe never trips the 'longer than a life'
check, which the whole-row validation makes with the row's real age."""


@dataclass(frozen=True)
class Reject:
    """One problem of one input row: where it is and what is wrong (a row may have several)."""

    row: int
    id: str
    source: str
    column: str
    location: str
    code: str
    message: str


def reject_id(value: object) -> str:
    """A row's case id as its rejects carry it: '' for none, else cut to the longest id the case
    format accepts (``LIMITS["id_chars"]``) with '…', by the shared :func:`~calcinosis.textsafe.plain`.

    A hardening audit: a CSV row with a 10 MB id was rejected (the message says its length),
    and the whole id was copied into the reject, then into the rejects file (10 MB for one line)
    and every worker's result on the way. An id the format accepts is kept whole, so that the
    reject names the row's case as the input does."""
    return plain(value, limit=LIMITS["id_chars"], newlines=False) if isinstance(value, str) else ""


def rejects_from(
    error: CaseValidationError, *, row: int, case_id: str, source: str, lang: str, column_at: Callable[[str], str]
) -> list[Reject]:
    """The rejects of a row from the reader's error: one per located issue, else the error's first line."""
    if not error.issues:
        text = str(error).splitlines()[0]
        return [Reject(row, case_id, source, "", "", "case.invalid", text)]
    out = []
    for issue in error.issues:
        text = issue.model_copy(update={"location": ""}).render(lang)
        out.append(Reject(row, case_id, source, column_at(issue.location), issue.location, issue.code, text))
    return out


class RowValidator:
    """Validates case dicts for one knowledge base and language, remembering the checked items."""

    def __init__(self, kb: KnowledgeBase, *, lang: str = "en") -> None:
        self.kb = kb
        self.lang = lang
        self._sex: dict[str, str | None] = {}
        self._lab: dict[tuple[Any, ...], bool] = {}
        self._study: dict[tuple[Any, ...], tuple[str, str | None] | None] = {}
        self._onset: dict[tuple[str, Any], str | None] = {}
        self._absent: dict[str, str | None] = {}
        self.columnar: Any = None  # the flat-table fast path's reader (columnar.py), made on first use

    def parse(self, doc: Any, *, source: str) -> Case:
        """``parse_case`` of a case dict (raises :class:`CaseValidationError` with located issues)."""
        return parse_case(doc, self.kb, source=source, lang=self.lang)

    def parse_row(self, doc: dict[str, Any], *, source: str) -> Case:
        """A flat-table row's case dict (canonical terms from the header), by the shortcut when it
        applies and by ``parse_case`` otherwise; the same case, or the same error, either way."""
        case = self._shortcut(doc)
        return case if case is not None else self.parse(doc, source=source)

    def _probe(self, doc: dict[str, Any]) -> Case | None:
        try:
            return parse_case(doc, self.kb, lang=self.lang)
        except CaseValidationError:
            return None

    def _remember(self, memo: dict[Any, Any], key: Any, value: Any) -> None:
        if len(memo) < _MEMO_LIMIT:
            memo[key] = value

    def _shortcut(self, doc: dict[str, Any]) -> Case | None:
        """The case, when every knowledge-dependent item is one already accepted, else None."""
        patient = doc.get("patient")
        if not isinstance(patient, dict) or not _within_limits(doc) or not self._canonical(doc):
            return None
        sex = patient.get("sex")
        if not isinstance(sex, str):
            return None
        canonical_sex = self._canonical_sex(sex)
        if canonical_sex is None:
            return None
        for lab in doc.get("labs", ()):
            if not self._lab_ok(lab):
                return None
        studies = doc.get("imaging", ())
        canonical_studies = []
        for study in studies:
            found = self._study_terms(study)
            if found is None:
                return None
            canonical_studies.append(found)
        onset = {}
        for term, days in doc.get("onset_days_after", {}).items():
            found_term = self._onset_term(term, days)
            if found_term is None:
                return None
            onset[found_term] = days
        absent: list[str] = []
        for term in doc.get("absent", ()):
            found_term = self._absent_term(term)
            if found_term is None:
                return None
            if found_term not in absent:  # as the reader does: one entry per canonical term
                absent.append(found_term)
        data = dict(doc)
        data["patient"] = {**patient, "sex": canonical_sex}
        if onset:
            data["onset_days_after"] = onset
        if absent:
            data["absent"] = absent
        if studies:
            data["imaging"] = [
                {**study, "modality": modality, **({"distribution": dist} if dist is not None else {})}
                for study, (modality, dist) in zip(studies, canonical_studies, strict=True)
            ]
        try:
            return Case.model_validate(data)
        except ValidationError:
            return None

    def _canonical(self, doc: dict[str, Any]) -> bool:
        """Every term of the row is a canonical one, once (a flat table's are, from its header);
        anything else is for the reader to resolve or refuse."""
        lists = self.kb.vocabulary.lists
        places: list[tuple[Any, str]] = [(doc.get(k, []), v) for k, v in _TERM_LISTS]
        places.append(([lab.get("test") for lab in doc.get("labs", ()) if isinstance(lab, dict)], "labs"))
        places.append(([a.get("name") for a in doc.get("antibodies", ()) if isinstance(a, dict)], "antibodies"))
        places.append(([g.get("gene") for g in doc.get("genetics", ()) if isinstance(g, dict)], "genetics"))
        for study in doc.get("imaging", ()):
            if not isinstance(study, dict):
                return False
            places.extend((study.get(k, []), k) for k in ("patterns", "tissues", "sites"))
        for terms, list_name in places:
            if not isinstance(terms, list) or len(set(map(str, terms))) != len(terms):
                return False
            known = lists[list_name]
            if not all(isinstance(t, str) and t in known for t in terms):
                return False
        return "expected" not in doc

    def _canonical_sex(self, sex: str) -> str | None:
        if sex not in self._sex:
            case = self._probe({"patient": {**_PROBE_PATIENT, "sex": sex}})
            self._remember(self._sex, sex, None if case is None else case.patient.sex)
            return None if case is None else case.patient.sex
        return self._sex[sex]

    def _lab_ok(self, lab: Any) -> bool:
        if not isinstance(lab, dict):
            return False
        key = _key(lab)
        ok = self._lab.get(key)
        if ok is None:
            ok = self._probe({"patient": _PROBE_PATIENT, "labs": [lab]}) is not None
            self._remember(self._lab, key, ok)
        return ok

    def _study_terms(self, study: Any) -> tuple[str, str | None] | None:
        """The canonical modality and distribution of an imaging study (its other terms are canonical)."""
        if not isinstance(study, dict):
            return None
        key = (_key({"modality": study.get("modality")}), _key({"distribution": study.get("distribution")}))
        if key not in self._study:
            probe = {k: study[k] for k in ("modality", "distribution") if k in study}
            case = self._probe({"patient": _PROBE_PATIENT, "imaging": [probe]})
            found = None if case is None else (case.imaging[0].modality, case.imaging[0].distribution)
            self._remember(self._study, key, found)
            return found
        return self._study[key]

    def _onset_term(self, term: Any, days: Any) -> str | None:
        """The canonical term of an onset delay that the reader accepts, else None."""
        key = (str(term), _key({"days": days}))
        if key not in self._onset:
            case = self._probe({"patient": _PROBE_OLDEST, "onset_days_after": {term: days}})
            found = None if case is None else next(iter(case.onset_days_after))
            self._remember(self._onset, key, found)
            return found
        return self._onset[key]

    def _absent_term(self, term: Any) -> str | None:
        """The reader looks an absent item up in findings, then conditions, then exposures."""
        if not isinstance(term, str):
            return None
        if term not in self._absent:
            case = self._probe({"patient": _PROBE_PATIENT, "absent": [term]})
            found = None if case is None else case.absent[0]
            self._remember(self._absent, term, found)
            return found
        return self._absent[term]


_TERM_LISTS = (("history", "conditions"), ("exposures", "exposures"), ("findings", "findings"), ("sites", "sites"))
"""Lists of a case whose terms the shortcut takes as they are, when canonical."""


def _key(item: Mapping[str, Any]) -> tuple[Any, ...]:
    """A memo key that tells 2 from 2.0 from True (the reader's strict types do); a nested
    mapping or list (a lab's ``reference_range``, anything a JSON line holds) is keyed the same way."""
    return tuple(sorted((k, type(v).__name__, _hashable(v)) for k, v in item.items()))


def _hashable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return _key(value)
    if isinstance(value, list | tuple):
        return tuple((type(v).__name__, _hashable(v)) for v in value)
    return value


def _within_limits(doc: Mapping[str, Any]) -> bool:
    """The case file limits a flat row could reach: text lengths (rows are shallow and short)."""
    case_id = doc.get("id")
    if isinstance(case_id, str) and len(case_id) > LIMITS["id_chars"]:
        return False
    limit = LIMITS["string_chars"]
    for lab in doc.get("labs", ()):
        if any(isinstance(v, str) and len(v) > limit for v in lab.values()):
            return False
    for study in doc.get("imaging", ()):
        if any(isinstance(v, str) and len(v) > limit for v in study.values()):
            return False
    for item in (*doc.get("antibodies", ()), *doc.get("genetics", ())):
        if any(isinstance(v, str) and len(v) > limit for v in item.values()):
            return False
    sex = doc.get("patient", {}).get("sex")
    return not (isinstance(sex, str) and len(sex) > limit)
