"""A clinical reviewer's findings on the work-up, the must-not-miss alerts and the next
questions: what the case already says (a pregnancy, an age, a known cancer, an imaged tissue)
shapes what is asked and proposed. Each rule is tested on the case that showed it and on
another case or a constructed variant."""

from __future__ import annotations

from typing import Any

from calcinosis import KnowledgeBase, diagnose, parse_case, read_case
from calcinosis.case.model import Case
from calcinosis.management.manage import manage

from .conftest import INFANT_HYPERCALCAEMIA_NEPHROCALCINOSIS, PREGNANT_MUSCLE_DEPOSIT, PUBLISHED_CASES


def _asked(case: Case, kb: KnowledgeBase, lang: str = "en") -> set[str]:
    return {q.feature for q in diagnose(case, kb, lang=lang).next_questions}


def _without_history(case: Case, term: str) -> Case:
    return case.model_copy(update={"history": [h for h in case.history if h != term]})


def _followup(case: Case, kb: KnowledgeBase) -> set[str]:
    return {i.id for i in manage(case, kb).followup.schedule}


def test_a_pregnancy_is_not_asked_for_a_tracer_or_radiographic_answer(kb: KnowledgeBase) -> None:
    """A pregnant woman whose work-up said ultrasound and MRI, no bone scan (ACOG 723), was asked
    « Existe-t-il une fixation du traceur par les dépôts (scintigraphie, TEP) ? » and about a
    trabecular pattern a radiograph or CT shows; the same case without the pregnancy is."""
    pregnant = parse_case(PREGNANT_MUSCLE_DEPOSIT, kb)
    tracer_or_film = {"imaging:uptake", "pattern:trabecular"}
    assert not _asked(pregnant, kb, "fr") & tracer_or_film
    assert _asked(_without_history(pregnant, "pregnancy"), kb) & tracer_or_film
    # another case: a pregnant woman with hand nodules is not asked for a tracer study either
    hands: dict[str, Any] = {
        "patient": {"age": 31, "sex": "female"},
        "findings": ["palpable_nodules", "pain"],
        "sites": ["hand"],
        "history": ["pregnancy"],
    }
    assert not _asked(parse_case(hands, kb), kb) & tracer_or_film


def test_a_pregnancy_defers_the_imaging_of_follow_up_to_after_the_delivery(kb: KnowledgeBase) -> None:
    """The same woman's plan read 'yearly: Imaging of the affected areas ... (plain radiographs
    first)' with no word of the pregnancy: in pregnancy the follow-up imaging is ultrasound, and
    radiographs wait for the delivery unless a question cannot wait (ACOG 723)."""
    pregnant = parse_case(PREGNANT_MUSCLE_DEPOSIT, kb)
    ids = _followup(pregnant, kb)
    assert "imaging_pregnancy" in ids and "imaging" not in ids
    item = next(i for i in manage(pregnant, kb, lang="fr").followup.schedule if i.id == "imaging_pregnancy")
    assert "après l'accouchement" in item.text and "acog723" in item.references
    # not pregnant: the yearly imaging, or, for a leading heterotopic ossification, its own (CT when
    # an excision is considered, a re-review s33)
    assert {"imaging", "ho_imaging_before_surgery"} & _followup(_without_history(pregnant, "pregnancy"), kb)
    # another case: a calciphylaxis' weekly review stands for every imaging item, pregnant or not
    skin: dict[str, Any] = {
        "patient": {"age": 34, "sex": "female"},
        "history": ["dialysis", "pregnancy"],
        "findings": ["retiform_purpura", "skin_necrosis", "pain"],
        "sites": ["thigh"],
    }
    assert not {"imaging", "imaging_pregnancy"} & _followup(parse_case(skin, kb), kb)


def test_a_single_deposit_imaged_in_one_layer_is_not_asked_about_the_other(kb: KnowledgeBase) -> None:
    """A single intramuscular mass (ultrasound and MRI: muscle) was asked « En imagerie, les
    dépôts siègent-ils dans le tissu sous-cutané ? » (features.yaml not_asked_with, and_any): a
    single deposit in one layer answers the other layer's question; several deposits do not."""
    pregnant = parse_case(PREGNANT_MUSCLE_DEPOSIT, kb)
    assert pregnant.imaging[0].tissues == ["muscle"] and pregnant.imaging[0].distribution == "single"
    assert "tissue:subcutaneous" not in _asked(pregnant, kb, "fr")
    rule = kb.not_asked_with["tissue:subcutaneous"]
    assert "tissue:muscle" in rule.when_any and rule.and_any == ("distribution:single",)
    # the other way: a single subcutaneous deposit is not asked whether it lies in a muscle,
    # while several deposits, which can lie in both layers, still may be
    imaging = {"modality": "ultrasound", "sites": ["thigh"], "tissues": ["subcutaneous"], "distribution": "single"}
    thigh: dict[str, Any] = {
        "patient": {"age": 52, "sex": "female"},
        "findings": ["palpable_nodules"],
        "sites": ["thigh"],
        "imaging": [imaging],
    }
    assert "tissue:muscle" not in _asked(parse_case(thigh, kb), kb)
    from calcinosis.engine.diagnose import _not_to_ask, analyse

    several = parse_case({**thigh, "imaging": [{**imaging, "distribution": "regional"}]}, kb)
    _, evidence, _ = analyse(several, kb)
    assert "tissue:muscle" not in _not_to_ask(evidence, kb)


def test_a_swelling_at_a_joint_answers_is_there_a_periarticular_mass(kb: KnowledgeBase) -> None:
    """A haemodialysis patient with a swollen painful mass over the shoulder was asked "Is there a
    periarticular mass?": a swelling the case places at a large joint answers it (not scored as
    one: imaging's 'are the deposits periarticular?' stays); a swelling away from a joint does not."""
    shoulder = parse_case(  # a painful swollen mass over the shoulder after years of haemodialysis
        {
            "patient": {"age": 55, "sex": "male"},
            "history": ["chronic_kidney_disease", "dialysis"],
            "findings": ["swelling", "pain"],
            "sites": ["shoulder"],
            "labs": [{"test": "phosphate", "interpretation": "high"}],
        },
        kb,
    )
    assert "swelling" in shoulder.findings and shoulder.sites == ["shoulder"]
    asked = _asked(shoulder, kb)
    assert "finding:periarticular_mass" not in asked and "tissue:periarticular" in asked
    from calcinosis.engine.diagnose import _not_to_ask, analyse

    def silenced(case: Case) -> bool:
        return "finding:periarticular_mass" in _not_to_ask(analyse(case, kb)[1], kb)

    hip: dict[str, Any] = {
        "patient": {"age": 61, "sex": "female"},
        "history": ["dialysis"],
        "findings": ["painless_swelling"],
        "sites": ["hip"],
    }
    assert silenced(parse_case(hip, kb))
    assert not silenced(parse_case({**hip, "sites": ["thigh"]}, kb))  # not at a joint
    assert not silenced(parse_case({**hip, "findings": ["pain"]}, kb))  # a joint, no swelling


def test_a_cancer_the_case_states_is_not_to_be_looked_for(kb: KnowledgeBase) -> None:
    """A woman with a known breast cancer and hypercalcaemia read "Metastatic calcification of
    malignancy: an underlying cancer (myeloma, bone metastases...): look for it"
    (must_not_miss.yaml while_known): the alert names the known cancer instead; an infant whose
    history states none is still told to look for one."""
    from calcinosis.reports.summary import build_summary

    def alert(case: Case, lang: str = "en") -> str:
        report = diagnose(case, kb, lang=lang)
        found = [a for a in build_summary(report, kb, lang=lang).must_not_miss if "alignan" in a or "cancers" in a]
        assert len(found) == 1
        return found[0]

    breast = read_case(PUBLISHED_CASES / "pub-meta-15-breast-cancer-lung-uptake.yaml", kb)
    said = alert(breast)
    assert "already known (history: other cancer)" in said and "look for it" not in said
    assert "déjà connu (antécédents\u00a0: autre cancer)" in alert(breast, "fr")
    leukaemia = read_case(PUBLISHED_CASES / "pub-meta3-01-relapsed-leukaemia-flexural-plaques.yaml", kb)
    assert "(history: leukaemia)" in alert(leukaemia)
    infant = parse_case(INFANT_HYPERCALCAEMIA_NEPHROCALCINOSIS, kb)
    assert alert(infant).endswith("look for it")


INFANT = INFANT_HYPERCALCAEMIA_NEPHROCALCINOSIS  # a baby of five weeks, a raised calcium, nephrocalcinosis


def _steps(case: Case, kb: KnowledgeBase) -> dict[str, str]:
    return {w.id: w.text for w in diagnose(case, kb).workup_steps}


def test_an_infant_gets_a_spot_urine_and_no_renal_imaging_its_ultrasound_has_done(kb: KnowledgeBase) -> None:
    """A 35-day-old was asked for a '24-hour urinary calcium ... and renal imaging for
    nephrocalcinosis' that her ultrasound already showed: a young child gets the spot urine
    calcium/creatinine ratio (Matos 1997), an adult the 24-hour urine, and an organ deposit on
    imaging answers the renal imaging."""
    infant = parse_case(INFANT, kb)
    steps = _steps(infant, kb)
    assert "phpt_urine_calcium_child" in steps and "phpt_urine_calcium" not in steps
    assert "24-hour urinary calcium" not in " ".join(steps.values())
    assert "phpt_renal_imaging" not in steps  # tissue:visceral on the case's ultrasound
    # an adult with the same biochemistry and no organ imaged: the 24-hour urine and the kidneys
    adult = parse_case(
        {
            "patient": {"age": 58, "sex": "female"},
            "labs": [{"test": "calcium", "interpretation": "high"}, {"test": "pth", "interpretation": "high"}],
            "findings": ["palpable_nodules"],
            "sites": ["hand"],
        },
        kb,
    )
    steps = _steps(adult, kb)
    assert {"phpt_urine_calcium", "phpt_renal_imaging"} <= set(steps) and "phpt_urine_calcium_child" not in steps


def test_parathyroid_localisation_waits_for_a_raised_pth(kb: KnowledgeBase) -> None:
    """The same infant, with no PTH measured, was asked for a neck ultrasound, a sestamibi scan
    or a choline PET: localisation plans the surgery once the biochemistry has made the diagnosis
    (AAES 2016), at any age; with a raised PTH it is asked."""
    infant = parse_case(INFANT, kb)
    assert "phpt_localisation" not in _steps(infant, kb)
    pth = parse_case(
        {"patient": {"age": 0.1, "sex": "female"}, "labs": [{"test": "pth", "interpretation": "high"}]}, kb
    )
    labs = [*infant.labs, *pth.labs]
    assert "phpt_localisation" in _steps(infant.model_copy(update={"labs": labs}), kb)
    adult: dict[str, Any] = {
        "patient": {"age": 58, "sex": "female"},
        "labs": [{"test": "calcium", "interpretation": "high"}],
        "findings": ["palpable_nodules"],
        "sites": ["hand"],
    }
    assert "phpt_localisation" not in _steps(parse_case(adult, kb), kb)
    raised = {**adult, "labs": [*adult["labs"], {"test": "pth", "interpretation": "high"}]}
    assert "phpt_localisation" in _steps(parse_case(raised, kb), kb)


def test_a_question_only_the_patient_can_answer_is_not_asked_of_an_infant(kb: KnowledgeBase) -> None:
    """The 35-day-old was asked « Existe-t-il des douleurs osseuses ? » (features.yaml
    self_reported: not below 2 years); a child of 6 with the same case is."""
    infant = parse_case(INFANT, kb)
    assert "finding:bone_pain" in kb.self_reported and kb.self_report_min_age == 2
    assert "finding:bone_pain" not in _asked(infant, kb, "fr")
    older = infant.model_copy(update={"patient": infant.patient.model_copy(update={"age": 6.0})})
    assert "finding:bone_pain" in _asked(older, kb)


def test_the_calciphylaxis_rule_names_liver_disease_among_its_high_risk_contexts(kb: KnowledgeBase) -> None:
    """A woman with alcoholic cirrhosis read 'Calciphylaxis: ... high-risk context (dialysis,
    warfarin, obesity, diabetes)' with no word of the liver, which the category step reads among
    the contexts (alcoholic liver disease, a common non-uraemic setting: Nigwekar 2008)."""
    cirrhosis = parse_case(  # a painful rash of the legs in a cirrhosis, the calcium and the kidneys normal
        {
            "patient": {"age": 40, "sex": "female"},
            "history": ["liver_disease"],
            "findings": ["pain"],
            "sites": ["lower_limb"],
            "labs": [
                {"test": "calcium", "interpretation": "normal"},
                {"test": "creatinine", "interpretation": "normal"},
            ],
        },
        kb,
    )
    for lang, liver in (("en", "liver disease"), ("fr", "maladie du foie")):
        rule = next(r for r in diagnose(cirrhosis, kb, lang=lang).classification if r.category == "calciphylaxis")
        assert liver in rule.rule, lang
    context = next(r for r in kb.category_model.rules if r.id == "necrosis_high_risk").with_any_of
    assert "condition:liver_disease" in context and "nigwekar2008" in kb.categories["calciphylaxis"].references
    # the context is read: necrosis with a liver disease and nothing renal states the rule
    necrosis: dict[str, Any] = {
        "patient": {"age": 50, "sex": "male"},
        "history": ["liver_disease"],
        "findings": ["retiform_purpura", "skin_necrosis", "pain"],
        "sites": ["thigh"],
    }
    basis = diagnose(parse_case(necrosis, kb), kb).category_basis
    assert next(f for f in basis if f.rule == "necrosis_high_risk").state == "present"


# a kidney transplant recipient with nodules and lobulated periarticular deposits at the hands
# and elbows (a clinical review): the urate step and the questions a denial settles read it
TRANSPLANT_NODULES: dict[str, Any] = {
    "patient": {"age": 52, "sex": "male"},
    "history": ["kidney_transplant"],
    "findings": ["palpable_nodules", "chalky_discharge"],
    "sites": ["hand", "elbow"],
    "imaging": [
        {
            "modality": "radiograph",
            "sites": ["hand", "elbow"],
            "tissues": ["subcutaneous", "periarticular"],
            "patterns": ["amorphous", "lobulated"],
            "distribution": "regional",
        }
    ],
}


def test_a_transplant_recipients_nodules_are_asked_for_a_urate(kb: KnowledgeBase) -> None:
    """A clinical review: a kidney transplant recipient on ciclosporin with nodules at the hands
    and elbows, chalky discharge and lobulated periarticular deposits, read as a tumoral
    calcinosis, was never asked for a serum urate. A calcineurin inhibitor lowers urate
    clearance and gout is common after a transplant (Lin 1989: 84% hyperuricaemic, 7% gout on
    ciclosporin). Said in both languages; not asked without the transplant, nor once the urate
    is measured."""
    base: dict[str, Any] = {**TRANSPLANT_NODULES, "exposures": ["immunosuppressants"]}

    def urate_steps(data: dict[str, Any], lang: str = "en") -> list[str]:
        report = diagnose(parse_case(data, kb), kb, lang=lang)
        return [w.text for w in report.workup_steps if "serum urate" in w.text.lower() or "uricémie" in w.text.lower()]

    en, fr = urate_steps(base), urate_steps(base, "fr")
    assert len(en) == 1 and "ciclosporin" in en[0] and "gout" in en[0]
    assert len(fr) == 1 and "ciclosporine" in fr[0] and "goutte" in fr[0]
    # without the transplant, gout leads these nodules and its own step asks the urate
    untreated = urate_steps({**base, "history": [], "exposures": []})
    assert untreated and not any("ciclosporin" in t for t in untreated)
    measured = {**base, "labs": [{"test": "uric_acid", "value": 300, "unit": "µmol/L"}]}
    assert not urate_steps(measured)


def test_what_the_case_denies_denies_what_implies_it(kb: KnowledgeBase) -> None:
    """A clinical review: a woman with painful thigh nodules and a raised phosphate, chronic
    kidney disease stated absent, was asked 'Kidney failure (eGFR below 15)?'. An eGFR below 15
    implies one below 60, the state a chronic kidney disease names (features.yaml implies and
    same_state): denied, it is not asked, in either language. The same rule for every implied
    feature: with no swelling, no 'periarticular mass?' (a periarticular mass is a swelling)."""
    ckd: dict[str, Any] = {
        "patient": {"age": 45, "sex": "female"},
        "findings": ["palpable_nodules", "pain"],
        "sites": ["thigh", "abdominal_wall"],
        "labs": [
            {"test": "calcium", "value": 2.5, "unit": "mmol/L"},
            {"test": "phosphate", "value": 2.1, "unit": "mmol/L"},
        ],
        "imaging": [
            {
                "modality": "radiograph",
                "sites": ["thigh"],
                "tissues": ["subcutaneous"],
                "patterns": ["nodular"],
                "distribution": "multiple_localized",
            }
        ],
    }
    # the kidney is worth asking about here (one question of the renal group: the disease itself)
    assert "condition:chronic_kidney_disease" in _asked(parse_case(ckd, kb), kb)
    denied = parse_case({**ckd, "absent": ["chronic_kidney_disease"]}, kb)
    for lang in ("en", "fr"):
        questions = diagnose(denied, kb, lang=lang).next_questions
        assert "lab:egfr_below_15" not in {q.feature for q in questions}
        assert not any("15" in q.question for q in questions)
    # the transplant recipient's lobulated periarticular deposits: asked about a periarticular
    # mass, unless the case says there is no swelling
    joints = TRANSPLANT_NODULES
    assert "finding:periarticular_mass" in _asked(parse_case(joints, kb), kb)
    assert "finding:periarticular_mass" not in _asked(parse_case({**joints, "absent": ["swelling"]}, kb), kb)
