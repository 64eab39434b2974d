"""A laboratory's own reference interval beside a result (``reference_range``): it decides the
result's status instead of the default range, it is shown as entered, it is checked like any
input, and it travels through FHIR and Phenopackets."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from google.protobuf import json_format

from calcinosis import CaseValidationError, KnowledgeBase, diagnose, parse_case
from calcinosis.case.labs import interpret_labs
from calcinosis.interop.fhir.read import read_bundle
from calcinosis.interop.fhir.write import case_bundle
from calcinosis.interop.phenopacket import export_case, import_phenopacket
from calcinosis.kb.codes import CodeTable, load_codes
from calcinosis.kb.loader import default_kb_path

WHEN = dt.date(2026, 12, 5)
# PTH 62 ng/L: within the default adult interval (15-65 pg/mL), above the 7-53 ng/L of the
# laboratory that measured it (a normocalcaemic hyperparathyroidism is read from exactly this)
PTH_62 = {"test": "pth", "value": 62, "unit": "ng/L"}


@pytest.fixture(scope="module")
def codes() -> CodeTable:
    return load_codes(default_kb_path())


def case_with(kb: KnowledgeBase, labs: list[dict[str, Any]], age: float = 70) -> Any:
    return parse_case({"id": "rr", "patient": {"age": age, "sex": "female"}, "labs": labs}, kb)


def test_the_laboratorys_interval_decides_the_status(kb: KnowledgeBase) -> None:
    default = interpret_labs(case_with(kb, [PTH_62]), kb)
    own = interpret_labs(case_with(kb, [{**PTH_62, "reference_range": {"low": 7, "high": 53}}]), kb)
    assert default.status("pth") == "normal" and own.status("pth") == "high"
    assert own.tests["pth"].readings[0].reference == "7–53 ng/L, the laboratory's interval"
    french = interpret_labs(case_with(kb, [{**PTH_62, "reference_range": {"low": 7, "high": 53}}]), kb, lang="fr")
    assert french.tests["pth"].readings[0].reference == "7–53 ng/L, intervalle du laboratoire"
    # a higher interval makes a value the default calls high normal again
    wide = interpret_labs(
        case_with(kb, [{"test": "pth", "value": 80, "unit": "pg/mL", "reference_range": {"high": 88}}]), kb
    )
    assert wide.status("pth") == "normal" and wide.tests["pth"].readings[0].reference.startswith("< 88 pg/mL")


def test_one_limit_and_the_corrected_calcium(kb: KnowledgeBase) -> None:
    """A lower limit alone reads lows; albumin-corrected calcium is read against the interval of
    the laboratory that measured the calcium."""
    low = interpret_labs(
        case_with(kb, [{"test": "phosphate", "value": 0.9, "unit": "mmol/L", "reference_range": {"low": 0.96}}]), kb
    )
    assert low.status("phosphate") == "low"
    labs = [
        {"test": "calcium", "value": 2.45, "unit": "mmol/L", "reference_range": {"low": 2.1, "high": 2.4}},
        {"test": "albumin", "value": 38, "unit": "g/L"},
    ]
    panel = interpret_labs(case_with(kb, labs), kb)
    assert panel.status("calcium") == "high"
    corrected = panel.tests["corrected_calcium"].readings[0]
    assert corrected.value_si == pytest.approx(2.49) and corrected.status == "high"
    assert "the laboratory's interval" in corrected.reference
    # without the laboratory's interval both are normal (adult default 2.2-2.6 mmol/L)
    plain = interpret_labs(case_with(kb, [{k: v for k, v in labs[0].items() if k != "reference_range"}, labs[1]]), kb)
    assert plain.status("calcium") == "normal" and plain.status("corrected_calcium") == "normal"


def test_the_interval_changes_the_differential(kb: KnowledgeBase) -> None:
    """The raised PTH it reveals is evidence like any other, named with its input."""
    labs = [PTH_62, {"test": "calcium", "value": 2.54, "unit": "mmol/L"}]
    without = diagnose(case_with(kb, labs), kb)
    with_range = diagnose(case_with(kb, [{**PTH_62, "reference_range": {"low": 7, "high": 53}}, labs[1]]), kb)
    p = {d.diagnosis: d.probability for d in without.differential}
    q = {d.diagnosis: d.probability for d in with_range.differential}
    assert q["primary_hyperparathyroidism"] > 2 * p.get("primary_hyperparathyroidism", 0.0)
    phpt = next(d for d in with_range.differential if d.diagnosis == "primary_hyperparathyroidism")
    basis = next(c.basis for c in phpt.evidence if c.feature == "lab:pth_high")
    assert basis == ["labs[0] pth 62 ng/L: high (7–53 ng/L, the laboratory's interval)"]


@pytest.mark.parametrize(
    ("lab", "path", "fragment"),
    [
        ({**PTH_62, "reference_range": {"low": 53, "high": 7}}, "labs[0].reference_range", "low limit must be below"),
        ({**PTH_62, "reference_range": {}}, "labs[0].reference_range", "needs low, high or both"),
        ({"test": "pth", "interpretation": "high", "reference_range": {"high": 53}}, "labs[0]", "goes with a value"),
        ({**PTH_62, "reference_range": {"high": -1}}, "labs[0].reference_range.high", ""),
        ({**PTH_62, "reference_range": {"high": "53"}}, "labs[0].reference_range.high", ""),
        ({**PTH_62, "reference_range": {"upper": 53}}, "labs[0].reference_range.upper", ""),
        # pydantic would say "a valid dictionary or instance of ReferenceRange": a class name of ours
        ({**PTH_62, "reference_range": [7, 53]}, "labs[0].reference_range", "a mapping of keys expected"),
    ],
)
def test_a_bad_interval_is_a_clear_error(kb: KnowledgeBase, lab: dict[str, Any], path: str, fragment: str) -> None:
    with pytest.raises(CaseValidationError) as err:
        case_with(kb, [lab])
    issue = err.value.issues[0]
    assert issue.location == path and fragment in issue.message


PHOSPHATE_19 = {"test": "phosphate", "value": 1.9, "unit": "mmol/L"}  # high in an adult (0.81-1.45 mmol/L)


@pytest.mark.parametrize(
    ("lab", "path", "fragments", "fits"),
    [
        # a mg/dL interval beside a mmol/L value: phosphate 1.9 read as low turned the diagnosis
        (
            {**PHOSPHATE_19, "reference_range": {"low": 2.5, "high": 4.5}},
            "labs[0].reference_range",
            [
                "phosphate: the laboratory's interval 2.5–4.5 mmol/L has nothing in common with the usual interval"
                " (0.81–1.45 mmol/L, adults), but fits in mg/dL"
            ],
            ["mg/dL"],
        ),
        (
            {"test": "calcium", "value": 2.4, "unit": "mmol/L", "reference_range": {"low": 1e-300, "high": 2e-300}},
            "labs[0].reference_range",
            ["1e-300–2e-300 mmol/L lies outside the plausible range 0.5–7.5 mmol/L"],
            [],
        ),
        (
            {"test": "creatinine", "value": 70, "unit": "umol/L", "reference_range": {"high": 1.0}},
            "labs[0].reference_range.high",
            ["< 1 umol/L lies outside the plausible range 10–3000 µmol/L, but fits in mg/dL"],
            ["mg/dL"],
        ),
        (
            {"test": "pth", "value": 5, "unit": "pmol/L", "reference_range": {"low": 15, "high": 65}},
            "labs[0].reference_range",
            ["but fits in pg/mL or ng/L"],
            ["pg/mL", "ng/L"],
        ),
    ],
)
def test_an_interval_implausible_in_its_unit_is_refused(
    kb: KnowledgeBase, lab: dict[str, Any], path: str, fragments: list[str], fits: list[str]
) -> None:
    """A hostile-input audit: an interval is never checked against its unit. The limits get the
    value's check: outside the plausible range, or meeting the usual interval only in another
    unit, the interval is refused, naming the item, its limits and the unit that would fit."""
    with pytest.raises(CaseValidationError) as err:
        case_with(kb, [lab], age=30)
    (issue,) = err.value.issues
    assert (issue.location, issue.code, issue.suggestions) == (path, "case.range_unit", fits)
    assert all(f in issue.message for f in fragments), issue.message
    assert "in the result's unit" in issue.expected


def test_an_interval_of_its_own_laboratory_is_kept(kb: KnowledgeBase) -> None:
    """An interval that meets the usual one in its unit is read; one that meets it in no unit
    (an assay of its own) is kept too: refusing it would be a guess; a lower limit of 0 is no limit."""
    ok = interpret_labs(case_with(kb, [{**PHOSPHATE_19, "reference_range": {"low": 0.8, "high": 1.5}}], age=30), kb)
    assert ok.status("phosphate") == "high"
    own = {"test": "pth", "value": 150, "unit": "pg/mL", "reference_range": {"low": 100, "high": 200}}
    assert interpret_labs(case_with(kb, [own]), kb).status("pth") == "normal"
    zero = {"test": "calcium", "value": 2.7, "unit": "mmol/L", "reference_range": {"low": 0, "high": 2.6}}
    assert interpret_labs(case_with(kb, [zero]), kb).status("calcium") == "high"


def test_fhir_round_trip_and_import(kb: KnowledgeBase, codes: CodeTable) -> None:
    case = case_with(
        kb,
        [
            {**PTH_62, "reference_range": {"low": 7, "high": 53}},
            {"test": "phosphate", "value": 1.9, "unit": "mmol/L", "reference_range": {"high": 1.5}},
        ],
    )
    bundle = json.loads(json.dumps(case_bundle(case, kb, codes, analysis_date=WHEN)))
    observations = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"]
    pth = next(o for o in observations if o["valueQuantity"]["unit"] == "ng/L")
    assert pth["referenceRange"] == [
        {
            "low": {"value": 7, "unit": "ng/L", "system": "http://unitsofmeasure.org", "code": "ng/L"},
            "high": {"value": 53, "unit": "ng/L", "system": "http://unitsofmeasure.org", "code": "ng/L"},
        }
    ]
    again = read_bundle(bundle, kb, codes, analysis_date=WHEN)
    assert again.case.labs == case.labs
    # a hospital's range in another unit than its value is reported, and the default is used
    for entry in bundle["entry"]:
        resource = entry["resource"]
        if resource is pth:
            resource["referenceRange"][0]["high"] = {
                "value": 5.6,
                "unit": "pmol/L",
                "system": "http://unitsofmeasure.org",
                "code": "pmol/L",
            }
    other = read_bundle(bundle, kb, codes, analysis_date=WHEN)
    read_pth = next(lab for lab in other.case.labs if lab.test == "pth")
    assert read_pth.reference_range is None and read_pth.value == 62
    skipped = [m for m in other.mapping if m.element == "referenceRange"]
    assert len(skipped) == 1 and skipped[0].outcome == "not_used" and "another unit" in skipped[0].reason


def test_phenopacket_carries_the_laboratorys_interval(kb: KnowledgeBase, codes: CodeTable) -> None:
    case = case_with(kb, [{**PTH_62, "reference_range": {"low": 7, "high": 53}}])
    packet = export_case(case, kb, codes=codes)
    interval = packet.measurements[0].value.quantity.reference_range
    assert (interval.low, interval.high) == (7, 53)
    assert import_phenopacket(json_format.MessageToDict(packet), kb, codes=codes).case == case


def test_the_case_page_keeps_and_edits_the_laboratorys_interval(kb: KnowledgeBase) -> None:
    """A case file with an interval fills the two inputs of its row and reads back the same;
    an interval typed in the form (a decimal comma accepted) reaches the case; nothing is lost."""
    from calcinosis.web.pages.form import case_to_form, form_to_case
    from calcinosis.web.pages.routes import _form_fields

    data = {
        "patient": {"age": 70, "sex": "female"},
        "labs": [
            {**PTH_62, "reference_range": {"low": 7, "high": 53}},
            {"test": "calcium", "value": 2.54, "unit": "mmol/L"},
        ],
    }
    form = case_to_form(data)
    assert form.labs[0]["range_low"] == "7" and form.labs[0]["range_high"] == "53"
    assert form_to_case(_form_fields(form)) == data
    typed = form_to_case(
        [
            ("age", "70"),
            ("sex", "female"),
            ("lab-0-test", "pth"),
            ("lab-0-value", "62"),
            ("lab-0-unit", "ng/L"),
            ("lab-0-range_high", "53,5"),
        ]
    )
    assert typed["labs"] == [{**PTH_62, "reference_range": {"high": 53.5}}]
    # an interval that is not a mapping is not dropped: the case reader refuses it, located
    odd = form_to_case(_form_fields(case_to_form({**data, "labs": [{**PTH_62, "reference_range": "7-53"}]})))
    with pytest.raises(CaseValidationError) as err:
        parse_case(odd, kb)
    assert err.value.issues[0].location == "labs[0].reference_range"


def test_the_case_page_shows_the_interval_inputs(kb: KnowledgeBase, tmp_path: Any) -> None:
    from fastapi.testclient import TestClient

    from calcinosis.web.app import create_app
    from calcinosis.web.settings import Settings

    text = "patient: {age: 70, sex: female}\nlabs:\n  - {test: pth, value: 62, unit: ng/L, reference_range: {low: 7, high: 53}}\n"
    with TestClient(create_app(Settings(database_url=f"sqlite:///{tmp_path / 'r.sqlite3'}"), kb=kb)) as client:
        page = client.post("/ui/load?lang=fr", data={"case_text": text}).text
    assert 'name="lab-0-range_low" class="num" inputmode="decimal" size="5" value="7"' in page
    assert 'name="lab-0-range_high" class="num" inputmode="decimal" size="5" value="53"' in page
    assert "Intervalle du laboratoire (facultatif)" in page
    assert "7–53 ng/L, intervalle du laboratoire" in page  # the reading's basis in the result


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("A 70-year-old woman with nephrocalcinosis. PTH 62 ng/L (ref 7-53).", "en", {"low": 7.0, "high": 53.0}),
        ("Patiente de 70 ans, néphrocalcinose. PTH 62 ng/l (N : 7-53).", "fr", {"low": 7.0, "high": 53.0}),
        ("A 70-year-old woman with nephrocalcinosis. PTH 62 ng/L (normal < 53).", "en", {"high": 53.0}),
        ("A 70-year-old woman with nephrocalcinosis. PTH 62 ng/L (1.6-6.9 pmol/L).", "en", None),  # another unit
        ("A 70-year-old woman with nephrocalcinosis. PTH 62 ng/L (53-7).", "en", None),  # upside down
    ],
)
def test_a_note_gives_the_laboratorys_interval(kb: KnowledgeBase, text: str, lang: str, expected: Any) -> None:
    """The intake reads the bracketed interval after a value into the lab, in the value's unit only."""
    from calcinosis.intake import extract_case

    extraction = extract_case(text, kb, lang=lang)
    (pth,) = [lab for lab in extraction.case["labs"] if lab["test"] == "pth"]
    assert (pth["value"], pth["unit"]) == (62.0, "ng/L")
    assert pth.get("reference_range") == expected
    # the reviewer sees the interval read with the value, or not
    (item,) = [i for i in extraction.items if i.field == "labs" and i.term == "pth"]
    said = ("intervalle du laboratoire" if lang == "fr" else "laboratory's interval") in item.reason
    assert said == (expected is not None)


def test_the_laboratory_table_clinicians_read(kb: KnowledgeBase) -> None:
    """One row per reading in the case's order, converted values beside non-SI ones, the status
    and the interval it was read against; repeated results mark the one the reasoning used;
    derived values after (albumin-corrected calcium, the product, a computed eGFR)."""
    from calcinosis.reports.lab_table import lab_rows

    labs = [
        {**PTH_62, "reference_range": {"low": 7, "high": 53}},
        {"test": "calcium", "value": 9.0, "unit": "mg/dL"},
        {"test": "calcium", "value": 11.2, "unit": "mg/dL"},
        {"test": "albumin", "value": 30, "unit": "g/L"},
        {"test": "phosphate", "value": 1.9, "unit": "mmol/L"},
        {"test": "creatinine", "value": 150, "unit": "µmol/L"},
        {"test": "fgf23", "interpretation": "high"},
    ]
    panel = interpret_labs(case_with(kb, labs), kb)
    rows = lab_rows(panel, kb, "en")
    names = [r.name for r in rows]
    assert names[:7] == [
        "Parathyroid hormone (intact)",
        "Calcium (total)",
        "Calcium (total)",
        "Albumin",
        "Phosphate",
        "Creatinine",
        kb.vocabulary.label("labs", "fgf23", "en"),
    ]
    pth = rows[0]
    assert (pth.entered, pth.si, pth.status, pth.reference) == (
        "62 ng/L",
        "6.57 pmol/L",
        "high",
        "7–53 ng/L, the laboratory's interval",
    )
    first, second = rows[1], rows[2]
    assert second.drives and not first.drives  # the higher calcium drives the reasoning
    assert rows[6].entered == "high" and rows[6].si == ""  # said in words
    derived = {r.name: r for r in rows[7:]}
    assert set(derived) == {
        "Albumin-corrected calcium",
        "eGFR",
        "Calcium × phosphate product",
        "PTH, times the upper limit",
    }
    # 62 ng/L against the laboratory's upper limit of 53 (a clinical review read a PTH 26 times
    # the limit as merely 'above normal')
    assert derived["PTH, times the upper limit"].entered == "1.2\u00a0×"
    # corrected from the first exact calcium, as the case reader does: 2.2455 + 0.02 x (40 - 30)
    assert (derived["Albumin-corrected calcium"].entered, derived["Albumin-corrected calcium"].flag) == (
        "2.446 mmol/L",
        "normal",
    )
    assert "CKD-EPI" in derived["eGFR"].reference or "computed" in derived["eGFR"].reference
    french = lab_rows(panel, kb, "fr")
    assert french[0].entered == "62 ng/L" and french[0].status == "au-dessus de la normale"
    assert french[1].entered == "9 mg/dL" and french[1].si == "2,25 mmol/L"


def test_the_report_terminal_and_page_show_the_laboratory_table(kb: KnowledgeBase, tmp_path: Any) -> None:
    from fastapi.testclient import TestClient
    from typer.testing import CliRunner

    from calcinosis.cli.main import app
    from calcinosis.reports.render import render_html
    from calcinosis.web.app import create_app
    from calcinosis.web.settings import Settings

    case = case_with(kb, [{**PTH_62, "reference_range": {"low": 7, "high": 53}}])
    html = render_html(case, kb, lang="fr")
    assert "Résultats biologiques" in html and "7–53 ng/L, intervalle du laboratoire" in html
    path = tmp_path / "c.yaml"
    path.write_text(
        "patient: {age: 70, sex: female}\nlabs:\n  - {test: pth, value: 62, unit: ng/L, reference_range: {low: 7, high: 53}}\n",
        encoding="utf-8",
    )
    out = CliRunner().invoke(app, ["diagnose", str(path), "--full"], env={"COLUMNS": "200"})
    assert (
        out.exit_code == 0
        and "Laboratory results" in out.output
        and "7–53 ng/L, the laboratory's interval" in out.output
    )
    with TestClient(create_app(Settings(database_url=f"sqlite:///{tmp_path / 'r.sqlite3'}"), kb=kb)) as client:
        page = client.post("/ui/load?lang=en", data={"case_text": path.read_text(encoding="utf-8")}).text
    assert "Laboratory results, as read" in page and '<td class="lab-high">high</td>' in page


def test_a_ratio_without_a_unit_is_written_bare(kb: KnowledgeBase) -> None:
    """The INR's unit is '1': '4' and '0.8–1.2', not '4 1' (read as 41) and '0.8–1.2 1'; a
    unit is still written after a value that has one."""
    from calcinosis.reports.lab_table import lab_rows

    case = parse_case(
        {
            "patient": {"age": 70, "sex": "female"},
            "labs": [{"test": "inr", "value": 4, "unit": "1"}, {"test": "calcium", "value": 2.4, "unit": "mmol/L"}],
        },
        kb,
    )
    rows = {r.name: r for r in lab_rows(interpret_labs(case, kb), kb, "en")}
    inr = next(r for name, r in rows.items() if name == "INR")
    assert inr.entered == "4" and not inr.reference.endswith(" 1")
    calcium = next(r for name, r in rows.items() if name.startswith("Calcium"))
    assert calcium.entered == "2.4 mmol/L"


def test_urea_in_mg_per_dl_is_named_as_urea_nitrogen(kb: KnowledgeBase) -> None:
    """Urea entered in mg/dL is read as urea nitrogen (BUN: 24 mg/dL is 8.57 mmol/L of urea):
    the table names it so, rather than 'Urea 24 mg/dL (8.57 mmol/L)', which reads as a wrong
    conversion; in mmol/L it stays 'Urea'."""
    from calcinosis.reports.lab_table import lab_rows

    def names(unit: str, value: float) -> list[str]:
        case = parse_case(
            {"patient": {"age": 70, "sex": "female"}, "labs": [{"test": "urea", "value": value, "unit": unit}]}, kb
        )
        return [r.name for r in lab_rows(interpret_labs(case, kb), kb, "en")]

    assert names("mg/dL", 24) == ["Urea nitrogen (BUN), as urea"]
    assert names("mmol/L", 8.6) == ["Urea"]


def test_a_child_s_result_with_the_adult_interval_of_its_laboratory_is_kept(kb: KnowledgeBase) -> None:
    """A code review: a newborn's phosphate of 6.0 mg/dL with the laboratory's adult interval
    2.5-4.5 mg/dL was refused as 'fits in mmol/L' (the newborn band, 1.5-2.6 mmol/L, is higher);
    many laboratories print the adult interval whatever the age. The adult's slip is still refused."""
    from calcinosis import parse_case
    from calcinosis.errors import CaseValidationError

    lab = {"test": "phosphate", "value": 6.0, "unit": "mg/dL", "reference_range": {"low": 2.5, "high": 4.5}}
    case = parse_case({"patient": {"age": 0.008, "sex": "male"}, "labs": [lab]}, kb)
    assert case.labs[0].reference_range is not None
    slip = {"test": "phosphate", "value": 1.9, "unit": "mmol/L", "reference_range": {"low": 2.5, "high": 4.5}}
    with pytest.raises(CaseValidationError):
        parse_case({"patient": {"age": 50, "sex": "male"}, "labs": [slip]}, kb)
