"""The calcified parasites are told apart by the site of their calcified remains: the guinea
worm emerges on the legs or feet in over 90 % of cases (NRC 1982), calcified Loa loa lie
"almost always" in the hands and feet (Palmer & Reeder 2001, ch. 27), and calcified lymphatic
filariae in the breast, scrotum and legs. A file silent on a site that is another parasite's
sign gave it LR 1 there; each now counts it against."""

from __future__ import annotations

from typing import Any

from calcinosis import KnowledgeBase, diagnose, parse_case


def _site_lr(kb: KnowledgeBase, diagnosis: str, site: str, **case: Any) -> float:
    data = {"patient": {"age": 50, "sex": "male"}, "exposures": ["endemic_area"], **case}
    report = diagnose(parse_case(data, kb), kb, lang="en")
    entry = next(d for d in report.differential if d.diagnosis == diagnosis)
    return next((e.likelihood_ratio for e in entry.evidence if e.feature == site), 1.0)


def test_a_calcified_worm_in_the_hand_counts_against_the_guinea_worm_and_lymphatic_filariae(
    kb: KnowledgeBase,
) -> None:
    """A small coiled calcification of the hand: the hand weighs against dracunculiasis and
    lymphatic filariasis (LR under 0.5 each) and for loiasis."""
    imaging = [{"modality": "radiograph", "sites": ["hand"], "patterns": ["vermicular"]}]
    assert _site_lr(kb, "dracunculiasis", "site:hand", imaging=imaging) < 0.5
    assert _site_lr(kb, "lymphatic_filariasis", "site:hand", imaging=imaging) < 0.5
    assert _site_lr(kb, "loiasis", "site:hand", imaging=imaging) > 2


def test_a_calcified_worm_in_the_thigh_or_at_the_knee_counts_against_loiasis(kb: KnowledgeBase) -> None:
    """Calcified Loa loa lie almost always in the hands and feet: a serpiginous calcification
    of the thigh or about the knee weighs against loiasis (LR under 0.5) and for the guinea
    worm (LR over 1)."""
    for site in ("thigh", "knee"):
        imaging = [{"modality": "radiograph", "sites": [site], "patterns": ["vermicular"]}]
        assert _site_lr(kb, "loiasis", f"site:{site}", imaging=imaging) < 0.5, site
        assert _site_lr(kb, "dracunculiasis", f"site:{site}", imaging=imaging) > 1, site


def test_the_guinea_worm_prior_is_not_below_the_small_filariae(kb: KnowledgeBase) -> None:
    """Calcified guinea worms are "common in endemic areas" (Radiopaedia) while Loa loa and
    Onchocerca "may calcify" as much smaller coils (Palmer & Reeder 2001, ch. 27): the guinea
    worm's prior sits above the pair, which are equal, and the pair's total is kept."""
    prior = {d.id: d.prior for d in kb.diseases}
    assert prior["dracunculiasis"] > prior["loiasis"]
    assert abs(prior["loiasis"] - prior["onchocerciasis"]) < 1e-12
    total = prior["dracunculiasis"] + prior["loiasis"]
    assert abs(total / prior["lymphatic_filariasis"] - 1.25) < 1e-9
