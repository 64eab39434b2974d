"""The command line: exit codes and output of every subcommand, bad input included."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from calcinosis.cli.main import app
from calcinosis.kb.check import silent_sites, unidentified_references
from calcinosis.kb.loader import load_kb

from .conftest import DEV_CASES, REPO

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_bare_call_prints_help() -> None:
    """`calcinosis` alone shows the commands."""
    code, out, _ = run()
    assert "diagnose" in out and "evaluate" in out
    assert code in (0, 2)


def test_version() -> None:
    """--version prints the code and knowledge versions."""
    code, out, _ = run("--version")
    assert code == 0 and "knowledge base" in out


def test_diagnose_text_report() -> None:
    """The terminal report shows the category, the differential, reasons and the disclaimer."""
    code, out, _ = run("diagnose", str(DEV_CASES[0]), "--full")
    assert code == 0
    assert "Juvenile dermatomyositis" in out
    assert "Differential diagnosis" in out and "LR" in out
    assert "clinician" in out


def test_diagnose_french() -> None:
    """--lang fr gives French labels and text."""
    code, out, _ = run("diagnose", str(DEV_CASES[0]), "--lang", "fr", "--full")
    assert code == 0
    assert "Dermatomyosite juvénile" in out and "Diagnostic différentiel" in out and "clinicien" in out


def test_diagnose_json_is_the_result_object() -> None:
    """--json prints the result object of case-format.md, valid against its schema."""
    from calcinosis.engine.results import result_json_schema

    code, out, _ = run("diagnose", str(DEV_CASES[12]), "--json")
    assert code == 0
    data = json.loads(out)
    jsonschema.validate(data, result_json_schema())
    assert data["category"] == max(data["category_probabilities"], key=data["category_probabilities"].get)
    probs = [d["probability"] for d in data["differential"]]
    assert probs == sorted(probs, reverse=True)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (
            "patient: {age: 40, sex: female}\nfindings: [painn]\n",
            "findings[0]: unknown finding 'painn'",
        ),
        (
            "patient: {age: 40, sex: female}\nimaging:\n  - {modality: ct, patterns: [linear, rice-grian]}\n",
            "imaging[0].patterns[1]",
        ),
        (
            "patient: {age: 40, sex: female}\nlabs: [{test: calcium, value: 2.4, unit: g/L}]\n",
            "mmol/L",
        ),
        ("patient: {age: 40}\n", "patient.sex"),
    ],
)
def test_bad_case_exits_2_with_a_clear_message(tmp_path: Path, content: str, fragment: str) -> None:
    """Bad input: exit 2, the file, the item and what is expected; no traceback."""
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    code, out, err = run("diagnose", str(path))
    assert code == 2
    assert "bad.yaml" in err and fragment in err
    assert "Traceback" not in out + err


def test_missing_file_exits_2(tmp_path: Path) -> None:
    """A missing case file is a clear error."""
    code, _, err = run("diagnose", str(tmp_path / "none.yaml"))
    assert code == 2 and "no such case file" in err


def test_bad_language_exits_2() -> None:
    """Only en and fr exist."""
    code, _, err = run("diagnose", str(DEV_CASES[0]), "--lang", "de")
    assert code == 2 and "en or fr" in err


def test_evaluate_json_keys(shared: Path) -> None:
    """evaluate --json gives the keys the issue names."""
    code, out, _ = run("evaluate", str(shared / "cases"), "--json")
    assert code == 0
    data = json.loads(out)
    assert {
        "n",
        "category_accuracy",
        "top1",
        "top3",
        "top5",
        "mrr",
        "brier",
        "ece",
        "misses",
    } <= data.keys()
    assert data["n"] == 25


def test_evaluate_table(shared: Path) -> None:
    """evaluate prints the metrics, the reliability table and the confusion matrix."""
    code, out, _ = run("evaluate", str(shared / "cases"))
    assert code == 0
    assert "category_accuracy" in out and "Reliability" in out and "confusion" in out


def test_evaluate_empty_folder(tmp_path: Path) -> None:
    """A folder without evaluable cases is an error, exit 2."""
    code, _, err = run("evaluate", str(tmp_path))
    assert code == 2 and "no case" in err


def test_kb_check_passes() -> None:
    """The shipped knowledge base lints clean."""
    code, out, _ = run("kb", "check")
    assert code == 0, out
    census = " ".join(out.split())  # the census line wraps at the terminal's width
    assert "0 errors" in census
    kb = load_kb()
    assert f"{len(kb.references)} references ({len(unidentified_references(kb))} with no DOI, PMID or URL)" in census
    assert f"{len(silent_sites(kb))} sites left silent by diagnoses that state sites" in census


def test_kb_show() -> None:
    """kb show lists the definition, weights and references of one entity."""
    code, out, _ = run("kb", "show", "calciphylaxis")
    assert code == 0
    assert "LR+" in out and "weenig2007" in out
    code, out, _ = run("kb", "show", "calciphylaxis", "--lang", "fr")
    assert code == 0 and "Calciphylaxie" in out


def test_kb_show_unknown_entity() -> None:
    """An unknown entity gets a close suggestion and exit 2."""
    code, _, err = run("kb", "show", "calciphylaxsis")
    assert code == 2 and "calciphylaxis" in err


def test_schema_validates_every_dev_case() -> None:
    """`calcinosis schema` prints a JSON Schema that every dev case satisfies."""
    import yaml

    code, out, _ = run("schema")
    assert code == 0
    schema = json.loads(out)
    for path in DEV_CASES:
        jsonschema.validate(yaml.safe_load(path.read_text()), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"patient": {"age": 3, "sex": "female"}, "findings": ["painn"]}, schema)


def test_console_script_exit_code(tmp_path: Path) -> None:
    """The installed entry point itself exits 2 on bad input (no traceback)."""
    path = tmp_path / "bad.json"
    path.write_text("{not json")
    exe = Path(sys.executable).with_name("calcinosis")
    proc = subprocess.run([str(exe), "diagnose", str(path)], capture_output=True, text=True, cwd=REPO, check=False)
    assert proc.returncode == 2
    assert "not valid JSON" in proc.stderr and "Traceback" not in proc.stderr
