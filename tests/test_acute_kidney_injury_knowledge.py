"""Acute kidney injury read as the literature has it: the third element of the milk-alkali
triad (hypercalcaemia, metabolic alkalosis, acute kidney injury) and the injury of every severe
hypercalcaemia, not a feature of calciphylaxis alone. Until 2026-12 only calciphylaxis stated
it, so a reported injury counted 5-fold for calciphylaxis and not at all for milk-alkali
syndrome, vitamin D toxicity, cancer, sarcoidosis or primary hyperparathyroidism."""

from __future__ import annotations

from calcinosis import KnowledgeBase, diagnose, parse_case

HYPERCALCAEMIC = ("milk_alkali_syndrome", "hypervitaminosis_d", "malignant_bone_destruction", "sarcoidosis")


def _aki_lr(report, name: str) -> float:  # type: ignore[no-untyped-def]
    entry = next(d for d in report.differential if d.diagnosis == name)
    found = [e.likelihood_ratio for e in entry.evidence if e.feature == "condition:acute_kidney_injury"]
    return found[0] if found else 1.0


def test_a_reported_acute_kidney_injury_speaks_for_milk_alkali_syndrome(kb: KnowledgeBase) -> None:
    """With an acute kidney injury reported, milk-alkali syndrome gains from it (LR above 1),
    more than calciphylaxis's 5-fold and more than a diagnosis that does not injure the kidney
    (calcific tendinitis, silent, LR 1); the other hypercalcaemic causes gain from it too."""
    case = {"patient": {"age": 70, "sex": "female"}, "history": ["acute_kidney_injury"], "sites": ["shoulder"]}
    report = diagnose(parse_case(case, kb), kb)
    milk_alkali = _aki_lr(report, "milk_alkali_syndrome")
    assert milk_alkali > 1
    assert milk_alkali > _aki_lr(report, "calcific_tendinitis")
    assert milk_alkali > _aki_lr(report, "calciphylaxis")
    for name in HYPERCALCAEMIC:
        assert _aki_lr(report, name) > 2, name


def test_each_statement_of_acute_kidney_injury_has_its_basis(kb: KnowledgeBase) -> None:
    """Each hypercalcaemic diagnosis states the injury with its basis and sources, and no more
    often than the reduced eGFR it is a part of."""
    for name in HYPERCALCAEMIC:
        spec = kb.disease(name).findings.get("condition:acute_kidney_injury")
        assert spec is not None, name
        assert spec.basis in ("reported", "derived", "judgement"), name
        assert spec.references and spec.estimate, name
        assert spec.frequency <= kb.disease(name).findings["lab:egfr_below_60"].frequency, name
