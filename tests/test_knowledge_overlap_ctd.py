"""The overlap connective tissue disease (MCTD, scleromyositis and other overlaps) competes with
systemic sclerosis and the myositides for calcinosis in a known connective tissue disease.
Its muscle weakness had come from a cohort selected for myositis (93 % of anti-PM/Scl myositis,
De Lorenzo 2018) and stood above polymyositis itself, although 4 of the 10 overlap patients
with calcinosis of the Mayo series had MCTD, where weakness is a minority feature (30 of 98,
Melo 2024): weakness in a known scleroderma counted for the overlap more than for a myositis,
and a denied weakness weighed against it almost as against a myositis."""

from __future__ import annotations

from calcinosis import KnowledgeBase, diagnose, parse_case


def _frequency(kb: KnowledgeBase, diagnosis: str, feature: str) -> float:
    return float(kb.frequency[kb.disease_pos(diagnosis)][kb.feature_pos(feature)])


def test_the_overlap_group_does_not_state_weakness_above_the_myositis_it_overlaps(kb: KnowledgeBase) -> None:
    """A group in part without myositis (MCTD) cannot have weakness more often than
    polymyositis, a myositis by definition."""
    overlap = _frequency(kb, "overlap_syndrome", "finding:muscle_weakness")
    assert overlap <= _frequency(kb, "polymyositis", "finding:muscle_weakness")
    assert overlap > _frequency(kb, "systemic_sclerosis", "finding:muscle_weakness")


def test_denied_weakness_in_limited_scleroderma_costs_the_overlap_less_than_fourfold(
    kb: KnowledgeBase,
) -> None:
    """Calcinosis of the hand with Raynaud and sclerodactyly and no weakness: the denial costs
    the overlap, which holds MCTD and SSc-type overlaps, less than a factor of 4 (it cost 13
    when 93 % of its patients were held weak), and systemic sclerosis still leads."""
    case = {
        "patient": {"age": 50, "sex": "female"},
        "findings": ["raynaud_phenomenon", "sclerodactyly", "palpable_nodules"],
        "absent": ["muscle_weakness"],
        "sites": ["hand"],
    }
    report = diagnose(parse_case(case, kb), kb, lang="en")
    assert report.differential[0].diagnosis == "systemic_sclerosis"
    overlap = next(d for d in report.differential if d.diagnosis == "overlap_syndrome")
    weakness = next(e for e in overlap.evidence if e.feature == "finding:muscle_weakness")
    assert weakness.likelihood_ratio > 0.25
