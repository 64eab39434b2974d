"""Sites that gout, fat necrosis, CPPD, chronic venous insufficiency, pilomatricoma and the
idiopathic skin calcinoses were silent on took the calcinosis baseline, so a lesion there
counted LR 1 for them (issue #11, fault 3): a hand lesion did not weigh against venous
insufficiency, a disease of the legs, and adult fat necrosis kept the baseline 0.45 for the
lower limb though its breast, buttock, thigh and abdominal wall leave about 0.19 to every other
site. Each file now states what its sources say of those sites."""

from __future__ import annotations

from typing import Any

import pytest

from calcinosis import KnowledgeBase, diagnose, parse_case

MINE = (
    "gout",
    "fat_necrosis",
    "idiopathic_calcinosis_cutis",
    "pilomatricoma",
    "subepidermal_calcified_nodule",
    "chronic_venous_insufficiency",
    "idiopathic_scrotal_calcinosis",
    "cppd",
)


def _freq(kb: KnowledgeBase, diagnosis: str, feature: str, form: str | None = None) -> float:
    row = kb.form_row(f"{diagnosis}/{form}").row if form else kb.disease_pos(diagnosis)  # type: ignore[union-attr]
    return float(kb.frequency[row, kb.feature_pos(feature)])


def _site_lr(kb: KnowledgeBase, diagnosis: str, site: str, **case: Any) -> float:
    data = {"patient": {"age": 60, "sex": "female"}, **case}
    report = diagnose(parse_case(data, kb), kb, lang="en")
    entry = next(d for d in report.differential if d.diagnosis == diagnosis)
    return next((e.likelihood_ratio for e in entry.evidence if e.feature == site), 1.0)


@pytest.mark.parametrize("diagnosis", MINE)
def test_no_region_or_trunk_site_rests_on_the_baseline(kb: KnowledgeBase, diagnosis: str) -> None:
    """Each top-level region and trunk site above the presentation floor has a frequency of the
    diagnosis' own (stated, or filled from a stated region), not the calcinosis baseline; CPPD's
    and idiopathic calcinosis cutis' whole-body extent aside, which no source states for CPPD."""
    floor = kb.constants.presentation_floor.value
    row = kb.disease_pos(diagnosis)
    silent = [
        s
        for s in kb.vocabulary.lists["sites"]
        if kb.source(row, kb.feature_pos(f"site:{s}")).origin == "baseline"
        and kb.baseline[kb.feature_pos(f"site:{s}")] > floor
    ]
    assert silent in ([], ["generalized"]) if diagnosis == "cppd" else silent == [], silent


def test_venous_insufficiency_is_a_disease_of_the_legs(kb: KnowledgeBase) -> None:
    """A hand or trunk lesion weighs against chronic venous insufficiency (LR under 0.2)."""
    for site in ("hand", "chest_wall", "abdomen", "head_neck"):
        assert _freq(kb, "chronic_venous_insufficiency", f"site:{site}") <= 0.02, site
    imaging = [{"modality": "radiograph", "sites": ["hand"], "patterns": ["punctate"]}]
    assert _site_lr(kb, "chronic_venous_insufficiency", "site:hand", imaging=imaging) < 0.2


def test_adult_fat_necrosis_leaves_the_limbs_what_its_stated_sites_leave(kb: KnowledgeBase) -> None:
    """Breast 0.55, buttock 0.12, thigh 0.08 and abdominal wall 0.06 leave about 0.19: the
    lower limb holds the thigh and little more, the upper limb and head less; the newborn form
    keeps its own limbs and back and is generalized more often than the adult."""
    assert _freq(kb, "fat_necrosis", "site:thigh") <= _freq(kb, "fat_necrosis", "site:lower_limb") <= 0.2
    assert _freq(kb, "fat_necrosis", "site:upper_limb") <= 0.1
    assert _freq(kb, "fat_necrosis", "site:head_neck") <= 0.05
    assert _freq(kb, "fat_necrosis", "site:back", form="newborn") >= 0.5
    assert _freq(kb, "fat_necrosis", "site:upper_limb", form="newborn") >= 0.5
    assert _freq(kb, "fat_necrosis", "site:generalized", form="newborn") > _freq(kb, "fat_necrosis", "site:generalized")


def test_gout_holds_its_upper_limb_above_its_hand_and_spares_the_trunk(kb: KnowledgeBase) -> None:
    """The upper limb holds the hand (0.35) and the elbow (0.2); the trunk's tophi are case
    reports; the head and neck hold the ear."""
    assert _freq(kb, "gout", "site:upper_limb") > _freq(kb, "gout", "site:hand")
    assert _freq(kb, "gout", "site:head_neck") >= _freq(kb, "gout", "site:ear")
    for site in ("chest_wall", "breast", "abdomen", "abdominal_wall", "buttock"):
        assert _freq(kb, "gout", f"site:{site}") <= 0.02, site


def test_pilomatricoma_counts_its_trunk(kb: KnowledgeBase) -> None:
    """The trunk held 130 of 916 children's pilomatricomas (Hassan 2013) and 2 of 152 (Hu 2020):
    the chest, back and abdomen together about 0.12, the pelvis little."""
    trunk = sum(_freq(kb, "pilomatricoma", f"site:{s}") for s in ("chest_wall", "back", "abdomen"))
    assert 0.09 <= trunk <= 0.15
    assert _freq(kb, "pilomatricoma", "site:pelvis") <= 0.05


def test_a_pelvic_region_does_not_put_scrotal_or_symphyseal_deposits_on_the_buttock(kb: KnowledgeBase) -> None:
    """Idiopathic scrotal calcinosis (pelvis 0.97 through the scrotum) and CPPD (pelvis 0.21
    through the symphysis) gave the buttock its share of the pelvis (0.32 and 0.07)."""
    assert _freq(kb, "idiopathic_scrotal_calcinosis", "site:buttock") <= 0.02
    assert _freq(kb, "cppd", "site:buttock") <= 0.02
