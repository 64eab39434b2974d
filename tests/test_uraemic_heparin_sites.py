"""Sites the CKD-MBD, secondary tumoral calcinosis and calcium heparin files were silent on
(issue #11, fault 3: a silent site counts LR 1).

CKD-MBD said nothing of the lower limb, though the ankles are the earliest and commonest site
of arterial calcification in severe chronic renal disease, ahead of the aorta, the feet, the
pelvis and, last, the hands (Radiology 1976, PMID 790452). Secondary tumoral calcinosis forms
by the large joints; its file left the neck, chest, back and abdomen, and the shaft of the leg,
at the baseline. Calcium heparin calcinosis forms at the injection sites (lateral abdominal wall,
or the thigh: the nadroparin label); the knee, the leg and the arm took the baseline."""

from __future__ import annotations

import pytest

from calcinosis import KnowledgeBase


def _row(kb: KnowledgeBase, did: str) -> int:
    return kb.disease_pos(did)


def _site(kb: KnowledgeBase, site: str) -> int:
    return kb.feature_pos(f"site:{site}")


def test_ckd_mbd_states_the_legs_and_feet_where_its_arteries_calcify_first(kb: KnowledgeBase) -> None:
    d = _row(kb, "ckd_mineral_bone_disorder")
    for site in ("ankle", "foot"):
        p = _site(kb, site)
        assert kb.frequency[d, p] >= 2 * kb.baseline[p], site
    limb, thigh = _site(kb, "lower_limb"), _site(kb, "thigh")
    assert kb.source(d, limb).origin == "diagnosis"
    assert kb.frequency[d, limb] > kb.baseline[limb]
    # the lower limb is at least as often affected as the hand the file already stated
    assert kb.frequency[d, limb] >= kb.frequency[d, _site(kb, "hand")]
    # the thigh, unstated, takes its share of the stated lower limb, not the baseline
    assert kb.source(d, thigh).origin == "diagnosis"
    assert kb.frequency[d, thigh] == pytest.approx(kb.frequency[d, limb] * kb.baseline[thigh] / kb.baseline[limb])


def test_secondary_tumoral_calcinosis_is_held_back_away_from_the_large_joints(kb: KnowledgeBase) -> None:
    d = _row(kb, "tumoral_calcinosis_secondary")
    for site in ("head_neck", "chest_wall", "back", "abdomen", "lower_leg"):
        p = _site(kb, site)
        assert kb.frequency[d, p] <= 0.75 * kb.baseline[p], site
    limb, hip = _site(kb, "lower_limb"), _site(kb, "hip")
    assert kb.source(d, limb).origin == "diagnosis"
    assert kb.frequency[d, limb] >= kb.frequency[d, hip]
    floor = kb.constants.presentation_floor.value
    silent = [
        s
        for s in kb.vocabulary.lists["sites"]
        if kb.source(d, _site(kb, s)).origin == "baseline" and kb.baseline[_site(kb, s)] > floor
    ]
    assert silent in ([], ["generalized"]), silent


def test_calcium_heparin_calcinosis_counts_against_sites_never_injected(kb: KnowledgeBase) -> None:
    d = _row(kb, "calcium_heparin_calcinosis")
    for site in ("knee", "lower_leg", "shoulder", "elbow", "forearm", "fingertips", "head_neck", "chest_wall", "back"):
        p = _site(kb, site)
        assert kb.source(d, p).origin == "diagnosis", site
        assert kb.frequency[d, p] <= 0.5 * kb.baseline[p], site
    for site in ("abdominal_wall", "thigh"):  # the injection sites still count for it
        p = _site(kb, site)
        assert kb.frequency[d, p] > kb.baseline[p], site
