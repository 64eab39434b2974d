"""Calcific tendinitis lies at the shoulder in most patients; the hand and wrist hold about 2 %
of them (Nikci 2015), and no organ, face or trunk wall is a site of it (Delbello 2024: spine,
foot and ankle, hip after the rotator cuff). The file stated the shoulder (0.65) and the hip
only: the shoulder raised the upper limb to 0.65 and a silent hand took the limb's share of
it, 0.65 x 0.2 / 0.35 = 0.37, so a finger counted 1.9 times for calcific tendinitis; a lung
or a temporomandibular calcification took the baseline and weighed nothing against it."""

from __future__ import annotations

from calcinosis import KnowledgeBase


def test_a_deposit_far_from_the_tendons_counts_against_calcific_tendinitis(kb: KnowledgeBase) -> None:
    d = kb.disease_pos("calcific_tendinitis")
    for feature in ("site:hand", "site:fingertips", "site:elbow", "site:forearm", "site:face", "tissue:visceral"):
        k = kb.feature_pos(feature)
        assert kb.frequency[d, k] < kb.baseline[k], feature
    # the hand, the commonest site of calcinosis in connective tissue disease, counts clearly against it
    hand = kb.feature_pos("site:hand")
    assert kb.frequency[d, hand] <= 0.25 * kb.baseline[hand]


def test_its_own_sites_still_count_for_calcific_tendinitis(kb: KnowledgeBase) -> None:
    d = kb.disease_pos("calcific_tendinitis")
    for feature in ("site:shoulder", "site:hip", "site:spine", "site:achilles"):
        k = kb.feature_pos(feature)
        assert kb.frequency[d, k] > kb.baseline[k], feature
