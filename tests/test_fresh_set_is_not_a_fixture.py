"""The fresh validation set (``tests/data/published-fresh``) is measured, never read case by
case: its figures are the honest estimate every result quotes only while nobody builds on its
patients. Until 0.7.29 ten test files took its cases as fixtures, at 89 places (written by clinical reviews
that read them); they read written vignettes now, and this keeps it so. The set is read
through :data:`calcinosis.evaluation.unseen.UNSEEN_SET` alone (the measurement and its test)."""

from __future__ import annotations

import re

from calcinosis.evaluation.unseen import UNSEEN_SET

from .conftest import REPO

_NAMES_THE_SET = re.compile(r"published-fresh|published_fresh")


def test_no_test_reads_a_fresh_case_as_a_fixture() -> None:
    here = REPO / "tests"
    offenders = [
        f"{path.relative_to(REPO)}:{n}"
        for path in sorted(here.rglob("*.py"))
        if path.name != "test_fresh_set_is_not_a_fixture.py"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if _NAMES_THE_SET.search(line) and not line.lstrip().startswith("#")
    ]
    assert offenders == [], "a test names the fresh measured set: use a written case instead"


def test_the_measurement_reads_the_set_by_its_one_name() -> None:
    assert UNSEEN_SET == "tests/data/published-fresh/cases"
    assert (REPO / UNSEEN_SET).is_dir()
