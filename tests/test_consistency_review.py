"""A clinical reviewer's findings of texts that contradict the case or each other: the work-up
asking for what the case already has, a question the case answers, a leaflet that says another
plan, site or setting than the clinician's. Each rule is tested on the case that showed it and
on another case or a constructed variant."""

from __future__ import annotations

from typing import Any

from calcinosis import KnowledgeBase, diagnose, parse_case, read_case
from calcinosis.case.model import Case, Imaging
from calcinosis.management.manage import manage
from calcinosis.reports.leaflet import Leaflet, build_leaflet

from .conftest import (
    BOY_THIGH_AFTER_BLOW,
    KIDNEY_DEPOSITS_HYPERCALCAEMIA,
    PUBLISHED_CASES,
    SCLERODERMA_FINGERTIPS,
    WRIST_TENDON_DEPOSIT,
)

DIALYSIS_LUNGS: dict[str, Any] = {
    "patient": {"age": 45, "sex": "female"},
    "history": ["chronic_kidney_disease", "dialysis"],
    "imaging": [{"modality": "ct", "tissues": ["visceral"], "patterns": ["nodular"]}],
}
"""A woman of 45 just started on haemodialysis whose chest CT shows calcified nodules in a lung:
a metastatic calcification of kidney disease in an organ, imaged."""
KIDNEY_DEPOSITS = KIDNEY_DEPOSITS_HYPERCALCAEMIA  # a man's punctate kidney deposits, his calcium raised
HIP_MASS = PUBLISHED_CASES / "pub-dys-16-hip-subcutaneous-mass-central-mineralisation.yaml"
BOY_THIGH = BOY_THIGH_AFTER_BLOW  # a boy of 12, a thigh swelling after a blow
CYSTICERCOSIS = PUBLISHED_CASES / "pub-dys-06-seizure-shoulder-pain-soft-tissue-calcifications.yaml"


def _steps(case: Case, kb: KnowledgeBase, lang: str = "en") -> dict[str, str]:
    return {w.id: w.text for w in diagnose(case, kb, lang=lang).workup_steps}


def _with(case: Case, **update: object) -> Case:
    return case.model_copy(update=update)


def test_the_organ_work_up_leaves_out_what_the_case_has(kb: KnowledgeBase) -> None:
    """A woman of 45 on dialysis whose lung deposits were seen on CT was asked for 'a
    high-resolution chest CT', lung function 'from school age' and 'the kidney function'; a
    child, a case without the CT and one off dialysis still are."""
    case = parse_case(DIALYSIS_LUNGS, kb)
    text = _steps(case, kb)["visceral_organs"]
    assert "school age" not in text and "kidney function" not in text
    assert "only if the CT in the case did not cover the chest" in text
    fr = _steps(case, kb, "fr")["visceral_organs"]
    assert "âge scolaire" not in fr and "fonction rénale" not in fr.lower()
    # the same deposits on an ultrasound, in a child off dialysis: each part is asked
    child = _with(
        case,
        patient=case.patient.model_copy(update={"age": 9}),
        history=["chronic_kidney_disease"],
        imaging=[Imaging(modality="ultrasound", tissues=["visceral"])],
    )
    text = _steps(child, kb)["visceral_organs"]
    assert "a high-resolution chest CT (diffuse" in text and "from school age" in text
    assert "The kidney function." in text and "Kidneys: an ultrasound" not in text
    # a man of 54 whose kidney deposits were on CT: no 'from school age' either
    assert "school age" not in _steps(parse_case(KIDNEY_DEPOSITS, kb), kb)["visceral_organs"]


def test_a_diagnosis_imaging_step_leaves_out_the_imaging_reported(kb: KnowledgeBase) -> None:
    """A hip mass with radiograph, CT, MRI and bone scan in the case was asked for 'CT ... and
    MRI of the mass' and 'Radiographs, then CT or MRI'; with the radiograph alone both are."""
    case = read_case(HIP_MASS, kb)
    steps = _steps(case, kb)
    assert steps["eso_imaging"].startswith("Chest CT for staging.") and "MRI of the mass" not in steps["eso_imaging"]
    assert "ntc_imaging" not in steps
    films = _with(case, imaging=[img for img in case.imaging if img.modality == "radiograph"])
    steps = _steps(films, kb)
    assert "CT of the mass" in steps["eso_imaging"] and "MRI of the mass" in steps["eso_imaging"]
    assert steps["ntc_imaging"].startswith("CT or MRI of the mass")


def test_no_lesion_biopsy_when_every_deposit_is_in_an_organ(kb: KnowledgeBase) -> None:
    """A man whose only deposits were punctate kidney calcifications was offered a 'skin or
    lesion biopsy'; the same case with a subcutaneous deposit imaged is."""
    case = parse_case(KIDNEY_DEPOSITS, kb)
    assert "biopsy_uncertain" not in _steps(case, kb)
    skin = _with(case, imaging=[*case.imaging, Imaging(modality="radiograph", tissues=["subcutaneous"])])
    assert "biopsy_uncertain" in _steps(skin, kb)


def test_the_work_up_and_management_agree_on_what_is_out_of_reach(kb: KnowledgeBase) -> None:
    """The same kidney deposits imaged with site 'abdomen' (a body cavity, management.yaml
    cavity_sites): the work-up asked for a lesion biopsy while management said the deposit was out
    of reach (a code review: two definitions). Both read engine.workup.out_of_reach."""
    case = parse_case(KIDNEY_DEPOSITS, kb)
    cavity = _with(case, imaging=[Imaging(modality="ct", sites=["abdomen"], tissues=["visceral"])])
    assert "biopsy_uncertain" not in _steps(cavity, kb)
    assert "out_of_reach" in {s.id for s in manage(cavity, kb).statements}


WRIST = WRIST_TENDON_DEPOSIT  # an acute calcific tendinitis of the wrist, painful and swollen


def _asked(case: Case, kb: KnowledgeBase) -> set[str]:
    return {q.feature for q in diagnose(case, kb).next_questions}


def test_a_painful_swelling_is_not_asked_whether_it_is_painless(kb: KnowledgeBase) -> None:
    """A painful swollen wrist (pain and a swelling coded) was asked 'Is there painless
    swelling?'; the same wrist without the pain may still be (the question is not left out; whether
    it ranks among those asked is the engine's), and a painful knee swelling is not."""
    from calcinosis.engine.diagnose import _not_to_ask, analyse

    def left_out(case: Case) -> bool:
        return "finding:painless_swelling" in _not_to_ask(analyse(case, kb)[1], kb)

    case = parse_case(WRIST, kb)
    assert "finding:painless_swelling" not in _asked(case, kb) and left_out(case)
    assert not left_out(_with(case, findings=["swelling"]))
    knee = _with(case, sites=["knee"], findings=["pain", "growing_mass"], imaging=[])
    assert "finding:painless_swelling" not in _asked(knee, kb) and left_out(knee)


def _leaflet(case: Case, kb: KnowledgeBase, lang: str) -> Leaflet:
    return build_leaflet(diagnose(case, kb, lang=lang), kb, lang=lang)


def _section(lf: Leaflet, section: str) -> str:
    return next(s.text for s in lf.sections if s.id == section)


def _all(lf: Leaflet) -> str:
    return " ".join([lf.heading, lf.reader_note, lf.word_note, lf.urgent_note, *(s.text for s in lf.sections)])


def test_the_french_leaflet_says_phosphore_and_urinez_tres_peu(kb: KnowledgeBase) -> None:
    """« ramener le calcium et le phosphate à la normale … médicaments qui fixent le phosphore »
    mixed two words for one thing, and « urines très rares » is not how a patient says it."""
    kidneys = _leaflet(parse_case(DIALYSIS_LUNGS, kb), kb, "fr")
    assert "phosphate" not in _section(kidneys, "treatment") and "phosphore" in _section(kidneys, "treatment")
    organs = _section(_leaflet(parse_case(KIDNEY_DEPOSITS, kb), kb, "fr"), "when_to_consult")
    assert "urines très rares" not in organs and "si vous urinez très peu" in organs


def test_a_child_s_leaflet_keeps_one_form_of_address(kb: KnowledgeBase) -> None:
    """« "vous" désigne votre enfant », then « les médecins de votre enfant regardent ses gros
    orteils » (a boy of 13 with a thigh swelling; a girl's hip mass, as the rule reads any child)."""
    boy = parse_case(BOY_THIGH, kb)
    girl = _with(read_case(HIP_MASS, kb), patient=boy.patient)
    for case in (boy, girl):
        for lang, said in (("fr", "gros orteils"), ("en", "big toes")):
            lf = _leaflet(case, kb, lang)
            text = _all(lf)
            assert lf.reader_note and said in text
            assert "de votre enfant regardent" not in text and "your child's doctors" not in text


def test_cysticercosis_is_not_caught_from_another_person_s_nodules(kb: KnowledgeBase) -> None:
    """« au contact des boules d'une autre personne »: the leaflet's word is « nodules »."""
    text = _all(_leaflet(read_case(CYSTICERCOSIS, kb), kb, "fr"))
    assert "boules d'une autre personne" not in text and "nodules d'une autre personne" in text


def test_no_french_space_before_a_semicolon_in_english(kb: KnowledgeBase) -> None:
    """'medicines that lower it ; stopping the calcium tablets': the causes' care were joined
    with a French separator in English too; the French keeps its space."""
    case = parse_case(KIDNEY_DEPOSITS, kb)
    assert " ;" not in _all(_leaflet(case, kb, "en"))
    assert "\u202f; " in _section(_leaflet(case, kb, "fr"), "treatment")


SCLERODERMA_FOUND: dict[str, Any] = {
    "patient": {"age": 75, "sex": "female"},
    "history": ["limited_systemic_sclerosis"],
    "absent": ["pain"],
    "imaging": [{"modality": "radiograph", "sites": ["elbow"], "tissues": ["periarticular"], "symmetric": True}],
}
"""A woman with a limited scleroderma known for years, no symptom of her deposits, whose films
(taken for something else) show calcification around both elbows (the shoulders, rarer in
systemic sclerosis since 2026.12.287, left the metabolic causes enough to ask the panel)."""
TUMORAL_TEEN = PUBLISHED_CASES / "pub-tumoral-03-bilateral-trochanteric-discharging-nodules.yaml"


def test_the_leaflet_follows_the_plan_for_deposits_found_without_symptoms(kb: KnowledgeBase) -> None:
    """manage listed no treatment of the deposits (found without symptoms) and left out the
    calcium-phosphate panel, but the leaflet said « plusieurs peuvent aider : des médicaments
    (par exemple le diltiazem ou la colchicine) … la chirurgie » and « Une prise de sang
    (calcium, phosphore, parathormone…) recherche une cause ». With a pain reported, and for a
    case whose work-up asks the panel, the leaflet says them again."""
    case = parse_case(SCLERODERMA_FOUND, kb)
    lf = _leaflet(case, kb, "fr")
    treatment, tests = _section(lf, "treatment"), _section(lf, "tests")
    assert "diltiazem" not in treatment and "chirurgie" not in treatment
    assert "pas besoin de traitement propre" in treatment
    assert "parathormone" not in tests and "pas besoin d'une prise de sang" in tests
    painful = _with(case, absent=[], findings=["pain"], sites=["shoulder"])
    assert "pas besoin de traitement propre" not in _section(_leaflet(painful, kb, "fr"), "treatment")
    asked = _section(_leaflet(parse_case(KIDNEY_DEPOSITS, kb), kb, "fr"), "tests")
    assert "parathormone" in asked and "pas besoin d'une prise de sang" not in asked


def test_a_dialysis_patient_s_leaflet_does_not_offer_dialysis_nor_watch_her_urine(kb: KnowledgeBase) -> None:
    """A woman on haemodialysis read 'kidney care and, if needed, dialysis' and 'see a doctor
    ... very little urine: calcium in an organ can cause these'; the same woman before dialysis
    still reads both."""
    case = parse_case(DIALYSIS_LUNGS, kb)
    lf = _leaflet(case, kb, "en")
    assert "if needed, dialysis" not in _section(lf, "treatment") and "dialysis" in _section(lf, "treatment")
    assert "little urine" not in _section(lf, "when_to_consult") and "palpitations" in _section(lf, "when_to_consult")
    before = _leaflet(_with(case, history=["chronic_kidney_disease"]), kb, "en")
    assert "if needed, dialysis" in _section(before, "treatment")
    assert "very little urine" in _section(before, "when_to_consult")
    # the clinician's follow-up reads the same organ signs (followup.yaml organ_signs_dialysis)
    from calcinosis.management.manage import manage

    signs = " ".join(manage(case, kb).followup.warning_signs)
    assert "little urine" not in signs and "blood in the urine or pain in the side (kidneys)" in signs
    assert "little urine" in " ".join(
        manage(_with(case, history=["chronic_kidney_disease"]), kb).followup.warning_signs
    )


def test_organ_deposits_and_possible_causes_are_said_as_such(kb: KnowledgeBase) -> None:
    """A man whose only deposits were in the kidneys read of « une boule dure sous la peau …
    matière blanche et crayeuse », and « le traitement du cancer » as if a cancer were
    established while sarcoidosis led (41 %) and was named first in the heading but not in
    the causes. With a subcutaneous deposit he reads of lumps; with a known cancer, of its
    treatment."""
    case = parse_case(KIDNEY_DEPOSITS, kb)
    lf = _leaflet(case, kb, "fr")
    assert "crayeuse" not in _section(lf, "what_you_notice") and "organe" in _section(lf, "what_you_notice")
    assert "sarcoïdose" in _section(lf, "what_it_is")
    treatment = _section(lf, "treatment")
    assert "le traitement du cancer" not in treatment and "si un cancer est trouvé" in treatment
    assert "si une sarcoïdose est confirmée" in treatment
    skin = _with(case, imaging=[*case.imaging, Imaging(modality="radiograph", tissues=["subcutaneous"])])
    assert "crayeuse" in _section(_leaflet(skin, kb, "fr"), "what_you_notice")
    known = _with(case, history=["other_cancer"])
    assert "le traitement du cancer" in _section(_leaflet(known, kb, "fr"), "treatment")


def test_a_calcific_tendinitis_leaflet_speaks_of_its_own_site(kb: KnowledgeBase) -> None:
    """A calcific tendinitis of the wrist read 'Pain in the shoulder ... lifting the arm', 'for a
    shoulder, lift your arm', 'appear in the other shoulder' and of rare-disease centres; the
    same deposit at the shoulder reads the shoulder's texts, and a rare disease its centres."""
    case = parse_case(WRIST, kb)
    said = ("what_you_notice", "daily_life", "when_to_consult", "outlook")
    lf = _leaflet(case, kb, "en")
    assert not any("shoulder" in _section(lf, s) or "arm" in _section(lf, s).split() for s in said)
    assert "rare diseases" not in _section(lf, "support")
    shoulder = _with(
        case, sites=["shoulder"], imaging=[img.model_copy(update={"sites": ["shoulder"]}) for img in case.imaging]
    )
    lf = _leaflet(shoulder, kb, "en")
    assert all("shoulder" in _section(lf, s) for s in said)
    assert "rare diseases have reference centres" in _section(
        _leaflet(read_case(TUMORAL_TEEN, kb), kb, "en"), "support"
    )


def test_tumoral_is_explained_wherever_it_is_named(kb: KnowledgeBase) -> None:
    """A boy of 16 read « calcinose tumorale familiale » with no word that it is not a cancer;
    a leaflet that never names it says nothing of it."""
    for lang, said in (
        ("fr", "«\u00a0en forme de masse\u00a0»\u00a0: ce n'est pas un cancer"),
        ("en", "it is not a cancer"),
    ):
        lf = _leaflet(read_case(TUMORAL_TEEN, kb), kb, lang)
        assert "tumora" in lf.heading and said in lf.word_note
        assert "tumora" not in _leaflet(parse_case(WRIST, kb), kb, lang).word_note


def test_the_french_table_reads_the_case_s_fields_in_french(kb: KnowledgeBase) -> None:
    """The French differential printed raw field paths and the id before the category
    (« findings[1] RV 25 », « imaging[0].tissues[0] », « duration_months », « sarcoidosis ·
    Métastatique »): a French clinician reads the place in the case in French words, counted
    from 1; the English table keeps the case format's path; both say the id as an id."""
    import io

    from rich.console import Console

    from calcinosis.cli.render import render_report

    def printed(case: Case, lang: str) -> str:
        out = io.StringIO()
        render_report(diagnose(case, kb, lang=lang), kb, source="x", console=Console(file=out, width=200))
        return out.getvalue()

    case = parse_case(DIALYSIS_LUNGS, kb)
    fr = printed(case, "fr")
    assert "(imagerie 1, tissu 1) RV" in fr and "(antécédent 2) RV" in fr and "imaging[0]" not in fr
    assert "Métastatique · identifiant ckd_mineral_bone_disorder" in fr
    en = printed(case, "en")
    assert "(imaging[0].tissues[0]) LR" in en and "Metastatic · id ckd_mineral_bone_disorder" in en
    wrist = printed(parse_case(WRIST, kb), "fr")
    assert "(durée) RV" in wrist and "duration_months" not in wrist


def test_the_follow_up_says_wound_care_only_with_a_wound(kb: KnowledgeBase) -> None:
    """A calcific tendinitis of the wrist, with no wound, read 'your team shows you how to ...
    care for a wound'; the same wrist with an ulcer does."""
    from calcinosis.management.manage import manage

    def education(case: Case) -> str:
        item = next((i for i in manage(case, kb).followup.schedule if i.id == "education"), None)
        return "" if item is None else f"{item.text} {item.patient}"

    case = parse_case(WRIST, kb)
    assert "wound" not in education(case) and "ulcers" not in education(case)
    # a leading calcific tendinitis now reads no calcinosis cutis education at all (its review
    # stands for it, a re-review, s33): the wound's words are read where that education is said,
    # on a scleroderma's fingertip nodules, with and without an ulcer
    ssc = parse_case(
        SCLERODERMA_FINGERTIPS,
        kb,
    )
    assert "wound" not in education(ssc) and "ulcers" not in education(ssc)
    ulcer = education(_with(ssc, findings=[*ssc.findings, "ulceration"]))
    assert "care for a wound" in ulcer and "local care of ulcers" in ulcer


def test_a_known_haemochromatosis_is_not_asked_its_iron_studies(kb: KnowledgeBase) -> None:
    """A clinical review: a treated haemochromatosis was asked "Raised transferrin saturation? no:
    argues against Haemochromatosis arthropathy"; venesection brings the iron studies to normal by
    design (EASL 2022) while the arthropathy stays. The same hands without the known disease are
    still asked."""
    case = read_case(PUBLISHED_CASES / "pub-dys-05-known-haemochromatosis-painful-hands.yaml", kb)
    iron = {"lab:transferrin_saturation_high", "lab:ferritin_high"}
    assert not iron & {q.feature for q in diagnose(case, kb).next_questions}
    unknown = _with(case, history=[h for h in case.history if h != "hemochromatosis"])
    assert iron & {q.feature for q in diagnose(unknown, kb).next_questions}
