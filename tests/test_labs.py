"""Units, reference ranges and derived values."""

from __future__ import annotations

from typing import Any

import pytest

from calcinosis import CaseValidationError, KnowledgeBase, parse_case
from calcinosis.case.labs import ckd_epi_2021, corrected_calcium, interpret_labs


def panel(kb: KnowledgeBase, labs: list[dict[str, Any]], age: float = 40, sex: str = "female"):  # type: ignore[no-untyped-def]
    return interpret_labs(parse_case({"patient": {"age": age, "sex": sex}, "labs": labs}, kb), kb)


# (test, value, unit, expected SI value) — factors from molar masses (codes.md 1a)
CONVERSIONS = [
    ("calcium", 10.0, "mg/dL", 2.495),
    ("calcium", 5.0, "mEq/L", 2.5),
    ("ionized_calcium", 4.8, "mg/dL", 1.198),
    ("albumin", 4.0, "g/dL", 40.0),
    ("phosphate", 3.1, "mg/dL", 1.001),
    ("pth", 65, "pg/mL", 6.893),
    ("pth", 65, "ng/L", 6.893),
    ("vitamin_d_25oh", 30, "ng/mL", 74.88),
    ("vitamin_d_25oh", 30, "µg/L", 74.88),
    ("vitamin_d_1_25", 50, "pg/mL", 120.0),
    ("creatinine", 1.0, "mg/dL", 88.42),
    ("creatinine", 88, "umol/L", 88.0),
    ("creatinine", 88, "μmol/L", 88.0),
    ("uric_acid", 6.0, "mg/dL", 356.9),
    ("ferritin", 250, "ng/mL", 250),
    ("eosinophils", 600, "/µL", 0.6),
    ("urea", 20, "mg/dL", 7.14),
    ("magnesium", 2.0, "mg/dL", 0.8228),
    ("urine_calcium_24h", 300, "mg/24h", 7.485),
    ("urine_phosphate_24h", 800, "mg/24h", 25.83),
    ("tmp_gfr", 3.0, "mg/dL", 0.9687),
]


@pytest.mark.parametrize(("test", "value", "unit", "si"), CONVERSIONS)
def test_unit_conversion(kb: KnowledgeBase, test: str, value: float, unit: str, si: float) -> None:
    """Every accepted non-SI unit converts to the SI unit."""
    reading = panel(kb, [{"test": test, "value": value, "unit": unit}]).tests[test].readings[0]
    assert reading.value_si == pytest.approx(si, rel=2e-3)


def test_every_listed_unit_is_accepted(kb: KnowledgeBase) -> None:
    """Each unit of units.yaml reads for its test."""
    for test, spec in kb.units["tests"].items():
        low, high = spec.get("plausible", [0, 1])
        for unit, factor in spec["units"].items():
            value = (low + high) / 2 / float(factor)  # plausible in this unit
            p = panel(kb, [{"test": test, "value": value, "unit": unit}])
            assert p.tests[test].readings[0].value_si is not None, (test, unit)


def test_fgf23_assays_are_never_converted(kb: KnowledgeBase) -> None:
    """RU/mL (C-terminal) and pg/mL (intact) stay separate assays with their own ranges."""
    c_term = panel(kb, [{"test": "fgf23", "value": 200, "unit": "RU/mL"}]).tests["fgf23"].readings[0]
    intact = panel(kb, [{"test": "fgf23", "value": 200, "unit": "pg/mL"}]).tests["fgf23"].readings[0]
    assert (c_term.assay, c_term.unit_si, c_term.value_si) == ("c_terminal", "RU/mL", 200)
    assert (intact.assay, intact.unit_si, intact.value_si) == ("intact", "pg/mL", 200)
    assert c_term.status == "high" and intact.status == "high"
    child = panel(kb, [{"test": "fgf23", "value": 200, "unit": "RU/mL"}], age=10).tests["fgf23"]
    assert child.status == "normal"  # children's C-terminal limit is 230 RU/mL


def test_intact_fgf23_drives_when_both_assays_are_given(kb: KnowledgeBase) -> None:
    """An intact FGF23 low-normal with a C-terminal one high (the familial tumoral calcinosis
    pattern) reads as normal, in either order: the C-terminal fragment does not make it raised
    (the intact range has no lower limit, so 10 pg/mL is normal, not low)."""
    intact_low = {"test": "fgf23", "value": 10, "unit": "pg/mL"}
    c_term_high = {"test": "fgf23", "value": 900, "unit": "RU/mL"}
    for labs in ([intact_low, c_term_high], [c_term_high, intact_low]):
        summary = panel(kb, labs).tests["fgf23"]
        assert summary.status == "normal"
        assert {r.assay for r in summary.readings} == {"intact", "c_terminal"}
    # the C-terminal reading alone still drives
    assert panel(kb, [c_term_high]).status("fgf23") == "high"
    # an interpretation entered with its unit names its assay
    qualitative = panel(kb, [{"test": "fgf23", "interpretation": "normal", "unit": "RU/mL"}]).tests["fgf23"]
    assert qualitative.readings[0].assay == "c_terminal"


def test_phosphate_range_depends_on_age(kb: KnowledgeBase) -> None:
    """1.7 mmol/L is normal at 8 years and raised in an adult (phosphate is higher in children)."""
    lab = [{"test": "phosphate", "value": 1.7, "unit": "mmol/L"}]
    assert panel(kb, lab, age=8).status("phosphate") == "normal"
    assert panel(kb, lab, age=40).status("phosphate") == "high"
    assert panel(kb, [{"test": "phosphate", "value": 2.4, "unit": "mmol/L"}], age=0.003).status("phosphate") == "normal"


def test_censored_values(kb: KnowledgeBase) -> None:
    """'< 5 pg/mL' PTH is low; '< 50 pg/mL' is only known not to be high."""
    assert panel(kb, [{"test": "pth", "value": 5, "qualifier": "<", "unit": "pg/mL"}]).status("pth") == "low"
    assert panel(kb, [{"test": "pth", "value": 50, "qualifier": "<", "unit": "pg/mL"}]).status("pth") == "not_high"
    assert panel(kb, [{"test": "pth", "value": 900, "qualifier": ">", "unit": "pg/mL"}]).status("pth") == "high"


def test_repeated_measurements_keep_all_and_name_the_driver(kb: KnowledgeBase) -> None:
    """Each reading is kept; the one furthest outside its range drives the reasoning."""
    p = panel(
        kb,
        [
            {"test": "calcium", "value": 2.4, "unit": "mmol/L"},
            {"test": "calcium", "value": 3.1, "unit": "mmol/L"},
        ],
    )
    summary = p.tests["calcium"]
    assert len(summary.readings) == 2
    assert summary.driving_index == 1
    assert summary.status == "high"


def test_corrected_calcium_payne() -> None:
    """Worked example of the Payne form in common use: 2.10 mmol/L with albumin 30 g/L -> 2.30."""
    assert corrected_calcium(2.10, 30) == pytest.approx(2.30)


def test_corrected_calcium_drives_calcium_status(kb: KnowledgeBase) -> None:
    """Low albumin: total calcium 2.15 reads low, corrected (2.45) is normal, and corrected is used."""
    from calcinosis.engine.evidence import collect_evidence

    case = parse_case(
        {
            "patient": {"age": 60, "sex": "male"},
            "labs": [
                {"test": "calcium", "value": 2.15, "unit": "mmol/L"},
                {"test": "albumin", "value": 25, "unit": "g/L"},
            ],
        },
        kb,
    )
    p = interpret_labs(case, kb)
    assert p.status("calcium") == "low"
    assert p.status("corrected_calcium") == "normal"
    ev = collect_evidence(case, p, kb)
    assert ev.observations["lab:calcium_low"].present is False


def test_ckd_epi_2021_worked_examples() -> None:
    """CKD-EPI 2021 (kidney.org; Inker 2021), worked by hand from the published equation.

    Man, 40 y, Scr 0.9 mg/dL: Scr/k = 1, so eGFR = 142 x 0.9938^40 = 110.7.
    Woman, 50 y, Scr 1.0: 142 x (1.0/0.7)^-1.200 x 0.9938^50 x 1.012 = 68.6.
    Man, 70 y, Scr 2.0: 142 x (2.0/0.9)^-1.200 x 0.9938^70 = 142 x 0.3836 x 0.6471 = 35.2.
    """
    assert ckd_epi_2021(0.9, 40, "male") == pytest.approx(110.7, abs=0.1)
    assert ckd_epi_2021(1.0, 50, "female") == pytest.approx(68.6, abs=0.1)
    assert ckd_epi_2021(2.0, 70, "male") == pytest.approx(35.2, abs=0.1)


def test_egfr_computed_for_adults_only(kb: KnowledgeBase) -> None:
    """eGFR is derived for adults of known sex, with a warning otherwise."""
    lab = [{"test": "creatinine", "value": 2.0, "unit": "mg/dL"}]
    adult = panel(kb, lab, age=70, sex="male")
    assert adult.derived_value("egfr_ckd_epi_2021") == pytest.approx(35.2, abs=0.1)
    child = panel(kb, lab, age=12, sex="male")
    assert child.derived_value("egfr_ckd_epi_2021") is None
    assert any(w.code == "lab.egfr_not_computed" for w in child.warnings)
    other = panel(kb, lab, age=40, sex="other")
    assert any(w.code == "lab.egfr_not_computed" for w in other.warnings)


def test_calcium_phosphate_product(kb: KnowledgeBase) -> None:
    """Ca 2.5 mmol/L (10.02 mg/dL) x P 2.3 mmol/L (7.12 mg/dL) = 71.4 mg²/dL², above 70."""
    p = panel(
        kb,
        [
            {"test": "calcium", "value": 2.5, "unit": "mmol/L"},
            {"test": "phosphate", "value": 2.3, "unit": "mmol/L"},
        ],
    )
    assert p.derived_value("calcium_phosphate_product") == pytest.approx(71.4, abs=0.2)


def test_entered_interpretation_wins_over_default_range(kb: KnowledgeBase) -> None:
    """The laboratory's own reading beats the default range, with a warning."""
    p = panel(kb, [{"test": "pth", "value": 70, "unit": "pg/mL", "interpretation": "normal"}])
    assert p.status("pth") == "normal"
    assert any(w.code == "lab.interpretation_differs" for w in p.warnings)


def test_implausible_value_warns(kb: KnowledgeBase) -> None:
    """Albumin 80 g/L (implausible, and in no other unit plausible) is flagged, not corrected."""
    p = panel(kb, [{"test": "albumin", "value": 80, "unit": "g/L"}])
    assert any(w.code == "lab.implausible" and "check the value and its unit" in w.message for w in p.warnings)
    assert p.tests["albumin"].readings[0].value_si == 80


def test_a_value_plausible_only_in_another_unit_is_an_input_error(kb: KnowledgeBase) -> None:
    """Calcium 10.2 'mmol/L' is a mg/dL value with the wrong unit: refused, naming the likely unit."""
    with pytest.raises(CaseValidationError) as err:
        panel(kb, [{"test": "calcium", "value": 10.2, "unit": "mmol/L"}])
    issue = err.value.issues[0]
    assert issue.code == "case.unit_implausible" and "mg/dL" in issue.suggestions


def test_mg_per_litre_and_severe_hypercalcaemia(kb: KnowledgeBase) -> None:
    """mg/L (the French laboratory unit) reads like mg/dL / 10; 25 mg/dL (a hypercalcaemic crisis)
    is not taken for a slip for mg/L, while 9.4 mg/L (a mg/dL value under mg/L) is."""
    from calcinosis.case.labs import interpret_labs
    from calcinosis.case.reader import parse_case
    from calcinosis.errors import CaseValidationError

    def case(value: float, unit: str) -> Any:
        return parse_case(
            {"patient": {"age": 50.0, "sex": "female"}, "labs": [{"test": "calcium", "value": value, "unit": unit}]}, kb
        )

    panel = interpret_labs(case(94.0, "mg/L"), kb)
    assert panel.tests["calcium"].readings[0].value_si == pytest.approx(2.3453) and panel.status("calcium") == "normal"
    assert interpret_labs(case(25.0, "mg/dL"), kb).status("calcium") == "high"
    with pytest.raises(CaseValidationError) as err:
        case(9.4, "mg/L")
    assert "mg/dL" in str(err.value.issues[0].suggestions)


def test_a_low_total_calcium_without_albumin_is_said_unconfirmed(kb: KnowledgeBase) -> None:
    """A low albumin lowers the total calcium without a true hypocalcaemia (a dialysis patient
    with total proteins of 44 g/L, total calcium 2.12 mmol/L, was read as hypocalcaemic): a low
    total calcium alone is flagged; an albumin, an ionised calcium or a normal calcium is not."""

    def flagged(labs: list[dict[str, Any]]) -> list[str]:
        return [w.location or "" for w in panel(kb, labs).warnings if w.code == "lab.calcium_uncorrected"]

    low = {"test": "calcium", "value": 8.5, "unit": "mg/dL"}
    assert flagged([{"test": "phosphate", "value": 4.3, "unit": "mg/dL"}, low]) == ["labs[1]"]
    assert flagged([low, {"test": "albumin", "value": 4.0, "unit": "g/dL"}]) == []
    assert flagged([low, {"test": "ionized_calcium", "value": 1.0, "unit": "mmol/L"}]) == []
    assert flagged([{"test": "calcium", "value": 9.5, "unit": "mg/dL"}]) == []


def test_every_derived_value_has_the_name_a_caution_may_give(kb: KnowledgeBase) -> None:
    """A caution names a derived value (``MeasuredNote.value``): the names the labs derive and the
    names a caution may give are the same list (a misspelt one was never shown, silently: a
    code review)."""
    from typing import get_args

    from calcinosis import parse_case
    from calcinosis.case.labs import interpret_labs
    from calcinosis.kb.deferred_schema import DerivedName

    case = parse_case(
        {
            "patient": {"age": 50, "sex": "female"},
            "labs": [
                {"test": "calcium", "value": 2.4, "unit": "mmol/L"},
                {"test": "albumin", "value": 35, "unit": "g/L"},
                {"test": "phosphate", "value": 1.2, "unit": "mmol/L"},
                {"test": "pth", "value": 10, "unit": "pmol/L"},
                {"test": "creatinine", "value": 80, "unit": "µmol/L"},
            ],
        },
        kb,
    )
    assert {d.name for d in interpret_labs(case, kb).derived} == set(get_args(DerivedName))


def test_a_tiny_value_is_never_shown_as_zero_in_french() -> None:
    """A hostile-input audit's 1e-300: six decimals wrote it '0' in French, a value the reader
    refuses as no measurement; it keeps its power of ten."""
    from calcinosis.case.labs import number

    assert (number(1e-300, "fr"), number(2.5e-7, "fr"), number(0.0, "fr"), number(0.25, "fr")) == (
        "1e-300",
        "2,5e-07",
        "0",
        "0,25",
    )


def test_an_implausible_value_keeps_its_qualifier_and_is_not_said_twice(kb: KnowledgeBase) -> None:
    """A second French clinical review read '25-hydroxyvitamine D 3 500 nmol/L (3 500 nmol/L)', the
    '>' of the result lost."""
    from calcinosis import diagnose, parse_case

    lab = {"test": "vitamin_d_25oh", "value": 3500, "unit": "nmol/L", "qualifier": ">"}
    report = diagnose(parse_case({"patient": {"age": 2, "sex": "male"}, "labs": [lab]}, kb), kb, lang="fr")
    warning = next(w for w in report.warnings if "plausible" in w)
    assert ">3\u202f500\u00a0nmol/L" in warning or ">3 500" in warning.replace("\u202f", " ").replace("\u00a0", " ")
    assert "(3" not in warning


def test_no_egfr_from_the_creatinine_of_an_acute_kidney_injury(kb: KnowledgeBase) -> None:
    """A clinical review: a creatinine raised in sepsis under acute haemodialysis gave an eGFR
    below 60, read as a chronic kidney function and a reason for a CKD-mineral and bone disorder.
    The estimating equations need a creatinine in steady state (KDIGO 2012): with an acute kidney
    injury reported no eGFR is computed, the injury is the case's own feature, and the warning
    says why; the same creatinine without it keeps its eGFR."""
    from calcinosis.engine.evidence import collect_evidence

    base = {"patient": {"age": 70, "sex": "male"}, "labs": [{"test": "creatinine", "value": 2.0, "unit": "mg/dL"}]}
    acute = parse_case({**base, "history": ["acute_kidney_injury"]}, kb)
    p = interpret_labs(acute, kb)
    assert p.derived_value("egfr_ckd_epi_2021") is None
    assert any(w.code == "lab.egfr_not_computed" and "KDIGO 2012" in w.message for w in p.warnings)
    ev = collect_evidence(acute, p, kb)
    assert not ev.present("lab:egfr_below_60") and ev.present("condition:acute_kidney_injury")
    steady = parse_case(base, kb)
    assert collect_evidence(steady, interpret_labs(steady, kb), kb).present("lab:egfr_below_60")
