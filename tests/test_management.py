"""Management: staging, options, follow-up plan, the manage and stage commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from calcinosis import KnowledgeBase, UnknownEntityError, diagnose, parse_case, read_case
from calcinosis.cli.main import app
from calcinosis.engine.diagnose import analyse
from calcinosis.engine.staging import stage_cvi
from calcinosis.management.manage import manage

from .conftest import DEV_CASES, PUBLISHED_CASES

runner = CliRunner()


def staged(kb: KnowledgeBase, **extra: Any):  # type: ignore[no-untyped-def]
    case = parse_case({"patient": {"age": 70, "sex": "female"}, **extra}, kb)
    _, ev, _ = analyse(case, kb)
    return stage_cvi(ev, kb, lang="en")


def test_porter_and_ceap_from_findings(kb: KnowledgeBase) -> None:
    """Ulcer: Porter 4 and CEAP C6; lipodermatosclerosis: Porter 3, C4b; varicose veins: Porter 2, C2."""
    ulcer = staged(kb, history=["varicose_veins"], findings=["venous_ulcer", "heavy_legs"])
    assert (ulcer.porter.stage_min, ulcer.porter.stage_max) == (4, 4)
    assert ulcer.ceap.clinical_class == "C6s"
    lds = staged(kb, findings=["lipodermatosclerosis"])
    assert lds.porter.stage_min == 3 and lds.ceap.clinical_class.startswith("C4b")
    varices = staged(kb, history=["varicose_veins"], absent=["heavy_legs", "pain"])
    assert varices.porter.stage_min == 2 and varices.ceap.clinical_class == "C2a"


def test_ungradable_sign_gives_a_range_and_says_what_decides(kb: KnowledgeBase) -> None:
    """Ochre dermatitis alone may be discreet (2) or frank (3): a range, and what would decide."""
    s = staged(kb, findings=["ochre_dermatitis"])
    assert (s.porter.stage_min, s.porter.stage_max) == (2, 3)
    assert s.ceap.clinical_class.startswith("C4a")
    assert any("frank" in m for m in s.missing)


def test_staging_shown_in_diagnose_only_when_venous_disease_is_in_play(kb: KnowledgeBase) -> None:
    """dev-006 (varicose veins, CVI) gets staging; a scleroderma case does not."""
    from calcinosis import read_case

    venous = diagnose(read_case(DEV_CASES[5], kb), kb)
    assert venous.staging is not None and venous.staging.porter.stage_min >= 2
    assert diagnose(read_case(DEV_CASES[2], kb), kb).staging is None


@pytest.mark.parametrize("path", DEV_CASES, ids=lambda p: p.stem)
def test_manage_runs_on_every_dev_case(kb: KnowledgeBase, path: Path) -> None:
    """manage gives principles or options, a follow-up plan with warning signs, and the disclaimer."""
    from calcinosis import read_case

    for lang in ("en", "fr"):
        result = manage(read_case(path, kb), kb, lang=lang)
        json.dumps(result.model_dump(mode="json"))
        assert result.followup.schedule and result.followup.warning_signs
        assert result.kb_version == kb.version
        assert ("clinicien" if lang == "fr" else "clinician") in result.disclaimer
        for options in result.options.values():  # what can start now first, then what waits; each by fit
            order = [(bool(o.wait_note), -o.fit) for o in options]
            assert order == sorted(order)


def test_an_emergencys_checks_follow_their_conditions(kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch) -> None:
    """An emergency's check with an ``unless`` reported, or a ``when`` not reported, is not
    listed (a code review: by_emergency items were listed whatever their conditions said)."""
    from calcinosis.management.manage import followup_plan

    recheck = kb.followup.by_emergency["severe_hypercalcaemia"][0]

    def listed(item: Any) -> bool:
        monkeypatch.setitem(kb.followup.by_emergency, "severe_hypercalcaemia", [item])
        plan = followup_plan(
            kb, "metastatic", lang="en", emergencies=["severe_hypercalcaemia"], present=["condition:dialysis"]
        )
        return recheck.id in {i.id for i in plan.schedule}

    assert listed(recheck)
    assert not listed(recheck.model_copy(update={"unless": ["condition:dialysis"]}))
    assert not listed(recheck.model_copy(update={"when": ["finding:fever"]}))
    assert listed(recheck.model_copy(update={"when": ["condition:dialysis"]}))


def test_follow_up_schedule_of_the_seeds(kb: KnowledgeBase) -> None:
    """Clinical review every 3 to 6 months, yearly imaging, regular labs (seed 004); calciphylaxis adds wound review."""
    from calcinosis.management.manage import followup_plan

    plan = followup_plan(kb, "dystrophic", lang="en")
    everies = {i.id: i.every for i in plan.schedule}
    assert everies["clinical_review"] == "every 3 to 6 months" and everies["imaging"] == "yearly"
    assert "labs" in everies
    calciphylaxis = {i.id for i in followup_plan(kb, "calciphylaxis", lang="en").schedule}
    assert "wound_review" in calciphylaxis and "clinical_review" not in calciphylaxis  # weekly replaces 3-6-monthly
    for category in kb.category_names:  # every check says itself in a patient's words too, in both languages
        for lang in ("en", "fr"):
            assert all(i.patient for i in followup_plan(kb, category, lang=lang).schedule), (category, lang)


def test_a_deposit_after_a_calcium_infusion_has_its_own_follow_up(kb: KnowledgeBase) -> None:
    """Calcinosis after intravenous calcium resorbs within months: its follow-up is the infusion
    site's review and one radiograph if it persists (followup.yaml by_diagnosis), not the
    3-6-monthly review, yearly imaging and yearly calcium panel of chronic calcinosis, nor the
    warning sign of calciphylaxis on dialysis; the plan follows the diagnosis the clinician gives."""
    from calcinosis.management.manage import followup_plan

    newborn = manage(read_case(next(p for p in DEV_CASES if "neonatal-calcium-gluconate" in p.name), kb), kb)
    assert newborn.diagnosis == "iv_calcium_extravasation"
    assert [i.id for i in newborn.followup.schedule] == ["extravasation_site_review", "extravasation_radiograph"]
    assert not any("calciphylaxis" in w for w in newborn.followup.warning_signs)
    assert any("3 months" in w for w in newborn.followup.warning_signs)
    general = [i.id for i in followup_plan(kb, "iatrogenic", lang="en").schedule]
    assert general[:3] == ["clinical_review", "imaging", "labs"]
    given = manage(parse_case({"patient": {"age": 60, "sex": "female"}}, kb), kb, diagnosis="iv_calcium_extravasation")
    assert given.followup.schedule[0].id == "extravasation_site_review"
    french = followup_plan(kb, "iatrogenic", lang="fr", diagnosis="iv_calcium_extravasation")
    assert french.schedule[0].every.startswith("toutes les 1 à 2 semaines")
    assert all(i.patient for i in french.schedule)


def test_the_leaflet_gives_the_follow_up_in_a_patients_words(kb: KnowledgeBase) -> None:
    from calcinosis.reports.render import render_html

    case = read_case(next(p for p in DEV_CASES if "calciphylaxis-pd" in p.name), kb)
    html = render_html(case, kb, audience="patient", lang="fr")
    assert "une consultation pour surveiller les plaies" in html
    assert "Taille des plaies, nécrose" not in html  # the team's own wording stays in the clinician report
    assert "tous les 3 à 6 mois" not in html  # replaced by the weekly review


def test_given_diagnosis_overrides_the_differential(kb: KnowledgeBase) -> None:
    """--diagnosis fits the options to the clinician's diagnosis."""
    case = parse_case({"patient": {"age": 60, "sex": "female"}}, kb)
    result = manage(case, kb, diagnosis="calciphylaxis")
    assert result.diagnosis == "calciphylaxis" and result.diagnosis_given and result.category == "calciphylaxis"
    assert "calciphylaxis_team_non_uraemic" in {s.id for s in result.statements}  # no kidney disease reported
    with pytest.raises(UnknownEntityError, match="did you mean: calciphylaxis"):
        manage(case, kb, diagnosis="calciphylaxsis")


def test_cli_manage_and_stage(tmp_path: Path) -> None:
    """manage and stage cvi: text, JSON, French; unknown diagnosis and missing file exit 2."""
    case = str(DEV_CASES[5])
    result = runner.invoke(app, ["manage", case])
    assert result.exit_code == 0 and "Follow-up" in result.stdout
    result = runner.invoke(app, ["manage", case, "--json", "--lang", "fr"])
    assert result.exit_code == 0 and json.loads(result.stdout)["followup"]["schedule"]
    result = runner.invoke(app, ["stage", "cvi", case])
    assert result.exit_code == 0 and "Porter 1988" in result.stdout and "CEAP 2020" in result.stdout
    result = runner.invoke(app, ["manage", case, "--diagnosis", "nope_disease"])
    assert result.exit_code == 2 and "unknown diagnosis" in result.stderr
    result = runner.invoke(app, ["stage", "cvi", str(tmp_path / "none.yaml")])
    assert result.exit_code == 2 and "no such case file" in result.stderr


def test_a_possible_sarcoma_is_excluded_before_any_procedure_on_the_mass(kb: KnowledgeBase) -> None:
    """A growing 5-cm leg mass read as calcific myonecrosis (80 %) with the three sarcomas at a
    few per cent each: the sarcomas, which must not be missed, are said first, with their care,
    and every procedure on the mass (shock waves, excision...) waits until they are excluded; a
    procedure that treats a cause, and a case with no sarcoma in play, are left as they were."""
    path = PUBLISHED_CASES / "pub-dys-12-leg-slow-growing-densely-calcified-mass.yaml"
    report = manage(read_case(path, kb), kb)
    assert report.diagnosis == "calcific_myonecrosis"
    first = report.statements[0]
    assert first.text.startswith("Still to be excluded, not to be missed: Synovial sarcoma (")
    assert "sarcoma reference centre" in first.text and first.references == ["esmo_sts2018"]
    procedures = [
        o for opts in report.options.values() for o in opts if o.kind == "procedure" and o.mechanism != "cause"
    ]
    assert procedures and all(
        o.cautions[0].startswith("Not before these are excluded") and "Synovial sarcoma (" in o.cautions[0]
        for o in procedures
    )
    french = manage(read_case(path, kb), kb, lang="fr")
    assert french.statements[0].text.startswith("Reste à écarter, à ne pas méconnaître\u00a0: synovialosarcome")
    tendon = manage(read_case(next(p for p in DEV_CASES if "calcific-tendinitis" in p.name), kb), kb)
    assert not any(
        o.cautions and o.cautions[0].startswith("Not before th") for opts in tendon.options.values() for o in opts
    )
    assert not any(s.text.startswith("Still to be excluded") for s in tendon.statements)


def test_known_kidney_disease_brings_the_kidney_cautions_without_a_creatinine(kb: KnowledgeBase) -> None:
    """Kidney disease given in the history, with no creatinine entered, brings the same renal
    cautions (NSAIDs, opioids) as a measured eGFR below 60; a vitamin K antagonist adds the
    bleeding caution of NSAIDs to analgesia."""
    case = parse_case(
        {
            "patient": {"age": 82, "sex": "female"},
            "history": ["chronic_kidney_disease"],
            "exposures": ["warfarin"],
            "findings": ["skin_necrosis", "pain", "retiform_purpura"],
            "sites": ["thigh"],
        },
        kb,
    )
    report = manage(case, kb)
    analgesia = next(o for opts in report.options.values() for o in opts if o.treatment == "analgesia")
    assert any(c.startswith("Kidney disease: prolonged NSAID therapy") for c in analgesia.cautions)
    assert any("vitamin K antagonist, NSAIDs add to the bleeding risk" in c for c in analgesia.cautions)


def test_benign_local_deposits_and_phleboliths_are_not_followed_as_chronic_calcinosis(kb: KnowledgeBase) -> None:
    """A scrotal calcinosis or a subepidermal calcified nodule is excised and reviewed once, then
    seen again only for new nodules; phleboliths need no follow-up of their own: none of them
    gets the 3-6-monthly review, yearly imaging and yearly calcium panel (by_diagnosis)."""
    chronic = {"clinical_review", "imaging", "labs"}
    for name, first in (
        ("scrotal-calcinosis", "benign_local_after_excision"),
        ("subepidermal-nodule", "benign_local_after_excision"),
        ("pelvic-phleboliths", "phleboliths_none"),
    ):
        report = manage(read_case(next(p for p in DEV_CASES if name in p.name), kb), kb)
        ids = [i.id for i in report.followup.schedule]
        assert ids[0] == first and not chronic & set(ids), (name, ids)
        assert all(i.patient for i in report.followup.schedule)


def test_a_study_of_another_disease_says_which_in_the_terminal(kb: KnowledgeBase) -> None:
    """Under a scrotal calcinosis' excision, the Mayo calciphylaxis series read as evidence for
    the excision at hand; marked as studied in calciphylaxis, its survival figure still stood
    under an infant's foot nodule (a clinical re-review). With no study of the patient's possible
    diagnoses, the terminal says so and names what the studies are of, without their figures."""
    path = next(p for p in DEV_CASES if "scrotal-calcinosis" in p.name)
    result = CliRunner().invoke(app, ["manage", str(path)], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    assert "[weenig2007]" not in result.output
    line = next(
        x for x in result.output.splitlines() if "No study of this treatment in the diagnoses considered here" in x
    )
    assert (
        "the studies are of: " in line
        and "Calciphylaxis (calcific arteriolopathy" in line.split("the studies are of: ")[1]
    )
    assert "survival" not in line and "539" not in line  # named, without their figures


def test_a_raised_urea_brings_the_kidney_cautions_and_an_infected_ulcer_its_antibiotics(kb: KnowledgeBase) -> None:
    """Only a raised urea to say the kidneys fail (an anuric infant): the kidney cautions hold;
    an ulcer or necrosis with a raised white cell count brings the search for infection and its
    treatment (it was missing beside a CRP of 128 and necrotic ulcers)."""
    urea = parse_case(
        {
            "patient": {"age": 60, "sex": "female"},
            "findings": ["palpable_nodules", "pain"],
            "labs": [{"test": "urea", "value": 30, "unit": "mmol/L"}],
        },
        kb,
    )
    analgesia = next(o for opts in manage(urea, kb).options.values() for o in opts if o.treatment == "analgesia")
    assert any(c.startswith("Kidney disease: prolonged NSAID therapy") for c in analgesia.cautions)
    infected = parse_case(
        {
            "patient": {"age": 60, "sex": "female"},
            "history": ["dialysis"],
            "findings": ["skin_necrosis", "ulceration", "pain", "retiform_purpura"],
            "labs": [{"test": "wbc", "value": 13.2, "unit": "10^9/L"}],
        },
        kb,
    )
    treatments = {o.treatment for opts in manage(infected, kb).options.values() for o in opts}
    assert "antibiotics_superinfection" in treatments


def test_a_childs_options_say_that_the_doses_shown_are_adults(kb: KnowledgeBase) -> None:
    """A 7-year-old with juvenile dermatomyositis: rituximab says that a child's dose is set with
    paediatric specialists, and colchicine, whose doses are adults' fixed ones, shows its
    paediatric dosing instead of them; an adult's options do neither."""
    jdm = {"findings": ["palpable_nodules", "muscle_weakness", "gottron_papules", "pain"], "sites": ["elbow"]}
    child = manage(parse_case({"patient": {"age": 7, "sex": "female"}, **jdm}, kb), kb)
    adult = manage(parse_case({"patient": {"age": 45, "sex": "female"}, **jdm}, kb), kb)

    def said(report: Any, treatment: str) -> bool:
        option = next((o for opts in report.options.values() for o in opts if o.treatment == treatment), None)
        assert option is not None, treatment
        return any(c.startswith(("A child's dose is set by weight", "For a child:")) for c in option.cautions)

    assert said(child, "rituximab") and not said(adult, "rituximab")

    # colchicine's doses are adults' fixed ones: a child's plan shows its paediatric dosing in
    # their place (a dose_for text for patient:child), not the adult's beside a caution (a clinical review)
    def colchicine_dose(report: Any) -> str:
        return next(o.dose for opts in report.options.values() for o in opts if o.treatment == "colchicine")

    assert colchicine_dose(child).startswith("Paediatric dosing") and "mg" not in colchicine_dose(child)
    assert "mg" in colchicine_dose(adult)


def test_hypercalcaemia_fluids_are_first_line_with_symptoms_and_an_option_without(kb: KnowledgeBase) -> None:
    """Walsh 2016: below 3.0 mmol/L a hypercalcaemia is often asymptomatic and needs no urgent
    correction; with symptoms rehydration comes first."""
    base = {
        "patient": {"age": 77, "sex": "female"},
        "labs": [{"test": "calcium", "value": 2.85, "unit": "mmol/L"}, {"test": "pth", "value": 100, "unit": "ng/L"}],
    }

    def role(extra: dict[str, Any]) -> str:
        report = manage(parse_case({**base, **extra}, kb), kb)
        return next(
            o.role
            for opts in report.options.values()
            for o in opts
            if o.treatment == "hydration_and_hypercalcaemia_management"
        )

    assert role({"findings": ["palpable_nodules", "hypercalcemia_symptoms"]}) == "first_line"
    assert role({"findings": ["palpable_nodules"]}) == "option"


def test_transplantation_for_a_patient_with_a_cancer_says_what_the_cancer_weighs(kb: KnowledgeBase) -> None:
    """A patient on dialysis with a cancer in the history is not offered a transplantation as if
    the cancer did not count: the option carries the caution (KDIGO 2020 candidate guideline),
    which a patient without a cancer does not get."""

    def transplant_cautions(history: list[str]) -> list[str]:
        case = parse_case(
            {
                "patient": {"age": 76, "sex": "male"},
                "history": history,
                "findings": ["periarticular_mass"],
                "sites": ["shoulder"],
                "labs": [{"test": "phosphate", "interpretation": "high"}],
            },
            kb,
        )
        options = [o for opts in manage(case, kb).options.values() for o in opts]
        return next(o.cautions for o in options if o.treatment == "kidney_transplantation")

    assert any("A cancer weighs on the suitability" in c for c in transplant_cautions(["dialysis", "other_cancer"]))
    assert not any("cancer" in c for c in transplant_cautions(["dialysis"]))


def test_a_cancer_dead_parasites_a_vitamin_d_intoxication_and_a_phpt_have_their_own_follow_up(
    kb: KnowledgeBase,
) -> None:
    """Two reviews: a suspected osteosarcoma relapse, calcified guinea worms and a toddler's
    vitamin D nephrocalcinosis all had the chronic calcinosis schedule (3-6-monthly review,
    yearly radiographs and calcium panel). Each now has its own (followup.yaml by_diagnosis)."""
    chronic = {"clinical_review", "imaging", "labs"}
    for diagnosis, first in (
        ("soft_tissue_osteosarcoma_metastasis", "oncology_followup"),
        ("dracunculiasis", "parasite_none"),
        ("hypervitaminosis_d", "vitamin_d_labs"),
        ("primary_hyperparathyroidism", "phpt_labs"),  # a nephrocalcinosis had yearly radiographs
        ("pilomatricoma", "pilomatricoma_after_excision"),  # a toddler had yearly neck radiographs
        ("tumoral_calcinosis_normophosphatemic", "nftc_review"),  # a normal phosphate tested monthly
    ):
        case = parse_case({"patient": {"age": 30, "sex": "female"}, "findings": ["palpable_nodules"]}, kb)
        report = manage(case, kb, diagnosis=diagnosis)
        ids = [i.id for i in report.followup.schedule]
        assert ids[0] == first and not chronic & set(ids), (diagnosis, ids)


def test_a_case_without_any_venous_sign_is_not_staged_as_if_it_had_been_examined(kb: KnowledgeBase) -> None:
    """A hardening review: a case with no venous information got 'Porter 1 / CEAP C0' with an
    empty basis, missing read as absent; the staging now says that nothing venous is reported."""
    from calcinosis.engine.diagnose import analyse
    from calcinosis.engine.staging import stage_cvi

    _, evidence, _ = analyse(parse_case({"patient": {"age": 50, "sex": "female"}, "findings": ["pain"]}, kb), kb)
    staging = stage_cvi(evidence, kb, lang="en")
    assert staging.ceap.notes[0].startswith("Not staged: no sign of venous disease is reported") and not staging.staged
    _, venous, _ = analyse(parse_case({"patient": {"age": 50, "sex": "female"}, "history": ["varicose_veins"]}, kb), kb)
    staged = stage_cvi(venous, kb, lang="en")
    assert staged.staged and not any(n.startswith("Not staged") for n in staged.ceap.notes)


def test_venous_signs_reported_absent_are_staged_without_the_nothing_reported_note(kb: KnowledgeBase) -> None:
    """A code review: a case reporting every venous sign absent was told that nothing was reported."""
    from calcinosis.engine.diagnose import analyse
    from calcinosis.engine.staging import stage_cvi

    denied = {"patient": {"age": 50, "sex": "female"}, "findings": ["pain"], "absent": ["varicose_veins", "leg_edema"]}
    _, evidence, _ = analyse(parse_case(denied, kb), kb)
    assert not any(n.startswith("Not staged") for n in stage_cvi(evidence, kb, lang="en").ceap.notes)


def test_an_unstaged_limb_shows_no_stage_in_the_report(kb: KnowledgeBase) -> None:
    """A clinical re-review: a calciphylaxis on dialysis with venous insufficiency in its history
    and no venous sign recorded had 'Porter 1 / C0: no visible or palpable signs' in bold, beside
    its leg ulcers. The clinician report shows that it is not staged, not the stage of a limb
    without signs; a limb with varicose veins is staged."""
    from calcinosis.reports.render import render_html

    history = {"patient": {"age": 60, "sex": "female"}, "findings": ["ulceration"], "sites": ["lower_leg"]}
    unstaged = render_html(parse_case({**history, "history": ["chronic_venous_insufficiency"]}, kb), kb)
    assert "Not staged: no sign of venous disease is reported" in unstaged and "CEAP 2020: C0" not in unstaged
    staged = render_html(parse_case({**history, "history": ["varicose_veins"]}, kb), kb)
    assert "CEAP 2020: C2" in staged and "Not staged" not in staged


def test_a_possible_calciphylaxis_is_followed_weekly_until_it_is_excluded(kb: KnowledgeBase) -> None:
    """A clinical review: a woman with tender thighs, read as primary hyperparathyroidism with
    calciphylaxis at 22 %, was to be seen every 3 to 6 months; a re-review: weekly wound visits
    were then set for a calciphylaxis at 2 % with no skin sign. A diagnosis followed until
    excluded (must_not_miss.yaml) puts its first check first when still possible, not leading,
    with a defining feature (here a livedo) in the case; not without one."""
    dialysis = {
        "patient": {"age": 60, "sex": "female"},
        "history": ["dialysis"],
        "findings": ["palpable_nodules", "periarticular_mass", "livedo"],
        "sites": ["shoulder", "hip"],
    }
    report = manage(parse_case(dialysis, kb), kb)
    assert report.diagnosis != "calciphylaxis"
    first = report.followup.schedule[0]
    assert first.id == "until_excluded:wound_review" and first.every.startswith("until Calciphylaxis")
    without = {**dialysis, "findings": ["palpable_nodules", "periarticular_mass"]}
    plain = manage(parse_case(without, kb), kb)
    assert not any(i.id.startswith("until_excluded:") for i in plain.followup.schedule)
    crest = manage(read_case(next(p for p in DEV_CASES if "crest" in p.name), kb), kb)
    assert not any(i.id.startswith("until_excluded:") for i in crest.followup.schedule)


def test_ckd_mbd_follows_the_kdigo_intervals_not_a_yearly_panel(kb: KnowledgeBase) -> None:
    """Two dialysis patients had calcium, phosphate and PTH 'at least yearly' (a clinical review):
    CKD-MBD's own check (KDIGO intervals by stage) stands for the general panel and for the
    metastatic category's, and the review of the deposits stays."""
    case = parse_case(
        {"patient": {"age": 40, "sex": "female"}, "history": ["dialysis"], "findings": ["palpable_nodules"]}, kb
    )
    ids = [i.id for i in manage(case, kb, diagnosis="ckd_mineral_bone_disorder").followup.schedule]
    assert "ckd_mbd_labs" in ids and "clinical_review" in ids
    assert not {"labs", "metabolic_labs"} & set(ids)
