"""Every result quotes the engine's measured performance on unseen published patients.

The figures shipped in ``engine/measured_unseen.json`` must be those of the current knowledge
on the fresh validation set: recomputed here, so that a change of the knowledge that moves a
ranking cannot leave a result quoting figures measured with another version.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from calcinosis import diagnose, load_kb, read_case
from calcinosis.cli.main import app
from calcinosis.engine import measured
from calcinosis.engine.measured import BANDS, MEASURED_FILE
from calcinosis.evaluation.unseen import UNSEEN_SET, measure_unseen
from calcinosis.kb.loader import default_kb_path

from .conftest import DEV_CASES, SHARED

ROOT = Path(__file__).resolve().parents[1]
DEV_001 = SHARED / "cases" / "dev-001-jdm-legs.yaml"


def test_shipped_figures_are_those_of_the_current_knowledge() -> None:
    shipped = json.loads(MEASURED_FILE.read_text(encoding="utf-8"))
    now = measure_unseen(ROOT / UNSEEN_SET, load_kb(), source=UNSEEN_SET)
    assert shipped == now, "engine/measured_unseen.json is stale: run .venv/bin/python scripts/measure_unseen.py"
    assert now["n"] == sum(b["n"] for b in now["bands"]) >= 60
    assert [(b["low"], b["high"]) for b in now["bands"]] == list(BANDS)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_result_quotes_the_band_of_its_first_diagnosis(lang: str) -> None:
    kb = load_kb()
    figures = json.loads(MEASURED_FILE.read_text(encoding="utf-8"))
    seen_bands = set()
    for path in DEV_CASES:
        report = diagnose(read_case(path, kb), kb, lang=lang)
        m = report.metadata.measured
        assert m is not None and m.n == figures["n"] and m.kb_version == kb.version
        top = report.differential[0].probability
        assert m.band is not None and m.band[0] <= top <= m.band[1]
        band = next(b for b in figures["bands"] if [b["low"], b["high"]] == m.band)
        assert (m.band_cases, m.band_right) == (band["n"], band["right"])
        assert m.top1 == round(figures["top1"]["right"] / figures["n"], 4)
        # the sentence gives the counts of the band, in the language's typography
        if lang == "fr":
            assert f"dans {band['right']} cas sur {band['n']}" in m.text
            assert "\u00a0%" in m.text and "\u00a0:" in m.text and "%" not in m.text.replace("\u00a0%", "")
        else:
            assert f"in {band['right']} of {band['n']}" in m.text and "\u00a0" not in m.text
        seen_bands.add(tuple(m.band))
    assert len(seen_bands) >= 2  # the dev cases reach more than one band: the band is the case's own


def test_another_knowledge_base_quotes_nothing(tmp_path: Path) -> None:
    """Figures measured with the shipped knowledge say nothing of a copy that may differ."""
    copy = tmp_path / "knowledge"
    shutil.copytree(default_kb_path(), copy)
    kb = load_kb(copy, cache=False)
    report = diagnose(read_case(DEV_001, kb), kb)
    assert report.metadata.measured is None
    assert report.to_json_dict()["metadata"]["measured"] is None


def test_a_missing_file_quotes_nothing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(measured, "MEASURED_FILE", tmp_path / "absent.json")
    measured._figures.cache_clear()
    try:
        kb = load_kb(default_kb_path(), cache=False)  # a knowledge base of its own: its texts are not those kept
        assert diagnose(read_case(DEV_001, kb), kb).metadata.measured is None
    finally:
        measured._figures.cache_clear()


def test_the_terminal_summary_shows_it() -> None:
    result = CliRunner().invoke(app, ["diagnose", str(DEV_001)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "published patients never used to build or tune this engine" in result.output
