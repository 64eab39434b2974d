"""Regions of the body that diagnoses of the limbs or of the flexures left silent took the
calcinosis baseline, so a deposit there counted LR 1 for them (issue #11, fault 3): a chest or
neck deposit for the spheroids of Ehlers-Danlos syndrome (forearms and shins), the MCP, wrist
and knee arthropathy of haemochromatosis, or the leg nodules of pancreatic panniculitis; and
pseudoxanthoma elasticum, whose upper limb took the baseline 0.35, barely above its own axilla
(33.7 % of 86), would, once the limb is stated, pass a share of it to the hand, where its
flexural papules never lie. Each region is now stated with its basis."""

from __future__ import annotations

import pytest

from calcinosis import KnowledgeBase

TRUNK_AND_HEAD = ("chest_wall", "abdomen", "back", "pelvis", "head_neck")


@pytest.mark.parametrize("did", ["ehlers_danlos_syndrome", "hemochromatosis_arthropathy", "pancreatic_panniculitis"])
def test_a_disease_of_the_limbs_states_the_trunk_and_the_head(kb: KnowledgeBase, did: str) -> None:
    i = kb.disease_pos(did)
    for region in TRUNK_AND_HEAD:
        p = kb.feature_pos(f"site:{region}")
        assert kb.source(i, p).origin == "diagnosis", region
    for region in ("chest_wall", "head_neck"):
        p = kb.feature_pos(f"site:{region}")
        assert kb.frequency[i, p] < kb.baseline[p], region


def test_pseudoxanthoma_elasticum_places_its_flexural_lesions_and_not_the_hand(kb: KnowledgeBase) -> None:
    pxe = kb.disease_pos("pseudoxanthoma_elasticum")
    limb, axilla, hand = (kb.feature_pos(f"site:{s}") for s in ("upper_limb", "axilla", "hand"))
    assert kb.source(pxe, limb).origin == "diagnosis"
    assert kb.frequency[pxe, limb] > kb.baseline[limb] >= kb.frequency[pxe, axilla]
    assert kb.frequency[pxe, hand] < kb.baseline[hand]
    back = kb.feature_pos("site:back")
    assert kb.frequency[pxe, back] < kb.baseline[back]


def test_a_pelvic_phlebolith_file_does_not_favour_an_abdominal_wall_lesion(kb: KnowledgeBase) -> None:
    phl = kb.disease_pos("phleboliths")
    abdomen, wall = kb.feature_pos("site:abdomen"), kb.feature_pos("site:abdominal_wall")
    assert kb.source(phl, abdomen).origin == "diagnosis"
    assert kb.frequency[phl, wall] <= kb.constants.presentation_floor.value
