"""A diagnosis' second block of defining features, its setting (calciphylaxis: necrosis is its
lesion, kidney failure or another risk context its setting): each block the case is silent on
costs its own unreported probability, says so, and the batch engine pays the same."""

from __future__ import annotations

import math
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
from calcinosis.kb.views import diagnosis_detail

from .conftest import edited_disease


def _case(kb: KnowledgeBase, **extra: Any):  # type: ignore[no-untyped-def]
    return parse_case({"patient": {"age": 62, "sex": "female"}, **extra}, kb)


def _calciphylaxis(kb: KnowledgeBase, lang: str = "en", **extra: Any):  # type: ignore[no-untyped-def]
    report = diagnose(_case(kb, **extra), kb, lang=lang)
    return next((d for d in report.differential if d.diagnosis == "calciphylaxis"), None)


def test_calciphylaxis_declares_its_setting_with_a_sourced_probability(kb: KnowledgeBase) -> None:
    d = kb.disease("calciphylaxis")
    assert d.setting is not None and d.defining is not None
    assert {"condition:dialysis", "exposure:warfarin", "condition:obesity"} <= set(d.setting.any_of)
    assert not set(d.setting.any_of) & set(d.defining.any_of)  # two independent blocks
    assert d.setting.basis in ("reported", "derived") and d.setting.references
    assert 0 < d.setting.unreported_probability < 0.2


@pytest.mark.parametrize("name", ["tumoral_calcinosis_secondary", "tumoral_calcinosis_hyperphosphatemic"])
def test_tumoral_calcinosis_is_held_on_its_mass_as_well_as_its_setting(kb: KnowledgeBase, name: str) -> None:
    """Every form of tumoral calcinosis is named for its lesion, the periarticular mass: a raised
    calcium and PTH (the secondary form's setting) or a raised phosphate (the familial form's)
    with a deposit described by none of the mass' features pays the lesion block, and the
    mass by a joint lifts it; the lesion block is the normophosphataemic form's own."""
    d = kb.disease(name)
    assert d.setting is not None and d.defining is not None
    assert set(d.defining.any_of) <= set(kb.disease("tumoral_calcinosis_normophosphatemic").defining.any_of)  # type: ignore[union-attr]
    i = kb.disease_pos(name)
    kappa = kb.constants.defining_strength.value
    setting = {"labs": [{"test": "phosphate", "interpretation": "high"}, {"test": "pth", "interpretation": "high"}]}

    def penalty(**extra: Any) -> float:
        _, _, scores = analyse(_case(kb, **setting, **extra), kb)
        return float(scores.defining_log[i])

    assert penalty(sites=["scalp"], findings=["pruritus"]) == pytest.approx(
        kappa * math.log(d.defining.unreported_probability)
    )
    assert penalty(sites=["hip"], findings=["periarticular_mass"]) == 0.0
    report = diagnose(_case(kb, **setting, sites=["scalp"], findings=["pruritus"]), kb)
    shown = next((r for r in report.differential if r.diagnosis == name), None)
    assert shown is None or "defining" in shown.unreported_blocks


def test_each_unmentioned_block_costs_its_own_probability(kb: KnowledgeBase) -> None:
    """Necrosis without any setting pays the setting's probability; a setting without a lesion pays
    the lesion's; a case silent on both pays both; a case naming one of each pays nothing. Each
    of the row the diagnosis is shown by: since calciphylaxis has a non-uraemic form (its own
    blocks, setting 0.19 without the kidney states), a necrosis with no setting is shown by that
    form, a dialysis by the uraemic main row (setting 0.01)."""
    i = kb.disease_pos("calciphylaxis")
    d = kb.disease("calciphylaxis")
    assert d.setting is not None and d.defining is not None
    kappa = kb.constants.defining_strength.value
    main = {kind: block for kind, block in row_blocks(kb, i)}
    form_row = next(r.row for r in kb.forms if r.disease == i and r.form.id == "non_uraemic")
    form = {kind: block for kind, block in row_blocks(kb, form_row)}
    assert main["setting"].unreported_probability == d.setting.unreported_probability
    assert form["setting"].unreported_probability > main["setting"].unreported_probability

    def penalty(row: int, **extra: Any) -> float:
        _, _, scores = analyse(_case(kb, **extra), kb)
        assert int(scores.row[i]) == row, extra  # the row the diagnosis is shown by
        return float(scores.defining_log[i])

    def cost(blocks: dict[str, Any], *kinds: str) -> float:
        return kappa * sum(math.log(blocks[k].unreported_probability) for k in kinds)

    assert penalty(form_row, findings=["skin_necrosis"]) == pytest.approx(cost(form, "setting"))
    assert penalty(i, history=["dialysis"]) == pytest.approx(cost(main, "defining"))
    assert penalty(form_row, findings=["pain"]) == pytest.approx(cost(form, "defining", "setting"))
    assert penalty(i, findings=["skin_necrosis"], history=["dialysis"]) == 0.0
    # a setting reported absent is no setting: the block costs what silence costs (log u), the
    # denial counting besides in the evidence; the uraemic row's setting block, which names dialysis
    t = tables(kb)
    _, _, scores = analyse(_case(kb, findings=["skin_necrosis"], absent=["dialysis"]), kb)
    block = next(b for b in t.blocks_of[i] if t.block_kind[b] == "setting")
    assert float(scores.block_cost[block]) == pytest.approx(cost(main, "setting"))
    assert scores.denied_blocks[block] == ["condition:dialysis"]


def test_the_setting_moves_the_differential_and_is_explained(kb: KnowledgeBase) -> None:
    """Obesity is a setting of both forms; without it, the non-uraemic form that reads the case
    pays its own setting's 0.19, and says so."""
    with_setting = _calciphylaxis(kb, findings=["retiform_purpura", "pain"], history=["obesity"])
    without = _calciphylaxis(kb, findings=["retiform_purpura", "pain"])
    assert with_setting is not None and without is not None
    assert with_setting.unreported_blocks == [] and with_setting.defining_unreported_lr is None
    assert without.form is not None and without.form.id == "non_uraemic"
    assert without.unreported_blocks == ["setting"]
    assert without.defining_unreported_lr == pytest.approx(0.19, rel=1e-3)
    said = next(a for a in without.against if "usual settings" in a)
    assert "0.19" in said
    assert without.probability < with_setting.probability


def test_two_blocks_unreported_give_two_sentences_in_french(kb: KnowledgeBase) -> None:
    d = _calciphylaxis(kb, "fr", findings=["pain"], sites=["thigh"])
    assert d is not None
    assert d.unreported_blocks == ["defining", "setting"]
    lesion = next(a for a in d.against if "éléments caractéristiques" in a)
    setting = next(a for a in d.against if "contextes habituels" in a)
    assert d.against.index(lesion) < d.against.index(setting)
    assert "\u00a0:" in setting or "\u202f:" in setting  # French typography
    assert not any("setting" in a or "defining" in a for a in d.against)


def test_batch_pays_the_same_blocks_as_the_single_case(kb: KnowledgeBase) -> None:
    cases = [
        _case(kb, findings=["skin_necrosis"]),
        _case(kb, history=["dialysis"]),
        _case(kb, findings=["pain"], sites=["thigh"]),
        _case(kb, findings=["skin_necrosis"], history=["obesity"]),
        _case(kb, findings=["skin_necrosis"], absent=["dialysis"]),
    ]
    batch = score_cases(cases, kb)
    single = np.array([analyse(c, kb)[2].posterior for c in cases])
    assert np.abs(batch.scores.posterior - single).max() <= 1e-9


def test_the_knowledge_view_lists_the_setting(kb: KnowledgeBase) -> None:
    view = diagnosis_detail(kb, "calciphylaxis", "en")
    assert "condition:dialysis" in view.setting_features
    assert "finding:skin_necrosis" in view.defining_features
    # the setting's sources are among the diagnosis' references (kb show lists the same)
    assert "kalajian2009" in [r.id for r in view.references]
    assert kb.disease("calciphylaxis").cited_references() == [r.id for r in view.references]
    assert diagnosis_detail(kb, "gout", "en").setting_features == []


def _edited(tmp_path: Path, edit: Any) -> Path:
    return edited_disease(tmp_path, "calciphylaxis", edit)


def test_an_unknown_feature_in_the_setting_is_a_located_error(tmp_path: Path) -> None:
    root = _edited(tmp_path, lambda data: data["setting"]["any_of"].append("condition:dialysys"))
    with pytest.raises(KnowledgeBaseError) as err:
        load_kb(root, cache=False)
    text = str(err.value)
    assert "calciphylaxis" in text and "setting" in text and "condition:dialysis" in text


def test_kb_check_holds_the_setting_to_its_own_frequencies(tmp_path: Path) -> None:
    """A setting whose features the file states with frequencies summing to 0.5 cannot be left
    unsaid by fewer than half the patients: kb check warns, naming the block."""

    def edit(data: dict[str, Any]) -> None:
        data["setting"]["any_of"] = ["exposure:warfarin"]
        data["setting"]["unreported_probability"] = 0.01

    codes = [
        i for i in check_kb(load_kb(_edited(tmp_path, edit), cache=False)) if i.code == "kb.defining_below_frequencies"
    ]
    assert any("calciphylaxis: setting" in i.message for i in codes)


def test_a_feature_in_both_blocks_is_refused(tmp_path: Path) -> None:
    root = _edited(tmp_path, lambda data: data["setting"]["any_of"].append("finding:skin_necrosis"))
    with pytest.raises(KnowledgeBaseError) as err:
        load_kb(root, cache=False)
    assert "finding:skin_necrosis is in both defining and setting" in str(err.value)


def test_a_defining_feature_without_its_own_frequency_is_an_error(tmp_path: Path) -> None:
    """Silent on one of its own setting's features (dialysis), calciphylaxis would give it LR 1:
    kb check says which block and which feature."""

    def edit(data: dict[str, Any]) -> None:
        data["findings"] = [f for f in data["findings"] if f["feature"] != "condition:dialysis"]

    issues = [i for i in check_kb(load_kb(_edited(tmp_path, edit), cache=False)) if i.code == "kb.defining_silent"]
    assert [i.message.split(" has")[0] for i in issues] == ["calciphylaxis: setting: condition:dialysis"]
    assert all(i.level.value == "error" for i in issues)


# CKD-MBD: the kidney disease named (its defining block), or else at least shown by a
# creatinine, eGFR or urea (its setting, which widens the defining block)


def _ckd_mbd_block_cost(kb: KnowledgeBase, **extra: Any) -> float:
    """What CKD-MBD pays for its blocks of defining features in a hypercalcaemic adult."""
    case = parse_case({"patient": {"age": 60, "sex": "male"}, **extra}, kb)
    scores = analyse(case, kb)[2]
    return math.exp(float(scores.defining_log[kb.disease_pos("ckd_mineral_bone_disorder")]))


def test_ckd_mbd_is_defined_by_its_named_kidney_disease_widened_by_the_labs(kb: KnowledgeBase) -> None:
    d = kb.disease("ckd_mineral_bone_disorder")
    assert d.defining is not None and d.setting is not None and d.setting.widens
    labs = {"lab:egfr_below_60", "lab:egfr_below_15", "lab:urea_high"}
    assert not labs & set(d.defining.any_of)  # a raised creatinine does not name a chronic disease
    assert labs == set(d.setting.any_of)
    # nothing renal at all costs what the single block cost before the split
    assert d.defining.unreported_probability * d.setting.unreported_probability == pytest.approx(0.03)


def test_a_raised_creatinine_alone_leaves_ckd_mbd_unnamed(kb: KnowledgeBase) -> None:
    """Hypercalcaemia with a creatinine raised by an acute injury: CKD-MBD pays for the kidney
    disease nobody named (0.1), not as if the referral had said dialysis (nothing), nor as if
    it had said nothing renal (0.03)."""
    calcium = {"test": "calcium", "interpretation": "high"}
    creatinine = {"test": "creatinine", "interpretation": "high"}
    named = _ckd_mbd_block_cost(kb, labs=[calcium, creatinine], history=["chronic_kidney_disease"])
    labs_only = _ckd_mbd_block_cost(kb, labs=[calcium, creatinine])
    nothing = _ckd_mbd_block_cost(kb, labs=[calcium])
    assert named == pytest.approx(1.0)
    assert labs_only == pytest.approx(0.1)
    assert nothing == pytest.approx(0.03)
    # a transplant named without any lab: the defining block satisfies the widened one too
    assert _ckd_mbd_block_cost(kb, history=["kidney_transplant"]) == pytest.approx(1.0)


def test_a_denied_kidney_disease_names_none_and_widens_nothing(kb: KnowledgeBase) -> None:
    """'No chronic kidney disease' names no kidney disease: the defining block costs what
    silence costs (its denial counting besides in the evidence), the widened block, its labs
    unreported, pays in full, and the batch engine pays the same."""
    calcium = {"test": "calcium", "interpretation": "high"}
    denied = _ckd_mbd_block_cost(kb, labs=[calcium], absent=["chronic_kidney_disease"])
    assert denied == pytest.approx(_ckd_mbd_block_cost(kb, labs=[calcium]))
    assert denied == pytest.approx(0.03)
    cases = [
        parse_case({"patient": {"age": 60, "sex": "male"}, **extra}, kb)
        for extra in (
            {"labs": [calcium], "absent": ["chronic_kidney_disease"]},
            {"labs": [calcium, {"test": "creatinine", "interpretation": "high"}]},
            {"labs": [calcium], "absent": ["chronic_kidney_disease"], "history": ["dialysis"]},
            {"labs": [calcium], "history": ["secondary_hyperparathyroidism"], "absent": ["dialysis"]},
            {"labs": [calcium]},
            {"absent": ["calcium_containing_heparin"]},  # a block whose every feature is denied
            {"absent": ["muscle_weakness", "gottron_papules", "heliotrope_rash"]},
        )
    ]
    batch = score_cases(cases, kb)
    single = np.array([analyse(c, kb)[2].posterior for c in cases])
    assert np.abs(batch.scores.posterior - single).max() <= 1e-9


def test_a_defining_block_cannot_widen_itself(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["defining"]["widens"] = True

    with pytest.raises(KnowledgeBaseError) as err:
        load_kb(edited_disease(tmp_path, "ckd_mineral_bone_disorder", edit), cache=False)
    assert "widens is for a setting block" in str(err.value)


def test_a_widening_setting_needs_a_defining_block(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        del data["defining"]

    with pytest.raises(KnowledgeBaseError) as err:
        load_kb(edited_disease(tmp_path, "ckd_mineral_bone_disorder", edit), cache=False)
    assert "needs a defining block" in str(err.value)
