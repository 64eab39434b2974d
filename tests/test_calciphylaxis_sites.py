"""Calciphylaxis lies on the fat of the thighs, legs, abdomen and buttocks; arms and hands are
rare sites (German registry: legs or gluteal region in 71 % of 253; a non-uraemic series named
one upper-limb site, the axilla, in 24). The file was silent on the upper limb, so a hand or a
fingertip lesion took the baseline and weighed nothing against it, beside gout or calcinosis
cutis whose files state the hand."""

from __future__ import annotations

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
