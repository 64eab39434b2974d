"""The calibration figures of `calcinosis evaluate`: the ECE, its interval and its noise reference.

An ECE computed on ~100 cases is never zero, even for a calibrated engine; the evaluation reports
what a calibrated engine would show with the same confidences so that a reader can tell noise from
miscalibration. These tests check the arithmetic on sets whose answer is known by construction.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from calcinosis.evaluation.metrics import calibration_reference, evaluate_cases, expected_calibration_error
from calcinosis.kb.model import KnowledgeBase


def test_ece_by_hand() -> None:
    # bin 0.9-1.0: two cases at 0.95, one right -> |0.5 - 0.95| = 0.45, weight 2/4
    # bin 0.3-0.4: two cases at 0.3, both wrong -> |0 - 0.3| = 0.3, weight 2/4
    confidence = np.array([0.95, 0.95, 0.3, 0.3])
    right = np.array([1.0, 0.0, 0.0, 0.0])
    assert abs(expected_calibration_error(confidence, right) - (0.5 * 0.45 + 0.5 * 0.3)) < 1e-12


def test_a_probability_of_one_falls_in_the_last_bin() -> None:
    assert expected_calibration_error(np.array([1.0]), np.array([1.0])) == 0.0


def test_a_calibrated_set_is_not_flagged_and_an_overconfident_one_is() -> None:
    rng = np.random.default_rng(7)
    confidence = rng.uniform(0.2, 1.0, 150)
    calibrated = (rng.random(150) < confidence).astype(float)
    ref = calibration_reference(confidence, calibrated)
    assert ref.low < ref.mean < ref.high
    assert ref.mean > 0.02  # a calibrated engine still shows an ECE on 150 cases
    assert ref.p_value > 0.01
    overconfident = (rng.random(150) < confidence - 0.25).astype(float)
    assert calibration_reference(confidence, overconfident).p_value < 0.01


def test_the_evaluation_reports_the_ece_interval_and_reference(kb: KnowledgeBase, shared: Path) -> None:
    ev = evaluate_cases(sorted((shared / "cases").glob("*.yaml")), kb)
    assert ev.intervals["ece"].low <= ev.ece <= ev.intervals["ece"].high
    assert 0 < ev.ece_if_calibrated.low <= ev.ece_if_calibrated.mean <= ev.ece_if_calibrated.high
    assert 0 <= ev.ece_if_calibrated.p_value <= 1


def test_the_cli_prints_the_calibration_reference(shared: Path) -> None:
    from typer.testing import CliRunner

    from calcinosis.cli.main import app

    result = CliRunner().invoke(app, ["evaluate", str(shared / "cases")], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    row = next(line for line in result.stdout.splitlines() if "ece if calibrated" in line)
    assert "(p = " in row


def test_a_set_with_two_cases_of_one_id_is_refused(kb: KnowledgeBase, tmp_path: Path) -> None:
    """A hardening review: evaluate counted a case twice when two files held the same id."""
    import shutil

    from calcinosis.errors import CalcinosisError
    from calcinosis.evaluation.metrics import evaluate_dir

    from .conftest import PUBLISHED_CASES

    source = sorted(PUBLISHED_CASES.glob("*.yaml"))[0]
    shutil.copy(source, tmp_path / "a.yaml")
    shutil.copy(source, tmp_path / "b.yaml")
    with pytest.raises(CalcinosisError, match="is also that of"):
        evaluate_dir(tmp_path, kb)
    with pytest.raises(CalcinosisError, match="is also that of"):  # one file given twice
        evaluate_cases([source, source], kb)
