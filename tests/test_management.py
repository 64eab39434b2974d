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
from calcinosis.management.manage import manage
from calcinosis.management.staging import stage_cvi

from .conftest import DEV_CASES

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
        for options in result.options.values():
            fits = [o.fit for o in options]
            assert fits == sorted(fits, reverse=True)


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
    assert "calciphylaxis_team" in {s.id for s in result.statements}
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
