"""The laboratory results of a report as the rows a clinician reads.

Each result as it was entered, its value in SI units where it was converted, the status read
from it and the interval it was read against (the laboratory's own when the case gives one,
else the default for the patient's age and sex), then the values calcinosis derived from them
(albumin-corrected calcium, the calcium x phosphate product, the CKD-EPI eGFR). The clinician
report, the terminal and the web page show the same rows, read from the result object only
(``DiagnosisReport.labs``): the reading itself is ``case/labs.py``'s.
"""

from __future__ import annotations

from dataclasses import dataclass

from calcinosis.case.labs import LabPanel, LabReading, lab_name, normalise_unit, number, with_unit
from calcinosis.i18n import decimal, message
from calcinosis.kb.model import KnowledgeBase

__all__ = ["LabRow", "lab_rows"]

SHOWN_DERIVED = ("calcium_phosphate_product", "pth_upper_limit_multiple")
"""The derived values that are not readings of a test, shown after the readings."""


@dataclass(frozen=True)
class LabRow:
    """One line of the laboratory table, every cell already written in the report's language."""

    name: str
    entered: str  # "62 ng/L", "< 5 pg/mL"; for a result given only in words, its status
    si: str  # the value in SI units when the result was entered in another unit, else ""
    status: str  # "high", "au-dessus de la normale"...; "" for a derived value without one
    reference: str  # the interval the status was read against, or how the value was derived
    flag: str  # the status as a word of the result object (high, low, normal...), for styling
    drives: bool  # the reading the reasoning used, when a test was measured more than once


_BODY_SURFACE = "/1.73m2"  # the eGFR's unit as the case format writes it (units.yaml)


def _unit_text(text: str, lang: str) -> str:
    """A cell holding a unit as a reader writes it: 'mL/min/1.73 m²', 'mL/min/1,73 m²' in French
    (the case format's ASCII spelling, '1.73m2', is for files)."""
    return text.replace(_BODY_SURFACE, "/" + number(1.73, lang) + "\u00a0m²") if _BODY_SURFACE in text else text


def _reading_row(kb: KnowledgeBase, r: LabReading, lang: str, drives: bool) -> LabRow:
    status = message(f"lab_status_{r.status}", lang)
    if r.value is None:  # a result said in words: what was entered is the status itself
        entered, si = status, ""
    else:
        qualifier = f"{r.qualifier} " if r.qualifier else ""
        entered = qualifier + with_unit(number(r.value, lang), r.unit)
        converted = r.value_si is not None and r.unit_si and r.unit_si != r.unit
        si = with_unit(number(float(f"{r.value_si:.3g}"), lang), r.unit_si) if converted else ""
    # urea in mg/dL is read as urea nitrogen (units.yaml: 24 mg/dL is 8.6 mmol/L of urea): said so
    bun = r.test == "urea" and r.unit is not None and normalise_unit(r.unit) == normalise_unit("mg/dL")
    name = message("lab_name_bun", lang) if bun else lab_name(kb, r.test, lang)
    return LabRow(
        name,
        _unit_text(entered, lang),
        _unit_text(si, lang),
        status,
        _unit_text(r.reference, lang),
        r.status,
        drives,
    )


def lab_rows(panel: LabPanel, kb: KnowledgeBase, lang: str) -> list[LabRow]:
    """Every reading of ``panel`` (measured ones in the case's order, derived ones after), then
    the derived values that are not readings of a test (``SHOWN_DERIVED``: the calcium x phosphate
    product, the PTH as a multiple of its upper limit)."""
    measured: list[tuple[int, LabRow]] = []
    derived: list[LabRow] = []
    for summary in panel.tests.values():
        several = len(summary.readings) > 1
        for r in summary.readings:
            row = _reading_row(kb, r, lang, several and r.index == summary.driving_index)
            if r.index < 0:
                derived.append(row)
            else:
                measured.append((r.index, row))
    for value in panel.derived:
        if value.name in SHOWN_DERIVED:
            entered = (
                f"{decimal(value.value, lang, 1)}\u00a0{value.unit}"  # a multiple: one decimal is enough to read
                if value.unit == "×"
                else with_unit(number(value.value, lang), value.unit)
            )
            derived.append(LabRow(lab_name(kb, value.name, lang), entered, "", "", value.formula, "", False))
    return [row for _, row in sorted(measured, key=lambda pair: pair[0])] + derived
