"""The proper scores of `calcinosis evaluate`: the log scores and the Brier score.

They read the engine's posterior over every diagnosis, not the report's rounded probabilities,
which leave out the diagnoses under the differential's threshold: a case whose expected
diagnosis the report excludes must still count its small, true probability, not zero (an
infinite log) nor a floor chosen by whoever measures.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import yaml

from calcinosis import read_case
from calcinosis.engine.diagnose import analyse
from calcinosis.evaluation.metrics import LOG_FLOOR, evaluate_cases, log_probability
from calcinosis.kb.model import KnowledgeBase


def test_log_probability_is_floored_not_infinite() -> None:
    assert log_probability(1.0) == 0.0
    assert log_probability(0.5) == pytest.approx(math.log(0.5))
    assert log_probability(0.0) == pytest.approx(math.log(LOG_FLOOR))


def test_the_scores_are_those_of_the_posterior(kb: KnowledgeBase, shared: Path) -> None:
    paths = sorted((shared / "cases").glob("*.yaml"))
    assert len(paths) >= 20
    ev = evaluate_cases(paths, kb)
    log_p, category_log_p, brier = [], [], []
    for path in paths:
        case = read_case(path, kb)
        assert case.expected is not None and case.expected.diagnosis is not None
        scores = analyse(case, kb)[2]
        d = kb.disease_pos(case.expected.diagnosis)
        c = kb.category_names.index(case.expected.category or kb.category_of(case.expected.diagnosis))
        log_p.append(math.log(scores.posterior[d]))
        category_log_p.append(math.log(scores.category.category_posterior[c]))
        brier.append(float(((scores.posterior - np.eye(len(kb.diseases))[d]) ** 2).sum()))
    assert ev.log_score == pytest.approx(np.mean(log_p), abs=1e-4)
    assert ev.category_log_score == pytest.approx(np.mean(category_log_p), abs=1e-4)
    assert ev.brier == pytest.approx(np.mean(brier), abs=1e-4)
    assert ev.log_score < 0 and ev.category_log_score < 0  # no dev case is certain of its truth
    for key in ("log_score", "category_log_score"):
        assert ev.intervals[key].low < getattr(ev, key) < ev.intervals[key].high
    for outcome in ev.cases:  # the report's probability is the posterior's, rounded
        if outcome.expected_probability > 0:
            assert math.exp(outcome.expected_log_probability) == pytest.approx(outcome.expected_probability, abs=1e-3)


def test_an_excluded_expected_diagnosis_counts_its_true_small_probability(
    kb: KnowledgeBase, shared: Path, tmp_path: Path
) -> None:
    """A classic juvenile dermatomyositis case labelled, on purpose, as calciphylaxis: the
    report leaves calciphylaxis out (under 0.1 %), yet its log probability is the engine's,
    finite and below ln 0.001, not the floor."""
    data = yaml.safe_load((shared / "cases" / "dev-001-jdm-legs.yaml").read_text(encoding="utf-8"))
    data["expected"] = {"category": "calciphylaxis", "diagnosis": "calciphylaxis"}
    path = tmp_path / "mislabelled.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    ev = evaluate_cases([path], kb)
    (outcome,) = ev.cases
    threshold = kb.constants.differential_min_probability.value
    assert outcome.expected_probability == 0.0  # excluded from the report
    assert math.log(LOG_FLOOR) < outcome.expected_log_probability < math.log(threshold)
    assert ev.log_score == pytest.approx(outcome.expected_log_probability, abs=1e-4)
    assert ev.brier > 1.0  # the truth's (1 - p)^2 plus the mass on the wrong answers
