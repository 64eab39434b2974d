"""Management read against its sources (a clinical review of the treatment options): what a
drug's label says and nothing more, where an injection was studied, a child's doses, a
haemochromatosis' own care, and the disease's treatment before a deposit's."""

from __future__ import annotations

from typing import Any

import pytest

from calcinosis import KnowledgeBase, read_case
from calcinosis.management.manage import manage

from .conftest import PUBLISHED_CASES
from .test_management_scope import _options, run

DERMATOMYOSITIS_WITH_ILD: dict[str, Any] = {
    "patient": {"age": 50, "sex": "female"},
    "history": ["dermatomyositis", "interstitial_lung_disease"],
    "findings": ["pain", "palpable_nodules"],
    "sites": ["hip"],
}


@pytest.mark.parametrize(("lang", "said"), [("en", "rare adverse reaction"), ("fr", "effets indésirables rares")])
def test_infliximab_says_what_its_label_says_of_interstitial_lung_disease(
    kb: KnowledgeBase, lang: str, said: str
) -> None:
    """The infliximab caution on interstitial lung disease is the label's: a rare adverse reaction
    (EU SmPC 4.8), not a contraindication of a known one; it names the SmPC it comes from."""
    infliximab = _options(run(kb, DERMATOMYOSITIS_WITH_ILD, lang))["infliximab"]
    ild = [c for c in infliximab.cautions if said in c]
    assert len(ild) == 1
    assert "infliximab_smpc" in infliximab.references
    assert "infliximab" not in {o.treatment for o in run(kb, DERMATOMYOSITIS_WITH_ILD, lang).avoid}
    assert kb.references["infliximab_smpc"].url


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_breast_calcification_is_not_injected(kb: KnowledgeBase, lang: str) -> None:
    """A clinical review: a lupus mastitis seen on mammography (its calcifications coarse, the
    breast assessed in BI-RADS) was offered intralesional sodium thiosulfate. A deposit of the
    breast alone: the injection is to avoid, with the breast imaging work-up as the reason; with
    deposits elsewhere too (a lupus with ulcerated limbs and breast), it stays for them, not for
    the breast."""
    breast_only = run(
        kb,
        {
            "patient": {"age": 47, "sex": "female", "postmenopausal": True},
            "history": ["systemic_lupus_erythematosus"],
            "findings": ["pain", "palpable_nodules"],
            "sites": ["breast"],
        },
        lang,
    )
    avoided = {o.treatment: o for o in breast_only.avoid}
    assert "sodium_thiosulfate_intralesional" not in _options(breast_only)
    assert any("BI-RADS" in c for c in avoided["sodium_thiosulfate_intralesional"].cautions)
    assert "acr_birads2013" in avoided["sodium_thiosulfate_intralesional"].references
    ulcerated = read_case(PUBLISHED_CASES / "pub-ctd-14-sle-ulcerated-lesions-limbs-breast.yaml", kb)
    elsewhere_too = manage(ulcerated, kb, lang=lang)
    injection = _options(elsewhere_too)["sodium_thiosulfate_intralesional"]
    start = "Not into a deposit of the breast" if lang == "en" else "Pas dans un dépôt du sein"
    assert any(c.startswith(start) for c in injection.cautions)
    assert not any(
        c.startswith(start) for o in _options(elsewhere_too).values() for c in o.cautions if o.kind != "procedure"
    )


TODDLER_VITAMIN_D: dict[str, Any] = {
    "patient": {"age": 2, "sex": "female"},
    "exposures": ["vitamin_d_high_dose"],
    "findings": ["hypercalcemia_symptoms"],
    "labs": [{"test": "calcium", "value": 3.6, "unit": "mmol/L"}, {"test": "pth", "interpretation": "low"}],
}


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_toddler_s_hypercalcaemia_shows_no_adult_volume_or_dose(kb: KnowledgeBase, lang: str) -> None:
    """A clinical review: a toddler with a vitamin D intoxication read 4-6 L of saline,
    zoledronic acid 4 mg and pamidronate 60-90 mg, beside a caution that adult doses did not
    apply. A child's plan shows the paediatric dosing instead, and no adult number anywhere in
    the option; an adult's keeps the adult doses."""
    result = run(kb, TODDLER_VITAMIN_D, lang)
    assert result.diagnosis == "hypervitaminosis_d"
    hydration = _options(result)["hydration_and_hypercalcaemia_management"]
    assert hydration.dose.startswith("Paediatric dosing" if lang == "en" else "Posologie pédiatrique")
    said = " ".join([hydration.dose, *hydration.cautions, *(e.outcome for e in hydration.evidence)])
    for adult in ("4-6 L", "4 à 6 L", "4 mg", "60-90", "60 à 90", "100 units", "100 unités"):
        assert adult not in said, adult
    colchicine = run(kb, {"patient": {"age": 9, "sex": "male"}, "history": ["juvenile_dermatomyositis"]}, lang)
    assert "mg" not in _options(colchicine)["colchicine"].dose
    adult = run(kb, {**TODDLER_VITAMIN_D, "patient": {"age": 60, "sex": "female"}}, lang)
    assert "4" in _options(adult)["hydration_and_hypercalcaemia_management"].dose


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_haemochromatosis_arthropathy_has_its_iron_and_its_joints_cared_for(kb: KnowledgeBase, lang: str) -> None:
    """A clinical review: a man with a known haemochromatosis and painful hands with
    chondrocalcinosis was offered colchicine for a CPPD at 9 % and nothing else. Venesection for
    the iron (EASL 2022), said not to reverse the arthropathy, and the CPPD symptomatic options
    (EULAR 2011) are listed for the haemochromatosis itself, with its own principle."""
    case = read_case(PUBLISHED_CASES / "pub-dys-05-known-haemochromatosis-painful-hands.yaml", kb)
    result = manage(case, kb, lang=lang)
    assert result.diagnosis == "hemochromatosis_arthropathy"
    options = _options(result)
    venesection = options["venesection"]
    assert venesection.role == "first_line" and not venesection.wait_note
    assert "easl2022hh" in venesection.references
    not_reversed = "does not reverse" if lang == "en" else "ne fait pas régresser"
    assert any(not_reversed in c for c in venesection.cautions)
    assert {"nsaids", "colchicine"} <= options.keys()
    assert all("zhang2011cppd" in options[t].references for t in ("nsaids", "colchicine"))
    care = next(s for s in result.statements if s.id == "hemochromatosis_arthropathy_care")
    assert {"easl2022hh", "zhang2011cppd"} <= set(care.references)


def _fits_best(kb: KnowledgeBase, path: Any, lang: str = "en") -> str | None:
    """The summary's 'treatment that fits best' line of a case file, if any."""
    from calcinosis import diagnose
    from calcinosis.reports.summary import build_summary

    case = read_case(path, kb)
    report = diagnose(case, kb, lang=lang)
    steps = build_summary(report, kb, lang=lang, management=manage(case, kb, lang=lang, report=report)).next_steps
    return next((s for s in steps if s.startswith(("Treatment that fits best", "Traitement le plus adapté"))), None)


@pytest.mark.parametrize("name", ["pub-ctd-10-", "pub-ctd-11-"])
def test_a_child_s_dermatomyositis_is_treated_before_its_deposits(kb: KnowledgeBase, name: str) -> None:
    """A clinical review: a child's juvenile dermatomyositis read diltiazem (first line by expert
    opinion, level 4) or shock waves as the treatment that fits best, above the control of its
    disease activity, which the SHARE recommendations put first (Bellutti Enders 2017). A
    treatment of the deposits resting on evidence no better than the disease's own treatment is
    not named above it; where it is better supported (a systemic sclerosis, whose disease
    control has only expert opinion for calcinosis), it still is."""
    from calcinosis.i18n import message

    from .conftest import DEV_CASES

    path = next(PUBLISHED_CASES.glob(f"{name}*.yaml"))
    own = message("summary_treatment", "en", name=kb.treatments["treat_underlying_ctd"].names.en)
    assert _fits_best(kb, path) == own
    assert _fits_best(kb, path, "fr") == message(
        "summary_treatment", "fr", name=kb.treatments["treat_underlying_ctd"].names.fr
    )
    crest = next(p for p in DEV_CASES if "crest" in p.name)
    assert _fits_best(kb, crest) == message("summary_treatment", "en", name=kb.treatments["diltiazem"].names.en)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_child_reads_no_adult_cinacalcet_dose(kb: KnowledgeBase, lang: str) -> None:
    """A clinical review: a 35-day-old with a raised calcium read 'Cinacalcet 30 mg by mouth once
    daily … up to 90 mg three or four times daily' among her options. The label seen
    establishes no paediatric safety: a child's plan says so, with no milligram dose; an adult
    keeps the label's doses."""
    child = {
        "patient": {"age": 12, "sex": "female"},
        "labs": [
            {"test": "calcium", "value": 3.1, "unit": "mmol/L"},
            {"test": "pth", "value": 180, "unit": "pg/mL"},
        ],
    }
    options = _options(run(kb, child, lang))
    assert "calcimimetics" in options
    dose = options["calcimimetics"].dose
    assert dose.startswith("Paediatric dosing" if lang == "en" else "Posologie pédiatrique")
    assert "mg" not in dose
    adult = _options(run(kb, {**child, "patient": {"age": 55, "sex": "female"}}, lang))
    assert "30 mg" in adult["calcimimetics"].dose


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_child_is_not_told_the_adult_milk_alkali_and_dialysis_sentences(kb: KnowledgeBase, lang: str) -> None:
    """A clinical review: the parents of a 35-day-old with a raised calcium read, under stopping
    vitamin D, 'cutting elemental calcium to 1200-1500 mg/day' and 'in dialysis patients…'. A
    child's text says to stop the drops and supplements and that an infant's milk is changed
    only by the paediatric team; an adult keeps the milk-alkali sentence."""
    child = _options(run(kb, TODDLER_VITAMIN_D, lang))["stop_vitamin_d_and_calcium"].dose
    for adult in ("1200-1500", "1 200-1 500", "dialys"):
        assert adult not in child, adult
    assert ("paediatric team" if lang == "en" else "équipe pédiatrique") in child
    grown = {**TODDLER_VITAMIN_D, "patient": {"age": 60, "sex": "female"}}
    assert "1" in _options(run(kb, grown, lang))["stop_vitamin_d_and_calcium"].dose
