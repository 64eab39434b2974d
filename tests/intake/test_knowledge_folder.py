"""The intake reads the lexicon of the knowledge folder it is given (``--kb``), not always the
installed one, and goes back to the installed one for the installed knowledge."""

from __future__ import annotations

import shutil
from pathlib import Path

from calcinosis import KnowledgeBase, load_kb
from calcinosis.intake import extract_case

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
