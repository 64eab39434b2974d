"""The intake reads the lexicon of the knowledge folder it is given (``--kb``), not always the
installed one, and goes back to the installed one for the installed knowledge."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from calcinosis import KnowledgeBase, load_kb
from calcinosis.cli.main import app
from calcinosis.intake import IntakeError, extract_case

NOTE = "A 50-year-old woman with a gorbleflux of the thigh."


def test_a_knowledge_copy_reads_notes_with_its_own_lexicon(kb: KnowledgeBase, tmp_path: Path) -> None:
    assert kb.root is not None
    copy = tmp_path / "knowledge"
    shutil.copytree(kb.root, copy, ignore=shutil.ignore_patterns("__pycache__"))
    intake = copy / "intake.yaml"
    text = intake.read_text(encoding="utf-8")
    marker = "    palpable_nodules: ["
    assert marker in text
    intake.write_text(text.replace(marker, marker + "gorbleflux, ", 1), encoding="utf-8")
    other = load_kb(copy, cache=False)

    assert "palpable_nodules" not in extract_case(NOTE, kb, lang="en").case.get("findings", [])
    assert "palpable_nodules" in extract_case(NOTE, other, lang="en").case.get("findings", [])
    # and back: the installed knowledge reads with the installed lexicon again
    assert "palpable_nodules" not in extract_case(NOTE, kb, lang="en").case.get("findings", [])


def _copy_with(kb: KnowledgeBase, tmp_path: Path, edit: str) -> KnowledgeBase:
    """A copy of the knowledge whose intake.yaml is ``edit`` (``{old}`` is the bundled text)."""
    assert kb.root is not None
    copy = tmp_path / "knowledge"
    shutil.copytree(kb.root, copy, ignore=shutil.ignore_patterns("__pycache__"))
    old = (copy / "intake.yaml").read_text(encoding="utf-8")
    (copy / "intake.yaml").write_text(edit.replace("{old}", old), encoding="utf-8")
    return load_kb(copy, cache=False)


@pytest.mark.parametrize(
    ("edit", "english", "french"),
    [
        ("{old}\nterms: [unclosed\n", ", line ", ", ligne "),
        ("language: {min_words: 3}\n", "lacks ", "il manque au lexique"),
        (
            "{old}\ncontext: [a, b]\n",
            "context must be a table, not a list",
            "context doit être une table, pas une liste",
        ),
        ("- just\n- a list\n", "not a list", "pas une liste"),
    ],
)
def test_an_unusable_intake_file_is_a_clear_error_in_both_languages(
    kb: KnowledgeBase, tmp_path: Path, edit: str, english: str, french: str
) -> None:
    """A broken lexicon in a knowledge copy says which file, where and what was expected; it is
    never a traceback, and the installed knowledge still reads notes afterwards."""
    other = _copy_with(kb, tmp_path, edit)
    with pytest.raises(IntakeError) as caught:
        extract_case(NOTE, other, lang="en")
    assert str(other.root / "intake.yaml") in caught.value.text("en")
    assert english in caught.value.text("en")
    assert french in caught.value.text("fr")
    assert "palpable_nodules" in extract_case("A 50-year-old woman with nodules of the thigh.", kb).case["findings"]


def test_kb_check_reports_an_unusable_intake_file(kb: KnowledgeBase, tmp_path: Path) -> None:
    other = _copy_with(kb, tmp_path, "{old}\ncontext: [a, b]\n")
    result = CliRunner().invoke(app, ["kb", "check", "--kb", str(other.root)])
    assert result.exit_code == 1
    assert "context must be a table, not a list" in result.output
