"""The follow-up plan and the leaflet's signs fit the patient: an infant, a pregnancy, a dialysis,
a cancer, a heterotopic ossification (a clinical review of the follow-up and leaflet texts)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from calcinosis import KnowledgeBase, diagnose, parse_case, read_case
from calcinosis.management.results import PlanItem
from calcinosis.reports.leaflet import build_leaflet

from .conftest import (
    BEDBOUND_AFTER_COMA,
    INFANT_HYPERCALCAEMIA_NEPHROCALCINOSIS,
    PREGNANT_MUSCLE_DEPOSIT,
    PUBLISHED_CASES,
    REPO,
    SCLERODERMA_FINGERTIPS,
)


def case_path(name: str) -> Path:
    """The published case whose file name starts with ``name``."""
    return next(PUBLISHED_CASES.glob(f"{name}-*.yaml"))


DIALYSIS_CALCIPHYLAXIS_HIGH_CALCIUM: dict[str, Any] = {
    "patient": {"age": 60, "sex": "female"},
    "history": ["chronic_kidney_disease", "dialysis", "diabetes_mellitus", "obesity"],
    "findings": ["skin_necrosis"],
    "sites": ["buttock", "thigh"],
    "labs": [{"test": "calcium", "value": 3.4, "unit": "mmol/L"}],
}
"""A woman on haemodialysis with necrosis of the buttocks and thighs and a calcium of 3.4 mmol/L:
a calciphylaxis with a raised calcium in an anuric patient."""


def test_a_dialysis_patient_s_calcium_emergency_names_signs_they_can_feel(kb: KnowledgeBase) -> None:
    """A clinical review: a haemodialysis patient at 3.39 mmol/L read 'great thirst, passing a lot of urine'
    in the urgent note, which an anuric patient cannot use; the dialysis words (as the raised
    calcium's signs on dialysis say them), in both languages. A patient not on dialysis keeps
    the thirst and the urine; a baby's parents read a baby's signs."""
    dialysis = parse_case(DIALYSIS_CALCIPHYLAXIS_HIGH_CALCIUM, kb)
    for lang, thirst, team in (("en", "thirst", "dialysis team"), ("fr", "soif", "équipe de dialyse")):
        note = build_leaflet(diagnose(dialysis, kb, lang=lang), kb, lang=lang).urgent_note
        assert note and thirst not in note and team in note
        assert "urine" not in note
    base = {"patient": {"age": 60, "sex": "female"}, "findings": ["palpable_nodules"], "sites": ["hand"]}
    kidneys_working = parse_case({**base, "labs": [{"test": "calcium", "value": 3.7, "unit": "mmol/L"}]}, kb)
    assert "great thirst" in build_leaflet(diagnose(kidneys_working, kb), kb, lang="en").urgent_note
    baby = parse_case(
        {**base, "patient": {"age": 0.2, "sex": "male"}, "labs": [{"test": "calcium", "value": 3.7, "unit": "mmol/L"}]},
        kb,
    )
    note = build_leaflet(diagnose(baby, kb, lang="fr"), kb, lang="fr").urgent_note
    assert "soif" not in note and "couches" in note


def test_a_child_s_caution_on_a_per_kg_dose_says_where_the_dose_comes_from(kb: KnowledgeBase) -> None:
    """IVIG (2 g/kg), rituximab (375 mg/m²) and thalidomide (1.3 mg/kg/day, a girl of 14) read
    'the doses above are adults'' for a child, which is not what their dose texts say (a clinical
    review): the caution names the population each dose comes from, in both languages."""
    for treatment, source in (
        ("ivig", "Aggarwal 2022"),
        ("rituximab", "Daoussis 2012"),
        ("thalidomide", "Miyamae 2010"),
    ):
        caution = next(c for c in kb.treatments[treatment].cautions if "patient:child" in c.when)
        assert "adults'" not in caution.en and "celles de l'adulte" not in caution.fr
        assert source in caution.en and source in caution.fr
    thalidomide = next(c for c in kb.treatments["thalidomide"].cautions if "patient:child" in c.when)
    assert "girl of 14" in thalidomide.en and "fille de 14 ans" in thalidomide.fr


def plan_text(kb: KnowledgeBase, case: object, lang: str = "en") -> tuple[str, str, str]:
    """The plan's checks, its warning signs and the checks in the patient's words, each joined."""
    from calcinosis.management.manage import manage

    plan = manage(case, kb, lang=lang).followup  # type: ignore[arg-type]
    return (
        " ".join(i.text for i in plan.schedule),
        " ".join(plan.warning_signs),
        " ".join(i.patient or "" for i in plan.schedule),
    )


def test_the_general_follow_up_says_what_fits_the_diagnoses_in_play(kb: KnowledgeBase) -> None:
    """A clinical review of four cases (an infant, a cancer patient with lung uptake, a pregnant
    woman with a myositis ossificans, a man with heterotopic ossification after a coma): the
    plan read 'joint range of motion', 'New hard nodules', 'especially on dialysis' and
    'rheumatologist and dermatologist' for all. Each is now said where it belongs."""
    pregnant = parse_case(PREGNANT_MUSCLE_DEPOSIT, kb)
    checks, signs, patient = plan_text(kb, pregnant)
    assert "rheumatolog" not in checks and "obstetric team during the pregnancy" in checks
    assert "rehabilitation medicine and orthopaedics" in checks  # a myositis ossificans
    assert "joint range of motion" in checks  # a heterotopic ossification in play
    assert "dialysis" not in signs and "New hard nodules" not in signs  # in a muscle, no lump
    # the general review ('the areas concerned') gives way to the heterotopic ossification's own,
    # of the joint (a re-review, s33); no lumps either way
    assert "how far the joint moves" in patient and "the lumps" not in patient
    coma = parse_case(BEDBOUND_AFTER_COMA, kb)
    checks, _, _ = plan_text(kb, coma, "fr")
    assert "médecine physique et de réadaptation" in checks and "rhumatologie" not in checks
    cancer = read_case(case_path("pub-meta-15"), kb)
    checks, signs, patient = plan_text(kb, cancer, "fr")
    assert "mobilité articulaire" not in checks and "vos articulations" not in patient
    assert "oncologie pour un cancer" in checks and "néphrologie" not in checks
    assert "dialyse" not in signs and "nodules durs" not in signs
    baby = parse_case(INFANT_HYPERCALCAEMIA_NEPHROCALCINOSIS, kb)
    checks, signs, _ = plan_text(kb, baby)
    # paediatrics in the care pathway, or the newborn fat necrosis' own plan, which stands for
    # the general one, when that form leads (since the age bands' floor is the atypical share,
    # an adult cause no longer keeps an infant's likelihood ratio near 1)
    assert "paediatrics for a child" in checks or "even in a baby who seems well" in checks
    assert "joint range" not in checks
    assert "dialysis" not in signs
    # the other side: a scleroderma's nodules at the elbow keep the rheumatology-dermatology
    # pathway and the new nodules; around a joint, its range; on dialysis, the dialysis words
    ssc = parse_case(
        SCLERODERMA_FINGERTIPS,
        kb,
    )
    checks, signs, patient = plan_text(kb, ssc)
    assert "rheumatology and dermatology" in checks and "New hard nodules" in signs
    assert "joint range" not in checks and "the lumps" in patient
    joints = parse_case(
        {
            "patient": {"age": 50, "sex": "female"},
            "history": ["systemic_sclerosis", "dialysis"],
            "findings": ["palpable_nodules", "raynaud_phenomenon", "sclerodactyly"],
            "imaging": [{"modality": "radiograph", "sites": ["elbow"], "tissues": ["periarticular"]}],
        },
        kb,
    )
    checks, signs, patient = plan_text(kb, joints)
    assert "joint range of motion" in checks and "your joints" in patient
    assert "with an open wound, on dialysis" in signs


def test_a_weekly_calciphylaxis_review_stands_for_the_dialysis_panel(kb: KnowledgeBase) -> None:
    """A clinical review: a haemodialysis patient with calciphylaxis read the weekly wound review (calcium,
    phosphate and PTH) beside 'at least yearly' calcium, phosphate and PTH on dialysis: the
    weekly review stands for the dialysis panel as it did for the general one."""
    from calcinosis.management.manage import manage

    ids = [i.id for i in manage(parse_case(DIALYSIS_CALCIPHYLAXIS_HIGH_CALCIUM, kb), kb).followup.schedule]
    assert "wound_review" in ids and "labs_dialysis" not in ids


def test_the_calcium_of_a_baby_s_fat_necrosis_or_a_cancer_is_checked_within_weeks(kb: KnowledgeBase) -> None:
    """A baby of 35 days with a newborn's fat necrosis in play, and pub-meta-15, a
    cancer's raised calcium, read calcium 'every 1 to 3 months' (a clinical review): the newborn
    form's own 1 to 2 weeks (Siegel 2023), and for a cancer within a week of each treatment
    (judgement). A kidney disease keeps the metabolic category's interval."""
    from calcinosis.management.manage import manage

    def labs(case: object, lang: str = "en") -> tuple[str, str]:
        # the metastatic category's labs, or the newborn fat necrosis' own calcium check when
        # that form leads and its plan stands for the general one
        schedule = manage(case, kb, lang=lang).followup.schedule  # type: ignore[arg-type]
        item = next(i for i in schedule if i.id in ("metabolic_labs", "scfn_calcium"))
        return item.every, item.patient_every or ""

    every, patient = labs(parse_case(INFANT_HYPERCALCAEMIA_NEPHROCALCINOSIS, kb))
    assert "every 1 to 2 weeks until at least 3 months" in every and "1 to 2 weeks" in patient
    every, _ = labs(read_case(case_path("pub-meta-15"), kb), "fr")
    assert every.startswith("dans la semaine qui suit chaque traitement") and "1 à 3 mois" not in every
    ckd = parse_case(
        {
            "patient": {"age": 60, "sex": "male"},
            "history": ["chronic_kidney_disease"],
            "findings": ["palpable_nodules"],
            "labs": [
                {"test": "phosphate", "value": 2.4, "unit": "mmol/L"},
                {"test": "egfr", "value": 20, "unit": "mL/min/1.73m2"},
            ],
        },
        kb,
    )
    plan = manage(ckd, kb).followup.schedule
    assert not any(i.every.startswith(("every 1 to 2 weeks", "within a week")) for i in plan)


def test_a_baby_s_parents_read_signs_they_can_see(kb: KnowledgeBase) -> None:
    """A clinical review: the parents of a 35-day-old read 'if you become more breathless' (the signs of
    calcium in an organ) and 'more difficulty moving, or pain that stops you doing things' (a
    clinical review). A baby's leaflet says what the parents can see, beside the under-3-months
    paragraph (kept); an adult with deposits in the lungs keeps the adult's words."""
    baby = parse_case(INFANT_HYPERCALCAEMIA_NEPHROCALCINOSIS, kb)
    for lang, adult_words, baby_words, kept in (
        ("en", ("more breathless", "More difficulty moving"), "struggles to breathe", "38 °C"),
        ("fr", ("plus essoufflé", "gêne croissante pour bouger"), "a du mal à respirer", "38\u00a0°C"),
    ):
        text = next(
            s.text
            for s in build_leaflet(diagnose(baby, kb, lang=lang), kb, lang=lang).sections
            if s.id == "when_to_consult"
        )
        assert not any(w in text for w in adult_words) and baby_words in text and kept in text
    from calcinosis.management.manage import manage

    signs = " ".join(manage(baby, kb).followup.warning_signs)
    assert "grunting" in signs and "breathlessness that worsens" not in signs
    adult = read_case(case_path("pub-meta-15"), kb)
    text = next(s.text for s in build_leaflet(diagnose(adult, kb), kb, lang="en").sections if s.id == "when_to_consult")
    assert "more breathless" in text and "struggles to breathe" not in text


CLINICIAN_WORDS = {
    "en": ("hypercalcaemia", "excision", "parathyroidectomy", "nephrology", "25-hydroxyvitamin", "infant"),
    "fr": (
        "calcémie",
        "phosphatémie",
        "exérèse",
        "parathyroïdectomie",
        "néphrologie",
        "25-hydroxyvitamine",
        "nourrisson",
    ),
}


def _patient_intervals(node: object) -> list[tuple[str, str, str]]:
    """Every follow-up check of followup.yaml that a leaflet says (it has a patient text): the
    interval the leaflet shows (patient_every, else every), in each language."""
    found: list[tuple[str, str, str]] = []
    if isinstance(node, dict):
        if isinstance(node.get("every"), dict) and "patient" in node:
            shown = node.get("patient_every") or node["every"]
            found += [(str(node.get("id")), lang, shown[lang]) for lang in ("en", "fr")]
        for value in node.values():
            found += _patient_intervals(value)
    elif isinstance(node, list):
        for value in node:
            found += _patient_intervals(value)
    return found


def test_the_leaflet_says_each_check_s_interval_in_a_patient_s_words() -> None:
    """A French clinical review: the leaflet's follow-up led each line with the clinician's
    interval: « en cas d'hypercalcémie : si le calcium est élevé, une analyse d'urine », « chaque
    semaine, en équipe avec néphrologie, dermatologie et soins de plaies : … par une équipe de
    spécialistes des reins », « une fois après l'exérèse … : une consultation après l'opération »,
    « au diagnostic … (un nourrisson déjà plus âgé : au diagnostic), plus longtemps tant qu'elle
    est élevée ». Every check a leaflet says has its interval in a patient's words."""
    import yaml

    followup = yaml.safe_load((REPO / "src" / "calcinosis" / "knowledge" / "followup.yaml").read_text("utf-8"))
    intervals = _patient_intervals(followup)
    assert len(intervals) > 40
    jargon = [(i, text) for i, lang, text in intervals if any(w in text.lower() for w in CLINICIAN_WORDS[lang])]
    assert not jargon


def test_a_baby_s_fat_necrosis_follow_up_reads_in_the_parents_words(kb: KnowledgeBase) -> None:
    """A baby of 3 weeks with a newborn's fat necrosis and a calcium of 3.4 mmol/L: the leaflet's
    follow-up (manage's patient_every) says no « calcémie », « hypercalcémie » nor « nourrisson »,
    and its kidney check does not say 'if the calcium is high' twice."""
    from calcinosis.management.manage import manage

    baby = parse_case(
        {
            "patient": {"age": 0.06, "sex": "female"},
            "findings": ["palpable_nodules", "fever", "nephrolithiasis"],
            "sites": ["face", "back", "buttock"],
            "labs": [{"test": "calcium", "value": 3.4, "unit": "mmol/L"}],
        },
        kb,
    )
    schedule = [i for i in manage(baby, kb, lang="fr").followup.schedule if i.patient]
    shown = [f"{i.patient_every or i.every} : {i.patient}" for i in schedule]
    assert len(shown) >= 3
    assert not [s for s in shown if any(w in s for w in ("calcémie", "nourrisson"))]
    assert "si le calcium est élevé : une analyse d'urine et une échographie des reins." in shown


def test_a_baby_s_leaflet_tells_its_parents_who_your_baby_is_not_who_you_are(kb: KnowledgeBase) -> None:
    """A French clinical review: a baby's leaflet, whose texts say « votre bébé » and whose « vous »
    is the parents (« elle n'est pas due à quelque chose que vous auriez fait »), opened with
    « "vous" désigne votre enfant ». A baby's parents read who « votre bébé » is; an older child's
    keep the note that « vous » stands for the child."""
    base = {"findings": ["palpable_nodules"], "sites": ["back", "buttock"]}
    baby = parse_case({**base, "patient": {"age": 0.06, "sex": "female"}}, kb)
    note = build_leaflet(diagnose(baby, kb, lang="fr"), kb, lang="fr").reader_note
    assert "votre bébé" in note and "vous" not in note.replace("votre", "")
    child = parse_case({**base, "patient": {"age": 8, "sex": "female"}}, kb)
    assert "votre enfant" in build_leaflet(diagnose(child, kb, lang="fr"), kb, lang="fr").reader_note


def _schedule(kb: KnowledgeBase, case: object, lang: str) -> list[PlanItem]:
    from calcinosis.management.manage import manage

    return manage(case, kb, lang=lang).followup.schedule  # type: ignore[arg-type]


def test_a_calciphylaxis_with_normal_kidneys_is_not_sent_to_a_kidney_team(kb: KnowledgeBase) -> None:
    """A French clinical review: a woman of 75 with a non-uraemic calciphylaxis on warfarin
    (normal kidneys) read 'follow the diet your kidney team gives you' in her leaflet and 'a team
    of kidney, skin and wound specialists' in her follow-up. Without a kidney disease reported,
    the weekly review is the dermatology and wound team's and the leaflet gives no kidney diet;
    on dialysis both stay as they were."""
    base = {
        "patient": {"age": 75, "sex": "female"},
        "history": ["obesity", "diabetes_mellitus"],
        "exposures": ["warfarin"],
        "findings": ["skin_necrosis", "livedo", "pain", "ulceration"],
        "sites": ["thigh"],
    }
    normal_kidneys = parse_case(base, kb)
    on_dialysis = parse_case({**base, "history": [*base["history"], "dialysis"]}, kb)
    for lang, kidney_diet, kidney_team, nephrology in (
        ("en", "kidney team", "kidney", "nephrology"),
        ("fr", "équipe de néphrologie", "reins", "néphrologie"),
    ):
        checks, _, patient = plan_text(kb, normal_kidneys, lang)
        leaflet = build_leaflet(diagnose(normal_kidneys, kb, lang=lang), kb, lang=lang)
        daily = next(p.text for p in leaflet.sections if p.id == "daily_life")
        assert kidney_diet not in daily and ("protein" in daily or "protéines" in daily)
        assert kidney_team not in patient and ("wound" in patient or "plaies" in patient)
        assert nephrology not in " ".join(i.every for i in _schedule(kb, normal_kidneys, lang)) and checks
        dialysed, _, dialysed_patient = plan_text(kb, on_dialysis, lang)
        daily = next(
            p.text
            for p in build_leaflet(diagnose(on_dialysis, kb, lang=lang), kb, lang=lang).sections
            if p.id == "daily_life"
        )
        assert kidney_diet in daily and kidney_team in dialysed_patient and dialysed
        assert nephrology in " ".join(i.every for i in _schedule(kb, on_dialysis, lang))


def test_a_calciphylaxis_with_a_raised_urea_is_followed_as_a_uraemic_one(kb: KnowledgeBase) -> None:
    """A code review: the kidney disease of the calciphylaxis follow-up and leaflet was a list
    written twice, without the raised urea of features.yaml's renal group, which the
    calciphylaxis work-up reads as a kidney disease (its non-uraemic mimics step is not shown).
    A raised urea alone had the work-up of a uraemic patient and the follow-up and leaflet of a
    non-uraemic one, without nephrology. Both now name the renal group (``group:renal``)."""
    case = parse_case(
        {
            "patient": {"age": 64, "sex": "female"},
            "exposures": ["warfarin"],
            "findings": ["skin_necrosis", "retiform_purpura", "pain", "ulceration"],
            "sites": ["thigh"],
            "labs": [{"test": "urea", "interpretation": "high"}],
        },
        kb,
    )
    report = diagnose(case, kb, lang="en")
    assert not any("kidney function is normal" in w.text for w in report.workup_steps)
    ids = [i.id for i in _schedule(kb, case, "en")]
    assert "wound_review" in ids and "wound_review_non_uraemic" not in ids
    daily = next(p.text for p in build_leaflet(report, kb, lang="en").sections if p.id == "daily_life")
    assert "kidney team" in daily


def test_a_follow_up_or_leaflet_condition_names_a_group_of_features(kb: KnowledgeBase, tmp_path: Path) -> None:
    """``group:<name>`` in a follow-up's or a leaflet's ``when`` or ``unless`` stands for the
    features of that dependency group (features.yaml groups); an unknown group is named by the
    loader as an unknown feature."""
    import shutil

    import pytest

    from calcinosis.errors import KnowledgeBaseError
    from calcinosis.kb.loader import default_kb_path, load_kb

    renal = {f for f, spec in kb.features.items() if spec.group == "renal"}
    review = next(i for i in kb.followup.by_category["calciphylaxis"] if i.id == "wound_review")
    assert set(review.when) == renal and "lab:urea_high" in renal
    variant = next(
        v
        for v in kb.leaflet_variants.variants
        if v.section == "daily_life" and v.diagnoses == ["calciphylaxis"] and v.when
    )
    assert set(variant.when) == renal
    root = tmp_path / "kb"
    shutil.copytree(default_kb_path(), root)
    path = root / "followup.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("when: [group:renal]", "when: [group:renl]"), encoding="utf-8"
    )
    with pytest.raises(KnowledgeBaseError) as err:
        load_kb(root, cache=False)
    assert any("group:renl" in i.message and i.location == "followup.yaml:wound_review" for i in err.value.issues)
