"""Calciphylaxis lies on the fat of the thighs, legs, abdomen and buttocks; arms and hands are
rare sites (German registry: legs or gluteal region in 71 % of 253; a non-uraemic series named
one upper-limb site, the axilla, in 24). The file was silent on the upper limb, so a hand or a
fingertip lesion took the baseline and weighed nothing against it, beside gout or calcinosis
cutis whose files state the hand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from calcinosis import KnowledgeBase


def test_a_hand_lesion_counts_against_calciphylaxis_in_both_forms(kb: KnowledgeBase) -> None:
    d = kb.disease_pos("calciphylaxis")
    rows = [d] + [f.row for f in kb.forms if f.disease == d]
    assert len(rows) == 2  # the uraemic (main) and the non-uraemic form
    upper, hand, tips = (kb.feature_pos(f"site:{s}") for s in ("upper_limb", "hand", "fingertips"))
    thigh = kb.feature_pos("site:thigh")
    for row in rows:
        for site in (upper, hand, tips):
            assert kb.frequency[row, site] < 0.5 * kb.baseline[site]
        # the hand takes its share of the upper limb the file states, not the baseline
        assert kb.frequency[row, hand] == pytest.approx(
            max(
                kb.constants.presentation_floor.value, kb.frequency[row, upper] * kb.baseline[hand] / kb.baseline[upper]
            )
        )
        # the usual site still counts for it
        assert kb.frequency[row, thigh] > kb.baseline[thigh]
    assert "site:upper_limb" in kb.disease("calciphylaxis").findings


def test_every_site_is_stated_and_the_neck_counts_against_calciphylaxis(kb: KnowledgeBase) -> None:
    """The head and neck, the breasts, the chest and the back were silent too: a neck deposit
    (a longus colli tendinitis with a raised creatinine and CRP) weighed as much for calciphylaxis
    as in calcinosis at large. Every region of the body is now the file's, its own or its
    region's, or sits at the floor."""
    d = kb.disease_pos("calciphylaxis")
    floor = kb.constants.presentation_floor.value
    silent = [
        s
        for s in kb.vocabulary.lists["sites"]
        if kb.source(d, kb.feature_pos(f"site:{s}")).origin == "baseline"
        and kb.baseline[kb.feature_pos(f"site:{s}")] > floor
    ]
    assert silent in ([], ["generalized"]), silent  # a generalized spread is a distribution, not a site
    neck = kb.feature_pos("site:head_neck")
    assert kb.frequency[d, neck] <= 0.25 * kb.baseline[neck]
    breast = kb.feature_pos("site:breast")
    assert kb.frequency[d, breast] > kb.baseline[breast]  # a central fatty site


def test_kb_check_counts_a_site_left_silent(tmp_path: Path) -> None:
    """The census counts (diagnosis, site) pairs a diagnosis that states sites leaves silent:
    calciphylaxis without its head-and-neck entry is counted there again, with the face and the
    scalp it holds; a diagnosis that states no site (uninformative on every site) is not."""
    from calcinosis import load_kb
    from calcinosis.kb.check import silent_sites

    from .conftest import edited_disease

    def drop_neck(data: dict[str, Any]) -> None:
        data["findings"] = [f for f in data["findings"] if f["feature"] != "site:head_neck"]

    shipped = silent_sites(load_kb())
    assert not any(d == "calciphylaxis" and s in ("head_neck", "face") for d, s in shipped)
    edited = silent_sites(load_kb(edited_disease(tmp_path, "calciphylaxis", drop_neck), cache=False))
    assert {("calciphylaxis", "head_neck"), ("calciphylaxis", "face")} <= set(edited)
    assert not any(d == "hypervitaminosis_d" for d, _ in edited)  # states no site at all
