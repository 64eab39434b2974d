"""A vitamin D supplement with no dose said (exposure:vitamin_d_supplement): a feature of its own,
nested under the high dose (features.yaml implies, the vitamin_d group), and evidence for
vitamin D intoxication in a hypercalcaemic patient where "on vitamin D" could not be coded."""

from __future__ import annotations

from typing import Any

from calcinosis import KnowledgeBase, diagnose, parse_case

SUPPLEMENT = "exposure:vitamin_d_supplement"


def _case(kb: KnowledgeBase, **extra: Any):  # type: ignore[no-untyped-def]
    data = {
        "patient": {"age": 80, "sex": "female"},
        "labs": [{"test": "calcium", "value": 3.0, "unit": "mmol/L"}],
        **extra,
    }
    return diagnose(parse_case(data, kb), kb)


def test_the_supplement_is_a_feature_nested_under_the_high_dose(kb: KnowledgeBase) -> None:
    assert SUPPLEMENT in kb.feature_ids
    assert SUPPLEMENT in kb.implies["exposure:vitamin_d_high_dose"]
    row, col = kb.disease_pos("hypervitaminosis_d"), kb.feature_pos(SUPPLEMENT)
    high = kb.frequency[row, kb.feature_pos("exposure:vitamin_d_high_dose")]
    # a high dose is a supplement: at least as frequent, and far above the other patients' share
    assert kb.frequency[row, col] >= high
    assert kb.frequency[row, col] > 3 * kb.baseline[col]
    # primary hyperparathyroidism takes it at the baseline: it weighs for intoxication only
    phpt = kb.frequency[kb.disease_pos("primary_hyperparathyroidism"), col]
    assert abs(phpt - kb.baseline[col]) < 1e-9


def test_an_old_hypercalcaemic_patient_on_vitamin_d_raises_vitamin_d_intoxication(kb: KnowledgeBase) -> None:
    without = _case(kb)
    with_it = _case(kb, exposures=["vitamin_d_supplement"])
    hvd = next(d for d in with_it.differential if d.diagnosis == "hypervitaminosis_d")
    said = [e for e in hvd.evidence if e.feature == SUPPLEMENT]
    assert said and said[0].likelihood_ratio > 3

    def odds(report, a: str, b: str) -> float:  # type: ignore[no-untyped-def]
        p = {d.diagnosis: d.probability for d in report.differential}
        return p[a] / p[b]

    ratio_with = odds(with_it, "hypervitaminosis_d", "primary_hyperparathyroidism")
    ratio_without = odds(without, "hypervitaminosis_d", "primary_hyperparathyroidism")
    assert ratio_with > 3 * ratio_without


def test_a_high_dose_is_not_counted_again_as_a_supplement(kb: KnowledgeBase) -> None:
    """The high dose implies the supplement (read, not scored): its evidence is the high dose's alone."""
    report = _case(kb, exposures=["vitamin_d_high_dose"])
    hvd = next(d for d in report.differential if d.diagnosis == "hypervitaminosis_d")
    assert SUPPLEMENT in kb.implies["exposure:vitamin_d_high_dose"]
    assert not [e for e in hvd.evidence if e.feature == SUPPLEMENT]
