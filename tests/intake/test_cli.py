"""`calcinosis intake` end to end, in both languages; `diagnose` does not load the NLP stack."""

from __future__ import annotations

import json
import subprocess
import sys

import yaml
from typer.testing import CliRunner

from calcinosis.case.reader import parse_case
from calcinosis.cli.main import app

runner = CliRunner()


def test_french_note_to_case_file(tmp_path, kb):
    """A French note: highlighted items, French headings, a valid case written with -o."""
    note = tmp_path / "note.txt"
    note.write_text(
        "Patiente de 45 ans suivie pour une sclérodermie. Pas de fièvre. Calcémie 2,35 mmol/l.", encoding="utf-8"
    )
    out = tmp_path / "case.yaml"
    result = runner.invoke(app, ["intake", str(note), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "Éléments extraits" in result.output and "sclérodermie" in result.output
    case = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert parse_case(case, kb).history == ["systemic_sclerosis"]
    again = runner.invoke(app, ["intake", str(note), "-o", str(out)])
    assert again.exit_code == 2 and "--force" in again.output
    assert runner.invoke(app, ["intake", str(note), "-o", str(out), "--force"]).exit_code == 0


def test_english_note_json(tmp_path):
    """--json prints the extraction with spans and statuses."""
    note = tmp_path / "note.txt"
    note.write_text("A 52-year-old man with painful nodules. No fever. Rule out sarcoidosis.", encoding="utf-8")
    result = runner.invoke(app, ["intake", str(note), "--json", "--lang", "en"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["case"]["absent"] == ["fever"]
    assert data["lang"] == "en" and data["lang_given"] is True
    assert [d["term"] for d in data["dropped"]] == ["sarcoidosis"]


def test_refusals(tmp_path):
    """Unreadable file, empty note, other language: exit 2 with a clear message."""
    assert runner.invoke(app, ["intake", str(tmp_path / "missing.txt")]).exit_code == 2
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    result = runner.invoke(app, ["intake", str(empty), "--lang", "fr"])
    assert result.exit_code == 2 and "vide" in result.output
    german = tmp_path / "de.txt"
    german.write_text("Die Patientin ist 45 Jahre alt und hat seit einem Jahr keine Schmerzen.", encoding="utf-8")
    result = runner.invoke(app, ["intake", str(german)])
    assert result.exit_code == 2 and "German" in result.output
    binary = tmp_path / "bin.txt"
    binary.write_bytes(b"\xff\xfe\x00bad")
    assert runner.invoke(app, ["intake", str(binary)]).exit_code == 2


def test_diagnose_does_not_import_the_nlp_stack(shared):
    """`diagnose` on a case file never imports edsnlp, spaCy or negspacy."""
    case = shared / "cases" / "dev-001-jdm-legs.yaml"
    code = (
        "import sys\n"
        "from calcinosis.cli.main import app\n"
        "try:\n"
        f"    app(['diagnose', {str(case)!r}], standalone_mode=False)\n"
        "finally:\n"
        "    print(sorted(m for m in ('edsnlp', 'spacy', 'negspacy') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
