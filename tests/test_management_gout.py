"""A tophaceous gout is cared for as a gout, not as a calcinosis (a French clinical review: a gout
at > 99 % read « Aucun traitement de la calcinose n'est validé ni curatif » and « Il ne faut pas
supprimer le calcium alimentaire », and its leaflet called the tophi « un dépôt de sels de
calcium », with no word of uric acid, of the treatment to a target or of its flares)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from calcinosis import KnowledgeBase, diagnose, load_kb, parse_case, read_case
from calcinosis.errors import KnowledgeBaseError
from calcinosis.kb.deferred_schema import StatementCondition
from calcinosis.kb.loader import default_kb_path
from calcinosis.management.manage import _holds, manage
from calcinosis.reports.leaflet import build_leaflet
from calcinosis.reports.render import render_html

from .conftest import DEV_CASES, assert_plain_leaflet_texts

CALCINOSIS_ONLY = {"no_validated_treatment", "keep_dietary_calcium", "painless_watchful_waiting"}
"""The principles about treating calcinosis that are wrong or meaningless for a gout's tophi."""

# the hands of a man of 56 with painless finger nodules, flares and a raised uric acid (coded as
# the French review's case was: no gout named, the engine finds it)
TOPHI: dict[str, Any] = {
    "patient": {"age": 56, "sex": "male"},
    "findings": ["pain", "acute_joint_pain", "palpable_nodules"],
    "sites": ["hand"],
    "duration_months": 96,
    "absent": ["fever", "joint_restriction"],
    "labs": [
        {"test": "uric_acid", "value": 92, "unit": "mg/L"},
        {"test": "crp", "value": 6, "unit": "mg/L"},
    ],
    "antibodies": [{"name": "rheumatoid_factor", "result": "negative"}],
}

# painless tophi, nothing else: the watchful waiting of painless deposits is not for them
PAINLESS_TOPHI: dict[str, Any] = {
    "patient": {"age": 62, "sex": "male"},
    "findings": ["palpable_nodules", "visible_tophi"],
    "sites": ["hand", "elbow"],
    "absent": ["pain"],
    "labs": [{"test": "uric_acid", "interpretation": "high"}],
}


def _said(result) -> set[str]:  # type: ignore[no-untyped-def]
    return {s.id for s in result.statements}


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_leading_gout_reads_its_own_principle_not_the_calcinosis_ones(kb: KnowledgeBase, lang: str) -> None:
    result = manage(parse_case(TOPHI, kb), kb, lang=lang)
    assert result.diagnosis == "gout" and result.diagnosis_probability >= 0.5
    said = _said(result)
    assert "gout_treat_to_target" in said and not said & CALCINOSIS_ONLY
    order = [s.id for s in result.statements]  # its own treatment before the surgery of deposits
    assert "surgery_when" not in order or order.index("gout_treat_to_target") < order.index("surgery_when")
    text = next(s.text for s in result.statements if s.id == "gout_treat_to_target")
    # the target, the flares at the start, the tophi that shrink below it
    assert "360 µmol/L" in text and "300 µmol/L" in text
    if lang == "fr":
        assert "traitement hypo-uricémiant" in text and "crises" in text and "tophus diminuent" in text
        assert "n'est pas arrêté pendant une crise" in text
    else:
        assert "Urate-lowering therapy" in text and "Flares" in text and "tophi shrink" in text
        assert "not stopped during one" in text
    assert {"fitzgerald2020", "richette2017eular", "nice_ng219"} <= set(
        next(s.references for s in result.statements if s.id == "gout_treat_to_target")
    )


def test_painless_tophi_are_not_simply_watched(kb: KnowledgeBase) -> None:
    case = parse_case(PAINLESS_TOPHI, kb)
    gout = manage(case, kb, diagnosis="gout")
    assert "painless_watchful_waiting" not in _said(gout) and "gout_treat_to_target" in _said(gout)
    # the same painless nodules given as another dystrophic calcinosis are still watched
    other = manage(case, kb, diagnosis="post_traumatic_calcification")
    assert "painless_watchful_waiting" in _said(other) and "gout_treat_to_target" not in _said(other)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_scleroderma_calcinosis_keeps_the_calcinosis_principles(kb: KnowledgeBase, lang: str) -> None:
    path = next(p for p in DEV_CASES if "crest-fingertips" in p.name)
    result = manage(read_case(path, kb), kb, lang=lang)
    assert result.diagnosis == "systemic_sclerosis"
    said = _said(result)
    assert {"no_validated_treatment", "keep_dietary_calcium"} <= said and "gout_treat_to_target" not in said


def test_a_gout_that_does_not_lead_does_not_silence_the_calcinosis_principles(kb: KnowledgeBase) -> None:
    """``unless_leading`` and ``leading`` read the leading diagnosis (at half the probability or
    more), not a gout among other possibilities."""
    case = parse_case(TOPHI, kb)
    report = diagnose(case, kb)
    from calcinosis.engine.diagnose import analyse
    from calcinosis.engine.evidence import collect_evidence

    _, _, scores = analyse(case, kb)
    ev = collect_evidence(case, report.labs, kb)
    posterior = np.asarray(scores.posterior)
    unless = StatementCondition(categories=["dystrophic"], unless_leading=["gout"])
    only = StatementCondition(leading=["gout"])
    common: dict[str, Any] = {"kb": kb, "ev": ev, "posterior": posterior, "category": "dystrophic", "forms": {}}
    assert not _holds(unless, leading="gout", **common) and _holds(only, leading="gout", **common)
    assert _holds(unless, leading=None, **common) and not _holds(only, leading=None, **common)
    assert _holds(unless, leading="systemic_sclerosis", **common)


@pytest.mark.parametrize("key", ["leading", "unless_leading"])
def test_the_loader_refuses_an_unknown_leading_diagnosis(tmp_path: Path, key: str) -> None:
    root = tmp_path / "kb"
    shutil.copytree(default_kb_path(), root)
    path = root / "management.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    statement = next(s for s in data["statements"] if s["id"] == "no_validated_treatment")
    statement["when"][key] = ["goutte"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(KnowledgeBaseError) as err:
        load_kb(root, cache=False)
    assert "management.yaml:no_validated_treatment" in str(err.value) and "goutte" in str(err.value)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_gout_leaflet_speaks_of_uric_acid_the_target_the_flares_and_what_helps(
    kb: KnowledgeBase, lang: str
) -> None:
    lf = build_leaflet(diagnose(parse_case(TOPHI, kb), kb, lang=lang), kb, lang=lang)
    sections = {s.id: s for s in lf.sections}
    for sid in ("what_it_is", "what_you_notice", "tests", "treatment", "daily_life", "when_to_consult", "outlook"):
        assert sections[sid].written_for == "gout", sid
        assert sections[sid].references, sid
    body = " ".join(s.text for s in lf.sections)
    if lang == "fr":
        assert sections["what_it_is"].title == "Qu'est-ce que la goutte\u202f?"
        assert "sels de calcium" not in body and "acide urique" in sections["what_it_is"].text
        assert "cible" in sections["treatment"].text and "crises" in sections["treatment"].text
        daily = sections["daily_life"].text
        assert "même pendant une crise" in daily and "bière" in daily and "boissons sucrées" in daily
        assert "poids" in daily and "calcium de votre alimentation" not in body
    else:
        assert sections["what_it_is"].title == "What is gout?"
        assert "calcium salts" not in body and "uric acid" in sections["what_it_is"].text
        assert "target" in sections["treatment"].text and "flares" in sections["treatment"].text
        daily = sections["daily_life"].text
        assert "even during a flare" in daily and "beer" in daily and "sugary drinks" in daily
        assert "weight" in daily and "calcium from your diet" not in body


def test_the_gout_leaflet_texts_are_plain_and_keep_french_typography(kb: KnowledgeBase) -> None:
    variants = [v for v in kb.leaflet_variants.variants if "gout" in v.diagnoses]
    assert {v.section for v in variants} >= {"what_it_is", "treatment", "daily_life", "when_to_consult", "outlook"}
    assert_plain_leaflet_texts(variants)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_gout_is_followed_on_its_serum_urate(kb: KnowledgeBase, lang: str) -> None:
    result = manage(parse_case(TOPHI, kb), kb, lang=lang)
    urate = next(i for i in result.followup.schedule if i.id == "gout_urate")
    assert "360 µmol/L" in urate.text and "300 µmol/L" in urate.text
    assert ("chaque mois" if lang == "fr" else "monthly") in urate.every
    assert {"nice_ng219", "richette2017eular"} <= set(urate.references)
    spec = kb.followup.by_diagnosis["gout"].schedule[0]
    assert spec.patient is not None and spec.patient_every is not None
    assert ("acide urique" if lang == "fr" else "uric acid") in spec.patient.get(lang)
    # not for the scleroderma calcinosis
    path = next(p for p in DEV_CASES if "crest-fingertips" in p.name)
    assert all(i.id != "gout_urate" for i in manage(read_case(path, kb), kb, lang=lang).followup.schedule)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_clinician_and_patient_reports_of_a_gout_read_as_a_gout(kb: KnowledgeBase, lang: str) -> None:
    case = parse_case(TOPHI, kb)
    clinician = render_html(case, kb, lang=lang, audience="clinician")
    patient = render_html(case, kb, lang=lang, audience="patient")
    if lang == "fr":
        assert "Aucun traitement de la calcinose n" not in clinician and "Goutte tophacée" in clinician
        assert "calcium alimentaire" not in clinician and "Uricémie" in clinician
        assert "sels de calcium" not in patient and "acide urique" in patient
    else:
        assert "No treatment of calcinosis is validated" not in clinician and "Tophaceous gout" in clinician
        assert "Dietary calcium should not be removed" not in clinician and "Serum urate" in clinician
        assert "calcium salts" not in patient and "uric acid" in patient


def test_urate_lowering_therapy_stands_on_a_randomised_trial(kb: KnowledgeBase) -> None:
    """A French clinical review: the urate-lowering option of a tophaceous gout read 'level 5',
    its only evidence the ACR guideline, as if no trial existed; a treat-to-target trial
    (Doherty 2018, 517 patients) gives it level 2."""
    grouped = manage(parse_case(TOPHI, kb), kb).options
    options = [o for group in grouped.values() for o in group if o.treatment == "urate_lowering_therapy"]
    assert options and options[0].best_level == 2
    assert any(e.reference == "doherty2018" and e.level == 2 for e in options[0].evidence)


def _offered(result) -> set[str]:  # type: ignore[no-untyped-def]
    return {o.treatment for group in result.options.values() for o in group}


# the same tophi, ulcerated and discharging chalk: a shock-wave treatment read 'first line'
ULCERATED_TOPHI: dict[str, Any] = {
    **TOPHI,
    "findings": [*TOPHI["findings"], "ulceration", "chalky_discharge", "visible_tophi"],
}


def test_a_leading_gout_is_not_offered_an_injection_or_shock_waves_into_its_tophi(kb: KnowledgeBase) -> None:
    """A French clinical review: a tophaceous gout at > 99 % was offered an intralesional
    corticosteroid injection (the category-wide indication of a painful dystrophic nodule);
    a tophus is urate, treated by lowering it to a target, a flare by colchicine, an NSAID or a
    corticosteroid, intra-articular for a joint (EULAR 2016). Ulcerated tophi read shock waves
    'first line', from a series of radio-opaque calcium deposits."""
    for case in (TOPHI, ULCERATED_TOPHI):
        result = manage(parse_case(case, kb), kb)
        assert result.diagnosis == "gout" and result.diagnosis_probability >= 0.5
        offered = _offered(result)
        assert "urate_lowering_therapy" in offered
        assert not offered & {"intralesional_corticosteroids", "eswl"}, offered
    # the same painful nodules given as another dystrophic calcinosis keep the injection
    other = manage(parse_case(TOPHI, kb), kb, diagnosis="post_traumatic_calcification")
    assert "intralesional_corticosteroids" in _offered(other)
    spec = kb.treatments["intralesional_corticosteroids"]
    assert any("gout" in ind.unless_leading for ind in spec.indications)


def test_the_loader_refuses_an_unknown_diagnosis_in_an_indications_unless_leading(tmp_path: Path) -> None:
    root = tmp_path / "kb"
    shutil.copytree(default_kb_path(), root)
    path = root / "treatments" / "intralesional_corticosteroids.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["indications"][-1]["unless_leading"] = ["goutte"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(KnowledgeBaseError) as err:
        load_kb(root, cache=False)
    assert "intralesional_corticosteroids" in str(err.value) and "goutte" in str(err.value)


@pytest.mark.parametrize(
    ("names", "section", "refused"),
    [
        ({"diagnoses": ["gout"]}, "what_it_is", False),
        ({"forms": ["fat_necrosis/newborn"]}, "what_it_is", False),
        ({"diagnoses": ["gout", "cppd"]}, "what_it_is", True),  # a CPPD leaflet headed 'Gout'
        ({"diagnoses": ["calciphylaxis"], "forms": ["fat_necrosis/newborn"]}, "what_it_is", True),
        ({"groups": ["crystal"]}, "what_it_is", True),
        ({"diagnoses": ["gout"]}, "treatment", True),
    ],
)
def test_a_leaflet_heading_names_the_one_diagnosis_or_form_its_variant_is_written_for(
    names: dict[str, list[str]], section: str, refused: bool
) -> None:
    """The leaflet is headed with the heading of the variant chosen for the diagnosis it names: a
    variant written for two diagnoses would head the second's leaflet with the first's name, so a
    heading belongs to a what_it_is variant of one diagnosis or one form (a code review)."""
    from pydantic import ValidationError

    from calcinosis.kb.deferred_schema import LeafletVariant

    heading = {"en": "Gout: information for patients", "fr": "La goutte : information pour les patients"}
    spec: dict[str, Any] = {"section": section, **names, "heading": heading, "references": ["eular2016gout"]}
    spec |= {"title": {"en": "What is it?", "fr": "Qu’est-ce que c’est ?"}, "en": "Text.", "fr": "Texte."}
    if refused:
        with pytest.raises(ValidationError, match="a heading belongs"):
            LeafletVariant.model_validate(spec)
    else:
        assert LeafletVariant.model_validate(spec).heading is not None
