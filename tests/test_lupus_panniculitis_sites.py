"""Where lupus panniculitis puts its lesions (s34 audit): fatty areas, the proximal limbs, trunk,
face and buttocks (Martens 1999), and in the one series that lists every site of its patients
(Kiraly 2023, 17 patients) none on the hand. The file stated the upper arm and was silent on the
hand, so the hand took its share of the raised upper limb and a hand deposit counted slightly
for lupus panniculitis."""

from __future__ import annotations

from calcinosis import KnowledgeBase


def test_a_hand_deposit_counts_against_lupus_panniculitis(kb: KnowledgeBase) -> None:
    """The proximal upper limb speaks for lupus panniculitis, the hand against it: its share of
    patients is below the hand's share of calcinosis referrals at large."""
    lep = kb.disease_pos("lupus_panniculitis")
    hand = kb.feature_pos("site:hand")
    upper_arm = kb.feature_pos("site:upper_arm")
    assert float(kb.frequency[lep, hand]) < float(kb.baseline[hand])
    assert float(kb.frequency[lep, upper_arm]) > float(kb.baseline[upper_arm])
