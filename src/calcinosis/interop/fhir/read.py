"""A FHIR R4 Bundle becomes a case, with a report of every element used and not used.

What is read, and how (every rule below is also what :mod:`.write` produces, so a Bundle
written by calcinosis reads back into the same case):

- **Patient**: sex from ``gender``; age from ``birthDate`` at the analysis date (whole years
  from 2 years, months below). A Bundle without a Patient and its birth date cannot become a
  case: age is the one required item.
- **Observation**: a laboratory test by its LOINC code (or the project's own code), value and
  UCUM unit, comparator, or only an interpretation (H, N, L); the latest of several results of
  a test. An antibody by its code with a positive or negative value. A finding by its HPO,
  SNOMED CT or own code: present, or absent when its value says so (``false``, Absent,
  Negative). The imaging observations calcinosis writes (own code) become imaging entries.
- **Condition**: history (ICD-10, SNOMED CT, HPO or own code), or a finding; a refuted
  condition is an explicit absence; an entered-in-error one is skipped; a provisional or
  differential one is not a fact and is not used. The presenting calcification (calcinosis
  cutis L94.2, HPO Calcinosis and its children, own code) gives the sites and the duration.
- **MedicationStatement, MedicationRequest, MedicationAdministration**: exposures by ATC,
  RxNorm or own code (also through a referenced or contained Medication); ``not-taken`` is an
  explicit absence. A drug whose exposure depends on the dose (vitamin D, calcium, phosphate,
  corticosteroids) is reported, not guessed: its code names the drug, not the high dose.
- **Procedure**: exposures (radiotherapy) or history (dialysis, parathyroidectomy,
  transplant); ``not-done`` is an explicit absence.
- **ImagingStudy**: the modality, when no imaging observation already holds that study.
- Anything else (Encounter, Practitioner, calcinosis' own results...) is listed as not used.

Nothing is matched by spelling alone except a term's exact label or alias from the
vocabulary (the same rule as a case file), and the report says so.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from calcinosis.case.labs import assay_of, resolve_unit
from calcinosis.case.model import Case
from calcinosis.case.reader import parse_case
from calcinosis.errors import CaseValidationError
from calcinosis.i18n import message
from calcinosis.interop.fhir.mapping import FhirImport, MappingEntry
from calcinosis.interop.fhir.vocab import (
    ABSENT_VALUES,
    AGE_CODE,
    AGE_UNITS,
    CASE_ID_SYSTEM,
    DCM_MODALITIES,
    DOSE_DEPENDENT,
    DURATION_URL,
    IMAGING_CODE,
    INTERPRETATION_SYSTEM,
    ONSET_DELAY_URL,
    POSITIVE_VALUES,
    POSTMENOPAUSAL_CODE,
    PRESENTING_CODES,
    own_system,
)
from calcinosis.issues import Issue
from calcinosis.kb.codes import OWN_SYSTEM_PREFIX, SYSTEMS, CodeTable, codes_of
from calcinosis.kb.model import KnowledgeBase
from calcinosis.textsafe import plain

__all__ = ["age_at", "is_fhir_document", "read_bundle", "read_document_case"]

_READ_TYPES = (
    "Patient",
    "Observation",
    "Condition",
    "MedicationStatement",
    "MedicationRequest",
    "MedicationAdministration",
    "Medication",
    "Procedure",
    "ImagingStudy",
    "DiagnosticReport",
)
_OWN_MARKS = (own_system("output"), own_system("workup"))


def _is_own_output(raw: Mapping[str, Any]) -> bool:
    """A resource calcinosis wrote as a result (its report, risk assessment, proposals, plan):
    it carries one of the project's output code systems."""
    text = json.dumps(raw)
    return any(f'"{mark}"' in text for mark in _OWN_MARKS)


def _short(value: object, limit: int = 120) -> str:
    return plain(value, limit=limit, newlines=False)


def parse_fhir_date(value: object) -> tuple[dt.date, bool] | None:
    """A FHIR date, dateTime or partial date ('1980', '2023-01') as a date, and whether it was
    partial (then the middle of the year or month is used, and the report says so)."""
    if isinstance(value, dt.datetime):
        return value.date(), False
    if isinstance(value, dt.date):
        return value, False
    if isinstance(value, str):
        parts = value.split("T")[0].split("-")
        try:
            if len(parts) == 1:
                return dt.date(int(parts[0]), 7, 1), True
            if len(parts) == 2:
                return dt.date(int(parts[0]), int(parts[1]), 15), True
            return dt.date(int(parts[0]), int(parts[1]), int(parts[2])), False
        except ValueError:
            return None
    return None


def age_at(birth: dt.date, when: dt.date) -> float:
    """Age in the case format: whole years from 2 years; months / 12 (2 decimals) below."""
    months = (when.year - birth.year) * 12 + (when.month - birth.month) - (1 if when.day < birth.day else 0)
    if months >= 24:
        return float(months // 12)
    return round(max(months, 0) / 12, 2)


@dataclass
class _Collected:
    """The case being assembled, and the report."""

    age: float | None = None
    stated_age: float | None = None
    postmenopausal: bool | None = None
    sex: str | None = None
    patient_id: str | None = None
    history: list[str] = field(default_factory=list)
    exposures: list[str] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    absent: list[str] = field(default_factory=list)
    sites: list[str] = field(default_factory=list)
    duration_months: float | None = None
    onset: dt.date | None = None
    exposure_start: dict[str, dt.date] = field(default_factory=dict)
    delays: dict[str, float] = field(default_factory=dict)
    # the results kept of each test, all of one date: (date, entry or result, index of its report line)
    labs: dict[str, list[tuple[dt.date | None, dict[str, Any], int]]] = field(default_factory=dict)
    antibodies: dict[str, list[tuple[dt.date | None, str, int]]] = field(default_factory=dict)
    genetics: dict[str, str] = field(default_factory=dict)
    imaging: list[dict[str, Any]] = field(default_factory=list)
    imaging_studies: set[str] = field(default_factory=set)
    mapping: list[MappingEntry] = field(default_factory=list)


class _Reader:
    """One pass over the resources of a Bundle."""

    def __init__(self, kb: KnowledgeBase, codes: CodeTable, when: dt.date, lang: str) -> None:
        self.kb = kb
        self.codes = codes
        self.when = when
        self.lang = lang
        self.out = _Collected()
        self.medications: dict[str, Any] = {}
        self.born: dt.date | None = None  # the Patient's birth date, once read
        self.no_age = ""  # why the Patient gave no age, when the reason is more than 'no birth date'
        self.pending_onset_ages: list[tuple[str, Any]] = []  # (ref, Age): read once the age is known

    # -- the report ---------------------------------------------------------------------
    def used(self, ref: str, element: str, value: object, mapped_to: str, reason: str = "") -> None:
        self.out.mapping.append(
            MappingEntry(
                resource=ref, element=element, value=_short(value), outcome="used", mapped_to=mapped_to, reason=reason
            )
        )

    def skipped(self, ref: str, element: str, value: object, key: str, **values: object) -> None:
        self.out.mapping.append(
            MappingEntry(
                resource=ref,
                element=element,
                value=_short(value),
                outcome="not_used",
                reason=message(key, self.lang, **values),
            )
        )

    # -- coded concepts -----------------------------------------------------------------
    def concept(self, cc: Any, lists: tuple[str, ...]) -> tuple[str, str, str] | None:
        """(list, term, how) for a CodeableConcept: the first coding that a code table maps, or
        the text when it is exactly a vocabulary label or alias."""
        if cc is None:
            return None
        coded = tuple(name for name in lists if name in self.codes.lists())
        for coding in cc.coding or []:
            if not (coding.system and coding.code):
                continue
            if coding.system.startswith(OWN_SYSTEM_PREFIX):
                list_name = coding.system.removeprefix(OWN_SYSTEM_PREFIX)
                if list_name in lists and self.kb.vocabulary.resolve(list_name, coding.code) == coding.code:
                    return list_name, coding.code, f"{coding.system}|{coding.code}"
                continue
            found = self.codes.lookup(coding.system, coding.code, coded) if coded else None
            if found:
                return found[0], found[1], f"{coding.system}|{coding.code}"
        for text in [cc.text, *[c.display for c in cc.coding or []]]:
            if text:
                for list_name in lists:
                    term = self.kb.vocabulary.resolve(list_name, text)
                    if term is not None:
                        return list_name, term, message("fhir_by_text", self.lang, text=_short(text, 60))
        return None

    def known(self, ref: str, element: str, cc: Any, lists: tuple[str, ...]) -> tuple[str, str, str] | None:
        """:meth:`concept`, reporting the element as not used when no table knows it."""
        found = self.concept(cc, lists)
        if found is None:
            self.skipped(ref, element, self.shown(cc), "fhir_code_unknown")
        return found

    @staticmethod
    def shown(cc: Any) -> str:
        if cc is None:
            return ""
        parts = [f"{c.system or ''}|{c.code or ''}" + (f" {c.display}" if c.display else "") for c in cc.coding or []]
        if cc.text:
            parts.append(repr(cc.text))
        return "; ".join(parts) or "(empty)"

    def codes_in(self, cc: Any, system_uri: str) -> list[str]:
        return [c.code for c in (cc.coding or []) if c.system == system_uri and c.code] if cc is not None else []

    # -- helpers for the case -----------------------------------------------------------
    def add(self, bucket: list[str], term: str) -> None:
        if term not in bucket:
            bucket.append(term)

    def add_absent(self, term: str) -> None:
        self.add(self.out.absent, term)

    def label_of(self, list_name: str, term: str) -> str:
        """The term's label in the report's language."""
        return self.kb.vocabulary.label(list_name, term, self.lang)

    def stated(self, ref: str, element: str, shown: str, list_name: str, term: str, how: str) -> None:
        """A condition, finding or exposure the record states: into the case's list, and reported."""
        case_list = {"conditions": "history", "findings": "findings", "exposures": "exposures"}[list_name]
        self.add(getattr(self.out, case_list), term)
        self.used(ref, element, shown, f"{case_list}: {term}", how)

    # -- resources ----------------------------------------------------------------------
    def patient(self, ref: str, r: Any) -> None:
        out = self.out
        if out.age is not None:
            self.skipped(ref, "Patient", ref, "fhir_second_patient")
            return
        out.patient_id = next((i.value for i in r.identifier or [] if i.system == CASE_ID_SYSTEM and i.value), r.id)
        gender = r.gender or "unknown"
        if gender in ("female", "male", "other", "unknown"):
            out.sex = gender
            self.used(ref, "gender", r.gender or "(none)", f"patient.sex: {out.sex}")
        else:  # 'M', 'F', 'banana': not FHIR's codes, not guessed (it became 'unknown' without a word)
            out.sex = "unknown"
            self.skipped(ref, "gender", gender, "fhir_gender_code")
        born = parse_fhir_date(r.birthDate)
        if born is None:
            self.skipped(ref, "birthDate", r.birthDate or "(none)", "fhir_no_birth_date")
            return
        birth, partial = born
        if birth > self.when:
            self.skipped(ref, "birthDate", r.birthDate, "fhir_born_after", when=self.when.isoformat())
            self.no_age = self.born_after(ref, birth)
            return
        self.born = date_span(birth, partial)[0]  # the earliest day the birth date allows
        died = parse_fhir_date(getattr(r, "deceasedDateTime", None))
        at = died[0] if died is not None and birth <= died[0] < self.when else self.when
        out.age = age_at(birth, at)
        note = message("fhir_partial_date", self.lang) if partial else ""
        if at != self.when:  # the age the patient had: a dead patient does not grow older
            died_note = message("fhir_age_at_death", self.lang, date=at.isoformat())
            note = message("list_separator", self.lang).join(n for n in (note, died_note) if n)
        self.used(ref, "birthDate", r.birthDate, f"patient.age: {out.age:g}", note)

    def born_after(self, ref: str, birth: dt.date) -> str:
        """Why a birth date after the analysis date gives no age: in the future, or after the
        analysis date asked. A hostile-input audit: a birthDate of 2090 was refused as 'no
        Patient with a birth date', which sent the user looking for a missing element."""
        today = dt.datetime.now(dt.UTC).date()
        if birth > today:
            return message("fhir_birth_in_future", self.lang, ref=ref, born=birth.isoformat(), today=today.isoformat())
        return message(
            "fhir_birth_after_analysis", self.lang, ref=ref, born=birth.isoformat(), when=self.when.isoformat()
        )

    def observation(self, ref: str, r: Any) -> None:
        if r.status in ("entered-in-error", "cancelled"):
            self.skipped(ref, "status", r.status, "fhir_status_skipped", status=r.status)
            return
        if any(c.system == IMAGING_CODE[0] and c.code == IMAGING_CODE[1] for c in r.code.coding or []):
            self.imaging_observation(ref, r)
            return
        if self.is_presenting(r.code):
            self.presenting(ref, r, r.effectiveDateTime)
            return
        codings = {(c.system, c.code) for c in r.code.coding or []}
        if AGE_CODE in codings:
            self.stated_age(ref, r)
            return
        if POSTMENOPAUSAL_CODE in codings and r.valueBoolean is not None:
            self.out.postmenopausal = bool(r.valueBoolean)
            self.used(ref, "valueBoolean", r.valueBoolean, f"patient.postmenopausal: {str(r.valueBoolean).lower()}")
            return
        if self.is_genetic(r):
            self.genetic(ref, r)
            return
        found = self.known(ref, "code", r.code, ("labs", "antibodies", "findings"))
        if found is None:
            return
        list_name, term, how = found
        when = parse_fhir_date(r.effectiveDateTime)
        date = when[0] if when else None
        if list_name == "labs":
            self.lab(ref, r, term, how, date)
        elif list_name == "antibodies":
            self.antibody(ref, r, term, how, date)
        else:
            if self.says_absent(r):
                self.add_absent(term)
                self.used(ref, "code + value", self.shown(r.code), f"absent: {term}", how)
            else:
                self.stated(ref, "code", self.shown(r.code), "findings", term, how)

    def stated_age(self, ref: str, r: Any) -> None:
        """An age stated as an observation (LOINC 30525-0): it wins over the birth date."""
        q = r.valueQuantity
        factor = AGE_UNITS.get(q.code or q.unit or "") if q is not None and q.value is not None else None
        if factor is None:
            self.skipped(ref, "valueQuantity", q.value if q else "(none)", "fhir_age_unit")
            return
        # in years as written, exactly (calcinosis writes the case's age so: a round trip gives
        # it back); another unit is converted and rounded to the thousandth of a year
        years = float(Decimal(q.value)) * factor
        self.out.stated_age = years if factor == 1.0 else round(years, 3)
        self.used(ref, "valueQuantity", f"{q.value} {q.code or q.unit}", f"patient.age: {self.out.stated_age:g}")

    def says_absent(self, r: Any) -> bool:
        """An observation whose value denies it: false, Absent, Negative, or interpretation NEG."""
        if r.valueBoolean is False:
            return True
        value = r.valueCodeableConcept
        if value is not None and any((c.system, c.code) in ABSENT_VALUES for c in value.coding or []):
            return True
        if isinstance(r.valueString, str) and r.valueString.strip().lower() in (
            "absent",
            "no",
            "non",
            "negative",
            "négatif",
            "negatif",
        ):
            return True
        return any(c.code == "NEG" for i in r.interpretation or [] for c in i.coding or [])

    def lab(self, ref: str, r: Any, test: str, how: str, date: dt.date | None) -> None:
        entry: dict[str, Any] = {"test": test}
        q = r.valueQuantity
        if q is not None and q.value is not None:
            if self.unit_conflict(test, q):
                self.skipped_conflict(ref, test, q)
                return
            unit = self.case_unit(test, q)
            if unit is None:
                self.skipped(
                    ref, "valueQuantity", f"{q.value} {q.code or q.unit or ''}", "fhir_unit_unknown", test=test
                )
                return
            entry["value"] = float(Decimal(q.value))
            entry["unit"] = unit
            if q.comparator:
                entry["qualifier"] = q.comparator
            limits = self.reference_range(ref, r, test, unit)
            if limits:
                entry["reference_range"] = limits
        else:
            interp = self.interpretation(r)
            if interp is None:
                self.skipped(ref, "value", self.shown(r.code), "fhir_lab_no_value", test=self.label_of("labs", test))
                return
            entry["interpretation"] = interp
        note = self.latest(self.out.labs, "labs", test, date, ref, self.describe_lab(entry))
        if note is None:
            return
        self.out.labs.setdefault(test, []).append((date, entry, len(self.out.mapping)))
        self.used(ref, "code + value", self.shown(r.code), f"labs: {self.describe_lab(entry)}", self.joined(how, note))

    def joined(self, *notes: str) -> str:
        """The notes of a report line that are not empty, as one text."""
        return message("list_separator", self.lang).join(n for n in notes if n)

    def latest(
        self,
        held: Mapping[str, list[tuple[Any, ...]]],
        list_name: str,
        term: str,
        date: dt.date | None,
        ref: str,
        shown: str,
    ) -> str | None:
        """Whether this result of ``term`` is kept, and the note of its report line: None for an
        earlier result than those kept (reported as not used); "" for the latest so far (those it
        replaces are marked as not used); a note for a result of the same date as those kept (or
        undated, as they are), kept beside them.

        Of two results of one date, the file's order does not say which came later: a
        hostile-input audit saw the second of two same-day calcium results set aside as 'an
        earlier result', picked by its place in the file. The case format keeps repeated
        readings of a test (each is kept; the result says which drove the reasoning), so both
        are kept and the report says why."""
        previous = held.get(term, [])
        if not previous:
            return ""
        before, label = previous[0][0], self.label_of(list_name, term)
        if before == date:
            others = ", ".join(self.out.mapping[kept[-1]].resource for kept in previous)
            key = "fhir_same_date_result" if date is not None else "fhir_same_undated_result"
            return message(key, self.lang, others=others)
        reason = message("fhir_older_result", self.lang, test=label)
        if date is None or (before is not None and before > date):
            self.out.mapping.append(
                MappingEntry(resource=ref, element="value", value=_short(shown), outcome="not_used", reason=reason)
            )
            return None
        for kept in previous:
            index = kept[-1]
            self.out.mapping[index] = self.out.mapping[index].model_copy(
                update={"outcome": "not_used", "mapped_to": "", "reason": reason}
            )
        previous.clear()
        return ""

    def reference_range(self, ref: str, r: Any, test: str, unit: str) -> dict[str, float] | None:
        """The laboratory's interval of an Observation (its first ``referenceRange`` with a low
        or high limit), when its limits are in the value's unit (or give none, as FHIR allows);
        a range in another unit, or with its limits in the wrong order, is reported as not used."""
        for rr in r.referenceRange or []:
            limits = {k: q for k, q in (("low", rr.low), ("high", rr.high)) if q is not None and q.value is not None}
            if not limits:
                continue
            shown = " - ".join(f"{q.value} {q.code or q.unit or ''}".strip() for q in limits.values())
            clash = next((q for q in limits.values() if self.unit_conflict(test, q)), None)
            if clash is not None:
                unit, code = _short(clash.unit, 40), _short(clash.code, 40)
                self.skipped(ref, "referenceRange", shown, "fhir_range_unit_conflict", unit=unit, code=code)
                return None
            if any((q.code or q.unit) and self.case_unit(test, q) != unit for q in limits.values()):
                self.skipped(ref, "referenceRange", shown, "fhir_range_unit", unit=unit)
                return None
            out = {k: float(Decimal(q.value)) for k, q in limits.items()}
            if min(out.values()) < 0 or ("low" in out and "high" in out and out["low"] >= out["high"]):
                self.skipped(ref, "referenceRange", shown, "fhir_range_invalid")
                return None
            return out
        return None

    @staticmethod
    def describe_lab(entry: Mapping[str, Any]) -> str:
        if "value" in entry:
            return f"{entry['test']} {entry.get('qualifier', '')}{entry['value']:g} {entry['unit']}"
        return f"{entry['test']} {entry['interpretation']}"

    def case_unit(self, test: str, q: Any) -> str | None:
        """The case-format unit of a Quantity: its UCUM code through the code table, else its
        code or text as a unit the test accepts."""
        return self.code_unit(test, q.code) or self.resolved(test, q.unit)

    def code_unit(self, test: str, code: str | None) -> str | None:
        """The case-format unit of a UCUM code for ``test``: through the code table, else as written."""
        reverse = {ucum: unit for unit, ucum in self.codes.ucum.items()}
        return self.resolved(test, reverse.get(code or "")) or self.resolved(test, code)

    def resolved(self, test: str, text: str | None) -> str | None:
        """``text`` as a unit ``test`` accepts, or None."""
        return resolve_unit(self.kb, test, text) if text else None

    def skipped_conflict(self, ref: str, test: str, q: Any) -> None:
        """A value whose unit and UCUM code disagree (see :meth:`unit_conflict`), reported as not used."""
        shown = f"{q.value} unit={q.unit} code={q.code}"
        label, unit, code = self.label_of("labs", test), _short(q.unit, 40), _short(q.code, 40)
        self.skipped(ref, "valueQuantity", shown, "fhir_unit_conflict", test=label, unit=unit, code=code)

    def unit_conflict(self, test: str, q: Any) -> bool:
        """Whether a Quantity's unit text and its UCUM code name two different units of ``test``.

        A hostile-input audit: ``{"value": 2.4, "unit": "mmol/L", "code": "mg/dL"}`` was read as
        calcium 2.4 mg/dL without a word, and the diagnosis warned of a severe hypocalcaemia.
        Which of the two the laboratory meant cannot be told, so such a value is never used."""
        by_code, by_text = self.code_unit(test, q.code), self.resolved(test, q.unit)
        if by_code is None or by_text is None or by_code == by_text:
            return False
        # two names of one unit (PTH pg/mL and ng/L, ferritin µg/L and ng/mL) agree: the same
        # factor to SI and the same assay (a code review: a PTH 'pg/mL' coded ng/L was thrown away)
        factors = self.kb.units["tests"][test]["units"]
        same = factors[by_code] == factors[by_text] and assay_of(self.kb, test, by_code) == assay_of(
            self.kb, test, by_text
        )
        return not same

    @staticmethod
    def interpretation(r: Any) -> str | None:
        for concept in r.interpretation or []:
            for c in concept.coding or []:
                if c.system == INTERPRETATION_SYSTEM:
                    if c.code in ("H", "HH", "HU"):
                        return "high"
                    if c.code in ("L", "LL", "LU"):
                        return "low"
                    if c.code == "N":
                        return "normal"
        return None

    def antibody(self, ref: str, r: Any, name: str, how: str, date: dt.date | None) -> None:
        result: str | None = None
        value = r.valueCodeableConcept
        if r.valueBoolean is not None:
            result = "positive" if r.valueBoolean else "negative"
        elif value is not None and any((c.system, c.code) in POSITIVE_VALUES for c in value.coding or []):
            result = "positive"
        elif value is not None and any((c.system, c.code) in ABSENT_VALUES for c in value.coding or []):
            result = "negative"
        elif isinstance(r.valueString, str) and r.valueString.strip().lower() in ("positive", "positif", "pos", "+"):
            result = "positive"
        elif isinstance(r.valueString, str) and r.valueString.strip().lower() in (
            "negative",
            "négatif",
            "negatif",
            "neg",
            "-",
        ):
            result = "negative"
        else:
            for concept in r.interpretation or []:
                for c in concept.coding or []:
                    if c.system == INTERPRETATION_SYSTEM and c.code in ("POS", "NEG"):
                        result = "positive" if c.code == "POS" else "negative"
        if result is None:
            self.skipped(
                ref, "value", self.shown(r.code), "fhir_antibody_no_result", name=self.label_of("antibodies", name)
            )
            return
        note = self.latest(self.out.antibodies, "antibodies", name, date, ref, f"{name} {result}")
        if note is None:
            return
        self.out.antibodies.setdefault(name, []).append((date, result, len(self.out.mapping)))
        self.used(ref, "code + value", self.shown(r.code), f"antibodies: {name} {result}", self.joined(how, note))

    def is_genetic(self, r: Any) -> bool:
        return any(c.system == SYSTEMS["loinc"] and c.code == "69548-6" for c in r.code.coding or [])

    def genetic(self, ref: str, r: Any) -> None:
        gene: str | None = None
        for comp in r.component or []:
            if any(c.system == SYSTEMS["loinc"] and c.code == "48018-6" for c in comp.code.coding or []):
                found = self.concept(comp.valueCodeableConcept, ("genetics",))
                gene = found[1] if found else None
        value = r.valueCodeableConcept
        codes = {c.code for c in (value.coding or [])} if value is not None else set()
        result = "pathogenic_variant" if "LA9633-4" in codes else "not_found" if "LA9634-2" in codes else None
        if gene is None or result is None:
            self.skipped(ref, "component", self.shown(r.code), "fhir_genetic_unread")
            return
        self.out.genetics[gene] = result
        self.used(ref, "component + value", gene, f"genetics: {gene} {result}")

    @staticmethod
    def is_presenting(cc: Any) -> bool:
        """A code of the calcification itself (vocab.PRESENTING)."""
        codings = (cc.coding or []) if cc is not None else []
        return any((c.system, c.code) in PRESENTING_CODES for c in codings)

    def presenting(self, ref: str, r: Any, onset: object) -> None:
        """The calcification itself: where it is, and since when."""
        for site_cc in r.bodySite if isinstance(r.bodySite, list) else ([r.bodySite] if r.bodySite else []):
            found = self.concept(site_cc, ("sites",))
            if found is None:
                self.skipped(ref, "bodySite", self.shown(site_cc), "fhir_site_unknown")
                continue
            self.add(self.out.sites, found[1])
            self.used(ref, "bodySite", self.shown(site_cc), f"sites: {found[1]}", found[2])
        if not self.onset(ref, r, onset):
            self.used(ref, "code", self.shown(r.code), message("fhir_presenting", self.lang))

    def onset(self, ref: str, r: Any, onset: object) -> bool:
        """The duration of the calcification from its Condition, and whether the Condition said one.

        The exact duration calcinosis writes (:data:`~.vocab.DURATION_URL`) first; else the date
        of onset (``onset``), the analysis date less it; else the age at onset (``onsetAge``),
        the patient's age less it, read once the age is known (:meth:`onset_ages`). An onset in
        words, a period or a range is reported not used: the duration is a number, none is
        guessed from them."""
        for ext in r.extension or []:
            if ext.url == DURATION_URL and ext.valueDecimal is not None:
                self.out.duration_months = float(Decimal(ext.valueDecimal))
                self.used(ref, "extension", ext.valueDecimal, f"duration_months: {self.out.duration_months:g}")
                return True
        start = parse_fhir_date(onset)
        if start is not None and start[0] <= self.when:
            days = (self.when - start[0]).days
            self.out.onset = start[0]
            self.out.duration_months = round(days / 30.4375, 1)
            self.used(ref, "onset", onset, f"duration_months: {self.out.duration_months:g}")
            return True
        if r.onsetAge is not None:
            self.pending_onset_ages.append((ref, r.onsetAge))
            return True
        for element in ("onsetString", "onsetPeriod", "onsetRange"):
            value = getattr(r, element, None)
            if value is not None:
                shown = value if isinstance(value, str) else value.model_dump_json(exclude_none=True)
                self.skipped(ref, element, shown, "fhir_onset_unread")
                return True
        return False

    def onset_ages(self, age: float) -> None:
        """The ages at onset read (:meth:`onset`) as the duration: ``age`` less each, in months
        (to 6 decimals, as the phenopacket reader does), when no Condition gave the duration
        otherwise; one in a unit other than a, mo, wk or d, below 0 or above the age, is reported."""
        for ref, q in self.pending_onset_ages:
            factor = AGE_UNITS.get(q.code or q.unit or "") if q.value is not None else None
            shown = f"{q.value} {q.code or q.unit or ''}".strip()
            years = float(Decimal(q.value)) * factor if factor is not None else None
            if years is None or not 0 <= years <= age:  # below 0: a duration longer than the life
                self.skipped(ref, "onsetAge", shown, "fhir_onset_age_unread", age=f"{age:g}")
            elif self.out.duration_months is not None:
                self.skipped(ref, "onsetAge", shown, "fhir_duration_taken")
            else:
                self.out.duration_months = round((age - years) * 12, 6)
                self.used(ref, "onsetAge", shown, f"duration_months: {self.out.duration_months:g}")

    def condition(self, ref: str, r: Any) -> None:
        status = self.codes_in(r.verificationStatus, "http://terminology.hl7.org/CodeSystem/condition-ver-status")
        if "entered-in-error" in status:
            self.skipped(
                ref, "verificationStatus", "entered-in-error", "fhir_status_skipped", status="entered-in-error"
            )
            return
        if self.is_presenting(r.code):
            self.presenting(ref, r, r.onsetDateTime)
            return
        found = self.known(ref, "code", r.code, ("conditions", "findings", "exposures"))
        if found is None:
            return
        list_name, term, how = found
        if "refuted" in status:
            self.add_absent(term)
            self.used(ref, "code + verificationStatus", self.shown(r.code), f"absent: {term}", how)
            return
        if any(s in status for s in ("provisional", "differential", "unconfirmed")):
            self.skipped(
                ref, "verificationStatus", ", ".join(status), "fhir_unconfirmed", term=self.label_of(list_name, term)
            )
            return
        self.note_start(term, r.onsetDateTime, r)
        self.stated(ref, "code", self.shown(r.code), list_name, term, how)

    def note_start(self, term: str, when: object, resource: Any = None) -> None:
        """When an exposure or condition began: the delay extension calcinosis writes, else the date."""
        for ext in getattr(resource, "extension", None) or []:
            if ext.url == ONSET_DELAY_URL and ext.valueDecimal is not None:
                self.out.delays[term] = float(Decimal(ext.valueDecimal))
                return
        start = parse_fhir_date(when)
        if start is not None:
            self.out.exposure_start.setdefault(term, start[0])

    def medication(self, ref: str, r: Any, kind: str) -> None:
        status = r.status or ""
        if status in ("entered-in-error", "cancelled", "draft"):
            self.skipped(ref, "status", status, "fhir_status_skipped", status=status)
            return
        cc = getattr(r, "medicationCodeableConcept", None)
        reference = getattr(r, "medicationReference", None)
        if cc is None and reference is not None and reference.reference:
            med = self.medications.get(reference.reference.lstrip("#"))
            cc = med.code if med is not None else None
        if cc is None:
            self.skipped(
                ref, "medication", reference.reference if reference else "(none)", "fhir_medication_unresolved"
            )
            return
        found = self.known(ref, "medication", cc, ("exposures",))
        if found is None:
            return
        _, term, how = found
        own = any(c.system == own_system("exposures") for c in cc.coding or [])
        if term in DOSE_DEPENDENT and not own:
            self.skipped(
                ref, "medication", self.shown(cc), "fhir_dose_dependent", term=self.label_of("exposures", term)
            )
            return
        if kind == "MedicationStatement" and status == "not-taken":
            self.add_absent(term)
            self.used(ref, "medication + status", self.shown(cc), f"absent: {term}", how)
            return
        period = getattr(r, "effectivePeriod", None)
        started = (
            getattr(r, "effectiveDateTime", None)
            or (period.start if period else None)
            or getattr(r, "authoredOn", None)
        )
        self.note_start(term, started, r)
        self.stated(ref, "medication", self.shown(cc), "exposures", term, how)

    def procedure(self, ref: str, r: Any) -> None:
        if r.status in ("entered-in-error", "preparation"):
            self.skipped(ref, "status", r.status, "fhir_status_skipped", status=r.status)
            return
        found = self.known(ref, "code", r.code, ("exposures", "conditions"))
        if found is None:
            return
        list_name, term, how = found
        if r.status == "not-done":
            self.add_absent(term)
            self.used(ref, "code + status", self.shown(r.code), f"absent: {term}", how)
            return
        period = r.performedPeriod
        self.note_start(term, r.performedDateTime or (period.start if period else None), r)
        self.stated(ref, "code", self.shown(r.code), list_name, term, how)

    def diagnostic_report(self, ref: str, r: Any) -> None:
        """A report from the hospital: its coded conclusions (the calcification, a finding); its
        free-text conclusion is not read (the clinician reads it)."""
        for cc in r.conclusionCode or []:
            if self.is_presenting(cc):
                self.used(ref, "conclusionCode", self.shown(cc), message("fhir_presenting", self.lang))
                continue
            found = self.known(ref, "conclusionCode", cc, ("findings", "conditions"))
            if found is not None:
                self.stated(ref, "conclusionCode", self.shown(cc), *found)
        if r.conclusion:
            self.skipped(ref, "conclusion", r.conclusion, "fhir_free_text")
        if not r.conclusionCode and not r.conclusion:
            self.skipped(ref, "DiagnosticReport", self.shown(r.code), "fhir_no_coded_conclusion")

    def imaging_study(self, ref: str, r: Any) -> None:
        if r.id and r.id in self.out.imaging_studies:
            self.used(ref, "ImagingStudy", ref, message("fhir_study_in_observation", self.lang))
            return
        modalities = [c.code for c in (r.modality or []) if c.code] + [
            c.code for s in r.series or [] for c in ([s.modality] if s.modality else []) if c.code
        ]
        mapped = [DCM_MODALITIES[m] for m in modalities if m in DCM_MODALITIES]
        if not mapped:
            self.skipped(ref, "modality", ", ".join(modalities) or "(none)", "fhir_modality_unknown")
            return
        for modality in dict.fromkeys(mapped):
            self.out.imaging.append({"modality": modality})
            self.used(ref, "modality", modality, f"imaging: {modality}", message("fhir_modality_only", self.lang))

    def imaging_observation(self, ref: str, r: Any) -> None:
        """An imaging entry as calcinosis writes it: method = modality, components = the rest."""
        entry: dict[str, Any] = {}
        found = self.concept(r.method, ("modalities",))
        if found is None:
            self.skipped(ref, "method", self.shown(r.method), "fhir_modality_unknown")
            return
        entry["modality"] = found[1]
        for comp in r.component or []:
            key = next((c.code for c in comp.code.coding or [] if c.system == own_system("imaging")), None)
            if key in ("tissues", "patterns", "sites"):
                term = self.concept(comp.valueCodeableConcept, (key,))
                if term is None:
                    self.skipped(ref, f"component[{key}]", self.shown(comp.valueCodeableConcept), "fhir_code_unknown")
                    continue
                entry.setdefault(key, []).append(term[1])
            elif key == "distribution":
                term = self.concept(comp.valueCodeableConcept, ("distributions",))
                if term is not None:
                    entry["distribution"] = term[1]
            elif (
                key in ("symmetric", "bone_destruction", "uptake", "along_muscle_fibers")
                and comp.valueBoolean is not None
            ):
                entry[key] = bool(comp.valueBoolean)
            elif key == "size_cm" and comp.valueQuantity is not None and comp.valueQuantity.value is not None:
                entry["size_cm"] = float(Decimal(comp.valueQuantity.value))
            else:
                self.skipped(ref, "component", self.shown(comp.code), "fhir_code_unknown")
        for derived in r.derivedFrom or []:
            if derived.reference and derived.reference.startswith("ImagingStudy/"):
                self.out.imaging_studies.add(derived.reference.split("/", 1)[1])
        self.out.imaging.append(entry)
        self.used(ref, "method + components", entry["modality"], f"imaging: {entry['modality']}")

    # -- the case -----------------------------------------------------------------------
    def case_dict(self, case_id: str | None) -> dict[str, Any]:
        out = self.out
        age = out.stated_age if out.stated_age is not None else out.age
        data: dict[str, Any] = {"patient": {"age": age, "sex": out.sex or "unknown"}}
        if out.postmenopausal is not None:
            data["patient"]["postmenopausal"] = out.postmenopausal
        if case_id:
            data["id"] = case_id
        for key in ("history", "exposures", "findings", "sites", "absent"):
            values = getattr(out, key)
            if values:
                data[key] = list(values)
        if out.duration_months is not None:
            data["duration_months"] = out.duration_months
        delays = dict(out.delays)
        if out.onset is not None:
            for term, start in out.exposure_start.items():
                if term in out.exposures and start <= out.onset:
                    delays.setdefault(term, float((out.onset - start).days))
        if delays:
            data["onset_days_after"] = delays
        if out.labs:
            data["labs"] = [entry for kept in out.labs.values() for _, entry, _ in kept]
        if out.antibodies:
            data["antibodies"] = [
                {"name": n, "result": res} for n, kept in out.antibodies.items() for _, res, _ in kept
            ]
        if out.genetics:
            data["genetics"] = [{"gene": g, "result": res} for g, res in out.genetics.items()]
        if out.imaging:
            data["imaging"] = out.imaging
        return data


def is_fhir_document(data: Any) -> bool:
    """A FHIR document (a Bundle or one resource) rather than a case: it names its resourceType."""
    return isinstance(data, dict) and "resourceType" in data


def read_document_case(
    data: Any, kb: KnowledgeBase, *, source: str, lang: str = "en", analysis_date: dt.date | None = None
) -> tuple[Case, FhirImport | None]:
    """A parsed document that is either a case or a FHIR Bundle, as a case (and the FHIR report).

    The one entry point of the CLI and the web app for "a case file or a Bundle", so that both
    accept exactly the same documents."""
    if is_fhir_document(data):
        imported = read_bundle(data, kb, codes_of(kb), analysis_date=analysis_date, source=source, lang=lang)
        return imported.case, imported
    return parse_case(data, kb, source=source, lang=lang), None


def _resources(data: Any, source: str, lang: str) -> list[tuple[str, dict[str, Any], str | None]]:
    """(location, resource, the entry's fullUrl) of a Bundle's entries, or of a single resource."""
    if not isinstance(data, dict) or "resourceType" not in data:
        raise CaseValidationError(message("err_file", lang, source=source, text=message("fhir_not_fhir", lang)))
    if data["resourceType"] != "Bundle":
        return [("resource", data, None)]
    entries = data.get("entry") or []
    if not isinstance(entries, list):
        raise CaseValidationError(message("err_file", lang, source=source, text=message("fhir_entries_not_list", lang)))
    found: list[tuple[str, dict[str, Any], str | None]] = []
    for i, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(resource, dict):
            full_url = entry.get("fullUrl")
            found.append((f"entry[{i}].resource", resource, full_url if isinstance(full_url, str) else None))
    return found


def _unique_ids(raws: list[tuple[str, dict[str, Any], str | None]], source: str, lang: str) -> None:
    """Refuse a Bundle in which two entries are the same resource (type and id).

    A hostile-input audit (dup_ids.json): two Observation/o1 with different calcium values were
    both read, one set aside as 'an earlier result' by its place in the file, and the report
    named one reference for two values. An id names one resource of a Bundle; which of two
    the record means cannot be told, so the Bundle is refused, naming both entries."""
    seen: dict[str, str] = {}
    for location, raw, _ in raws:
        if not isinstance(raw.get("id"), str):
            continue
        ref = _short(f"{raw.get('resourceType')}/{raw['id']}", 80)
        if ref in seen:
            text = message("fhir_duplicate_id", lang, ref=ref, first=seen[ref], second=location)
            raise CaseValidationError(message("err_file", lang, source=source, text=text))
        seen[ref] = location


def _one_patient(raws: list[tuple[str, dict[str, Any], str | None]], source: str, lang: str) -> set[str]:
    """The references that name the Bundle's one patient ('Patient/<id>' and the entry's
    fullUrl); empty when the Bundle has no Patient. Several patients are refused: a case is one
    patient's, and an Observation of another patient read into it (a calcium of 14 mg/dL in
    the wrong record) would be a silent, dangerous guess."""
    ids: dict[str, set[str]] = {}
    for _, raw, full_url in raws:
        if raw.get("resourceType") != "Patient":
            continue
        key = raw["id"] if isinstance(raw.get("id"), str) else (full_url or f"#{len(ids)}")
        refs = ids.setdefault(key, set())
        refs.add(f"Patient/{key}")
        if full_url:
            refs.add(full_url)
    if len(ids) > 1:
        shown = ", ".join(f"Patient/{_short(k, 40)}" for k in sorted(ids)[:5])
        raise CaseValidationError(
            message(
                "err_file", lang, source=source, text=message("fhir_several_patients", lang, n=len(ids), patients=shown)
            )
        )
    return next(iter(ids.values()), set())


def _names_patient(reference: str, patient_refs: set[str]) -> bool:
    """Whether ``reference`` names the Bundle's patient: 'Patient/<id>', the entry's fullUrl, or
    an absolute URL ending in 'Patient/<id>' (a server's address for the same resource); a
    version ('Patient/<id>/_history/3') is the same patient."""
    reference = reference.split("/_history/")[0]
    if reference in patient_refs:
        return True
    tail = "/".join(reference.rstrip("/").split("/")[-2:])
    return tail.startswith("Patient/") and tail in patient_refs


def _subject(resource: Any) -> str | None:
    """The patient a resource is about (its ``subject`` or ``patient`` reference), when it says."""
    for name in ("subject", "patient"):
        ref = getattr(resource, name, None)
        reference = getattr(ref, "reference", None)
        if isinstance(reference, str) and reference:
            return reference
    return None


def _without_nulls(node: Any) -> Any:
    """JSON nulls removed: FHIR forbids them, and the R4B models would take ``"code": null`` for
    a required element as if it were there; without them, a missing required element is refused."""
    if isinstance(node, dict):
        return {k: _without_nulls(v) for k, v in node.items() if v is not None}
    if isinstance(node, list):
        return [_without_nulls(v) for v in node if v is not None]
    return node


def _validate(location: str, raw: dict[str, Any]) -> tuple[Any, list[Issue]]:
    """The R4B model of one resource, or the issues that stop it."""
    from fhir.resources.R4B import get_fhir_model_class

    raw = _without_nulls(raw)

    kind = raw.get("resourceType")
    try:
        model = get_fhir_model_class(str(kind))
    except (ValueError, KeyError):
        return None, [Issue.error("fhir.resource_type", f"unknown resource type {_short(kind, 40)!r}", location)]
    try:
        return model.model_validate(raw), []
    except ValidationError as exc:
        issues = [
            Issue.error(
                "fhir.invalid",
                _short(err["msg"], 200),
                location + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"]),
            )
            for err in exc.errors()[:10]
        ]
        return None, issues


def read_bundle(
    data: Any,
    kb: KnowledgeBase,
    codes: CodeTable,
    *,
    analysis_date: dt.date | None = None,
    source: str = "<bundle>",
    lang: str = "en",
    strict: bool = True,
) -> FhirImport:
    """Turn a FHIR R4 Bundle (a dict, as parsed from JSON) into a case.

    Parameters
    ----------
    data
        A Bundle (any type: collection, searchset, document, transaction) or one resource.
    analysis_date
        The date at which the age and the delays are computed (default: today).
    strict
        True: a resource that breaks FHIR R4 stops the import with every problem listed.
        False (CDS Hooks, where the record is what it is): such a resource is reported as not
        used, and the rest is read.

    Raises
    ------
    CaseValidationError
        The document is not FHIR, a resource is invalid (strict), there is no Patient birth
        date, or the case built from the resources breaks the case format.
    """
    when = analysis_date or dt.datetime.now(dt.UTC).date()
    reader = _Reader(kb, codes, when, lang)
    parsed: list[tuple[str, Any]] = []
    problems: list[Issue] = []
    raws = _resources(data, source, lang)
    _unique_ids(raws, source, lang)
    patient_refs = _one_patient(raws, source, lang)
    for location, raw, _ in raws:
        kind = str(raw.get("resourceType"))
        ref = f"{kind}/{raw['id']}" if isinstance(raw.get("id"), str) else f"{kind} ({location})"
        if kind == "OperationOutcome":
            reader.skipped(ref, kind, location, "fhir_operation_outcome")
            continue
        if _is_own_output(raw):
            reader.skipped(ref, kind, location, "fhir_own_output", kind=kind)
            continue
        if kind not in _READ_TYPES:
            reader.skipped(ref, kind, location, "fhir_type_not_read", kind=kind)
            continue
        resource, issues = _validate(location, raw)
        if issues:
            if strict:
                problems.extend(issues)
            else:
                reader.skipped(ref, kind, issues[0].render(lang), "fhir_invalid_resource")
            continue
        for contained in getattr(resource, "contained", None) or []:
            if contained.get_resource_type() == "Medication" and contained.id:
                reader.medications[contained.id] = contained
        if kind == "Medication":
            reader.medications[f"Medication/{resource.id}"] = resource
            continue
        about = _subject(resource) if kind != "Patient" else None
        if about is not None and patient_refs and not _names_patient(about, patient_refs):
            reader.skipped(ref, "subject", about, "fhir_other_subject")
            continue
        parsed.append((ref, resource))
    if problems:
        raise CaseValidationError(
            message("err_file", lang, source=source, text=message("fhir_invalid", lang)), issues=problems, lang=lang
        )
    handlers: dict[str, Callable[[str, Any], None]] = {
        "Patient": reader.patient,
        "Observation": reader.observation,
        "Condition": reader.condition,
        "MedicationStatement": lambda ref, r: reader.medication(ref, r, "MedicationStatement"),
        "MedicationRequest": lambda ref, r: reader.medication(ref, r, "MedicationRequest"),
        "MedicationAdministration": lambda ref, r: reader.medication(ref, r, "MedicationAdministration"),
        "Procedure": reader.procedure,
        "DiagnosticReport": reader.diagnostic_report,
    }
    studies: list[tuple[str, Any]] = []
    for ref, resource in _ordered(parsed):
        kind = resource.get_resource_type()
        happened = _event_dates(resource) if kind != "Patient" else None
        if happened is not None and happened[0] > when:  # not yet known at the analysis date
            reader.skipped(ref, "date", happened[0].isoformat(), "fhir_after_analysis_date", when=when.isoformat())
            continue
        if happened is not None and reader.born is not None and happened[1] < reader.born:
            reader.skipped(ref, "date", happened[1].isoformat(), "fhir_before_birth", born=reader.born.isoformat())
            continue
        if kind == "ImagingStudy":
            studies.append((ref, resource))
            continue
        try:
            handlers[kind](ref, resource)
        except (AttributeError, TypeError, ValueError, ArithmeticError, KeyError) as exc:
            # a valid resource in a shape this reader did not foresee: reported, never a crash
            reader.skipped(ref, kind, type(exc).__name__, "fhir_unreadable")
    for ref, resource in studies:
        reader.imaging_study(ref, resource)
    if reader.out.stated_age is not None:
        # the stated age is the one used: a birth date beside it is not, and a birth date the
        # record does not give (calcinosis' own export marks it unknown) is no problem then
        for i, line in enumerate(reader.out.mapping):
            if line.element == "birthDate" and (line.outcome == "used" or reader.out.age is None):
                reader.out.mapping[i] = line.model_copy(
                    update={"outcome": "not_used", "mapped_to": "", "reason": message("fhir_stated_age_wins", lang)}
                )
    age = reader.out.stated_age if reader.out.stated_age is not None else reader.out.age
    if age is None:
        text = reader.no_age or message("fhir_no_age", lang)
        raise CaseValidationError(message("err_file", lang, source=source, text=text))
    reader.onset_ages(age)
    case_id = reader.out.patient_id or (data.get("id") if isinstance(data.get("id"), str) else None)
    case = parse_case(reader.case_dict(case_id), kb, source=source, lang=lang)
    return FhirImport(case=case, mapping=reader.out.mapping, analysis_date=when.isoformat())


_EVENT_DATES = (
    "effectiveDateTime",
    "onsetDateTime",
    "performedDateTime",
    "authoredOn",
    "started",
    "issued",
    "recordedDate",
)
"""The elements that date a resource's event, in the order read (its clinical time first)."""


def _event_dates(resource: Any) -> tuple[dt.date, dt.date] | None:
    """When a resource's event happened (an observation taken, a drug prescribed, a condition
    begun), as the earliest and latest day its date allows (a date known to the month or the
    year is a span), or None when it does not say: a calcium dated after the analysis date was
    read as the latest value, and one dated before birth as any other."""
    for name in _EVENT_DATES:
        value = getattr(resource, name, None)
        for period in ("effectivePeriod", "onsetPeriod", "performedPeriod"):
            if value is None and name.startswith(period.removesuffix("Period")):
                value = getattr(getattr(resource, period, None), "start", None)
        parsed = parse_fhir_date(value) if value is not None else None
        if parsed is not None:
            return date_span(*parsed)
    return None


def date_span(day: dt.date, partial: bool) -> tuple[dt.date, dt.date]:
    """The first and last day a date read by :func:`parse_fhir_date` stands for: itself, or its
    month (read as the 15th) or its year (read as 1 July)."""
    if not partial:
        return day, day
    if day.day == 15:  # a month
        following = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
        return day.replace(day=1), following - dt.timedelta(days=1)
    return dt.date(day.year, 1, 1), dt.date(day.year, 12, 31)


def _ordered(parsed: Iterable[tuple[str, Any]]) -> Sequence[tuple[str, Any]]:
    """Patient first (the age is needed by nothing else, but the report reads best so)."""
    items = list(parsed)
    return sorted(items, key=lambda item: item[1].get_resource_type() != "Patient")
