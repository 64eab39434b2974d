"""Pooling evaluation folders one patient per publication (`calcinosis.evaluation.pool`).

The validation set and the note sets' gold cases share a few publications; pooled, such a
patient must count once, or cross-validation puts the same patient on both sides of a fold.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from calcinosis.evaluation.pool import pool_case_files, publication_key
from calcinosis.kb.model import KnowledgeBase

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        # the same DOI written two ways
        ("Smith J. A case. J Skin 2020;1:2. doi:10.1000/ABC.123.", "https://doi.org/10.1000/abc.123 (abstract)"),
        ("Smith J. A case. PMID: 12345678", "Smith J, Doe A. Another wording. PMID 12345678"),
        # no identifier: the authors and the title's first words, case and punctuation folded
        (
            "Yellow papules on neck and arms (Dermatology Clinics slideshow; authors not shown).",
            "Yellow Papules on Neck and Arms - Dermatology Clinics slideshow, authors and year not shown",
        ),
    ],
)
def test_two_citations_of_one_publication_share_a_key(first: str, second: str) -> None:
    assert publication_key(first) == publication_key(second) is not None


def test_different_publications_and_missing_sources() -> None:
    assert publication_key("doi:10.1000/abc.123") != publication_key("doi:10.1000/abc.124")
    assert publication_key("Smith J. Calcinosis of the hand.") != publication_key("Smith J. Calcinosis of the foot.")
    assert publication_key(None) is None
    assert publication_key("   ") is None


def _copy_case(src: Path, folder: Path, name: str, source: str | None) -> Path:
    data = yaml.safe_load(src.read_text(encoding="utf-8"))
    data["expected"]["source"] = source
    folder.mkdir(exist_ok=True)
    out = folder / name
    out.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return out


def test_a_publication_counts_once_across_folders_but_twice_inside_one(
    kb: KnowledgeBase, shared: Path, tmp_path: Path
) -> None:
    src = sorted((shared / "cases").glob("*.yaml"))[0]
    a, b = tmp_path / "a", tmp_path / "b"
    kept = _copy_case(src, a, "a1.yaml", "Doe A. Report. doi:10.1000/same")
    twin = _copy_case(src, a, "a2.yaml", "Doe A. Report. doi:10.1000/same")  # second patient of the report
    _copy_case(src, a, "a3.yaml", None)
    dropped = _copy_case(src, b, "b1.yaml", "Doe A, et al. Report (abstract). https://doi.org/10.1000/SAME")
    other = _copy_case(src, b, "b2.yaml", "Roe B. Another report. doi:10.1000/other")
    _copy_case(src, b, "b3.yaml", None)
    pooled = pool_case_files([a, b], kb)
    assert pooled.duplicates == [(dropped, kept)]
    assert twin in pooled.paths and other in pooled.paths
    assert len(pooled.paths) == 5


def test_the_cli_evaluates_several_folders_and_names_what_it_counted_once(shared: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from calcinosis.cli.main import app

    notes = REPO / "tests" / "data" / "notes"
    copy = tmp_path / "again"
    shutil.copytree(notes, copy, ignore=shutil.ignore_patterns("*.txt", "*.md"))
    result = CliRunner().invoke(app, ["evaluate", str(notes), str(copy), "--json"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    single = CliRunner().invoke(app, ["evaluate", str(notes), "--json"], env={"COLUMNS": "200"})
    assert result.stdout == single.stdout  # the copy adds no patient
    # each repeat named on stderr, so that --json stays one object on stdout
    assert result.stderr.count("counted once:") == len(list(notes.glob("*.yaml")))
    assert "counted once" not in result.stdout
    missing = CliRunner().invoke(app, ["evaluate", str(notes), str(tmp_path / "nowhere")])
    assert missing.exit_code != 0
    assert "nowhere is not a folder of case files" in missing.output


def test_a_set_folder_is_read_from_its_cases_folder_and_says_so() -> None:
    """``tests/data/published`` holds its cases in ``cases/`` and those set aside in ``excluded/``:
    the set is evaluated from ``cases/`` alone, and stderr says which folder was read."""
    from typer.testing import CliRunner

    from calcinosis.cli.main import app

    runner = CliRunner()
    published = REPO / "tests" / "data" / "published"
    whole = runner.invoke(app, ["evaluate", str(published), "--json"], env={"COLUMNS": "300"})
    inner = runner.invoke(app, ["evaluate", str(published / "cases"), "--json"], env={"COLUMNS": "300"})
    assert whole.exit_code == 0 and inner.exit_code == 0
    assert json.loads(whole.stdout) == json.loads(inner.stdout)
    assert json.loads(whole.stdout)["n"] == len(list((published / "cases").glob("*.yaml")))
    assert f"its cases are read from {published / 'cases'}" in " ".join(whole.stderr.split())


def test_a_folder_without_case_files_names_the_subfolder_that_has_them(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from calcinosis.cli.main import app

    (tmp_path / "set" / "batch-a").mkdir(parents=True)
    shutil.copy(next((REPO / "tests" / "data" / "published" / "cases").glob("*.yaml")), tmp_path / "set" / "batch-a")
    result = CliRunner().invoke(app, ["evaluate", str(tmp_path / "set")], env={"COLUMNS": "300"})
    assert result.exit_code == 2
    assert "holds no case file" in result.output
    assert str(tmp_path / "set" / "batch-a") in " ".join(result.output.split())
    (tmp_path / "empty").mkdir()
    empty = CliRunner().invoke(app, ["evaluate", str(tmp_path / "empty")])
    assert empty.exit_code == 2 and "holds no case file" in empty.output and "case files are in" not in empty.output
