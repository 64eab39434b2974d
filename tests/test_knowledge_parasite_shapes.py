"""The calcified parasites are told apart by shape and site (Palmer & Reeder 2001, ch. 27,
differential diagnosis): the guinea worm is long linear, serpiginous or coiled; Loa loa and
Onchocerca "small, coiled masses ... occasionally ... linear", in the hands and feet; Armillifer
nymphs crescentic or ring-like, in the abdomen and thorax; cysticerci oval or fusiform grains
about 1 cm long in muscle. Calcified lymphatic filariae are the breast's and the scrotum's.
A file silent on a shape or a site that is another parasite's sign counted it as in any other
cause (LR 1), and a child site the file did not state took its region's share: cysticercosis
weighed a calcification of the breast at LR 6.7 through its chest-wall muscles. Written
vignettes, no validation patient."""

from __future__ import annotations

from typing import Any

from calcinosis import KnowledgeBase, diagnose, parse_case


def _report(kb: KnowledgeBase, sex: str, imaging: list[dict[str, Any]]) -> Any:
    data = {"patient": {"age": 55, "sex": sex}, "exposures": ["endemic_area"], "imaging": imaging}
    return diagnose(parse_case(data, kb), kb, lang="en")


def _lr(report: Any, diagnosis: str, feature: str) -> float:
    entry = next(d for d in report.differential if d.diagnosis == diagnosis)
    return next((e.likelihood_ratio for e in entry.evidence if e.feature == feature), 1.0)


def _kb_lr(kb: KnowledgeBase, diagnosis: str, feature: str) -> float:
    """The likelihood ratio of a feature reported present, as the engine weighs it (the
    differential shows only the diagnoses and evidence that matter to a case)."""
    p = kb.feature_pos(feature)
    return float(kb.frequency[kb.disease_pos(diagnosis), p] / kb.baseline[p])


def _probability(report: Any, diagnosis: str) -> float:
    return next(d.probability for d in report.differential if d.diagnosis == diagnosis)


def test_thread_like_breast_calcifications_point_to_lymphatic_filariasis_not_cysticercosis(
    kb: KnowledgeBase,
) -> None:
    """Linear calcifications on a mammogram of a woman from an endemic area: the breast is the
    lymphatic filariae's site and an "extremely rare" one for cysticercosis (Bhattacharjee
    2011), so it weighs no more for cysticercosis than for any cause, and filariasis leads far
    ahead of it."""
    report = _report(kb, "female", [{"modality": "mammography", "sites": ["breast"], "patterns": ["linear"]}])
    assert _lr(report, "cysticercosis", "site:breast") <= 1.5
    assert _lr(report, "lymphatic_filariasis", "site:breast") > 5
    assert report.differential[0].diagnosis == "lymphatic_filariasis"
    assert _probability(report, "cysticercosis") < 0.15


def test_a_scrotal_calcification_does_not_weigh_for_cysticercosis(kb: KnowledgeBase) -> None:
    """The scrotum is not among the muscles where rice-grain cysticerci lie; its lymphatics
    are the filariae's."""
    report = _report(kb, "male", [{"modality": "radiograph", "sites": ["scrotum"], "patterns": ["linear"]}])
    assert _lr(report, "cysticercosis", "site:scrotum") <= 1.5
    assert _lr(report, "lymphatic_filariasis", "site:scrotum") > 5


def test_a_visceral_calcification_counts_against_the_subcutaneous_worms(kb: KnowledgeBase) -> None:
    """Calcified Loa loa and Onchocerca lie in the subcutis of the hands and feet, the guinea
    worm in the subcutis of the legs; the visceral calcified parasite is Armillifer's nymph."""
    for worm in ("loiasis", "onchocerciasis", "dracunculiasis"):
        assert _kb_lr(kb, worm, "tissue:visceral") < 1, worm
    assert _kb_lr(kb, "porocephalosis", "tissue:visceral") > 10


def test_loa_loa_is_only_occasionally_linear(kb: KnowledgeBase) -> None:
    """Loa loa and Onchocerca "occasionally may be linear"; the long linear calcification is
    the guinea worm's hallmark: a linear pattern weighs for the guinea worm at least three
    times as much as for Loa loa."""
    report = _report(kb, "male", [{"modality": "radiograph", "sites": ["foot"], "patterns": ["linear"]}])
    assert _lr(report, "dracunculiasis", "pattern:linear") >= 3 * _lr(report, "loiasis", "pattern:linear")
