"""The batch kernel gives the single-case posteriors: every dev case and generated cases."""

from __future__ import annotations

import numpy as np
import pytest

from calcinosis import KnowledgeBase
from calcinosis.case.model import Case
from calcinosis.case.reader import parse_case, read_case
from calcinosis.engine.batch import evidence_matrix, score_cases, score_matrix
from calcinosis.engine.diagnose import analyse, diagnose
from tests.conftest import DEV_CASES

TOLERANCE = 1e-9


def random_cases(kb: KnowledgeBase, n: int, seed: int) -> list[Case]:
    """Cases drawn at random from the vocabulary: sparse like referrals, with labs in every unit,
    absences, sites, imaging, exposure delays; a few dense ones to fill the dependency groups."""
    rng = np.random.default_rng(seed)
    lists = kb.vocabulary.lists
    units = kb.units["tests"]
    out: list[Case] = []
    for i in range(n):
        dense = i % 10 == 0
        rate = 0.25 if dense else 0.04

        def pick(name: str, rate: float = rate) -> list[str]:
            terms = list(lists[name])
            return [t for t in terms if rng.random() < rate]

        history, exposures, findings = pick("conditions"), pick("exposures"), pick("findings")
        absent = [
            t
            for t in pick("findings") + pick("conditions") + pick("exposures")
            if t not in history + exposures + findings
        ]
        data: dict[str, object] = {
            "id": f"gen-{i}",
            "patient": {
                "age": float(rng.choice([0.1, 3, 15, 35, 50, 70, 88])),
                "sex": str(rng.choice(["female", "male", "unknown"])),
            },
            "history": history,
            "exposures": exposures,
            "findings": findings,
            "absent": absent,
            "sites": pick("sites", 0.05),
        }
        if rng.random() < 0.5:
            data["duration_months"] = float(rng.choice([0.5, 3, 12, 60]))
        if exposures and rng.random() < 0.5:
            data["onset_days_after"] = {exposures[0]: float(rng.choice([2, 30, 100, 200, 400]))}
        labs = []
        for test in rng.choice(sorted(units), size=int(rng.integers(0, 6)), replace=False):
            spec = units[test]
            unit = str(rng.choice(sorted(spec["units"])))
            if rng.random() < 0.2:
                labs.append({"test": str(test), "interpretation": str(rng.choice(["high", "normal", "low"]))})
                continue
            low, high = spec["plausible"]
            value_si = float(rng.uniform(low, high * 0.6)) if high > 0 else 0.0
            labs.append({"test": str(test), "value": round(value_si / spec["units"][unit], 3), "unit": unit})
        data["labs"] = labs
        data["antibodies"] = [
            {"name": a, "result": str(rng.choice(["positive", "negative"]))} for a in pick("antibodies", 0.1)
        ]
        if rng.random() < 0.6:
            data["imaging"] = [
                {
                    "modality": str(rng.choice(sorted(lists["modalities"]))),
                    "patterns": pick("patterns", 0.1),
                    "tissues": pick("tissues", 0.1),
                    "sites": pick("sites", 0.03),
                    "distribution": str(rng.choice(sorted(lists["distributions"]))),
                    "size_cm": float(rng.choice([0.3, 1, 4, 9])),
                    "bone_destruction": bool(rng.random() < 0.2),
                }
            ]
        try:
            out.append(parse_case(data, kb))
        except Exception:  # an implausible draw (e.g. duration beyond life): drawn again below
            continue
    return out


def _single(cases: list[Case], kb: KnowledgeBase) -> tuple[np.ndarray, np.ndarray]:
    scores = [analyse(c, kb)[2] for c in cases]
    return np.array([s.posterior for s in scores]), np.array([s.category.category_posterior for s in scores])


def test_dev_cases_exactly(kb: KnowledgeBase) -> None:
    cases = [read_case(p, kb) for p in DEV_CASES]
    result = score_cases(cases, kb, top_k=3)
    posterior, categories = _single(cases, kb)
    assert np.abs(result.scores.posterior - posterior).max() <= TOLERANCE
    assert np.abs(result.category_probabilities - categories).max() <= TOLERANCE
    for i, case in enumerate(cases):
        report = diagnose(case, kb)
        assert result.category[i] == report.category
        assert list(result.top_diagnoses[i][: len(report.differential[:3])]) == [
            d.diagnosis for d in report.differential[:3]
        ]
        assert result.phosphocalcic_status[i] == report.phosphocalcic_status
        assert result.rules_present[i] == [f.rule for f in report.category_basis if f.state == "present"]


@pytest.mark.parametrize("seed", [1, 2])
def test_generated_cases_exactly(kb: KnowledgeBase, seed: int) -> None:
    cases = random_cases(kb, 600, seed)
    assert len(cases) >= 500
    matrix = evidence_matrix(cases, kb)
    assert (matrix.state != 0).sum(axis=1).mean() > 10  # not trivially empty
    scores = score_matrix(matrix, kb, chunk=97)  # chunks that do not divide the rows
    posterior, categories = _single(cases, kb)
    assert np.abs(scores.posterior - posterior).max() <= TOLERANCE
    assert np.abs(scores.category_posterior - categories).max() <= TOLERANCE
    assert np.isfinite(scores.posterior).all() and np.allclose(scores.posterior.sum(axis=1), 1)


def test_a_block_only_denied_pays_as_the_single_case_does(kb: KnowledgeBase) -> None:
    """Denied defining features (no trauma, no dialysis, no necrosis or purpura: alone, several
    in one block, next to a feature reported present) cost in the batch what they cost alone."""
    base = {"patient": {"age": 40, "sex": "female"}, "findings": ["pain"], "sites": ["thigh"]}
    denials = [
        {"absent": ["trauma_local"]},
        {"absent": ["dialysis"]},
        {"absent": ["skin_necrosis", "retiform_purpura", "livedo"]},
        {"absent": ["skin_necrosis"], "findings": ["pain", "retiform_purpura"]},
        {"absent": ["scrotal_nodules", "trauma_local", "heliotrope_rash"]},
    ]
    cases = [parse_case({**base, **extra, "id": f"denied-{i}"}, kb) for i, extra in enumerate(denials)]
    scores = score_matrix(evidence_matrix(cases, kb), kb)
    posterior, _ = _single(cases, kb)
    defining = np.array([analyse(c, kb)[2].defining_log for c in cases])
    assert (defining < 0).any()
    assert np.abs(scores.posterior - posterior).max() <= TOLERANCE


def test_ties_inside_a_dependency_group_rank_as_the_single_case_does(kb: KnowledgeBase) -> None:
    # two features of one group with equal |log LR| and opposite signs: the order decides the weights
    from calcinosis.engine.batch import _damped_group

    c = np.array([[[0.7, -0.7, 0.0]]])
    w = np.ones((1, 3))
    assert _damped_group(c, w, 0.5)[0, 0] == pytest.approx(0.7 - 0.35)
    assert _damped_group(c[..., ::-1].copy(), w, 0.5)[0, 0] == pytest.approx(-0.7 + 0.35)


def test_empty_cohort(kb: KnowledgeBase) -> None:
    result = score_cases([], kb)
    assert result.category == [] and result.scores.posterior.shape == (0, len(kb.diseases))


def test_large_groups_rank_ties_like_a_stable_sort() -> None:
    from calcinosis.engine.batch import _damped_group

    rng = np.random.default_rng(3)
    c = np.round(rng.normal(size=(200, 4, 9)), 1)  # many ties, opposite signs among them
    w = rng.choice([0.0, 1.0], size=(200, 9), p=[0.2, 0.8])
    expected = np.zeros((200, 4))
    for n in range(200):
        for d in range(4):
            order = sorted(range(9), key=lambda i: -abs(c[n, d, i] * w[n, i]))  # Python's sort is stable
            expected[n, d] = sum(c[n, d, i] * 0.7**r * w[n, i] for r, i in enumerate(order))
    assert np.abs(_damped_group(c, w, 0.7) - expected).max() < 1e-12


def test_threads_do_not_change_the_result(kb: KnowledgeBase) -> None:
    matrix = evidence_matrix(random_cases(kb, 300, 7), kb)
    one = score_matrix(matrix, kb, chunk=50, threads=1)
    two = score_matrix(matrix, kb, chunk=50, threads=2)
    assert np.array_equal(one.posterior, two.posterior)


def test_top_k_breaks_ties_like_a_stable_sort() -> None:
    """The top-k differential (partial selection) equals the first k of a stable sort, ties across
    the k-th place included."""
    from calcinosis.engine.batch import BatchResult, BatchScores

    rng = np.random.default_rng(0)
    for _ in range(100):
        post = rng.integers(0, 6, size=(50, 12)).astype(float) / 7  # many ties
        scores = BatchScores(post, post, post, np.zeros((50, 1), dtype=np.int8))
        result = BatchResult([None] * 50, ("a",), tuple(map(str, range(12))), ("r",), scores, 5, np.zeros(50, np.int8))
        expected = np.argsort(-post, axis=1, kind="stable")[:, :5]
        assert (np.array(result.top_diagnoses, dtype=int) == expected).all()
