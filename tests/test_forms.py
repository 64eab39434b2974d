"""Forms of a diagnosis: one diagnosis, two populations that present differently (calcified fat
necrosis in adults, after an injury, and in newborns, after a difficult birth). Each form is
scored as its own row and the diagnosis' likelihood is their mixture; the reasons are those of
the form that carries the case, and the result says which."""

from __future__ import annotations

import math
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from calcinosis import KnowledgeBase, diagnose, load_kb, parse_case
from calcinosis.engine.batch import score_cases
from calcinosis.engine.diagnose import analyse
from calcinosis.engine.tables import row_blocks, tables
from calcinosis.errors import KnowledgeBaseError
from calcinosis.kb.check import check_kb
from calcinosis.kb.loader import default_kb_path
from calcinosis.kb.views import diagnosis_detail

from .conftest import edited_disease

NEWBORN = {
    "patient": {"age": 0.06, "sex": "male"},
    "findings": ["palpable_nodules"],
    "sites": ["back", "buttock"],
    "labs": [{"test": "calcium", "interpretation": "high"}],
}
ADULT = {
    "patient": {"age": 58, "sex": "female"},
    "findings": ["palpable_nodules"],
    "history": ["trauma_local"],
    "sites": ["breast"],
    "imaging": [{"modality": "mammography", "sites": ["breast"], "patterns": ["ring"]}],
}


def _fat_necrosis(kb: KnowledgeBase, case: dict[str, Any], lang: str = "en"):  # type: ignore[no-untyped-def]
    report = diagnose(parse_case(case, kb), kb, lang=lang)
    return next((d for d in report.differential if d.diagnosis == "fat_necrosis"), None)


def test_fat_necrosis_declares_its_newborn_form_with_sources(kb: KnowledgeBase) -> None:
    d = kb.disease("fat_necrosis")
    assert [f.id for f in d.forms] == ["newborn"] and d.main_form is not None
    newborn = d.forms[0]
    assert 0 < newborn.share < 0.5 and newborn.references and newborn.without_defining
    assert newborn.age is not None and newborn.age.unit == "days"
    stated = {f.feature: f for f in newborn.findings}
    assert stated["lab:calcium_high"].basis == "derived" and stated["lab:calcium_high"].references
    assert stated["finding:pain"].basis == "reported" and (stated["finding:pain"].n, stated["finding:pain"].total) == (
        4,
        16,
    )
    # the adults' own numbers no longer carry the newborns
    assert d.age is not None and not d.age.mixture and d.age.mean == 55
    assert d.findings["lab:calcium_high"].frequency < stated["lab:calcium_high"].frequency


def test_a_form_is_a_row_that_copies_its_diagnosis_and_puts_its_own_numbers_in(kb: KnowledgeBase) -> None:
    d = kb.disease_pos("fat_necrosis")
    (form,) = [f for f in kb.forms if f.disease == d]  # other diagnoses have forms of their own
    assert form.row >= len(kb.diseases) and kb.frequency.shape[0] == len(kb.diseases) + len(kb.forms)
    assert kb.row_disease(form.row) == d and kb.row_form(d) is None
    j = kb.feature_pos
    assert kb.frequency[form.row, j("lab:calcium_high")] == pytest.approx(0.65)
    assert kb.frequency[form.row, j("site:breast")] == pytest.approx(0.02)
    # a feature the form does not state is its diagnosis' (tissue:subcutaneous is stated by both;
    # pattern:nodular only by the diagnosis)
    assert kb.frequency[form.row, j("pattern:nodular")] == kb.frequency[d, j("pattern:nodular")]
    assert kb.source(form.row, j("pattern:nodular")) == kb.source(d, j("pattern:nodular"))
    # the age: a newborn in the newborn form, an adult in the main form
    assert kb.frequency[form.row, j("patient:age_under_1")] > 0.8
    assert kb.frequency[d, j("patient:age_under_1")] < 0.05  # the atypical share and the floor only
    # its defining blocks: none (without_defining), while the diagnosis keeps its own
    assert row_blocks(kb, form.row) == () and row_blocks(kb, d)


def test_the_likelihood_is_the_mixture_of_the_rows(kb: KnowledgeBase) -> None:
    """log LR(d) = log(share_main * LR_main + share_newborn * LR_newborn), each row's LR read from
    its own contributions; the shown row is the larger term and its share is what the result says.
    (tests/test_engine_speed_results.py holds the same to the bit against a plain computation.)"""
    t = tables(kb)
    d = kb.disease_pos("fat_necrosis")
    (form,) = [f for f in kb.forms if f.disease == d]
    shares = {d: kb.disease("fat_necrosis").main_share, form.row: form.form.share}
    seen = set()
    for case in (NEWBORN, ADULT):
        _, ev, s = analyse(parse_case(case, kb), kb)
        row_log = {}
        for r in (d, form.row):
            # no two observed features of these cases share a dependency group, but the sites and
            # the age bands: undamped sums are exact for rows whose weights are all 1
            contribution = t.log_lr_by_state[s.state_columns, r]
            blocks = sum(math.log(b.unreported_probability) for _, b in row_blocks(kb, r)) if r == d else 0.0
            said = any(f in ev.observations for _, b in row_blocks(kb, r) for f in b.any_of)
            row_log[r] = float((contribution * s.weight[d]).sum()) if r == int(s.row[d]) else None
            row_log[r] = (row_log[r], 0.0 if said else kb.constants.defining_strength.value * blocks)
        shown = int(s.row[d])
        seen.add(shown)
        log_lr = float(s.log_score[d] - kb.log_prior[d])
        term = math.log(shares[shown]) + row_log[shown][0] + row_log[shown][1]
        # the shown row's term is its share of the whole: exp(term - log LR)
        assert math.exp(term - log_lr) == pytest.approx(float(s.row_weight[shown]), rel=1e-9)
        assert 0.5 < s.row_weight[shown] <= 1.0
        assert s.row_weight[d] + s.row_weight[form.row] == pytest.approx(1.0)
        assert np.array_equal(s.contribution[d], t.log_lr_by_state[s.state_columns, shown])
    assert seen == {d, form.row}  # the newborn read in its form, the adult in the main one
    # a diagnosis without forms is shown by its own row, with all of its likelihood
    g = kb.disease_pos("gout")
    assert s.row[g] == g and s.row_weight[g] == 1.0


def test_the_mixture_reads_each_case_in_its_own_form(kb: KnowledgeBase) -> None:
    newborn = _fat_necrosis(kb, NEWBORN)
    adult = _fat_necrosis(kb, ADULT)
    assert newborn is not None and adult is not None
    assert newborn.form is not None and newborn.form.id == "newborn" and newborn.form.likelihood_share > 0.9
    assert adult.form is not None and adult.form.id == "main" and adult.form.name == "adults"
    # the newborn form makes fat necrosis the leading diagnosis of a hypercalcaemic newborn with
    # plaques of the back, and it pays no adult defining block (trauma, surgery, rim)
    report = diagnose(parse_case(NEWBORN, kb), kb)
    assert report.differential[0].diagnosis == "fat_necrosis"
    assert newborn.defining_unreported_lr is None and newborn.unreported_blocks == []
    # its reasons quote the newborn form's frequencies, under the form's name
    assert newborn.against[0] == newborn.form.text and "Subcutaneous fat necrosis of the newborn" in newborn.form.text
    calcium = next(c for c in newborn.evidence if c.feature == "lab:calcium_high")
    assert calcium.frequency == pytest.approx(0.65) and "newborn" in calcium.text


def test_the_form_is_said_in_french(kb: KnowledgeBase) -> None:
    newborn = _fat_necrosis(kb, NEWBORN, "fr")
    assert newborn is not None and newborn.form is not None
    text = newborn.form.text
    assert text.startswith("évalué pour sa forme «\u00a0Cytostéatonécrose du nouveau-né\u00a0» (10\u00a0%")
    assert "RV 0,1" in text
    assert "10\u202f%" in text or "10\u00a0%" in text  # Babel's percent, French spacing
    assert "\u00a0: RV" in text  # French typography before the colon
    assert not any(w in text for w in ("read as", "patients with", "likelihood", "LR"))


def test_batch_mixes_the_forms_as_the_single_case_does(kb: KnowledgeBase) -> None:
    cases = [parse_case(c, kb) for c in (NEWBORN, ADULT, {"patient": {"age": 0.02, "sex": "female"}})]
    batch = score_cases(cases, kb)
    single = np.array([analyse(c, kb)[2].posterior for c in cases])
    assert np.abs(batch.scores.posterior - single).max() <= 1e-9
    log_lr = np.array([analyse(c, kb)[2].log_score - kb.log_prior for c in cases])
    assert np.abs(batch.scores.log_lr - log_lr).max() <= 1e-9


def test_the_knowledge_view_lists_the_forms(kb: KnowledgeBase) -> None:
    view = diagnosis_detail(kb, "fat_necrosis", "fr")
    assert view.main_form == "adultes"
    (form,) = view.forms
    assert form.id == "newborn" and form.name == "Cytostéatonécrose du nouveau-né"
    assert form.without_defining and form.defining_features == []
    assert form.age is not None and form.age.bands[0].frequency > 0.8
    assert {f.feature for f in form.findings} >= {"lab:calcium_high", "site:back"}
    # the forms' sources are among the diagnosis' references
    assert {"siegel2023", "mahe2007"} <= {r.id for r in view.references}
    assert diagnosis_detail(kb, "gout", "en").forms == []


def _edited(tmp_path: Path, edit: Any) -> Path:
    return edited_disease(tmp_path, "fat_necrosis", edit)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda d: d["forms"].extend([{**d["forms"][0], "id": "other", "share": 0.95}]), "leave a share to the main"),
        (lambda d: d.pop("main_form"), "names its main form"),
        (lambda d: d["forms"][0].update(defining=d["defining"]), "not both"),
        (lambda d: d["forms"].append(dict(d["forms"][0])), "distinct"),
    ],
)
def test_malformed_forms_are_refused_with_the_reason(tmp_path: Path, edit: Any, expected: str) -> None:
    with pytest.raises(KnowledgeBaseError) as err:
        load_kb(_edited(tmp_path, edit), cache=False)
    assert expected in str(err.value) and "fat_necrosis" in str(err.value)


def test_an_unknown_feature_in_a_form_is_located(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["forms"][0]["findings"][0]["feature"] = "lab:calcium_hihg"

    with pytest.raises(KnowledgeBaseError) as err:
        load_kb(_edited(tmp_path, edit), cache=False)
    issue = next(i for i in err.value.issues if i.code == "kb.unknown_feature")
    assert issue.location == "diseases/fat_necrosis.yaml:forms[0].findings[0]"
    assert "lab:calcium_high" in issue.suggestions


def test_a_forms_own_defining_feature_must_have_a_frequency(tmp_path: Path) -> None:
    """A form that declares its own block on a feature neither it nor its diagnosis states would
    count that feature as in any other cause: kb check says which form and which feature."""

    def edit(data: dict[str, Any]) -> None:
        form = data["forms"][0]
        del form["without_defining"]
        form["defining"] = {
            "any_of": ["condition:prematurity", "antibody:anti_jo1"],
            "unreported_probability": 0.5,
            "basis": "judgement",
            "reasoning": "a test block: one feature stated by the form, one by nobody",
        }

    kb = load_kb(_edited(tmp_path, edit), cache=False)
    issues = [i for i in check_kb(kb) if i.code == "kb.defining_silent"]
    assert [i.message.split(" has")[0] for i in issues] == ["fat_necrosis/newborn: defining: antibody:anti_jo1"]
    # and the form now pays its own block where the case names none of it
    (form,) = [f for f in kb.forms if f.disease == kb.disease_pos("fat_necrosis")]
    _, _, s = analyse(parse_case(NEWBORN, kb), kb)
    assert s.row[kb.disease_pos("fat_necrosis")] == form.row
    assert s.defining_log[kb.disease_pos("fat_necrosis")] == pytest.approx(
        kb.constants.defining_strength.value * math.log(0.5)
    )


def test_kb_check_counts_the_forms_frequencies(kb: KnowledgeBase) -> None:
    from calcinosis.kb.check import basis_counts, stated_frequencies

    stated = stated_frequencies(kb)
    assert sum(basis_counts(kb).values()) == len(stated)
    assert sum(1 for where, _, _ in stated if where == "fat_necrosis/newborn") == len(
        kb.disease("fat_necrosis").forms[0].findings
    )


def test_kb_show_prints_each_form_after_the_main_one() -> None:
    from typer.testing import CliRunner

    from calcinosis.cli.main import app

    runner = CliRunner()
    english = runner.invoke(app, ["kb", "show", "fat_necrosis"], env={"COLUMNS": "200"})
    assert english.exit_code == 0, english.output
    out = english.output
    assert "its main form, adults (90% of patients)" in out
    assert out.index("mean 55 years") < out.index("Form “Subcutaneous fat necrosis of the newborn”: 10%")
    assert "median 21 days" in out and "siegel2023" in out
    french = runner.invoke(app, ["kb", "show", "fat_necrosis", "--lang", "fr"], env={"COLUMNS": "200"})
    assert french.exit_code == 0, french.output
    assert "Forme «\u00a0Cytostéatonécrose du nouveau-né\u00a0»\u00a0: 10\u00a0%" in french.output


def test_management_follows_the_newborn_form(kb: KnowledgeBase) -> None:
    """A hypercalcaemic newborn read as subcutaneous fat necrosis of the newborn gets the
    newborn's management: its principle, the infant hypercalcaemia treatment, calcium watched
    every 1-2 weeks, parents' warning signs; not the adult advice that is wrong for it (keep
    dietary calcium, surgery for deposits, yearly imaging)."""
    from calcinosis.management.manage import manage

    newborn = manage(parse_case(NEWBORN, kb), kb)
    assert newborn.diagnosis == "fat_necrosis" and newborn.diagnosis_form == "Subcutaneous fat necrosis of the newborn"
    ids = {s.id for s in newborn.statements}
    assert "scfn_newborn" in ids and not ids & {"keep_dietary_calcium", "surgery_when", "no_validated_treatment"}
    cause = [o.treatment for o in newborn.options.get("cause", [])]
    assert cause and cause[0] == "scfn_hypercalcaemia"
    assert [i.id for i in newborn.followup.schedule] == ["scfn_calcium", "scfn_kidneys", "scfn_skin"]
    assert not any(i.id in ("imaging", "clinical_review") for i in newborn.followup.schedule)
    assert any("vitamin d drops" in w.lower() for w in newborn.followup.warning_signs)
    # without hypercalcaemia: the newborn's follow-up, not its hypercalcaemia treatment
    calm = manage(parse_case({**NEWBORN, "labs": [{"test": "calcium", "interpretation": "normal"}]}, kb), kb)
    assert "scfn_hypercalcaemia" not in [o.treatment for opts in calm.options.values() for o in opts]
    assert calm.followup.schedule[0].id == "scfn_calcium"
    # the adult keeps the adult management
    adult = manage(parse_case(ADULT, kb), kb)
    assert adult.diagnosis_form is None and "scfn_newborn" not in {s.id for s in adult.statements}
    assert [i.id for i in adult.followup.schedule][:2] == ["clinical_review", "imaging"]


def test_management_and_leaflet_of_the_newborn_form_in_french(kb: KnowledgeBase) -> None:
    from calcinosis.management.manage import manage
    from calcinosis.reports.leaflet import build_leaflet

    report = manage(parse_case(NEWBORN, kb), kb, lang="fr")
    assert report.diagnosis_form == "Cytostéatonécrose du nouveau-né"
    texts = [s.text for s in report.statements] + [i.text for i in report.followup.schedule]
    texts += report.followup.warning_signs
    assert not any(w in t for t in texts for w in (" the ", " and ", " every ", "weeks"))
    leaflet = build_leaflet(diagnose(parse_case(NEWBORN, kb), kb, lang="fr"), kb, lang="fr")
    # in the parents' words, its plain name (leaflet.yaml plain_names), not the form's label
    assert leaflet.named.startswith("cytostéatonécrose du nouveau-né, une inflammation de la graisse")
    targets = {p.id: p.written_for for p in leaflet.sections}
    assert targets["what_it_is"] == targets["when_to_consult"] == "fat_necrosis/newborn"
    english = build_leaflet(diagnose(parse_case(ADULT, kb), kb), kb, lang="en")
    assert all(p.written_for != "fat_necrosis/newborn" for p in english.sections)


def test_an_unknown_form_in_management_knowledge_is_located(tmp_path: Path) -> None:
    root = tmp_path / "kb"
    shutil.copytree(default_kb_path(), root)
    path = root / "followup.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("fat_necrosis/newborn:", "fat_necrosis/neonate:"), encoding="utf-8"
    )
    with pytest.raises(KnowledgeBaseError) as err:
        load_kb(root, cache=False)
    issue = next(i for i in err.value.issues if i.code == "kb.unknown_form")
    assert issue.location == "followup.yaml:by_form" and "fat_necrosis/newborn" in issue.suggestions


# ---- calciphylaxis: the uraemic patients (main form) and the non-uraemic ones
NON_URAEMIC = {
    "patient": {"age": 64, "sex": "female"},
    "findings": ["pain", "ulceration"],
    "sites": ["lower_leg"],
    "labs": [
        {"test": "calcium", "interpretation": "normal"},
        {"test": "phosphate", "interpretation": "normal"},
        {"test": "pth", "interpretation": "normal"},
        {"test": "creatinine", "interpretation": "normal"},
    ],
}
ON_DIALYSIS = {
    "patient": {"age": 58, "sex": "female"},
    "history": ["dialysis"],
    "findings": ["pain", "skin_necrosis"],
    "sites": ["thigh"],
    "labs": [{"test": "phosphate", "interpretation": "high"}],
}


def _calciphylaxis(kb: KnowledgeBase, case: dict[str, Any]):  # type: ignore[no-untyped-def]
    report = diagnose(parse_case(case, kb), kb)
    return next(d for d in report.differential if d.diagnosis == "calciphylaxis")


def test_calciphylaxis_declares_its_non_uraemic_form_with_sources(kb: KnowledgeBase) -> None:
    """Non-uraemic calciphylaxis (no kidney failure, transplant or acute kidney injury on dialysis,
    Nigwekar 2008) is 0.17 of calciphylaxis in the series that class every patient; its own
    numbers: women, obesity, warfarin, corticosteroids, a normal calcium, phosphate and PTH in most."""
    d = kb.disease("calciphylaxis")
    assert [f.id for f in d.forms] == ["non_uraemic"] and d.main_form is not None
    form = d.forms[0]
    assert form.share == pytest.approx(0.17) and form.basis == "derived" and "nigwekar2008" in form.references
    assert form.age is not None and form.age.median == 66 and form.age.basis == "reported"
    stated = {f.feature: f for f in form.findings}
    for feature in ("lab:pth_high", "lab:calcium_high", "condition:obesity", "exposure:warfarin"):
        assert stated[feature].basis == "reported" and stated[feature].total == 24, feature
    assert stated["condition:dialysis"].frequency <= 0.01 < d.findings["condition:dialysis"].frequency
    assert stated["lab:pth_high"].frequency < d.findings["lab:pth_high"].frequency / 2
    assert stated["patient:female"].frequency > d.findings["patient:female"].frequency
    # its own setting: the risk contexts without the kidney states, charged more when unsaid
    assert form.setting is not None and d.setting is not None
    assert not any(
        f.startswith(("condition:dialysis", "lab:egfr", "condition:chronic_kidney")) for f in form.setting.any_of
    )
    assert set(form.setting.any_of) < set(d.setting.any_of)
    assert form.setting.unreported_probability > d.setting.unreported_probability
    # a case silent on every setting pays about what the single block charged (0.04)
    silent = d.main_share * d.setting.unreported_probability + form.share * form.setting.unreported_probability
    assert silent == pytest.approx(0.04, abs=0.005)


def test_calciphylaxis_reads_normal_labs_in_the_non_uraemic_form_and_dialysis_in_the_main(kb: KnowledgeBase) -> None:
    normal = _calciphylaxis(kb, NON_URAEMIC)
    dialysis = _calciphylaxis(kb, ON_DIALYSIS)
    assert normal.form is not None and normal.form.id == "non_uraemic" and normal.form.likelihood_share > 0.8
    assert dialysis.form is not None and dialysis.form.id == "main" and dialysis.form.likelihood_share > 0.99
    # the normal PTH weighs less against it, read among non-uraemic patients (0.29 raised) than
    # among dialysis patients (0.75)
    pth = next(c for c in normal.evidence if c.feature == "lab:pth_high")
    assert pth.frequency == pytest.approx(0.29)


def test_batch_mixes_the_calciphylaxis_forms_as_the_single_case_does(kb: KnowledgeBase) -> None:
    cases = [parse_case(c, kb) for c in (NON_URAEMIC, ON_DIALYSIS)]
    batch = score_cases(cases, kb)
    single = np.array([analyse(c, kb)[2].posterior for c in cases])
    assert np.abs(batch.scores.posterior - single).max() <= 1e-9
    log_lr = np.array([analyse(c, kb)[2].log_score - kb.log_prior for c in cases])
    assert np.abs(batch.scores.log_lr - log_lr).max() <= 1e-9


def test_malignancy_declares_its_haematological_form_with_sources(kb: KnowledgeBase) -> None:
    """The leukaemias and lymphomas that calcify are children with acute lymphoblastic leukaemia
    (median 9.5, McKay 1993) and older adults with adult T-cell leukaemia-lymphoma (median 68,
    Nosaka 2017), not the adults with metastases or myeloma of the main form; the main form's
    numbers are rescaled so that the diagnosis keeps its leukaemia 0.12 and lymphoma 0.1."""
    d = kb.disease("malignant_bone_destruction")
    assert [f.id for f in d.forms] == ["haematological"] and d.main_form is not None
    form = d.forms[0]
    assert form.defining is not None and set(form.defining.any_of) == {"condition:leukemia", "condition:lymphoma"}
    assert form.age is not None and {"mckay1993", "nosaka2017"} <= set(form.age.references)
    assert d.age is not None and not d.age.mixture and d.age.mean == pytest.approx(67.6)
    stated = {f.feature: f.frequency for f in form.findings}
    for feature, whole in (("condition:leukemia", 0.12), ("condition:lymphoma", 0.1)):
        marginal = d.main_share * d.findings[feature].frequency + form.share * stated[feature]
        assert marginal == pytest.approx(whole, abs=0.01), feature
    assert stated["lab:uric_acid_high"] > kb.features["lab:uric_acid_high"].baseline


def test_a_child_with_leukaemia_is_read_in_the_haematological_form(kb: KnowledgeBase) -> None:
    case = {
        "patient": {"age": 12, "sex": "male"},
        "history": ["leukemia"],
        "labs": [{"test": "calcium", "interpretation": "high"}],
        "imaging": [{"modality": "ct", "tissues": ["visceral"]}],
    }
    report = diagnose(parse_case(case, kb), kb)
    d = next(x for x in report.differential if x.diagnosis == "malignant_bone_destruction")
    assert d.form is not None and d.form.id == "haematological" and d.form.likelihood_share > 0.9
    age = next(c for c in d.evidence if c.feature.startswith("patient:age_"))
    assert age.likelihood_ratio > 1  # a child's age is usual for it, not the 0.06 of one mixture


def test_ckd_mbd_states_the_hyperuricaemia_of_kidney_failure(kb: KnowledgeBase) -> None:
    f = kb.disease("ckd_mineral_bone_disorder").findings["lab:uric_acid_high"]
    assert f.basis == "derived" and {"hd_start_urate2014", "rashid2022_hua_ckd"} <= set(f.references)
    assert 0.3 < f.frequency < 0.6
