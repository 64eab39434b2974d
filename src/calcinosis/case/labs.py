"""Laboratory results: units to SI, age- and sex-dependent reference ranges, derived values.

Derived values, each cited:

- albumin-corrected calcium, Ca + 0.02 x (40 - albumin g/L) mmol/L (Payne 1973, form in
  common use);
- calcium x phosphate product in mg^2/dL^2 (threshold 70, constants.yaml);
- eGFR by the race-free CKD-EPI 2021 creatinine equation (Inker 2021), adults only and only
  for sex female or male.

A test measured several times keeps every reading; the reading furthest outside its range
drives the reasoning (a documented hypercalcaemia is evidence even if a later value is
normal), and the result says which one it was.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from calcinosis.case.model import Case, LabResult
from calcinosis.i18n import de, decimal, lower_first, message
from calcinosis.issues import Issue, IssueLevel
from calcinosis.kb.model import KnowledgeBase

__all__ = [
    "BAND_FORMULAS",
    "CALCIUM_UNCORRECTED",
    "DerivedValue",
    "LabPanel",
    "LabReading",
    "LabSummary",
    "assay_of",
    "calcium_phosphate_product",
    "corrected_calcium",
    "interpret_labs",
    "lab_label",
    "lab_name",
    "normalise_unit",
    "number",
    "plausible",
    "resolve_unit",
    "with_unit",
]

Status = Literal["high", "normal", "low", "not_high", "not_low", "unknown"]


_STATUS_RANK = {"high": 5, "low": 4, "not_high": 3, "not_low": 2, "normal": 1, "unknown": 0}

# Built when a panel is first interpreted, not at import: a command that reads no labs (``kb``,
# ``schema``, the web app's start) does not pay for them (issue #17).
_DEFERRED = ConfigDict(defer_build=True)


class LabReading(BaseModel):
    """One entered result, converted and interpreted."""

    model_config = _DEFERRED

    index: int
    test: str
    value: float | None = None
    unit: str | None = None
    qualifier: str | None = None
    value_si: float | None = None
    unit_si: str | None = None
    assay: str | None = None
    status: Status
    reference: str = ""


class LabSummary(BaseModel):
    """All readings of one test and the one that drives the reasoning."""

    model_config = _DEFERRED

    test: str
    status: Status
    driving_index: int | None
    readings: list[LabReading]


class DerivedValue(BaseModel):
    """A value computed from the entered ones."""

    model_config = _DEFERRED

    name: str
    value: float
    unit: str
    formula: str
    references: list[str]


class LabPanel(BaseModel):
    """The interpreted laboratory part of a case."""

    model_config = _DEFERRED

    tests: dict[str, LabSummary] = {}
    derived: list[DerivedValue] = []
    warnings: list[Issue] = []

    def status(self, test: str) -> Status:
        """Status of ``test`` ('unknown' when not measured)."""
        found = self.tests.get(test)
        return found.status if found else "unknown"

    def measured(self) -> dict[str, float]:
        """The values a treatment caution may say and bound (kb ``MeasuredNote.value``): each
        derived value by name, and ``egfr``, the kidney function the case gives: a reported eGFR
        (its lowest reading, as ``lab:egfr_below_15`` reads it), else the one computed from the
        creatinine (a code review: 'eGFR below 30' read only the computed value, and never held
        for a reported eGFR of 20)."""
        values = {d.name: d.value for d in self.derived}
        egfr = self.tests.get("egfr")
        given = [r.value_si for r in egfr.readings if r.value_si is not None] if egfr is not None else []
        computed = self.derived_value("egfr_ckd_epi_2021")
        if given:
            values["egfr"] = min(given)
        elif computed is not None:
            values["egfr"] = computed
        return values

    def derived_value(self, name: str) -> float | None:
        """A derived value by name, if it could be computed."""
        for d in self.derived:
            if d.name == name:
                return d.value
        return None


CALCIUM_UNCORRECTED = "lab.calcium_uncorrected"
"""The panel's warning of a low total calcium with no albumin, ionised or corrected calcium: the one
place that decides it, read by the emergency it may soften (engine/diagnose.py)."""

PTH_DIALYSIS_MAX_MULTIPLE = 9.0
"""KDIGO 2017 (kdigo2017): on dialysis the intact PTH is kept at about 2 to 9 times the upper
limit of the assay; above it, a severe secondary hyperparathyroidism to treat."""


def number(x: float, lang: str) -> str:
    """A value as the texts show it: ``{x:g}`` in English, with the decimal comma in French; a
    value too small for six decimals keeps its power of ten ('1e-300'), never shown as 0."""
    if lang != "fr":
        return f"{x:g}"
    shown = decimal(x, lang, 6)
    return shown if x == 0 or any(c in "123456789" for c in shown) else f"{x:g}".replace(".", ",")


def lab_name(kb: KnowledgeBase, test: str, lang: str) -> str:
    """A test as a reader names it, in either language ('Albumin-corrected calcium'), never its id."""
    if test in kb.vocabulary.lists["labs"]:
        return kb.vocabulary.label("labs", test, lang)
    return message(f"lab_name_{test}", lang)


def lab_label(kb: KnowledgeBase, test: str, lang: str) -> str:
    """A test as the texts name it: its id in English (an input echo), its French label inside a sentence."""
    if lang != "fr":
        return test
    if test in kb.vocabulary.lists["labs"]:
        return lower_first(kb.vocabulary.label("labs", test, lang))
    return message(f"lab_{test}", lang)


def normalise_unit(unit: str) -> str:
    """Fold spelling variants of a unit ('umol/l', 'μmol/L') to one key."""
    return unit.strip().replace("μ", "µ").replace(" ", "").lower()


def assay_of(kb: KnowledgeBase, test: str, unit: str | None) -> str | None:
    """The assay a canonical ``unit`` names for ``test`` (units.yaml ``assays``: RU/mL is the
    C-terminal FGF23, pg/mL the intact one), or None for a test with one assay or no unit."""
    return kb.units["tests"][test].get("assays", {}).get(unit) if unit is not None else None


def resolve_unit(kb: KnowledgeBase, test: str, unit: str) -> str | None:
    """The canonical spelling of ``unit`` for ``test`` (units.yaml), or None if it does not fit."""
    return _unit_table(kb).get((test, normalise_unit(unit)))


def plausible(kb: KnowledgeBase, test: str, value: float, unit: str) -> bool:
    """Whether ``value`` in ``unit`` is within the test's plausible range (units.yaml); True
    when the unit or the range is not known (nothing then says the value is not a result).

    Here, with the units it reads, because two readers ask it of a number that may be two
    numbers ("1.200": 1200 or 1.2): the free-text intake and the batch table reader."""
    spec = kb.units["tests"].get(test, {})
    factor = spec.get("units", {}).get(unit)
    bounds = spec.get("plausible")
    if factor is None or not bounds:
        return True
    return float(bounds[0]) <= value * float(factor) <= float(bounds[1])


_UNIT_TABLES: dict[int, tuple[Any, dict[tuple[str, str], str]]] = {}


def _unit_table(kb: KnowledgeBase) -> dict[tuple[str, str], str]:
    """(test, folded spelling) → canonical unit, built once per knowledge base (a cohort reads
    hundreds of thousands of lab values: folding every alias again for each was most of the cost)."""
    held = _UNIT_TABLES.get(id(kb))
    if held is not None and held[0] is kb.units:
        return held[1]
    aliases = {normalise_unit(k): v for k, v in kb.units.get("unit_aliases", {}).items()}
    table: dict[tuple[str, str], str] = {}
    for test, spec in kb.units["tests"].items():
        for canonical in spec["units"]:
            table[(test, normalise_unit(canonical))] = str(canonical)
        for folded, canonical in aliases.items():
            if canonical in spec["units"]:
                table.setdefault((test, folded), str(canonical))
    _UNIT_TABLES[id(kb)] = (kb.units, table)
    return table


BAND_FORMULAS: dict[str, Callable[[Any], Any]] = {
    "esr_male": lambda age: age / 2,  # upper limit of ESR, Miller 1983 (reference_ranges.yaml)
    "esr_female": lambda age: (age + 10) / 2,
}
"""A band's upper limit computed from the age (a number, or an array of ages for a cohort)."""


def _band(kb: KnowledgeBase, test_key: str, age: float, sex: str) -> dict[str, Any] | None:
    spec = kb.reference_ranges["tests"].get(test_key)
    if spec is None:
        return None
    for band in spec["bands"]:
        if "age_max" in band and age >= band["age_max"]:
            continue
        if "sex" in band and band["sex"] != sex:
            continue
        out = dict(band)
        formula = band.get("formula")
        if formula is not None:
            out["high"] = BAND_FORMULAS[formula](age)
        return out
    return None


def _laboratory_band(lab: LabResult, factor: float, lang: str) -> dict[str, Any]:
    """The laboratory's own interval entered with the result, as a band in the unit ``factor``
    converts to (SI; 1.0: as entered): it wins over the default band, since assays and
    laboratories differ (PTH, FGF23, a child's phosphate)."""
    assert lab.reference_range is not None
    low, high = lab.reference_range.low, lab.reference_range.high
    note = message("lab_range_of_laboratory", lang)
    band: dict[str, Any] = {"note": note, "laboratory": True}  # note already in ``lang``
    if low is not None:
        band["low"] = low * factor
    if high is not None:
        band["high"] = high * factor
    return band


def _laboratory_only(found: tuple[float, dict[str, Any] | None] | None) -> dict[str, Any] | None:
    """The band of a reading when it is its laboratory's own interval (else None: the default)."""
    band = None if found is None else found[1]
    return band if band is not None and band.get("laboratory") else None


def _note(band: dict[str, Any], lang: str) -> str:
    return str(band.get("note_fr") if lang == "fr" and band.get("note_fr") else band.get("note") or "")


def with_unit(text: str, unit: str | None) -> str:
    """'4.2 mmol/L'; a ratio without a unit (the INR's '1') is written bare: '4', not '4 1'."""
    return text if not unit or unit == "1" else f"{text} {unit}"


def _fmt_range(band: dict[str, Any] | None, unit: str, lang: str = "en") -> str:
    if band is None or ("low" not in band and "high" not in band):
        note = f" ({_note(band, lang)})" if band and band.get("note") else ""
        return message("lab_no_range", lang) + note
    low, high = band.get("low"), band.get("high")
    if low is not None and high is not None:
        text = f"{number(low, lang)}–{number(high, lang)}"
    elif high is not None:
        text = f"< {number(high, lang)}"
    else:
        text = f"> {number(low if low is not None else 0.0, lang)}"
    note = f", {_note(band, lang)}" if band.get("note") else ""
    return f"{with_unit(text, unit)}{note}"


def _status_from_value(value: float, qualifier: str | None, band: dict[str, Any] | None) -> Status:
    if band is None:
        return "unknown"
    low, high = band.get("low"), band.get("high")
    if qualifier in ("<", "<="):
        if low is not None and value <= low:
            return "low"
        if high is None or value <= high:
            return "not_high"
        return "unknown"
    if qualifier in (">", ">="):
        if high is not None and value >= high:
            return "high"
        if low is None or value >= low:
            return "not_low"
        return "unknown"
    if high is not None and value > high:
        return "high"
    if low is not None and value < low:
        return "low"
    if low is None and high is None:
        return "unknown"
    return "normal"


def _deviation(reading: LabReading, band: dict[str, Any] | None) -> float:
    """How far a reading lies outside its range, for choosing the driving reading."""
    if reading.status in ("high", "low") and reading.value_si is not None and band:
        limit = band.get("high") if reading.status == "high" else band.get("low")
        if limit:
            return abs(math.log(max(reading.value_si, 1e-9) / limit)) + 1.0
        return 1.0
    return {"high": 1.0, "low": 1.0, "not_high": 0.2, "not_low": 0.2, "normal": 0.1}.get(reading.status, 0.0)


def _read_one(
    kb: KnowledgeBase, index: int, lab: LabResult, age: float, sex: str, warnings: list[Issue], lang: str = "en"
) -> tuple[LabReading, dict[str, Any] | None]:
    test = lab.test
    if lab.value is None:
        assert lab.interpretation is not None
        # an interpretation with its unit still says which assay it is (an intact FGF23 in pg/mL)
        assay = assay_of(kb, test, resolve_unit(kb, test, lab.unit) if lab.unit is not None else None)
        return LabReading(
            index=index, test=test, status=lab.interpretation, assay=assay, reference=message("lab_as_entered", lang)
        ), None
    assert lab.unit is not None
    spec = kb.units["tests"][test]
    unit = resolve_unit(kb, test, lab.unit)
    if unit is None:
        raise ValueError(
            f"labs[{index}].unit: "
            + message("err_not_unit", lang, unit=repr(lab.unit), test=test, de_test=de(lab_label(kb, test, lang)))
            + message("list_separator", lang)
            + message("err_expected_one_of", lang, items=", ".join(spec["units"]))
        )
    factor = float(spec["units"][unit])
    value_si = lab.value * factor
    assay = assay_of(kb, test, unit)
    range_key = f"{test}_{assay}" if assay else test
    unit_si = unit if assay else str(spec["si"])
    band = _laboratory_band(lab, factor, lang) if lab.reference_range is not None else _band(kb, range_key, age, sex)
    status = _status_from_value(value_si, lab.qualifier, band)
    if lab.interpretation is not None and status in ("high", "low", "normal") and status != lab.interpretation:
        warnings.append(
            Issue(
                level=IssueLevel.WARNING,
                code="lab.interpretation_differs",
                message=message(
                    "warn_lab_interpretation",
                    lang,
                    test=lab_label(kb, test, lang),
                    value=with_unit(number(lab.value, lang), lab.unit),
                    status=message(f"lab_status_{status}", lang),
                    entered=message(f"lab_status_{lab.interpretation}", lang),
                ),
                location=f"labs[{index}]",
            )
        )
        status = lab.interpretation
    plausible = spec.get("plausible")
    if plausible and not plausible[0] <= value_si <= plausible[1]:
        warnings.append(
            Issue(
                level=IssueLevel.WARNING,
                code="lab.implausible",
                message=message(
                    "warn_lab_implausible",
                    lang,
                    test=lab_label(kb, test, lang),
                    # the qualifier kept ('> 3 500'), and the SI value said only in another unit (a
                    # second French review read '3 500 nmol/L (3 500 nmol/L)', the '>' lost)
                    value=with_unit((lab.qualifier or "") + number(lab.value, lang), lab.unit),
                    si="" if lab.unit == unit_si else f" ({number(float(f'{value_si:.3g}'), lang)} {unit_si})",
                    low=number(plausible[0], lang) if lang == "fr" else plausible[0],
                    high=number(plausible[1], lang) if lang == "fr" else plausible[1],
                    unit=unit_si,
                ),
                location=f"labs[{index}]",
            )
        )
    reading = LabReading(
        index=index,
        test=test,
        value=lab.value,
        unit=lab.unit,
        qualifier=lab.qualifier,
        value_si=round(value_si, 4),
        unit_si=unit_si,
        assay=assay,
        status=status,
        # the laboratory's interval is shown as entered, in the result's own unit
        reference=_fmt_range(band, unit_si, lang)
        if lab.reference_range is None
        else _fmt_range(_laboratory_band(lab, 1.0, lang), lab.unit, lang),
    )
    return reading, band


def _computed(
    kb: KnowledgeBase,
    range_key: str,
    test: str,
    value: float,
    unit: str,
    age: float,
    sex: str,
    how: str,
    lang: str = "en",
    laboratory: dict[str, Any] | None = None,
) -> tuple[LabReading, dict[str, Any] | None]:
    """A reading derived from other results (index -1), read against the range of ``range_key``,
    or against the laboratory's own interval of the result it corrects (albumin-corrected
    calcium is compared with the total-calcium interval of the laboratory that measured it)."""
    band = laboratory or _band(kb, range_key, age, sex)
    reading = LabReading(
        index=-1,
        test=test,
        value=value,
        unit=unit,
        value_si=value,
        unit_si=unit,
        status=_status_from_value(value, None, band),
        reference=f"{_fmt_range(band, unit, lang)} ({how})",
    )
    return reading, band


def ckd_epi_2021(creatinine_mg_dl: float, age: float, sex: str) -> float:
    """eGFR (mL/min/1.73 m²) by the race-free CKD-EPI 2021 creatinine equation.

    Inker LA et al. N Engl J Med 2021;385:1737-49. Adults (age >= 18) and sex female/male only.

    Examples
    --------
    >>> round(ckd_epi_2021(1.0, 50, "male"))
    92
    """
    female = sex == "female"
    kappa = 0.7 if female else 0.9
    alpha = -0.241 if female else -0.302
    ratio = creatinine_mg_dl / kappa
    egfr = 142 * min(ratio, 1) ** alpha * max(ratio, 1) ** -1.200 * 0.9938**age
    return float(egfr * (1.012 if female else 1.0))


def corrected_calcium(calcium_mmol: Any, albumin_g_l: Any) -> Any:
    """Albumin-corrected calcium in mmol/L: Ca + 0.02 x (40 - albumin g/L) (Payne 1973, common
    form); numbers or arrays alike (the batch reader computes a cohort's at once)."""
    return calcium_mmol + 0.02 * (40 - albumin_g_l)


def calcium_phosphate_product(calcium_mmol: Any, phosphate_mmol: Any) -> Any:
    """Ca x P in mg²/dL² from both in mmol/L (molar masses 40.08 and 30.97 g/mol, /10 for dL);
    numbers or arrays alike."""
    return (calcium_mmol * 4.008) * (phosphate_mmol * 3.097)


def _no_egfr(text: str) -> Issue:
    """The warning that says why no eGFR was computed from the creatinine entered."""
    return Issue(level=IssueLevel.WARNING, code="lab.egfr_not_computed", message=text, location="labs")


def interpret_labs(case: Case, kb: KnowledgeBase, *, lang: str = "en") -> LabPanel:
    """Convert, interpret and summarise the laboratory results of ``case`` (texts in ``lang``).

    Raises
    ------
    ValueError
        When a unit does not belong to its test (the caller turns it into a case error).
    """
    age, sex = case.patient.age, case.patient.sex
    warnings: list[Issue] = []
    by_test: dict[str, list[tuple[LabReading, dict[str, Any] | None]]] = {}
    for i, lab in enumerate(case.labs):
        by_test.setdefault(lab.test, []).append(_read_one(kb, i, lab, age, sex, warnings, lang))
    panel = LabPanel(warnings=warnings)
    derived = panel.derived

    def exact(test: str) -> tuple[float, dict[str, Any] | None] | None:
        for reading, band in by_test.get(test, []):
            if reading.value_si is not None and reading.qualifier is None:
                return reading.value_si, band
        return None

    def numeric(test: str) -> float | None:
        found = exact(test)
        return None if found is None else found[0]

    # derived values (first exact numeric reading of each input)
    ca, alb, phos = numeric("calcium"), numeric("albumin"), numeric("phosphate")
    if ca is not None and alb is not None:
        corr = corrected_calcium(ca, alb)
        derived.append(
            DerivedValue(
                name="corrected_calcium",
                value=round(corr, 3),
                unit="mmol/L",
                formula=message("formula_corrected_calcium", lang),
                references=["payne1973"],
            )
        )
        by_test["corrected_calcium"] = [
            _computed(
                kb,
                "calcium",
                "corrected_calcium",
                round(corr, 3),
                "mmol/L",
                age,
                sex,
                message("lab_albumin_corrected", lang),
                lang,
                _laboratory_only(exact("calcium")),
            )
        ]
    if ca is not None and phos is not None:
        ca_for_product = corrected_calcium(ca, alb) if alb is not None else ca
        product = calcium_phosphate_product(ca_for_product, phos)
        derived.append(
            DerivedValue(
                name="calcium_phosphate_product",
                value=round(product, 1),
                unit="mg²/dL²",
                formula=message("formula_product", lang),
                references=["reiter2011"],
            )
        )
    creat = numeric("creatinine")
    if creat is not None and creat <= 0:
        creat = None  # refused by the reader; a case built by hand must not divide by zero here
    if creat is not None and "dialysis" in case.history:
        # a creatinine between dialysis sessions says nothing of a kidney function the dialysis
        # replaces: no eGFR (it was computed and counted as kidney failure beside the dialysis)
        warnings.append(_no_egfr(message("warn_egfr_dialysis", lang)))
    elif creat is not None and "acute_kidney_injury" in case.history:
        # the estimating equations assume a creatinine in steady state, which an acute injury is
        # not: its eGFR was read as a chronic kidney function below 60 (a clinical review: a
        # creatinine raised in sepsis under acute haemodialysis counted for a CKD-mineral and bone
        # disorder); the injury is the case's own feature, and a CKD before it is said as such
        warnings.append(_no_egfr(message("warn_egfr_acute", lang)))
    elif creat is not None and age >= kb.threshold("child_age_years") and sex in ("female", "male"):
        egfr = ckd_epi_2021(creat / 88.42, age, sex)
        derived.append(
            DerivedValue(
                name="egfr_ckd_epi_2021",
                value=round(egfr, 1),
                unit="mL/min/1.73m2",
                formula=message("formula_egfr", lang),
                references=["inker2021"],
            )
        )
        if "egfr" not in by_test:
            by_test["egfr"] = [
                _computed(
                    kb, "egfr", "egfr", round(egfr, 1), "mL/min/1.73m2", age, sex, message("lab_computed", lang), lang
                )
            ]
    elif creat is not None and age < kb.threshold("child_age_years"):
        warnings.append(_no_egfr(message("warn_egfr_child", lang)))
    elif creat is not None:
        warnings.append(_no_egfr(message("warn_egfr_sex", lang, sex=repr(sex))))

    for test, items in by_test.items():
        # a test whose assays read different things drives from the one that reads the hormone,
        # when it is given (units.yaml driving_assay: the intact FGF23, not the C-terminal one)
        driving = kb.units["tests"].get(test, {}).get("driving_assay")
        candidates = [rb for rb in items if rb[0].assay == driving] if driving else []
        # ties are broken on the reading itself, never on its position, so order cannot matter
        best = max(
            candidates or items,
            key=lambda rb: (_deviation(rb[0], rb[1]), _STATUS_RANK[rb[0].status], rb[0].value_si or 0.0),
        )
        readings = [r for r, _ in items]
        panel.tests[test] = LabSummary(
            test=test,
            status=best[0].status,
            driving_index=best[0].index if best[0].index >= 0 else None,
            readings=readings,
        )
    # the PTH as a multiple of its interval's upper limit: how KDIGO sets the dialysis target (2 to
    # 9 times) and how a parathyroid carcinoma is suspected; a clinical review read 'above normal'
    # for a PTH 26 times the limit, beside 'a PTH within that range is no indication'. Read from the
    # reading that drives the reasoning (a code review: readings of 5 then 60 pmol/L gave 0.7),
    # kept to two decimals so that a threshold is not crossed by rounding
    pth = panel.tests.get("pth")
    driving = next((rb for rb in by_test["pth"] if rb[0].index == pth.driving_index), None) if pth is not None else None
    if driving is not None and driving[0].value_si is not None and driving[0].qualifier is None:
        upper = float((driving[1] or {}).get("high") or 0)
        if upper > 0:
            multiple = round(driving[0].value_si / upper, 2)
            derived.append(
                DerivedValue(
                    name="pth_upper_limit_multiple",
                    value=multiple,
                    unit="×",
                    formula=message("formula_pth_multiple", lang),
                    references=["kdigo2017"],
                )
            )
            # above the dialysis range, said as a warning (a French clinical review: a PTH 26 times
            # the limit with a phosphate of 4.51 mmol/L on dialysis had no word of its severity)
            if "dialysis" in case.history and multiple > PTH_DIALYSIS_MAX_MULTIPLE:
                where = f"labs[{driving[0].index}]"
                text = message("warn_pth_above_dialysis_range", lang, multiple=decimal(multiple, lang, 0))
                warnings.append(Issue.warning("lab.pth_above_dialysis_range", text, where))
    calcium = panel.tests.get("calcium")
    if (
        calcium is not None
        and calcium.status == "low"
        and alb is None
        and not {"ionized_calcium", "corrected_calcium"} & by_test.keys()
    ):
        # a low albumin lowers the total calcium without a true hypocalcaemia: a dialysis patient
        # with total proteins of 44 g/L and a total calcium of 2.12 mmol/L was read as
        # hypocalcaemic, and that held a calcimimetic and kept calcitriol (a clinical review)
        where = "labs" if calcium.driving_index is None else f"labs[{calcium.driving_index}]"
        warnings.append(Issue.warning(CALCIUM_UNCORRECTED, message("warn_calcium_uncorrected", lang), where))
    panel.warnings = warnings
    return panel
