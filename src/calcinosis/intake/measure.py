"""Numbers in a note: lab values with their units, ages, sex, durations.

One code path for French and English, on the original text, so every value keeps its span:

- a lab name (``intake.yaml`` ``labs`` and the vocabulary) followed, in the same clause, by
  an optional qualifier (<, >, ≤, "inférieure à", "less than"), a number (decimal comma or
  point; "1 500" with a space in French, "1,500" in English) and a unit spelled as
  laboratories print it (mmol/l, µmol/L, g/l, UI/l, G/l) mapped to a unit of ``units.yaml``;
  mg/L and g/L are turned into mg/dL and g/dL when only those fit (exact factors). A test
  with exactly one unit (CK in U/L, CRP in mg/L) takes it when the note gives none; any
  other value without a unit is reported, never given a guessed unit;
- a lab name followed or preceded by an interpretation ("calcémie normale", "normal
  phosphate", "PTH élevée"), shared along "X, Y et Z normaux";
- the age ("45 ans", "âgée de 45 ans", "a 45-year-old", "24-day-old"), never an age at an
  earlier event ("à l'âge de 11 ans", "at the age of 11", "depuis 10 ans");
- the sex, from nouns, titles and French agreement (Patiente, Mme, âgée, suivie: female);
- the duration of the lesions ("depuis 6 mois", "for 2 years", "3-month history"), in months.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from calcinosis.case.labs import plausible
from calcinosis.case.model import MAX_AGE_YEARS
from calcinosis.i18n import decimal
from calcinosis.intake.language import Number
from calcinosis.intake.lexicon import fold, intake_cached, intake_data
from calcinosis.kb.model import KnowledgeBase

__all__ = [
    "AgeFound",
    "DurationFound",
    "LabFound",
    "SexFound",
    "decimal_marks",
    "dot_reading",
    "dotted_readings",
    "find_age",
    "find_duration",
    "find_sex",
    "lab_value",
    "parse_number",
    "plausible",
    "unit_at",
]

# a decimal mark may be the point, the comma or the raised point of British journals ("2·9").
# In English a comma before three digits after a whole part that is not 0 separates thousands
# ("1,500"); any other comma between digits is a decimal comma ("2,4", "0,850"), tried before
# the bare whole part: a hostile-input audit read "Calcium 2,4 mmol/L" as 2 (the "4" lost)
# Dots between groups of three digits that can only separate thousands, in either language:
# several groups ("1.200.000") or one before a decimal comma ("1.200,5"); a hostile-input audit
# read "CK 1.200,5 UI/l" as 1.0 and "PAL 1.200.000 UI/l" as 1.2. One group alone ("1.200") is a
# decimal point in English and a thousands separator in French: see ``dotted_readings``.
_THOUSANDS_DOT = r"[1-9]\d{0,2}(?:(?:\.\d{3}){2,}(?:,\d+)?|\.\d{3},\d+)(?!\d|[.,]\d)"
_NUMBER_FR = _THOUSANDS_DOT + r"|\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?![\d,.])|\d+(?:[.,·]\d+)?"
_THOUSANDS_EN = r"[1-9]\d{0,2}(?:,\d{3})+(?:[.·]\d+)?"
_NUMBER_EN = _THOUSANDS_DOT + "|" + _THOUSANDS_EN + r"(?![\d.]|,\d)|\d+,\d+(?![\d.]|,\d)|\d+(?:[.·]\d+)?"
# one dot before exactly three digits after a whole part of one to three digits, not 0
_ONE_DOTTED_GROUP = re.compile(r"[1-9]\d{0,2}\.\d{3}")
_QUALIFIER = (
    r"(?P<q><=|>=|≤|≥|<|>|inf[ée]rieure?s?\s+(?:ou\s+[ée]gale?s?\s+)?[àa]|sup[ée]rieure?s?\s+[àa]|"
    r"less\s+than|lower\s+than|greater\s+than|more\s+than|below|above)?\s*"
)
# the specimen a urine test was measured in, between the test and its result ("calcium excretion
# in a 24-hour urine sample was normal", "calcium dans les urines de 24 heures")
_SPECIMEN = (
    r"\b(?:in|on|over|from|dans|sur)\s+(?:(?:an?|the|une?|les|la|des)\s+|l['’])?(?:24[\s-]*(?:hours?|hr|h|heures?)\s+)?"
    r"(?:(?:urine|urinary)\s+)?(?:samples?|specimens?|collections?|recueils?|[ée]chantillons?)\b|"
    r"\b(?:dans\s+les\s+urines|in\s+(?:the\s+)?urine)(?:\s+(?:de|des|of)\s+24[\s-]*(?:h|heures?|hours?)\b)?|"
    r"\b(?:de|des|of|over)\s+24[\s-]*(?:h|heures?|hours?)\b"
)
# a number that is only the start of a value no lab can take: scientific notation ("1e308",
# "2E-3") or a sign written against the digits ("-3", "−3", "+2", after a space, a colon or a
# bracket, not inside a range such as "2.1-2.6"). Such a value is set aside with its words,
# never read as its first digits ("1") or without its sign ("3").
_EXPONENT_AFTER = re.compile(r"[eE][+\-−]?\d")
_SIGN_BEFORE = re.compile(r"(?:^|(?<=[\s:=(\[]))[\-−+]$")


def unreadable_value(text: str, start: int, end: int) -> tuple[int, int] | None:
    """Where the value written around the number ``text[start:end]`` begins and ends, when it
    is one no lab can take (scientific notation, a sign against the digits); None otherwise."""
    exponent = _EXPONENT_AFTER.match(text, end)
    signed = start > 0 and _SIGN_BEFORE.search(text[max(0, start - 2) : start]) is not None
    if exponent is None and not signed:
        return None
    stop = end
    if exponent is not None:
        stop = exponent.end()
        while stop < len(text) and text[stop].isdigit():
            stop += 1
    return (start - 1 if signed else start), stop


def _set_aside(text: str, span: tuple[int, int]) -> tuple[None, int, Reason]:
    """No value for the test, the reader past the written value, and why (:func:`unreadable_value`)."""
    why: Reason = ("r_value_unreadable", {"value": text[span[0] : span[1]]})
    return None, span[1], why


# words and signs between a test's name and its value; an opening bracket too, for the value
# written in brackets after the name ("phosphate concentration (1.95 mmol/L)"); "à" glued to the
# number as flattened or hastily typed text writes it ("hypercalcémie à131 mg/l"); a word cut at a
# line end by a hyphen, as printed journals wrap them ("créatinine plasma-\ntique est de 72"), is
# one word: it may be a filler ("plasmatique") as any word written whole
_FILLER = (
    r"(?:[\s:=)\]]|[àa](?=\d)|[^\W\d_]+-[ \t]*\r?\n[ \t]*[^\W\d_]+\b|"
    + _SPECIMEN
    + r"|[(\[](?=\s*(?:average|mean|moyenne|environ|about|approximately)?\s*[<>≤≥]?\s*\d)|"
    # the test's abbreviation in the bracket before its value: "glomerular filtration rate (GFR;
    # 25 ml/min/1.73 m2)", "C-reactive protein (CRP, 7 mg/L)"
    r"[(\[]\s*[^\W\d_][\w-]{1,7}\s*[;:,]\s*(?=[<>≤≥]?\s*\d)|;\s*(?=[<>≤≥]?\s*\d)|\([^()\d]{0,30}\)|\b(?:est|[ée]tait|[ée]taient|sont|restait|restaient|[àa]|de|du|of|was|is|were|are|at|level|levels|taux|s[ée]rique|serum|"
    r"average|mean|moyenne|concentration|concentrations|about|approximately|environ|values|valeurs|"
    r"count|counts|complet|compl[èe]te|standard|urinaire|urinary|dos[ée]+e?s?|retrouv[ée]+e?s?|found|reached|atteignant|atteint|atteignait|"
    r"to|be|been|noted|shown|observed|detected|"
    # a quantifier or a verb of state between the tests and their result ("were all within
    # normal limits", "étaient tous normaux", "remained normal", "were also normal")
    r"all|both|tous|toutes|also|aussi|[ée]galement|still|toujours|remained|remains|stayed|showed|showing|"
    r"mesur[ée]+e?s?|measured|value|valeur|concentration|plasmatique|plasma|sanguin[e]?|blood|total[e]?|"
    r"intact[e]?|normale?s?\s+haute?s?|corrig[ée]+e?)\b)*"
)


Reason = tuple[str, dict[str, object]]
"""A reason as a message key of ``messages.yaml`` and its values, said in the output language."""

# the result said in words between the test and its value ("phosphate was elevated 2.53 mmol/L",
# "calcémie élevée à 2,9 mmol/l", "PTH augmentée (250 pg/ml)"): the value is read, the word
# only says how it compares with the normal range
_STATE_WORDS = (
    r"elevated|high|raised|increased|low|decreased|reduced|suppressed|normal|effondr[ée]+e?s?|[ée]lev[ée]+e?s?|augment[ée]+e?s?|"
    r"haute?s?|basse?s?|diminu[ée]+e?s?|abaiss[ée]+e?s?|normale?s?|normaux"
)


def _loose(phrase: str) -> str:
    """A phrase as a pattern that meets it with or without its accents and with any spacing
    ("élevée" meets "elevee", the accents a copy lost)."""
    classes = {"e": "[eéèêë]", "a": "[aàâä]", "i": "[iîï]", "o": "[oôö]", "u": "[uùûü]", "c": "[cç]"}
    plain = fold(phrase)
    return r"\s+".join("".join(classes.get(ch, re.escape(ch)) for ch in word) for word in plain.split())


@intake_cached
def _state_before_value() -> str:
    """The result said in words between a test and its value, a word of degree before it
    ("was appropriately suppressed (< 6 pg/mL)", "within the normal range (43 pg/mL)",
    "élevée, à 2,76 mmol/l"): every phrase of ``intake.yaml`` ``interpretation`` and the words
    above, then a comma or the fillers."""
    phrases = [p for words in intake_data()["interpretation"].values() for p in words if p[0].isalpha()]
    degree = "|".join(_loose(w) for w in sorted(intake_data().get("lab_degree_words", []), key=len, reverse=True))
    states = "|".join([*(_loose(p) for p in sorted(phrases, key=len, reverse=True)), _STATE_WORDS])
    lead = rf"(?:(?:{degree})\s+)?" if degree else ""
    return rf"(?:{lead}(?:{states})\b,?" + _FILLER + r")?"


# a value written as a multiple of the upper limit of normal ("10N", "5 × N", "3 fois la normale",
# "2 × LSN", "5 times the upper limit of normal", "3x ULN"): a result (high), never a value in a unit
_MULTIPLE = (
    r"\s*(?:[x×]\s*)?(?:N|LSN|ULN)(?![\w/])|\s*(?:[x×]\s*)?(?:(?i:fois)\s+(?i:la)\s+(?i:normale|limite\s+sup[ée]rieure)|"
    r"(?i:times?)\s+(?i:the\s+)?(?i:upper\s+limit|normal|ULN)|(?i:fold)\s+(?i:the\s+)?(?i:upper\s+limit|normal))"
)
_MULTIPLE_OF_NORMAL = re.compile(r"(?:" + _MULTIPLE + r")[^,;.()]{0,30}?(?=[\s,;.)]|$)")
_BRACKETED_MULTIPLE = re.compile(
    r"\s*\(\s*(?:(?i:soit|i\.?e\.?|or|ou)\s+)?(?P<n>\d+(?:[.,]\d+)?)(?:" + _MULTIPLE + r")[^()]{0,30}\)"
)

# a reference range written between the value and its unit: "1.95 [normal 0.87-1.45] mmol/L"
_RANGE_BEFORE_UNIT = re.compile(r"\s*[\[(][^\[\]()]{0,40}[\])]")


@dataclass(frozen=True)
class LabFound:
    """A lab value or interpretation bound to its test, with the span of the whole reading."""

    test: str
    entry: dict[str, Any]
    start: int
    end: int
    reason: Reason


@dataclass(frozen=True)
class AgeFound:
    years: float
    start: int
    end: int
    reason: Reason


@dataclass(frozen=True)
class SexFound:
    sex: str
    start: int
    end: int
    reason: Reason


@dataclass(frozen=True)
class DurationFound:
    """A duration in months; ``since_age`` when it is written as an age at onset (months to be
    counted from the patient's age)."""

    months: float
    start: int
    end: int
    reason: Reason
    since_age: float | None = None


def parse_number(text: str, lang: str) -> float:
    """A number as the note writes it: "2,35" (FR) = 2.35, "1 500" = 1500, "1,500" (EN) = 1500,
    "2,4" (EN) = 2.4 (no thousands group: a decimal comma)."""
    t = text.replace("\u00a0", " ").replace("\u202f", " ").replace("·", ".")
    if " " in t:
        return float(t.replace(" ", ""))
    if re.fullmatch(_THOUSANDS_DOT, t):  # "1.200.000", "1.200,5"
        return float(t.replace(".", "").replace(",", "."))
    if "," in t:
        if lang == "en" and re.fullmatch(_THOUSANDS_EN, t):  # "1,500", "1,200.5"; not "0,850"
            return float(t.replace(",", ""))
        head, _, tail = t.partition(",")
        return float(head + "." + tail)
    return float(t)


def dotted_readings(text: str) -> tuple[float, float] | None:
    """The two numbers a value written "1.200" may be, (thousands, decimal) = (1200.0, 1.2), or
    None for any other writing. A dot before exactly three digits separates thousands in French
    (and in much of Europe) and is the decimal point in English; the labs reader settles which
    from the note's own decimal mark and what the test can measure (docs/intake.md)."""
    t = text.strip()
    if not _ONE_DOTTED_GROUP.fullmatch(t):
        return None
    return float(t.replace(".", "")), float(t)


def decimal_marks(text: str) -> set[str]:
    """The decimal marks a note writes elsewhere: "," for "2,45" or "0,850", "." for "2.45" or
    "0.850". A separator before exactly three digits after a non-zero whole part ("1.200",
    "1,200") says nothing (it is the question), nor does "1,25-dihydroxyvitamin D"."""
    return {m.group("zero") or m.group("mark") for m in _DECIMAL_WRITTEN.finditer(text)}


_DECIMAL_WRITTEN = re.compile(
    r"(?<![\d.,])(?:0(?P<zero>[.,])\d+|[1-9]\d*(?P<mark>[.,])(?:\d{1,2}|\d{4,}))(?![\d(-]|[.,]\d)"
)


def dot_reading(
    kb: KnowledgeBase, entry: Mapping[str, Any], readings: tuple[float, float], marks: set[str], lang: str
) -> tuple[float | None, str | None]:
    """Which of the two numbers "1.200" may be (``readings``: thousands, decimal) a lab entry
    holds: (value, why) where why (a messages.yaml key, said with both readings) is None when
    nothing needs saying, or (None, why) when nothing settles it (the value is not placed).

    The note's own decimal mark decides first: only commas elsewhere, the dot separates
    thousands; only dots, it is the decimal point; neither, the note's language (French:
    thousands, English: decimal point); both, nothing. The reading so chosen is kept when the
    test can measure it; else the other one, when it can (a calcium of "2.500" mmol/L is 2.5
    in any note); else the value is not placed."""
    thousands, point = readings
    if marks == {","} or (not marks and lang == "fr"):
        chosen: float | None = thousands
    elif marks == {"."} or (not marks and lang != "fr"):
        chosen = point
    else:
        chosen = None
    fits = [v for v in (thousands, point) if plausible(kb, str(entry["test"]), v, str(entry["unit"]))]
    if chosen is not None and chosen in fits:
        if len(fits) == 1:
            return chosen, None  # the other reading is no result of the test: nothing to weigh
        return chosen, "r_dot_thousands" if chosen == thousands else "r_dot_point"
    if len(fits) == 1:
        return fits[0], "r_dot_plausible_thousands" if fits[0] == thousands else "r_dot_plausible_point"
    return None, "r_dot_ambiguous"


@intake_cached
def _unit_patterns() -> list[tuple[re.Pattern[str], str]]:
    units: Mapping[str, str] = intake_data()["units"]
    out: list[tuple[re.Pattern[str], str]] = []
    for spelling in sorted(units, key=lambda s: -len(s)):
        body = r"\s?".join(re.escape(ch) for ch in spelling)
        flags = 0 if spelling.startswith("G/") else re.IGNORECASE
        out.append((re.compile(r"\s*(" + body + r")(?![A-Za-zµμ/])", flags), units[spelling]))
    # case-sensitive spellings (G/l: 10^9/L) are tried first
    out.sort(key=lambda p: (p[0].flags & re.IGNORECASE) != 0)
    return out


def unit_at(text: str, pos: int) -> tuple[str, int, int] | None:
    """The unit written at ``pos`` (after optional spaces): (unit of units.yaml, start, end)."""
    for pattern, unit in _unit_patterns():
        m = pattern.match(text, pos)
        if m is not None:
            return unit, m.start(1), m.end(1)
    return None


def _qualifier(word: str | None) -> str | None:
    if not word:
        return None
    w = fold(word)
    if w in ("<", "≤") or w.startswith(("inf", "less", "lower", "below")):
        return "<=" if w == "≤" or "egal" in w else "<"
    if w in (">", "≥") or w.startswith(("sup", "greater", "more", "above")):
        return ">=" if w == "≥" else ">"
    return w if w in ("<=", ">=") else None


_TIME_PHRASE = re.compile(
    r"[\s,]*(?:(?:il\s+y\s+a|voici|since|depuis|from)\s+)?\d+(?:[.,]\d+)?\s*"
    r"(?:months?|mois|weeks?|wks?|semaines?|days?|jours?|years?|yrs?|ans?|ann[ée]es?)\b"
    r"(?:\s+(?:ago|earlier|before|previously|auparavant|plus\s+t[ôo]t|avant))?"
    r"(?:\s*(?:was|were|:|=|,|at|[àa]|de|of))?",
    re.IGNORECASE,
)
"""A time written between a test's name and its value (see :func:`lab_value`)."""


def lab_value(
    kb: KnowledgeBase, test: str, text: str, pos: int, limit: int, lang: str, *, list_end: int | None = None
) -> tuple[dict[str, Any], int, Reason] | tuple[None, int, Reason] | None:
    """The value written after a lab name (:func:`_lab_value_at`); of a trend written with its
    times ("phosphate 6 months ago was 1.2 mmol/L; today 2.3 mmol/L"), today's value, the
    earlier one said in the reason (an intake review: the earlier value drove the reasoning)."""
    when = _TIME_PHRASE.match(text, pos, limit)
    found = _lab_value_at(kb, test, text, pos, limit, lang, list_end=list_end, when=when)
    if found is None or found[0] is None or when is None:
        return found
    earlier, end, _ = found
    now = _NOW.match(text, end, limit)
    # today's value only within this test's own words (the caller's limit stops at the next
    # test's name: "..., today calcium 2.3 mmol/L" is the calcium's, a code review)
    current = _lab_value_at(kb, test, text, now.end(), limit, lang, list_end=list_end) if now is not None else None
    if now is None or current is None or current[0] is None:
        # a value the note dates, with no later one: kept, and said to be dated
        dated: Reason = ("r_value_dated", {"words": text[when.start() : when.end()].strip(" ,:")})
        return earlier, end, dated
    entry, current_end, _ = current
    said = f"{decimal(float(earlier['value']), lang)} {earlier.get('unit', '')}".strip()
    why: Reason = ("r_value_current", {"words": text[now.start() : current_end].strip(" ;,"), "earlier": said})
    return entry, current_end, why


_NOW = re.compile(
    r"\s*[;,]?\s*(?:and\s+|et\s+)?(?:today|now|currently|at\s+present|this\s+(?:week|month)|ce\s+jour|aujourd['’]hui|actuellement|"
    r"[àa]\s+ce\s+jour|ce\s+(?:mois|jour)-ci|cette\s+semaine)\b\s*(?:it\s+)?(?:was|is|:|=|,|de|[àa])?",
    re.IGNORECASE,
)
"""The word that gives a trend's current value, after its earlier one."""


def _lab_value_at(
    kb: KnowledgeBase,
    test: str,
    text: str,
    pos: int,
    limit: int,
    lang: str,
    *,
    list_end: int | None = None,
    when: re.Match[str] | None = None,
) -> tuple[dict[str, Any], int, Reason] | tuple[None, int, Reason] | None:
    """The value written after a lab name: (entry, end, reason), (None, end, why not), or None.

    ``pos`` is the end of the lab name, ``limit`` where the search stops (clause end, next lab).
    ``list_end`` (the sentence end) lets a value without a unit take the unit written once
    after the list it belongs to (:func:`shared_unit`), when that unit fits the test.
    """
    from calcinosis.case.labs import resolve_unit

    number = _NUMBER_FR if lang == "fr" else _NUMBER_EN
    pattern = re.compile(
        _FILLER + _severity() + _FILLER + _state_before_value() + _QUALIFIER + r"(?P<n>" + number + r")", re.IGNORECASE
    )
    # when the value was measured, written between the test and its value ("phosphate 6 months
    # ago was 1.2 mmol/L", "phosphorémie il y a 6 mois 1,2 mmol/L"): its number is a time, not the
    # value (an intake review read a phosphate of 6.0 mmol/L); matched once by lab_value
    if when is not None:
        pos = when.end()
    m = pattern.match(text, pos, limit)
    if m is None:
        return _value_further_on(kb, test, text, pos, limit, lang)
    unreadable = unreadable_value(text, m.start("n"), m.end("n"))
    if unreadable is not None:
        return _set_aside(text, unreadable)
    value = parse_number(m.group("n"), lang)
    qualifier = _qualifier(m.group("q"))
    multiple = _MULTIPLE_OF_NORMAL.match(text, m.end(), limit)
    if multiple is not None and value > 1:  # "CPK à 10N", "5 times the upper limit of normal": no unit, a result
        high: dict[str, Any] = {"test": test, "interpretation": "high"}
        said_high: Reason = ("r_qualitative", {"words": text[m.start("n") : multiple.end()]})
        return high, multiple.end(), said_high
    found = unit_at(text, m.end())
    if found is None:
        bracket = _RANGE_BEFORE_UNIT.match(text, m.end(), limit)
        found = unit_at(text, bracket.end()) if bracket is not None else None
    spec = kb.units["tests"][test]
    accepted = list(spec["units"])
    per_day = re.compile(r"\s*(mg|mmol)(?![\w/µμ])", re.IGNORECASE).match(text, m.end())
    if found is None and per_day is not None and accepted and all(u.endswith("/24h") for u in accepted):
        # a 24-hour collection's amount without "/24h" ("24 hour urinary calcium was 300 mg"):
        # the test's name gives the period
        unit = per_day.group(1).lower() + "/24h"
        if unit in accepted:
            daily: dict[str, Any] = {"test": test, "value": value, "unit": unit}
            if qualifier:
                daily["qualifier"] = qualifier
            why: Reason = ("r_value_per_day", {"words": text[m.start("n") : per_day.end()]})
            return daily, per_day.end(), why
    if found is None or found[1] > limit:
        series = _series_end(text, m.end(), limit, number)
        if series is not None:
            both: Reason = ("r_value_series", {"words": text[m.start("n") : series]})
            return None, series, both
    shared = False
    if (found is None or found[1] > limit) and len(accepted) > 1 and list_end is not None:
        found = shared_unit(text, m.end(), list_end, lang)
        shared = found is not None
    if found is None or (found[1] > limit and not shared):
        written = _UNKNOWN_UNIT.match(text, m.end(), limit)
        if found is None and written is not None:  # a unit is written but none we know ("1441 UI/ml")
            return None, written.end(), ("r_unit_unknown", {"unit": written.group(1), "test": test})
        if len(accepted) == 1:
            entry = {"test": test, "value": value, "unit": accepted[0]}
            if qualifier:
                entry["qualifier"] = qualifier
            return entry, m.end(), ("r_value_only_unit", {"unit": accepted[0], "test": test})
        return None, m.end(), ("r_value_no_unit", {"value": m.group("n")})
    unit, unit_start, end = found
    canonical = resolve_unit(kb, test, unit)
    reason: Reason = ("r_value_unit", {"words": text[m.start("n") : end]})
    if shared:
        if canonical is None:  # the list's unit does not fit this test: no unit is lent
            return None, m.end(), ("r_value_no_unit", {"value": m.group("n")})
        reason = ("r_value_shared_unit", {"value": m.group("n"), "unit": text[unit_start:end]})
        end = m.end()
    if canonical is None:
        conversion = intake_data().get("unit_conversions", {}).get(unit)
        if conversion is not None and resolve_unit(kb, test, conversion["to"]) is not None:
            canonical = resolve_unit(kb, test, conversion["to"])
            value = round(value * float(conversion["factor"]), 6)
            reason = (
                "r_value_converted",
                {
                    "words": text[m.start("n") : end],
                    "unit": unit,
                    "canonical": canonical,
                    "factor": conversion["factor"],
                },
            )
        else:
            said = _BRACKETED_MULTIPLE.match(text, end, limit)
            if said is not None and parse_number(said.group("n"), lang) > 1:
                # the unit is no unit of the test ("PTH 308 ng/mL (soit 5×N)"), the multiple is a result
                stated: dict[str, Any] = {"test": test, "interpretation": "high"}
                why_high: Reason = ("r_qualitative", {"words": text[m.start("n") : said.end()]})
                return stated, said.end(), why_high
            excretion = intake_data().get("lab_excretions", {}).get(test)
            daily_unit = resolve_unit(kb, excretion, unit) if excretion is not None and unit.endswith("/24h") else None
            if daily_unit is not None:
                # an amount per day after the blood test's name ("urine: Ca 7.8 mg/day"): the unit
                # says the value is the 24-hour urine test's
                daily_test: dict[str, Any] = {"test": excretion, "value": value, "unit": daily_unit}
                if qualifier:
                    daily_test["qualifier"] = qualifier
                return daily_test, end, reason
            mismatch: Reason = ("r_unit_mismatch", {"unit": unit, "test": test, "expected": ", ".join(accepted)})
            return None, end, mismatch
    entry = {"test": test, "value": value, "unit": canonical}
    if qualifier:
        entry["qualifier"] = qualifier
    return entry, end, reason


# a joiner and another number right after a value without a unit: "Calcium 2, 2.4 mmol/L"
_NEXT_VALUE = r"\s*(?:[,;/]|\b(?:and|or|et|ou)\b)\s*[<>≤≥]?\s*(?P<n>{number})"
_SERIES_GOES_ON = re.compile(r"\s*(?:[,;)]|\.(?!\d)|\b(?:and|or|et|ou)\b|$)", re.IGNORECASE)


def _series_end(text: str, pos: int, limit: int, number: str) -> int | None:
    """Where a series of values for one test ends ("2, 2.4 mmol/L": after its unit), when the
    value ending at ``pos`` has no unit and the next words are only a joiner and another value;
    else None. A hostile-input audit: "Calcium 2, 2.4 mmol/L" was read as 2 mmol/L (the unit
    lent by the second value) and 2.4 was lost; which of them is the result is not said, so
    neither is placed, and the dropped item says both."""
    m = re.compile(_NEXT_VALUE.format(number=number), re.IGNORECASE).match(text, pos, limit)
    if m is None or unreadable_value(text, m.start("n"), m.end("n")) is not None:
        return None
    found = unit_at(text, m.end())
    if found is not None and found[1] <= limit:
        return found[2]
    return m.end() if _SERIES_GOES_ON.match(text, m.end(), limit) else None


# a unit-like word written right after a value ("UI/ml", "cp/ml"): letters, a slash and more; when
# it is no unit of units.yaml, the value is not placed (the test's only unit is never lent over it)
_UNKNOWN_UNIT = re.compile(r"\s?([^\W\d_][\w.µμ³²]*\s?/\s?[\w.µμ³²]+)")


_CLOSING_BRACKET = re.compile(r"\s*[)\]]")

# how far past the test's name a value is looked for when words the fillers do not know stand
# between them ("calcium level at admission was 3.1 mmol/L"): the same clause, a few words
_FURTHER_ON = 40


def _value_further_on(
    kb: KnowledgeBase, test: str, text: str, pos: int, limit: int, lang: str
) -> tuple[dict[str, Any], int, Reason] | tuple[None, int, Reason] | None:
    """A value a few words after the test's name, with a unit of that test and nothing between
    them that ends the clause or brings another number: read only with a unit the test accepts,
    so that a date, a count or a dose met on the way is never taken for the result. A value no
    result can have (:func:`unreadable_value`) is set aside: (None, its end, why)."""
    from calcinosis.case.labs import resolve_unit

    number = _NUMBER_FR if lang == "fr" else _NUMBER_EN
    closing = _CLOSING_BRACKET.match(text, pos, limit)  # the name was an abbreviation in brackets
    if closing is not None:
        pos = closing.end()
    stop = _FURTHER_STOP.search(text, pos, min(limit, pos + _FURTHER_ON))
    if stop is None or not text[stop.start()].isdigit():
        return None
    m = re.compile(r"(?P<n>" + number + r")").match(text, stop.start())
    unreadable = unreadable_value(text, m.start("n"), m.end("n")) if m is not None else None
    if unreadable is not None:
        return _set_aside(text, unreadable)
    found = unit_at(text, m.end()) if m is not None else None
    if m is None or found is None or found[1] > limit:
        return None
    unit, _, unit_end = found
    canonical = resolve_unit(kb, test, unit)
    if canonical is None:
        return None
    entry: dict[str, Any] = {"test": test, "value": parse_number(m.group("n"), lang), "unit": canonical}
    sign = re.search(r"(<=|>=|≤|≥|<|>)\s*$", text[pos : stop.start()])
    if sign is not None:
        entry["qualifier"] = _qualifier(sign.group(1))
    why: Reason = ("r_value_unit", {"words": text[m.start("n") : unit_end]})
    return entry, unit_end, why


# what ends the search for a value further on: the clause's end, a bracket, a contrast, or the
# first digit (which must then be the value)
_FURTHER_STOP = re.compile(r"[.;:!?()\[\]]|\d|\b(?:but|mais|while|whereas|alors|tandis)\b", re.IGNORECASE)


@cache
def _list_patterns(lang: str) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """The words between a list of tests and its values ("were", "respectively,"), one value
    with its qualifier, and the joiner between two values (", ", " and ", " et à ")."""
    number = _NUMBER_FR if lang == "fr" else _NUMBER_EN
    return (
        re.compile(_FILLER + r"(?:(?:respectivement|respectively)\b[\s,:]*)?" + _FILLER, re.IGNORECASE),
        re.compile(_QUALIFIER + r"(?P<n>" + number + r")", re.IGNORECASE),
        re.compile(r"\s*(?:,|;|/|\bet\b|\band\b)\s*(?:(?:[àa]|at|of)\s+)?", re.IGNORECASE),
    )


def respective_values(
    kb: KnowledgeBase, tests: Sequence[str], text: str, pos: int, limit: int, lang: str
) -> list[tuple[dict[str, Any], int, int, Reason]] | None:
    """The values of a list of tests given in the same order ("calcium and phosphorus were 2.9
    and 1.1 mmol/L, respectively", "calcémie et phosphorémie respectivement à 2,9 et 1,1 mmol/l"):
    one (entry, start, end, reason) per test, or None unless there are exactly as many values.

    ``pos`` is the end of the last name. A value takes its own unit or the unit written after
    the last value; a unit that does not fit its test leaves that test without a value."""
    from calcinosis.case.labs import resolve_unit

    lead, one, joiner = _list_patterns(lang)
    cursor = lead.match(text, pos, limit)
    at = cursor.end() if cursor else pos
    read: list[tuple[float, str | None, int, int, tuple[str, int, int] | None]] = []
    for i in range(len(tests)):
        m = one.match(text, at, limit)
        if m is None or unreadable_value(text, m.start("n"), m.end("n")) is not None:
            return None
        found = unit_at(text, m.end())
        at = found[2] if found is not None and found[1] <= limit else m.end()
        read.append((parse_number(m.group("n"), lang), _qualifier(m.group("q")), m.start("n"), at, found))
        if i + 1 < len(tests):
            j = joiner.match(text, at, limit)
            if j is None:
                return None
            at = j.end()
    extra = joiner.match(text, at, limit)
    if extra is not None and one.match(text, extra.end(), limit) is not None:
        return None  # more values than tests: not this list's
    last = read[-1][4]
    out: list[tuple[dict[str, Any], int, int, Reason]] = []
    for test, (value, qualifier, start, end, found) in zip(tests, read, strict=True):
        unit = (found or last or (None, 0, 0))[0]
        canonical = resolve_unit(kb, test, unit) if unit else None
        conversion = intake_data().get("unit_conversions", {}).get(unit) if unit and canonical is None else None
        if conversion is not None and resolve_unit(kb, test, conversion["to"]) is not None:
            canonical = resolve_unit(kb, test, conversion["to"])
            value = round(value * float(conversion["factor"]), 6)
        if canonical is None:
            out.append(({}, start, end, ("r_value_no_unit", {"value": text[start:end]})))
            continue
        entry: dict[str, Any] = {"test": test, "value": value, "unit": canonical}
        if qualifier:
            entry["qualifier"] = qualifier
        out.append((entry, start, end, ("r_value_unit", {"words": text[start:end] + ("" if found else f" {unit}")})))
    return out


_A_TIME = re.compile(
    r"\s*(?:days?|jours?|weeks?|semaines?|months?|mois|years?|ans?|ann[ée]es?|hours?|heures?|h|min(?:utes?)?)\b",
    re.IGNORECASE,
)


def values_after(text: str, pos: int, limit: int, lang: str) -> int | None:
    """Where the values written right after a test's name end ("were 2.9, 1.1 and 3.1 mmol/L,
    respectively"): the same lead words and list joiners as :func:`respective_values`, each
    number with its unit if it has one; None when no number stands in the value's place.

    The labs reader lists such values under "Not understood" when no reading took them (more
    values than tests, a list it could not share out): a value in the note is never dropped
    without a word."""
    lead, one, joiner = _list_patterns(lang)
    cursor = lead.match(text, pos, limit)
    m = one.match(text, cursor.end() if cursor else pos, limit)
    end = None
    while m is not None:
        found = unit_at(text, m.end())
        if found is None and _A_TIME.match(text, m.end()):
            break  # "contrôle du bilan phosphocalcique à 15 jours": when, not a value
        end = found[2] if found is not None and found[2] <= limit else m.end()
        j = joiner.match(text, end, limit)
        m = one.match(text, j.end(), limit) if j is not None else None
    return end


def shared_unit(text: str, pos: int, limit: int, lang: str) -> tuple[str, int, int] | None:
    """The unit a list of values shares, written once after the last of them.

    "calcium 2.9, phosphate 2.4 mmol/l and PTH 624 pg/ml", "calcémie à 2,9, phosphorémie à
    2,4 mmol/l": a value with no unit of its own takes the unit of the next value of the same
    clause when nothing but test names, joiners and that value stand between (no bracket, no
    semicolon, 80 characters at most). The caller keeps the unit only if it fits the test, so a
    unit of another dimension ("... PTH 624 pg/ml") is never lent."""
    number = _NUMBER_FR if lang == "fr" else _NUMBER_EN
    stretch = text[pos : min(limit, pos + 80)]
    cut = re.search(r"[;()\[\]]|\.(?!\d)|\n", stretch)
    if cut is not None:
        stretch = stretch[: cut.start()]
    for m in re.finditer(number, stretch):
        found = unit_at(text, pos + m.end())
        if found is not None:
            return found
        if unit_at(text, pos + m.end()) is None and re.match(r"\s*(?:[,;]|et\b|and\b|$)", stretch[m.end() :]):
            continue  # another value without a unit: the list goes on
        return None
    return None


@intake_cached
def _interpretation_re() -> list[tuple[re.Pattern[str], str]]:
    out = []
    for interp, words in intake_data()["interpretation"].items():
        for w in sorted(words, key=len, reverse=True):
            body = re.escape(fold(w)).replace(r"\ ", r"\s+")
            out.append((re.compile(r"(?<!\w)" + body + r"(?!\w)"), interp))
    out.sort(key=lambda p: -len(p[0].pattern))
    return out


@cache
def _range_patterns(lang: str) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """The value right after the test's name, the same a few words on, and the reference range
    in brackets after its unit ("(reference range <0.15)", "(N < 5)", "(2.3-2.7 mg/dl)")."""
    number = _NUMBER_FR if lang == "fr" else _NUMBER_EN
    value = _QUALIFIER + r"(?P<n>" + number + r")"
    reference = (
        r"\s*[(\[]\s*(?:(?:reference\s+range|reference\s+interval|normal\s+range|normal\s+values?|reference|ref\.?"
        r"|range|normal|normale?s?|valeurs?\s+normales?|valeurs?\s+de\s+r[ée]f[ée]rence|VN|N|nl)[\s:,=]*)?"
        rf"(?:(?P<op><=|>=|≤|≥|<|>)\s*(?P<b>{number})|(?P<lo>{number})\s*(?:-|–|—|to|à)\s*(?P<hi>{number}))"
        r"[^()\[\]\d]{0,20}[)\]]"
    )
    return (
        re.compile(_FILLER + value, re.IGNORECASE),
        re.compile(r"[^.;:\d()\[\]]{0,40}?" + value, re.IGNORECASE),
        re.compile(reference, re.IGNORECASE),
    )


_UNIT_WORD = re.compile(r"\s?[^\s\d()\[\],;]{1,12}")


def interpretation_from_range(text: str, pos: int, limit: int, lang: str) -> tuple[str, int, int, str] | None:
    """A value compared with the reference range the note writes after it, when the value itself
    cannot be placed ("C-reactive protein 21.3 mg/dL (reference range <0.15)": a unit the test
    does not take, or none): (interpretation, start, end, the words compared). The range is the
    laboratory's own, in the value's unit, so the comparison needs no conversion."""
    right_after, further_on, reference = _range_patterns(lang)
    value_at = right_after.match(text, pos, limit) or further_on.match(text, pos, limit)
    if value_at is None:
        return None
    unit = _UNIT_WORD.match(text, value_at.end(), limit)
    ref = reference.match(text, unit.end() if unit else value_at.end())
    if ref is None:
        return None
    value = parse_number(value_at.group("n"), lang)
    censored = _qualifier(value_at.group("q"))  # "<0.6": below a bound, "> 90": above one
    kind: str | None
    if ref.group("op") in ("<", "≤", "<="):  # an upper limit of normal
        bound = parse_number(ref.group("b"), lang)
        kind = "normal" if value <= bound else None if censored in ("<", "<=") else "high"
    elif ref.group("op"):  # a lower limit of normal
        bound = parse_number(ref.group("b"), lang)
        kind = "normal" if value >= bound else None if censored in (">", ">=") else "low"
    else:
        low, high = parse_number(ref.group("lo"), lang), parse_number(ref.group("hi"), lang)
        kind = "high" if value > high else "low" if value < low else "normal"
    if kind is None:
        return None
    return kind, value_at.start("n"), ref.end(), text[value_at.start("n") : ref.end()].strip()


def reference_range_after(text: str, pos: int, lang: str) -> tuple[dict[str, float], int, str, str] | None:
    """The laboratory's interval written in brackets right after a value and its unit
    ("PTH 62 ng/L (ref 7-53)", "calcémie 2,54 mmol/l (N : 2,20-2,60)", "(N < 5)"): its limits,
    where it ends, the words read, and what follows the numbers inside the brackets (a unit,
    for the caller to check against the value's). None when there is none or it is upside down."""
    reference = _range_patterns(lang)[2]
    ref = reference.match(text, pos)
    if ref is None:
        return None
    op = ref.group("op")
    if op in ("<", "≤", "<="):
        limits = {"high": parse_number(ref.group("b"), lang)}
    elif op:
        limits = {"low": parse_number(ref.group("b"), lang)}
    else:
        limits = {"low": parse_number(ref.group("lo"), lang), "high": parse_number(ref.group("hi"), lang)}
        if not limits["low"] < limits["high"]:
            return None
    after = ref.group(0)[ref.end("b" if op else "hi") - ref.start() :].strip(" )]")
    return limits, ref.end(), text[ref.start() : ref.end()].strip(), after.strip()


def interpretation_after(folded: str, pos: int, limit: int) -> tuple[str, int, int] | None:
    """An interpretation word right after ``pos`` (fillers allowed): (interp, start, end)."""
    m = re.compile(_FILLER + _degree(), re.IGNORECASE).match(folded, pos, limit)
    at = m.end() if m else pos
    for pattern, interp in _interpretation_re():
        hit = pattern.match(folded, at, limit)
        if hit is not None:
            return interp, hit.start(), hit.end()
    return None


def interpretation_further_on(folded: str, pos: int, limit: int) -> tuple[str, int, int] | None:
    """A result word a few words after the test's name when words the fillers do not know stand
    between them ("calcium level on admission was elevated"): in the same clause, before any
    digit, bracket or contrast, within :data:`_FURTHER_ON` characters (the caller stops ``limit``
    at the next term of any kind, so that the word is not another term's)."""
    end = min(limit, pos + _FURTHER_ON)
    stop = _FURTHER_STOP.search(folded, pos, end)
    end = stop.start() if stop is not None else end
    best: tuple[str, int, int] | None = None
    for pattern, interp in _interpretation_re():
        hit = pattern.search(folded, pos, end)
        if hit is not None and (best is None or hit.start() < best[1]):
            best = interp, hit.start(), hit.end()
    if best is not None and _DENIED.search(folded[max(pos, best[1] - 16) : best[1]]):
        return None  # "was not elevated": a denial the negation reader handles
    return best


@intake_cached
def _severity() -> str:
    """How severe a disorder is said to be, between its name and its value ("hypercalcémie sévère à
    3,9 mmol/l", "hyperphosphorémie importante à 2,8 mmol/l"): intake.yaml ``lab_severity_words``."""
    words = sorted(intake_data().get("lab_severity_words", []), key=len, reverse=True)
    return r"(?:(?:" + "|".join(_loose(w) for w in words) + r")\b,?)?" if words else ""


@intake_cached
def _degree() -> str:
    """Words of degree before a result word ("slightly low", "légèrement élevée"), folded."""
    words = sorted({fold(w) for w in intake_data().get("lab_degree_words", [])}, key=len, reverse=True)
    return r"(?:(?:" + "|".join(re.escape(w) for w in words) + r")\s+)*" if words else ""


@intake_cached
def _prefix_re() -> list[tuple[re.Pattern[str], str]]:
    out = []
    for interp, phrases in intake_data().get("interpretation_before", {}).items():
        for w in phrases:
            body = re.escape(fold(w)).replace(r"\ ", r"\s+").replace("'", "['’]\\s*")
            # articles and words of measure between the phrase and the name; an elided article
            # ("l'ECA") ends right at the name, so it is not held to a word boundary
            tail = r"(?:\s*(?:(?:la|le|les|du|des|de|the|serum|blood|plasma|taux|levels?\s+of|values?\s+of)\b|[ld]['’]))*\s*$"
            out.append((re.compile(r"(?<!\w)" + body + tail), interp))
    # French says the result between the word of measure and the test ("des taux sériques normaux
    # de 25(OH)D", "un taux élevé de PTH", "des valeurs basses de calcium")
    measure_words = r"(?:taux|valeurs?|concentrations?)\s+(?:(?:seriques?|plasmatiques?|sanguins?|sanguines?)\s+)?"
    for interp, words in intake_data()["interpretation"].items():
        for w in words:
            if " " not in w and w[0].isalpha():
                body = measure_words + re.escape(fold(w)) + r"\s+(?:de\s+(?:la\s+)?|du\s+|des\s+|d['’]\s*)"
                out.append((re.compile(r"(?<!\w)" + body + r"$"), interp))
    out.sort(key=lambda p: -len(p[0].pattern))
    return out


def interpretation_prefix(folded: str, pos: int, floor: int) -> tuple[str, int, int] | None:
    """A phrase that states the result before the test's name ("pas d'élévation des", "no elevation of")."""
    head = folded[max(floor, pos - 60) : pos]
    base = pos - len(head)
    for pattern, interp in _prefix_re():
        hit = pattern.search(head)
        if hit is not None:
            return interp, base + hit.start(), pos
    return None


_SPECIMEN_WORDS = re.compile(r"[\s,]*(?:(?:serum|blood|plasma)\s+)?")


def interpretation_before(folded: str, pos: int, floor: int) -> tuple[str, int, int] | None:
    """An interpretation word just before ``pos`` ("normal phosphate", "elevated PTH"), the specimen
    between them too ("normal serum 1,25-dihydroxyvitamin D", "low plasma PTH")."""
    head = folded[max(floor, pos - 30) : pos]
    for pattern, interp in _interpretation_re():
        for hit in pattern.finditer(head):
            if _SPECIMEN_WORDS.fullmatch(head[hit.end() :]):
                base = pos - len(head)
                return interp, base + hit.start(), base + hit.end()
    return None


@intake_cached
def _likewise_re() -> re.Pattern[str] | None:
    """The phrases that give a test the result just said of others (intake.yaml ``lab_likewise``),
    ending at the test's name, articles and words of measure allowed before it."""
    words = sorted({fold(w) for w in intake_data().get("lab_likewise", [])}, key=len, reverse=True)
    if not words:
        return None
    body = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in words)
    tail = r"(?:\s+(?:(?:his|her|their|the|les?|la|des|du|de|taux|levels?\s+of)\b|[ld]['’]))*\s*$"
    return re.compile(r"[\s,;]*(?<!\w)(?:" + body + r")" + tail)


def interpretation_likewise(folded: str, pos: int, floor: int) -> tuple[str, int, int] | None:
    """The result said just before "as was", "de même pour" that ends right before the test:
    "CK and aldolase were elevated, as was her ESR", "des taux normaux de 25(OH)D, de même pour
    les taux de PTH". The result word is the last one in the 80 characters before the phrase."""
    pattern = _likewise_re()
    head = folded[max(floor, pos - 120) : pos]
    phrase = pattern.search(head) if pattern is not None else None
    if phrase is None:
        return None
    base = pos - len(head)
    before = head[max(0, phrase.start() - 80) : phrase.start()]
    start = base + phrase.start() - len(before)
    best: tuple[str, int, int] | None = None
    for result, interp in _interpretation_re():
        for hit in result.finditer(before):
            if best is None or hit.end() + start > best[2]:
                best = interp, start + hit.start(), start + hit.end()
    if best is not None and _DENIED.search(folded[max(floor, best[1] - 16) : best[1]]):
        return None  # "was not elevated, as was...": the result is denied, nothing to share
    return best


_DENIED = re.compile(r"(?<!\w)(?:not|no|never|pas|non|ni|jamais)(?:\s+\w+)?\s*$")


# ---------------------------------------------------------------- patient: age, sex
# small ages written in words, as notes about infants write them ("âgée d'un mois", "a two-week-old")
_AGE_WORDS = {
    "fr": r"un|une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze",
    "en": r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve",
}
_AGE_PATTERNS: dict[str, list[tuple[str, str]]] = {
    "fr": [
        # an infant's age counted in its life ("référé à 3 semaines de vie"): first, before the
        # plain number and unit (which needs a word of age before it) and the newborn's 0
        (r"(?P<n>\d{1,3})\s*(?P<u>mois|semaines?|jours?)\s+de\s+vie\b", "r_age_of_life"),
        (r"(?P<n>\d{1,3}(?:[.,]\d+)?)\s*(?P<u>ans|an|mois|semaines?|jours?)\b", "r_age_number_unit"),
        (
            rf"[âa]g[ée]e?s?\s+(?:de\s+|d['’])(?P<n>{_AGE_WORDS['fr']})\s+(?P<u>ans?|mois|semaines?|jours?)\b",
            "r_age_aged",
        ),
    ],
    "en": [
        (r"(?P<n>\d{1,3}(?:\.\d+)?)[\s-]*(?P<u>years?|yrs?|months?|weeks?|days?)[\s-]*old\b", "r_age_n_old"),
        # "5 years of age", "at 3 weeks of life"
        (r"(?P<n>\d{1,3}(?:\.\d+)?)\s*(?P<u>years?|months?|weeks?|days?)\s+of\s+(?:age|life)\b", "r_age_of_life"),
        (r"\baged?\s+(?P<n>\d{1,3}(?:\.\d+)?)(?:\s*(?P<u>years?|months?|weeks?|days?))?", "r_age_aged"),
        (r"(?P<n>\d{1,3})\s*(?P<u>y/?o)\b", "r_age_yo"),
        (r"(?P<n>\d{1,3})[\s-]*(?P<u>year|month|week|day)\s+old\b", "r_age_n_old"),
        # the same in words ("a two-month-old girl", "aged one month")
        (rf"\b(?P<n>{_AGE_WORDS['en']})[\s-]+(?P<u>years?|months?|weeks?|days?)[\s-]+old\b", "r_age_n_old"),
        (rf"\baged\s+(?P<n>{_AGE_WORDS['en']})\s+(?P<u>years?|months?|weeks?|days?)\b", "r_age_aged"),
        # a case summary's shorthand: "Patient: 51F", "(72 M)" (capitals only: a sex letter after
        # the age, opening a line, a bracket or a field; never "T 101 F")
        (r"(?m:(?:^|(?<=[:(,])|(?<=[:(,]\s))(?P<n>\d{1,3})\s?(?-i:[MF])(?P<u>)(?![\w/°]))", "r_age_n_old"),
        # "age at presentation 24 days", "age: 3 weeks" (the age at this visit, not at an onset)
        (
            r"\bage\s*(?:at\s+(?:(?:this|the)\s+)?(?:review|presentation|admission|consultation|visit|examination)\s*)?"
            r"[:=]?\s*(?P<n>\d{1,3}(?:\.\d+)?)\s*(?P<u>years?|months?|weeks?|days?)\b",
            "r_age_aged",
        ),
        # a letter's heading: "Re: Daniel K., 19 years"
        (
            r"(?im:^\s*(?:re|patient|name)\b[^\n]{0,60}?,\s*(?P<at>(?P<n>\d{1,3})\s*(?P<u>years?|yrs?))\b)",
            "r_age_n_old",
        ),
    ],
}
_AGE_EXCLUDE = re.compile(
    r"(?:[àa]\s+l['’][âa]ge\s+de|depuis(?:\s+l['’][âa]ge\s+de)?|pendant|durant|il\s+y\s+a|[ée]voluant\s+depuis|"
    r"d'[ée]volution|apr[èe]s|avant|since|for|at\s+the\s+age\s+of|at\s+age|ago|over|during|after|before|"
    r"dans\s+les|de\s+plus\s+de|within|every|tous\s+les|toutes\s+les)\s*(?:environ|about|the\s+(?:past|last)|les|plus\s+de)?\s*$",
    re.IGNORECASE,
)
_AGE_UNITS = {"an": 1.0, "ans": 1.0, "year": 1.0, "years": 1.0, "yr": 1.0, "yrs": 1.0, "yo": 1.0, "y/o": 1.0}


def _years(n: float, unit: str | None) -> float:
    u = (unit or "years").lower()
    if u.startswith(("mois", "month")):
        return round(n / 12, 3)
    if u.startswith(("semaine", "week")):
        return round(n * 7 / 365.25, 3)
    if u.startswith(("jour", "day")):
        return round(n / 365.25, 3)
    return n


def find_age(text: str, lang: str, spans: Sequence[tuple[int, int]] = ()) -> AgeFound | None:
    """The patient's age: the first age phrase not about an earlier event or a duration.

    An age beyond ``MAX_AGE_YEARS`` ("a 200-year-old man") is returned only when no other age
    is written, so that the reader sets it aside and says so rather than leave it out unsaid."""
    candidates: list[AgeFound] = []
    beyond: AgeFound | None = None
    for pattern, why in _AGE_PATTERNS[lang]:
        for m in re.finditer(pattern, text, re.IGNORECASE):
            before = text[max(0, m.start() - 40) : m.start()]
            if _AGE_EXCLUDE.search(before):
                continue
            if (
                lang == "fr"
                and why == "r_age_number_unit"
                and m.group("u").lower() in ("mois", "semaine", "semaines", "jour", "jours")
                and not re.search(
                    r"(?:[âa]g[ée]e?s?\s+de|nourrisson|b[ée]b[ée]|enfant|nouveau-n[ée]e?|gar[çc]on|fille|patiente?)\s*(?:de\s*)?$",
                    before,
                    re.IGNORECASE,
                )
            ):
                continue
            at_start = not before.strip() and (m.start() < 40 or "\n" in before)
            if (
                lang == "fr"
                and why == "r_age_number_unit"
                and not at_start
                and not re.search(r"(?:[âa]g[ée]e?s?\s+de|\bde|,|\()\s*$", before, re.IGNORECASE)
            ):
                continue
            written = m.group("n").lower()
            n = float(_WORD_NUMBERS.get(written, 0) or (0 if written.isalpha() else written.replace(",", ".")))
            years = _years(n, m.group("u"))
            start = m.start("at") if "at" in m.groupdict() else m.start()  # a heading: the age only
            found = AgeFound(years, start, m.end(), (why, {"words": text[start : m.end()]}))
            if years > MAX_AGE_YEARS:
                beyond = beyond or found
                continue
            candidates.append(found)
        if candidates:
            break
    if not candidates:
        for m in re.finditer(_DECADE[lang], text[:20_000], re.IGNORECASE):
            decade = _decade_years(m)
            if decade is not None:
                candidates.append(AgeFound(decade, m.start(), m.end(), ("r_age_decade", {"words": m.group()})))
    if not candidates and (born := re.search(_NEWBORN, text[:2_000], re.IGNORECASE)) is not None:
        # "a male newborn", "nouveau-né à terme": a baby in its first days, and no age written
        candidates.append(AgeFound(0.0, born.start(), born.end(), ("r_age_n_old", {"words": born.group()})))
    return min(candidates, key=lambda a: a.start, default=beyond)


_NEWBORN = r"\b(?:new-?borns?|neonates?|nouveau-n[ée]e?s?|nouveaux-n[ée]e?s)\b"


# "a man in his 20s", "in her early forties", "une femme d'une quarantaine d'années": the
# decade, read as its middle (early / late: the third / eighth year), because the case needs
# an age and the decade is all the note gives
_DECADE = {
    "en": r"\bin\s+(?:his|her|their)\s+(?P<q>early|mid|late)?[\s-]*(?:(?P<d>[1-9])0['’]?s|(?P<w>teens|twenties|thirties|forties|fifties|sixties|seventies|eighties|nineties))\b",
    "fr": r"\b(?:d['’]une|une|la)\s+(?P<w>vingtaine|trentaine|quarantaine|cinquantaine|soixantaine|septantaine|octantaine|nonantaine)\s+d['’]ann[ée]es\b",
}
_DECADE_WORDS = {
    "teens": 1, "twenties": 2, "thirties": 3, "forties": 4, "fifties": 5, "sixties": 6, "seventies": 7,
    "eighties": 8, "nineties": 9, "vingtaine": 2, "trentaine": 3, "quarantaine": 4, "cinquantaine": 5,
    "soixantaine": 6, "septantaine": 7, "octantaine": 8, "nonantaine": 9,
}  # fmt: skip


def _decade_years(m: re.Match[str]) -> float | None:
    groups = m.groupdict()
    decade = int(groups["d"]) if groups.get("d") else _DECADE_WORDS.get((groups.get("w") or "").lower())
    if not decade:
        return None
    offset = {"early": 3, "late": 8}.get((groups.get("q") or "").lower(), 5)
    return float(decade * 10 + offset)


@intake_cached
def _sex_words() -> dict[str, list[tuple[re.Pattern[str], str, int]]]:
    spec = {
        "fr": [
            (r"\bpatiente\b", "female", 3),
            (r"\b(?:mme|madame|mlle|mademoiselle)\b", "female", 3),
            (
                r"\b(?:femme|jeune\s+femme|fillette|jeune\s+fille|nourrissonne|adolescente|lyc[ée]enne|coll[ée]gienne|[ée]tudiante|retrait[ée]e|sportive|enceinte)\b",
                "female",
                3,
            ),
            (
                r"\b(?:[âa]g[ée]e|suivie|hospitalis[ée]e|adress[ée]e|op[ée]r[ée]e|n[ée]e|trait[ée]e|m[ée]nopaus[ée]e)\b",
                "female",
                2,
            ),
            (r"\belle\b", "female", 1),
            # "la petite Jeanne", "le petit Paul": a child named with the article (capitals only)
            (r"\b(?:la|une)\s+petite\s+(?:fille\b|(?-i:[A-Z]))", "female", 3),
            (r"\b(?:monsieur|m\.)(?=\s)", "male", 3),
            (
                r"\b(?:homme|jeune\s+homme|jeune\s+patient|gar[çc]on|gar[çc]onnet|adolescent|lyc[ée]en|coll[ée]gien|[ée]tudiant|retrait[ée]|sportif)\b",
                "male",
                3,
            ),
            (r"\bpatient\b", "male", 1),
            (r"\b(?:le|un)\s+petit\s+(?:gar[çc]on\b|(?-i:[A-Z]))", "male", 3),
            # a participle, not the verb of the letter ("je vous adresse")
            (r"\b(?:[âa]g[ée]|suivi|hospitalis[ée]|(?<!vous\s)adress[ée]|op[ée]r[ée]|trait[ée])\b", "male", 1),
            # not the impersonal "il" ("il y a 6 mois", "il s'agit", "il existe": an intake review)
            (r"\bil\b(?!\s+(?:y\b|n['’]y\b|existe|s['’]agit|faut|semble|convient|reste|para[iî]t))", "male", 1),
        ],
        "en": [
            # ward shorthand for age and sex: "62M", "45 F" (capitals only; an intake review)
            # an adult's age only (16 to 119: "18M" is also 18 months), not a decimal ("100.4 F")
            (r"(?<![\d.,])\b(?:1[6-9]|[2-9]\d|1[01]\d)\s?(?-i:M)\b(?![/]|\.\d)", "male", 3),
            (r"(?<![\d.,])\b(?:1[6-9]|[2-9]\d|1[01]\d)\s?(?-i:F)\b(?![/]|\.\d)", "female", 3),
            (r"\b(?:woman|female|girl|lady|mrs|ms|miss)\b", "female", 3),
            (r"\b(?:she|her|hers|herself)\b", "female", 1),
            (r"\bpost-?menopausal\b", "female", 3),
            (r"\b(?:man|male|boy|gentleman|mr)\b", "male", 3),
            (r"\b(?:he|him|his|himself)\b", "male", 1),
        ],
    }
    return {lang: [(re.compile(p, re.IGNORECASE), s, w) for p, s, w in items] for lang, items in spec.items()}


_FAMILY_WORDS = re.compile(
    r"\b(?:m[èe]re|p[èe]re|fr[èe]re|s(?:oe|œ)ur|fils|cousine?|tante|oncle|mother|father|brother|sister|son|daughter|aunt|uncle|cousin)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class TemperatureFound:
    """A body temperature the note measures: fever (``present``) or a temperature said normal."""

    present: bool
    start: int
    end: int
    words: str


# "temperature was 38.8 °C", "température à 39,2 °C", "T° 38,5", "temp 101.3 °F"; "temperature
# was within normal limits", "température normale": a fever is 38.0 °C (100.4 °F) or more
_TEMPERATURE = re.compile(
    r"\b(?:(?:body\s+|corporelle\s+)?temp[ée]rature(?:\s+corporelle)?|temp\.?|T°)\s*"
    r"(?:(?:was|is|of|at|reached|rose\s+to|up\s+to|measured\s+at|[àa]|de|était|est|mesurée\s+[àa]|jusqu['’][àa])\s*|[:=]\s*)*"
    r"(?P<n>\d{2,3}(?:[.,]\d{1,2})?)\s*°\s*(?P<u>[CF])?(?![\w])",
    re.IGNORECASE,
)
_TEMPERATURE_NORMAL = re.compile(
    r"\b(?:(?:body\s+)?temperature\s+(?:was\s+|is\s+)?(?:within\s+normal\s+limits|normal)\b|normal\s+(?:body\s+)?temperature"
    r"|temp[ée]rature\s+(?:corporelle\s+)?(?:était\s+)?normale)",
    re.IGNORECASE,
)


def find_temperatures(text: str) -> list[TemperatureFound]:
    """Fever read from a measured temperature (38.0 °C or more, 100.4 °F or more) and a
    temperature said to be normal; a temperature between the two says neither."""
    out: list[TemperatureFound] = []
    for m in _TEMPERATURE.finditer(text):
        value = float(m.group("n").replace(",", "."))
        fahrenheit = (m.group("u") or "").upper() == "F" or value > 45
        if (fahrenheit and value >= 100.4) or (not fahrenheit and 38.0 <= value <= 45):
            out.append(TemperatureFound(True, m.start(), m.end(), m.group()))
    out.extend(TemperatureFound(False, m.start(), m.end(), m.group()) for m in _TEMPERATURE_NORMAL.finditer(text))
    return sorted(out, key=lambda t: t.start)


def find_sex(text: str, lang: str) -> SexFound | None:
    """The sex, by weighted votes of nouns, titles, pronouns and (French) agreement; None if tied."""
    votes = {"female": 0, "male": 0}
    first: dict[str, tuple[int, int, str]] = {}
    sample = text[:20_000]
    for pattern, sex, weight in _sex_words()[lang]:
        for m in pattern.finditer(sample):
            line = sample[max(0, m.start() - 30) : m.end() + 30]
            if weight == 1 and _FAMILY_WORDS.search(line):
                continue
            votes[sex] += weight
            if sex not in first or m.start() < first[sex][0]:
                first[sex] = (m.start(), m.end(), m.group())
    if votes["female"] == votes["male"]:
        return None
    sex = max(votes, key=lambda s: votes[s])
    start, end, word = first[sex]
    return SexFound(sex, start, end, ("r_sex", {"cue": word, "female": votes["female"], "male": votes["male"]}))


_DURATION = {
    "fr": r"(?:depuis|il\s+y\s+a|[ée]voluant\s+depuis|d['’][ée]volution\s+(?:lente\s+|progressive\s+)?(?:de|sur)|[ée]volution\s+(?:lente\s+|progressive\s+)?(?:de|sur)|datant\s+de|remontant\s+[àa]|histoire\s+de|pendant|durant|pr[ée]sente?s?\s+depuis|apparue?s?\s+(?:il\s+y\s+a|depuis))\s+(?:maintenant\s+|d[ée]j[àa]\s+|bient[ôo]t\s+)?(?:environ\s+|plus\s+de\s+|plus\s+d['’]|pr[èe]s\s+de\s+|pr[èe]s\s+d['’]|quelques\s+)?(?:(?P<lo>\d++(?:[.,]\d++)?)\s*(?:–|—|-|à|ou)\s*)?(?P<n>\d++(?:[.,]\d++)?|une\s+(?:dizaine|douzaine|quinzaine|vingtaine|trentaine)|un|une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|treize|quatorze|quinze|seize|dix-huit|vingt|trente)(?:\s+d['’]|\s+de\s+|\s+|(?<=\d))(?P<u>jours?|semaines?|mois|ans?|ann[ée]es?)(?P<half>\s+et\s+demie?)?|(?<![\d.,])(?:(?:(?P<lo3>\d++(?:[.,]\d++)?)\s*(?:–|—|-|à|ou)\s*)?(?P<n3>\d++(?:[.,]\d++)?|un|une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|treize|quatorze|quinze|seize|dix-huit|vingt|trente)\s+(?P<u3>jours?|semaines?|mois|ans?|ann[ée]es?)\s+(?:avant|auparavant|plus\s+t[ôo]t))",
    "en": r"(?:(?:for|since|over|during|(?:in|within)(?=\s+the\s+(?:past|last|previous|preceding)\b))\s+(?:(?:a|the)\s+period\s+of\s+)?(?:(?:the\s+)?(?:past|last|previous|preceding)\s+|about\s+|approximately\s+|more\s+than\s+|almost\s+|nearly\s+)?(?:(?P<lo>\d++(?:\.\d++)?)\s*(?:–|—|-|to|or)\s*)?(?P<n>\d++(?:\.\d++)?|(?:a|one)\s+and\s+(?:a\s+)?half|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty)[\s-]+(?P<u>days?|weeks?|months?|years?|decades?))|(?<![\d.,])(?:(?:(?P<lo2>\d++(?:\.\d++)?)\s*(?:–|—|-|to|or)\s*)?(?P<n2>\d++(?:\.\d++)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty)(?:\s*-\s*|\s+)(?P<u2>day|week|month|year)s?['’]?[\s-](?:history|duration|h/o|hx))|(?<![\d.,])(?:(?:(?P<lo3>\d++(?:\.\d++)?)\s*(?:–|—|-|to|or)\s*)?(?P<n3>\d++(?:\.\d++)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty)\s+(?P<u3>days?|weeks?|months?|years?|decades?)\s+(?:ago|earlier|previously|beforehand|back\b|prior|before\s+(?:(?:this|the|his|her|their)\s+)?(?:presentation|admission|consultation|visit|referral)))|(?<![\d.,])(?:(?:\b(?:an?|one)[\s-]|(?P<n4>\d++(?:\.\d++)?|two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|twenty)[\s-])?(?P<u4>day|week|month|year|decade)s?[\s-]long\b)",
}
_WORD_NUMBERS = {
    "un": 1, "une": 1, "a": 1, "an": 1, "one": 1, "deux": 2, "two": 2, "trois": 3, "three": 3, "quatre": 4,
    "four": 4, "cinq": 5, "five": 5, "six": 6, "sept": 7, "seven": 7, "huit": 8, "eight": 8, "neuf": 9,
    "nine": 9, "dix": 10, "ten": 10, "onze": 11, "eleven": 11, "douze": 12, "twelve": 12, "quinze": 15,
    "fifteen": 15, "vingt": 20, "twenty": 20, "une dizaine": 10, "une douzaine": 12, "une quinzaine": 15, "une vingtaine": 20,
    "une trentaine": 30, "one and half": 1.5, "one and a half": 1.5, "a and a half": 1.5, "a and half": 1.5,
    "thirteen": 13, "fourteen": 14, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
    "thirty": 30, "forty": 40, "treize": 13, "quatorze": 14, "seize": 16, "dix-huit": 18, "trente": 30,
}  # fmt: skip


# the age at onset: "depuis l'âge de 35 ans", "since the age of 35", "since age 35"
_SINCE_AGE = {
    "fr": r"(?:(?:depuis|d[èe]s)|(?:apparue?s?|d[ée]but[ée]+e?s?|survenue?s?|remarqu[ée]+e?s?|not[ée]+e?s?)\s+(?:\w+\s+){0,3}?[àa])\s+l['’][âa]ge\s+de\s+(?P<n>\d{1,3})\s+ans\b",
    "en": r"(?:since|from|as\s+early\s+as|(?:appeared|began|started|developed|noticed|occurred|onset|first\s+seen)\s+(?:\w+\s+){0,3}?at)\s+(?:(?:the\s+)?age\s+(?:of\s+)?(?P<n>\d{1,3})(?:\s+years)?\b|(?P<w>\d{1,3}|[a-z]+)\s+years?\s+(?:of\s+age|old)\b)",
}


def _age_number(m: re.Match[str]) -> float | None:
    """The age of an onset phrase, in digits or words ("as early as nine years of age")."""
    groups = m.groupdict()
    written = groups.get("n") or groups.get("w") or ""
    if written.isdigit():
        return float(written)
    value = _WORD_NUMBERS.get(written.lower())
    return float(value) if value and written.lower() not in ("a", "an", "un", "une") else None


def find_durations(text: str, lang: str) -> list[DurationFound]:
    """Every duration phrase ("depuis 6 mois", "for 2 years"), in months; an age at onset
    ("depuis l'âge de 35 ans") with ``since_age`` set and no months yet."""
    out = [
        DurationFound(0.0, m.start(), m.end(), ("r_duration_since_age", {"words": m.group()}), years)
        for m in re.finditer(_SINCE_AGE[lang], text, re.IGNORECASE)
        if (years := _age_number(m)) is not None
    ]
    for m in re.finditer(_DURATION[lang], text, re.IGNORECASE):
        groups = m.groupdict()
        n_text = groups.get("n") or groups.get("n2") or groups.get("n3") or groups.get("n4") or ""
        unit = (groups.get("u") or groups.get("u2") or groups.get("u3") or groups.get("u4") or "").lower()
        if groups.get("u4") and not n_text:  # "a year-long history": one unit
            n_text = "one"
        words = " ".join(n_text.lower().split())  # "une dizaine", "one and a half": a number in words
        n = float(_WORD_NUMBERS.get(words, 0)) if not words[:1].isdigit() else float(n_text.replace(",", "."))
        if n <= 0:
            continue
        if groups.get("half"):  # "1 an et demi", "6 mois et demi": half a unit more
            n += 0.5
        low_text = groups.get("lo") or groups.get("lo2") or groups.get("lo3")
        low = float(low_text.replace(",", ".")) if low_text else 0.0
        ranged = 0 < low < n
        if ranged:  # "4–6 weeks", "2 à 3 mois": the middle of the range
            n = (low + n) / 2
        if unit.startswith(("jour", "day")):
            months = n / 30.44
        elif unit.startswith(("semaine", "week")):
            months = n * 7 / 30.44
        elif unit.startswith("mois") or unit.startswith("month"):
            months = n
        elif unit.startswith("decade"):
            months = n * 120
        else:
            months = n * 12
        said: Reason = (
            ("r_duration_range", {"words": m.group().strip(), "months": Number(months)})
            if ranged
            else ("r_duration", {"words": m.group().strip()})
        )
        out.append(DurationFound(round(months, 2), m.start(), m.end(), said))
    return sorted(out, key=lambda d: d.start)


def find_duration(
    text: str,
    lang: str,
    lesion_sentences: Sequence[tuple[int, int]],
    *,
    age: float | None = None,
    owned: Sequence[tuple[int, int]] = (),
) -> DurationFound | None:
    """The first duration inside a sentence about the lesions.

    A duration right after a condition or treatment ("hemodialysis for five years", "traitée
    depuis 18 mois") is that condition's: ``owned`` spans are skipped. An age at onset counts
    only when the patient's ``age`` is known (and later).
    """
    for found in find_durations(text, lang):
        if not any(a <= found.start < b for a, b in lesion_sentences):
            continue
        if any(a <= found.start < b for a, b in owned):
            continue
        if found.since_age is not None:
            if age is None or age <= found.since_age:
                continue
            found = DurationFound(round((age - found.since_age) * 12, 2), found.start, found.end, found.reason)
        return found
    return None
