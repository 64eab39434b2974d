"""``calcinosis diagnose NOTE.txt`` and ``calcinosis intake-eval``: free text through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from calcinosis.cli.main import app

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_diagnose_a_note_says_it_was_read_from_text(tmp_path: Path) -> None:
    note = tmp_path / "lettre.txt"
    note.write_text(
        "Patient de 63 ans, hémodialysé depuis 8 ans, adressé pour des ulcérations nécrotiques douloureuses "
        "des cuisses avec livedo. Calcémie 2,6 mmol/l, phosphorémie 2,1 mmol/l.",
        encoding="utf-8",
    )
    code, out, err = run("diagnose", str(note), "--json", "--lang", "fr")
    assert code == 0, err
    assert "lu dans une note en texte libre" in err and "calcinosis intake" in err
    result = json.loads(out)
    assert result["differential"][0]["diagnosis"] == "calciphylaxis"


def test_diagnose_a_note_without_age_stops(tmp_path: Path) -> None:
    note = tmp_path / "note.txt"
    note.write_text("Woman with dermatomyositis and calcified nodules of both elbows, no fever.", encoding="utf-8")
    code, _, err = run("diagnose", str(note))
    assert code == 2 and "patient.age" in err and "intake" in err


def test_intake_eval_on_a_small_set(tmp_path: Path) -> None:
    (tmp_path / "en-01-a.txt").write_text(
        "A 45-year-old woman with systemic sclerosis and no ulceration.", encoding="utf-8"
    )
    (tmp_path / "en-01-a.yaml").write_text(
        "id: en-01-a\npatient: {age: 45, sex: female}\nhistory: [systemic_sclerosis]\nabsent: [ulceration]\n",
        encoding="utf-8",
    )
    (tmp_path / "en-02-b.txt").write_text("A 30-year-old man with gout and painful tophi.", encoding="utf-8")
    (tmp_path / "en-02-b.yaml").write_text(
        "id: en-02-b\npatient: {age: 30, sex: male}\nhistory: [gout]\nfindings: [visible_tophi, pain]\n",
        encoding="utf-8",
    )
    code, out, err = run("intake-eval", str(tmp_path), "--json")
    assert code == 0, err
    figures = json.loads(out)
    assert figures["notes"] == 2 and figures["overall"]["gold"] == 9
    assert figures["negation"][1] >= 2 and figures["by_field"]["absent"]["recall"] == 1.0
    code, out, _ = run("intake-eval", str(tmp_path), "--half", "dev", "--json")
    assert code == 0 and json.loads(out)["notes"] == 1
    code, _, err = run("intake-eval", str(tmp_path / "nowhere"))
    assert code == 2


def test_intake_eval_against_a_second_reader(tmp_path: Path) -> None:
    """--reader compares another reader's cases with the gold: agreement, without the extractor."""
    (tmp_path / "en-01-a.txt").write_text(
        "A 45-year-old woman with systemic sclerosis and no ulceration.", encoding="utf-8"
    )
    (tmp_path / "en-01-a.yaml").write_text(
        "id: en-01-a\npatient: {age: 45, sex: female}\nhistory: [systemic_sclerosis]\nabsent: [ulceration]\n",
        encoding="utf-8",
    )
    other = tmp_path / "second"
    other.mkdir()
    (other / "en-01-a.yaml").write_text(
        "id: en-01-a\npatient: {age: 45, sex: female}\nhistory: [systemic_sclerosis]\nfindings: [ulceration]\n",
        encoding="utf-8",
    )
    code, out, err = run("intake-eval", str(tmp_path), "--reader", str(other), "--json")
    assert code == 0, err
    figures = json.loads(out)
    assert figures["overall"]["tp"] == 3 and figures["overall"]["gold"] == 4 and figures["negation"] == [1, 2]
    code, _, _ = run("intake-eval", str(tmp_path), "--reader", str(tmp_path / "nowhere"))
    assert code == 2


def test_intake_eval_counts_the_published_diagnosis_from_the_note_and_from_the_gold(tmp_path: Path) -> None:
    """Where the gold case gives the published diagnosis, the end-to-end accuracy is counted
    twice: from the extracted case and from the gold case; a note that cannot be read counts as
    a miss from the note, and a gold case without a diagnosis is not counted."""
    (tmp_path / "en-01-a.txt").write_text(
        "A 30-year-old man with gout and painful tophi of the elbows.", encoding="utf-8"
    )
    (tmp_path / "en-01-a.yaml").write_text(
        "id: en-01-a\npatient: {age: 30, sex: male}\nhistory: [gout]\nfindings: [visible_tophi, pain]\n"
        "sites: [elbow]\nexpected: {diagnosis: gout}\n",
        encoding="utf-8",
    )
    # the note lost its words: the extraction fails, the gold case still diagnoses gout
    (tmp_path / "en-02-b.txt").write_text("", encoding="utf-8")
    (tmp_path / "en-02-b.yaml").write_text(
        "id: en-02-b\npatient: {age: 30, sex: male}\nhistory: [gout]\nfindings: [visible_tophi]\n"
        "expected: {diagnosis: gout}\n",
        encoding="utf-8",
    )
    (tmp_path / "en-03-c.txt").write_text("A 45-year-old woman with systemic sclerosis.", encoding="utf-8")
    (tmp_path / "en-03-c.yaml").write_text(
        "id: en-03-c\npatient: {age: 45, sex: female}\nhistory: [systemic_sclerosis]\n", encoding="utf-8"
    )
    code, out, err = run("intake-eval", str(tmp_path), "--json")
    assert code == 0, err
    assert json.loads(out)["expected_top"] == {"notes": 2, "from_case": 1, "from_gold": 2}
    code, out, _ = run("intake-eval", str(tmp_path))
    assert "published diagnosis first: from the extracted case 50" in " ".join(out.split())
