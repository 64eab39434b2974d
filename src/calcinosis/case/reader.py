"""Read a case file: parse YAML/JSON, validate the structure, resolve every vocabulary term.

All problems are collected and raised together as one :class:`CaseValidationError` whose
issues name the file, the path of the item (``imaging[0].patterns[1]``), what was expected
and the closest known terms. Nothing is guessed: an unknown term is an error, an alias or a
French label is resolved to its canonical term and reported in ``Case`` as canonical.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from calcinosis.case.document import check_shape, load_document, read_document_bytes
from calcinosis.case.labs import normalise_unit, resolve_unit
from calcinosis.case.model import Case, Repeat
from calcinosis.errors import CaseValidationError, LocalisedValueError
from calcinosis.i18n import de, decimal, message, messages
from calcinosis.issues import Issue, IssueLevel, closest
from calcinosis.kb.model import KnowledgeBase

__all__ = ["parse_case", "read_case", "separator_readings"]

# a comma or a dot before exactly three digits, after a whole part that is not 0: '1,200',
# '-12,500', '1.200' (a dot only after at most three digits: '1200.500' has no thousands group)
_AMBIGUOUS_SEPARATOR = re.compile(r"[+-]?[1-9]\d*,\d{3}|[+-]?[1-9]\d{0,2}\.\d{3}")
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+")


def _loc_to_path(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _allowed_keys(loc: Sequence[int | str]) -> list[str]:
    """Field names of the model that holds the item at ``loc`` (for 'unknown key' hints)."""
    model: type[BaseModel] = Case
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(str(part))
        if field is None:
            return []
        annotation: Any = field.annotation
        for candidate in (*getattr(annotation, "__args__", ()), annotation):
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                model = candidate
                break
        else:
            return []
    return list(model.model_fields)


def _shorten(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def separator_readings(text: str) -> tuple[str, str] | None:
    """The two numbers a text such as '1,200' or '1.200' may be ('1200', '1.2'), or None for
    any other text.

    A comma before exactly three digits separates thousands in English and marks the decimals in
    French: a hostile-input audit saw the web form read alkaline phosphatase '1,200' U/L as 1.2
    (low), without a word. A dot there is the decimal point in English and separates thousands
    in French (and much of Europe): 'CK 1.200' typed in the French form meant 1200 and was read
    1.2. Such a text is never read as either number; the reader says both. '0,850' and '0.850'
    are not ambiguous (no thousands group follows a 0) and are not matched."""
    folded = text.strip().replace("\u202f", "").replace("\xa0", "").replace(" ", "")
    if not _AMBIGUOUS_SEPARATOR.fullmatch(folded):
        return None
    whole = folded.replace(",", "").replace(".", "")
    fraction = folded.replace(",", ".")
    if _AMBIGUOUS_SEPARATOR.fullmatch(fraction.rstrip("0").rstrip(".")):
        fraction += "0"  # '1.125' is itself the question: a fourth decimal says it is one
    else:
        fraction = fraction.rstrip("0").rstrip(".")
    return whole, fraction


def _separator_issue(given: object, path: str, lang: str) -> Issue | None:
    """The error for a number written '1,200' or '1.200' (see :func:`separator_readings`), or None."""
    readings = separator_readings(given) if isinstance(given, str) else None
    if readings is None:
        return None
    whole, fraction = readings
    if lang == "fr":  # French writes its decimals after a comma (the form reads '1,2')
        fraction = fraction.replace(".", ",")
    key = "err_ambiguous_comma" if "," in str(given) else "err_ambiguous_dot"
    return Issue.error(
        "case.ambiguous_number",
        message(key, lang, value=repr(given), whole=whole, fraction=fraction),
        path,
        expected=message("err_ambiguous_comma_expected", lang),
    )


def _decimal_comma_issue(given: object, path: str, lang: str) -> Issue | None:
    """The error for a number written with a decimal comma that no thousands group could be
    ('2,5', '0,85'), with the number to write: a French author's habit, refused (a case file's
    numbers take the decimal point) but said with what is meant rather than 'not a valid number'."""
    if not isinstance(given, str) or not _DECIMAL_COMMA.fullmatch(folded := given.strip()):
        return None
    return Issue.error(
        "case.decimal_comma",
        message("err_decimal_comma", lang, value=repr(given)),
        path,
        expected=folded.replace(",", "."),
    )


# pydantic error types -> the messages.yaml key that says them in French (pyd_*)
_PYDANTIC_FR = {
    "float_parsing": "pyd_number",
    "float_type": "pyd_number",
    "int_parsing": "pyd_integer",
    "int_type": "pyd_integer",
    "int_from_float": "pyd_integer",
    "finite_number": "pyd_finite",
    "string_type": "pyd_text",
    "bool_type": "pyd_bool",
    "bool_parsing": "pyd_bool",
    "literal_error": "pyd_literal",
    "greater_than_equal": "pyd_ge",
    "greater_than": "pyd_gt",
    "less_than_equal": "pyd_le",
    "less_than": "pyd_lt",
    "list_type": "pyd_list",
    "dict_type": "pyd_mapping",
    "model_type": "pyd_mapping",
    "model_attributes_type": "pyd_mapping",
    "string_too_long": "pyd_too_long",
    "too_long": "pyd_too_long",
}


# pydantic says these as "a valid dictionary or instance of Patient": the class name is ours, not
# the user's, so the message says what the file needs in both languages
_MAPPING_TYPES = frozenset({"dict_type", "model_type", "model_attributes_type"})


def _pydantic_message(err: Any, lang: str) -> str:
    """pydantic's message for one error: its own words in English (but for a mapping expected),
    ours in French."""
    cause = (err.get("ctx") or {}).get("error")
    if isinstance(cause, LocalisedValueError):
        return cause.text(lang)
    if lang != "fr" and err["type"] not in _MAPPING_TYPES:
        return str(err["msg"]).removeprefix("Value error, ")
    ctx = err.get("ctx") or {}
    key = _PYDANTIC_FR.get(err["type"], "pyd_other")
    limit = next((ctx[k] for k in ("ge", "gt", "le", "lt") if k in ctx), "")
    return message(
        key,
        lang,
        expected=ctx.get("expected", ""),
        limit=decimal(limit, lang, 6) if isinstance(limit, int | float) else limit,
        type=err["type"],
    )


def _structure_issues(exc: ValidationError, lang: str = "en") -> list[Issue]:
    issues = []
    for err in exc.errors():
        loc = err["loc"]
        path = _loc_to_path(loc)
        cause = (err.get("ctx") or {}).get("error")
        if not path and isinstance(cause, LocalisedValueError):
            path = cause.at  # a check of the whole case that knows what it is about
        if err["type"] == "extra_forbidden":
            allowed = _allowed_keys(loc)
            issues.append(
                Issue(
                    level=IssueLevel.ERROR,
                    code="case.unknown_key",
                    message=message("err_unknown_key", lang, key=repr(loc[-1])),
                    location=path,
                    expected=message("err_one_of", lang, items=", ".join(allowed)) if allowed else "",
                    suggestions=closest(str(loc[-1]), allowed),
                )
            )
        elif err["type"] == "missing":
            issues.append(
                Issue(
                    level=IssueLevel.ERROR,
                    code="case.missing",
                    message=message("err_missing", lang),
                    location=path,
                )
            )
        elif (ambiguous := _separator_issue(err.get("input"), path, lang)) is not None:
            issues.append(ambiguous)
        elif (comma := _decimal_comma_issue(err.get("input"), path, lang)) is not None:
            issues.append(comma)
        else:
            text = _pydantic_message(err, lang)
            given = err.get("input")
            if isinstance(given, bool):
                text += message("err_got_bool", lang, value=str(given).lower())
            elif not isinstance(given, dict | list):
                text += message("err_got", lang, value=_shorten(repr(given)))
            issues.append(Issue(level=IssueLevel.ERROR, code="case.type", message=text, location=path))
    return issues


class _Resolver:
    def __init__(self, kb: KnowledgeBase, lang: str = "en") -> None:
        self.vocab = kb.vocabulary
        self.lang = lang
        self.issues: list[Issue] = []
        self.repeats: list[Repeat] = []

    def unknown(self, what: str, text: str, location: str, *, expected: str = "", suggestions: list[str]) -> None:
        """Record an unknown-term error."""
        self.issues.append(
            Issue.error(
                "case.unknown_term",
                message("err_unknown_term", self.lang, what=message(f"what_{what}", self.lang), text=repr(text)),
                location,
                expected=expected,
                suggestions=suggestions,
            )
        )

    def term(self, list_name: str, text: str, location: str, *, what: str) -> str | None:
        return self.any_of((list_name,), text, location, what=what)

    def terms(self, list_name: str, items: list[str], location: str, *, what: str) -> list[str]:
        first: dict[str, str] = {}
        for i, text in enumerate(items):
            found = self.term(list_name, text, f"{location}[{i}]", what=what)
            if found is not None:
                self.keep_once(first, found, f"{location}[{i}]", list_name)
        return list(first)

    def keep_once(self, first: dict[str, str], term: str, location: str, list_name: str) -> None:
        """Add ``term`` to ``first`` (term -> where it was first given), or record it as repeated."""
        if term in first:
            self.repeats.append(Repeat(location, first[term], list_name, term))
        else:
            first[term] = location

    def known(self, value: str | None, known: Collection[str], location: str, *, what: str) -> None:
        """Report ``value`` unless it is None or one of ``known`` (ids outside the vocabulary lists)."""
        if value is not None and value not in known:
            self.unknown(what, value, location, suggestions=closest(value, known))

    def any_of(self, lists: Sequence[str], text: str, location: str, *, what: str) -> str | None:
        for list_name in lists:
            found = self.vocab.resolve(list_name, text)
            if found is not None:
                return found
        for list_name in lists:
            ambiguous = self.vocab.ambiguity(list_name, text)
            if ambiguous is not None:
                candidates, why = ambiguous
                lang = self.lang
                named = message("err_or", lang).join(
                    f"{c} ({self.vocab.label(list_name, c, lang)})" for c in candidates
                )
                self.issues.append(
                    Issue.error(
                        "case.ambiguous_term",
                        message(
                            "err_ambiguous",
                            lang,
                            text=repr(text),
                            what=message(f"what_{what}", lang),
                            why=why.get(lang, why.get("en", "")),
                            named=named,
                        ),
                        location,
                        suggestions=list(candidates),
                    )
                )
                return None
        pool: list[str] = []
        for list_name in lists:
            pool.extend(self.vocab.suggest(list_name, text))
        names = message("err_or", self.lang).join(lists)
        self.unknown(
            what,
            text,
            location,
            expected=message("err_vocab_expected", self.lang, names=names, first=lists[0]),
            suggestions=pool[:3],
        )
        return None


def _lab_value_issue(
    kb: KnowledgeBase, test: str, value: float | None, unit: str, location: str, lang: str = "en"
) -> Issue | None:
    """A unit that does not fit the test, or a value no measurement can have (units.yaml)."""
    from calcinosis.case.labs import lab_label, number

    spec = kb.units["tests"][test]
    canonical = resolve_unit(kb, test, unit)
    name = lab_label(kb, test, lang)

    def num(x: float) -> str:
        return number(x, lang)

    if canonical is None:
        units = list(spec["units"])
        why = kb.units.get("refused_units", {}).get(test, {}).get(normalise_unit(unit))
        if isinstance(why, dict):
            why = why.get(lang) or why.get("en")
        return Issue.error(
            "case.unit",
            why or message("err_not_unit", lang, unit=repr(unit), test=test, de_test=de(name)),
            f"{location}.unit",
            expected=message("err_one_of", lang, items=", ".join(units)),
            suggestions=closest(unit, units),
        )
    plausible = spec.get("plausible")
    if value is None or not plausible:
        return None
    value_si = value * float(spec["units"][canonical])
    low, high = float(plausible[0]), float(plausible[1])
    if value_si == 0 and low > 0:
        return Issue.error(
            "case.range",
            message("err_zero", lang, test=name, unit=unit, low=num(low), si=spec["si"]),
            f"{location}.value",
        )

    def as_entered(si: str) -> dict[str, object]:  # what both messages say of the value
        return {"test": name, "value": num(value), "unit": unit, "si_value": num(float(f"{value_si:.3g}")), "si": si}

    times = kb.units.get("refuse_above_plausible", 10)
    if not low <= value_si <= high and not spec.get("assays"):
        fits = [u for u, f in spec["units"].items() if u != canonical and low <= value * float(f) <= high]
        if fits:  # implausible as written, plausible in another unit: a unit slip, never a silent guess
            return Issue.error(
                "case.unit_implausible",
                message(
                    "err_unit_implausible",
                    lang,
                    **as_entered(spec["si"]),
                    low=num(low),
                    high=num(high),
                    fits=message("err_or", lang).join(fits),
                ),
                f"{location}.unit",
                expected=message("err_unit_plausible_in", lang, value=num(value)),
                suggestions=fits,
            )
    if 0 < value_si < low / float(times):
        # a hostile-input audit: 0 was refused but 1e-300 was read (creatinine 1e-300 umol/L gave
        # an eGFR); below a tenth of the smallest plausible value, as above ten times the largest,
        # a value is no measurement (between the two, it is warned of: labs.py). After the unit
        # slip, which names the unit that fits (a code review: creatinine 0.9 'umol/L' lost its
        # 'plausible in mg/dL')
        return Issue.error(
            "case.range",
            message("err_below", lang, **as_entered(spec["si"]), times=times, low=num(low)),
            f"{location}.value",
        )
    limit = high * float(times)
    if not value_si <= limit:
        return Issue.error(
            "case.range",
            message(
                "err_beyond",
                lang,
                **as_entered(canonical if spec.get("assays") else spec["si"]),
                times=times,
                high=num(float(plausible[1])),
            ),
            f"{location}.value",
        )
    return None


TRACER_MODALITIES = frozenset({"bone_scintigraphy", "pet_ct"})
"""The modalities of the case format that image a tracer: uptake is read on them alone."""


def _imaging_issues(entry: dict[str, Any], location: str, kb: KnowledgeBase, lang: str = "en") -> list[Issue]:
    """What one imaging study cannot have shown, read on its resolved terms.

    A hostile-input audit: tracer uptake on a radiograph and a symmetric single deposit were
    accepted and scored as evidence. Uptake, seen or not, is read on bone scintigraphy or PET
    only; a single deposit has no mirror image (``symmetric: false`` says nothing wrong). An
    unknown modality is reported as such, not again here."""
    issues = []
    modality = entry.get("modality")
    known = modality in kb.vocabulary.lists["modalities"]
    if entry.get("uptake") is not None and known and modality not in TRACER_MODALITIES:
        key = f"on_modality_{modality}"
        on = message(key, lang) if key in messages() else kb.vocabulary.label("modalities", str(modality), lang)
        issues.append(
            Issue.error(
                "case.imaging_impossible",
                message("err_uptake_modality", lang, on=on),
                f"{location}.uptake",
                expected=message("err_uptake_expected", lang),
            )
        )
    if entry.get("distribution") == "single" and entry.get("symmetric") is True:
        issues.append(
            Issue.error("case.imaging_impossible", message("err_single_symmetric", lang), f"{location}.symmetric")
        )
    return issues


def _limits_fit(
    kb: KnowledgeBase, test: str, limits: dict[str, float], factor: float, band: dict[str, Any] | None
) -> tuple[list[str], bool]:
    """Which of a laboratory interval's ``limits`` (in a unit converted to SI by ``factor``) lie
    outside the test's plausible range, and whether the interval misses the default ``band``
    (no value in common: the default is the patient's, by age and sex; a limit of 0 is no limit)."""
    plausible = kb.units["tests"][test].get("plausible") or [0, math.inf]
    low, high = float(plausible[0]), float(plausible[1])
    outside = [k for k, v in limits.items() if v > 0 and not low <= v * factor <= high]
    if band is None or ("low" not in band and "high" not in band):
        return outside, False
    ours_low, ours_high = limits.get("low", 0.0) * factor, limits.get("high", math.inf) * factor
    theirs_low, theirs_high = band.get("low") or 0.0, band.get("high", math.inf)
    return outside, ours_high < theirs_low or theirs_high < ours_low


ADULT_AGE = 40.0
"""An age whose reference bands are the adult ones (every band of reference_ranges.yaml ends before it)."""


def _range_issue(
    kb: KnowledgeBase, test: str, lab: Any, age: float, sex: str, location: str, lang: str = "en"
) -> Issue | None:
    """A laboratory interval implausible in the result's unit, or plausible only in another unit.

    A hostile-input audit: phosphate 1.9 mmol/L with the interval 2.5-4.5 (a mg/dL interval
    copied beside a mmol/L value) read as low and turned the diagnosis, without a word; an
    interval of 1e-300 to 2e-300 mmol/L read calcium 2.4 as high. The limits get the check the
    value gets (``_lab_value_issue``): outside the plausible range, the interval is refused; not
    meeting the default interval for the patient's age and sex while another unit of the test
    would, it is refused naming that unit. An interval that misses the default in every unit is
    kept (assays and laboratories differ: PTH, FGF23, a child's alkaline phosphatase)."""
    from calcinosis.case.labs import _band, _fmt_range, assay_of, lab_label

    if lab.reference_range is None or lab.unit is None:
        return None
    spec = kb.units["tests"][test]
    canonical = resolve_unit(kb, test, lab.unit)
    if canonical is None:  # the value's unit is refused already
        return None
    limits = {
        k: float(v) for k, v in (("low", lab.reference_range.low), ("high", lab.reference_range.high)) if v is not None
    }
    assay = assay_of(kb, test, canonical)
    band_key, factor = f"{test}_{assay}" if assay else test, float(spec["units"][canonical])
    band = _band(kb, band_key, age, sex)
    outside, missed = _limits_fit(kb, test, limits, factor, band)
    if missed and age < ADULT_AGE:
        # many laboratories print the adult interval whatever the age: one that meets the adult
        # band is kept for a child (a code review: a newborn's phosphate in mg/dL with the adult
        # 2.5-4.5 was refused as 'fits in mmol/L', the newborn band being higher)
        missed = _limits_fit(kb, test, limits, factor, _band(kb, band_key, ADULT_AGE, sex))[1]
    if not outside and not missed:
        return None
    others = {} if assay else {u: float(f) for u, f in spec["units"].items() if u != canonical}
    fits = [u for u, f in others.items() if _limits_fit(kb, test, limits, f, band) == ([], False)]
    if not outside and not fits:
        return None
    unit_si = canonical if assay else str(spec["si"])
    said = {
        "test": lab_label(kb, test, lang),
        "limits": _fmt_range(limits, lab.unit, lang),
        "in_si": ""
        if canonical == unit_si
        else f" ({_fmt_range({k: float(f'{v * factor:.3g}') for k, v in limits.items()}, unit_si, lang)})",
        "unit": lab.unit,
        "fits": message("err_range_fits", lang, units=message("err_or", lang).join(fits)) if fits else "",
    }
    if outside:
        plausible = spec["plausible"]
        text = message(
            "err_range_implausible",
            lang,
            **said,
            plausible=_fmt_range({"low": plausible[0], "high": plausible[1]}, unit_si, lang),
        )
    else:
        assert band is not None
        text = message(
            "err_range_missed",
            lang,
            **said,
            usual=_fmt_range(band, unit_si, lang),
        )
    culprits = outside or list(limits)
    where = f"{location}.reference_range" + (f".{culprits[0]}" if len(culprits) == 1 else "")
    return Issue.error(
        "case.range_unit",
        text,
        where,
        expected=message("err_range_expected", lang, unit=lab.unit),
        suggestions=fits,
    )


def _resolve(case: Case, kb: KnowledgeBase, lang: str = "en") -> tuple[Case, list[Issue]]:
    r = _Resolver(kb, lang)
    data = case.model_dump()
    sex = r.term("sexes", case.patient.sex, "patient.sex", what="sex")
    data["patient"]["sex"] = sex or case.patient.sex
    data["history"] = r.terms("conditions", case.history, "history", what="condition")
    data["exposures"] = r.terms("exposures", case.exposures, "exposures", what="exposure")
    data["findings"] = r.terms("findings", case.findings, "findings", what="finding")
    data["sites"] = r.terms("sites", case.sites, "sites", what="site")
    absent: dict[str, str] = {}
    for i, text in enumerate(case.absent):
        lists = ("findings", "conditions", "exposures")
        found = r.any_of(lists, text, f"absent[{i}]", what="absent item")
        if found is not None:
            list_name = next(n for n in lists if found in kb.vocabulary.lists[n])
            r.keep_once(absent, found, f"absent[{i}]", list_name)
    data["absent"] = list(absent)
    onset = {}
    for key, days in case.onset_days_after.items():
        found = r.any_of(
            ("exposures", "conditions"),
            key,
            f"onset_days_after.{key}",
            what="exposure or condition",
        )
        if found is not None:
            onset[found] = days
        if days < 0:
            r.issues.append(
                Issue.error(
                    "case.range",
                    message("err_negative_days", lang, days=days if lang != "fr" else decimal(days, lang, 6)),
                    f"onset_days_after.{key}",
                )
            )
    data["onset_days_after"] = onset
    for i, lab in enumerate(case.labs):
        found = r.term("labs", lab.test, f"labs[{i}].test", what="lab test")
        data["labs"][i]["test"] = found or lab.test
        if found is not None and lab.unit is not None:
            issue = _lab_value_issue(kb, found, lab.value, lab.unit, f"labs[{i}]", lang)
            if issue is not None:
                r.issues.append(issue)
            issue = _range_issue(kb, found, lab, case.patient.age, sex or case.patient.sex, f"labs[{i}]", lang)
            if issue is not None:
                r.issues.append(issue)
    for i, ab in enumerate(case.antibodies):
        found = r.term("antibodies", ab.name, f"antibodies[{i}].name", what="antibody")
        data["antibodies"][i]["name"] = found or ab.name
    for i, gen in enumerate(case.genetics):
        found = r.term("genetics", gen.gene, f"genetics[{i}].gene", what="gene")
        data["genetics"][i]["gene"] = found or gen.gene
    for i, img in enumerate(case.imaging):
        loc = f"imaging[{i}]"
        entry = data["imaging"][i]
        entry["modality"] = r.term("modalities", img.modality, f"{loc}.modality", what="modality") or img.modality
        entry["sites"] = r.terms("sites", img.sites, f"{loc}.sites", what="site")
        entry["tissues"] = r.terms("tissues", img.tissues, f"{loc}.tissues", what="tissue")
        entry["patterns"] = r.terms("patterns", img.patterns, f"{loc}.patterns", what="pattern")
        if img.distribution is not None:
            entry["distribution"] = r.term(
                "distributions", img.distribution, f"{loc}.distribution", what="distribution"
            )
        r.issues.extend(_imaging_issues(entry, loc, kb, lang))
    if case.expected is not None:
        r.known(case.expected.category, kb.categories, "expected.category", what="category")
        r.known(case.expected.diagnosis, kb.disease_ids, "expected.diagnosis", what="diagnosis")
    resolved = Case.model_validate(data)
    resolved.repeats.extend(r.repeats)
    return resolved, r.issues


def parse_case(data: Any, kb: KnowledgeBase, *, source: str = "<case>", lang: str = "en") -> Case:
    """Validate an already-parsed case (a dict) and return it with canonical terms.

    ``lang`` ('en' or 'fr') is the language of the error messages.

    Raises
    ------
    CaseValidationError
        Listing every problem, each with its location, what was expected and close terms.
    """
    check_shape(data, source, lang=lang)
    path = source if source != "<case>" else None
    if not isinstance(data, dict):
        raise CaseValidationError(
            message("err_file", lang, source=source, text=message("err_not_mapping", lang, type=type(data).__name__)),
            path=path,
        )
    try:
        case = Case.model_validate(data)
    except ValidationError as exc:
        raise CaseValidationError(
            message("err_file", lang, source=source, text=message("err_not_format", lang)),
            issues=_structure_issues(exc, lang),
            path=path,
            lang=lang,
        ) from None
    resolved, issues = _resolve(case, kb, lang)
    if issues:
        raise CaseValidationError(
            message("err_file", lang, source=source, text=message("err_cannot_read", lang)),
            issues=issues,
            path=path,
            lang=lang,
        )
    return resolved


def read_case(path: Path | str, kb: KnowledgeBase, *, lang: str = "en") -> Case:
    """Read a YAML or JSON case file (see :func:`parse_case`); errors are written in ``lang``."""
    p = Path(path)
    fmt = "json" if p.suffix.lower() == ".json" else "yaml"
    data = load_document(read_document_bytes(p, lang=lang), source=str(p), fmt=fmt, lang=lang)
    return parse_case(data, kb, source=str(p), lang=lang)
