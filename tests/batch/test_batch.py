"""``calcinosis batch``: every input kind, rejects, outputs, agreement with the single case, Dask."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from calcinosis.batch.outputs import REJECT_COLUMNS, read_rejects
from calcinosis.case.reader import parse_case
from calcinosis.engine.diagnose import analyse, diagnose
from calcinosis.kb.model import KnowledgeBase

from ..conftest import REPO, SHARED
from .cohort import as_row, header, write_csv, write_folder, write_jsonl
from .conftest import read_table, run_batch_cli


def _run_ok(*args: str | Path) -> str:
    code, out, err = run_batch_cli(*args)
    assert code == 0, err
    return out


def _summary(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(out.with_name(out.stem + ".summary.json").read_text(encoding="utf-8"))
    return data


def test_every_input_kind_gives_the_same_rows(cases: list[dict[str, Any]], tmp_path: Path) -> None:
    """A folder of YAML/JSON files, JSON Lines, CSV and Parquet holding the same cases give the same output."""
    rows = [as_row(c) for c in cases]
    csv_in = write_csv(tmp_path / "cohort.csv", rows)
    table = pa.csv.read_csv(csv_in, convert_options=pa.csv.ConvertOptions(strings_can_be_null=True))
    parquet_in = tmp_path / "cohort.parquet"
    pq.write_table(table, parquet_in)  # typed columns (bool, double, string) as a user's export has
    inputs = {
        "folder": write_folder(tmp_path / "cases", cases),
        "jsonl": write_jsonl(tmp_path / "cohort.jsonl", cases),
        "csv": csv_in,
        "parquet": parquet_in,
    }
    outputs = {}
    for kind, source in inputs.items():
        out = tmp_path / f"out-{kind}.parquet"
        printed = _run_ok(source, "--out", out)
        assert f"rows in {len(cases)}, scored {len(cases)}, rejected 0" in printed
        assert _summary(out)["input_kind"] == kind
        outputs[kind] = pq.read_table(out)
    first = outputs["folder"]
    assert first.num_rows == len(cases) and first.column("id").to_pylist() == [c["id"] for c in cases]
    for kind, table in outputs.items():
        assert table.equals(first), kind


def test_output_equals_the_single_case_engine(cases: list[dict[str, Any]], kb: KnowledgeBase, tmp_path: Path) -> None:
    """Category, category probabilities and top 5 equal the single case's raw posteriors (not the
    result object's 4-decimal rounding) to 1e-9; dx1 and the category equal ``diagnose``'s."""
    out = tmp_path / "out.parquet"
    _run_ok(write_jsonl(tmp_path / "c.jsonl", cases), "--out", out, "--top-k", "5")
    got = pq.read_table(out).to_pylist()
    names = kb.category_names
    assert [f"p_{c}" for c in names] == pq.read_table(out).column_names[3 : 3 + len(names)]
    for doc, row in zip(cases, got, strict=True):
        case = parse_case(doc, kb)
        scores = analyse(case, kb)[2]
        category_p = scores.category.category_posterior
        assert np.allclose([row[f"p_{c}"] for c in names], category_p, rtol=0, atol=1e-9)
        assert row["category"] == names[int(np.argmax(category_p))]
        order = np.argsort(-scores.posterior, kind="stable")[:5]
        assert [row[f"dx{i}"] for i in range(1, 6)] == [kb.disease_ids[j] for j in order]
        assert np.allclose([row[f"p{i}"] for i in range(1, 6)], scores.posterior[order], rtol=0, atol=1e-9)
        assert all(np.isfinite(row[f"p_{c}"]) for c in names)
        assert row["calcinosis_version"] and row["kb_version"] == kb.version
    for doc, row in list(zip(cases, got, strict=True))[:5]:
        report = diagnose(parse_case(doc, kb), kb)
        assert (row["category"], row["dx1"], row["phosphocalcic_status"]) == (
            report.category,
            report.differential[0].diagnosis,
            report.phosphocalcic_status,
        )
        present = sorted(f.rule for f in report.category_basis if f.state == "present")
        assert sorted(row["basis"]) == present


def test_dev_cases_folder(kb: KnowledgeBase, tmp_path: Path) -> None:
    """The dev cases of ../shared: every case file scored, the README counted as ignored."""
    out = tmp_path / "dev.csv"
    _run_ok(SHARED / "cases", "--out", out)
    summary = _summary(out)
    n = len(list((SHARED / "cases").glob("*.yaml")))
    assert (summary["rows_in"], summary["scored"], summary["rejected"], summary["ignored_files"]) == (n, n, 0, 1)
    table = read_table(out)
    assert table.column("id").to_pylist()[0] == "dev-001-jdm-legs"
    assert table.column("dx1").to_pylist()[0] == "juvenile_dermatomyositis"
    assert "basis" in table.column_names and table.schema.field("basis").type == pa.string()


BAD_ROWS = [
    # row 1: fine; 2: bad age; 3: unknown sex; 4: unit of another test; 5: a yes/no cell; 6: unknown modality;
    # 7: a calcium of 9.5 mmol/L (plausible in mg/dL: a unit slip); 8: fine
    {"id": "ok-1", "age": "50", "sex": "female", "finding:pain": "true"},
    {"id": "bad-age", "age": "fifty", "sex": "female"},
    {"id": "bad-term", "age": "40", "sex": "martian"},
    {"id": "bad-unit", "age": "40", "sex": "male", "lab:calcium": "2.3", "lab:calcium:unit": "U/L"},
    {"id": "bad-cell", "age": "40", "sex": "male", "finding:pain": "yes"},
    {"id": "bad-modality", "age": "40", "sex": "male", "imaging:modality": "xray2"},
    {"id": "slip", "age": "40", "sex": "male", "lab:calcium": "9.5", "lab:calcium:unit": "mmol/L"},
    {"id": "ok-2", "age": "70", "sex": "male", "history:dialysis": "true", "finding:skin_necrosis": "true"},
]
NAMES = ["id", "age", "sex", "finding:pain", "lab:calcium", "lab:calcium:unit", "imaging:modality"]
NAMES += ["history:dialysis", "finding:skin_necrosis"]


def test_bad_rows_are_rejected_with_row_and_column(tmp_path: Path) -> None:
    """Each bad row is skipped and reported with its row, column, case location and a clear message."""
    source = write_csv(tmp_path / "bad.csv", BAD_ROWS, NAMES)
    out = tmp_path / "out.csv"
    printed = _run_ok(source, "--out", out)
    assert "rows in 8, scored 2, rejected 6" in printed
    assert read_table(out).column("id").to_pylist() == ["ok-1", "ok-2"]
    assert read_table(out).column("row").to_pylist() == [1, 8]
    rejects = read_rejects(out.with_name("out.rejects.csv"))
    assert list(rejects[0]) == list(REJECT_COLUMNS)
    got = {(r["row"], r["id"], r["column"], r["location"]) for r in rejects}
    assert got == {
        ("2", "bad-age", "age", "patient.age"),
        ("3", "bad-term", "sex", "patient.sex"),
        ("4", "bad-unit", "lab:calcium:unit", "labs[0].unit"),
        ("5", "bad-cell", "finding:pain", ""),
        ("6", "bad-modality", "imaging:modality", "imaging[0].modality"),
        ("7", "slip", "lab:calcium:unit", "labs[0].unit"),
    }
    by_id = {r["id"]: r["message"] for r in rejects}
    assert "valid number" in by_id["bad-age"] and "'fifty'" in by_id["bad-age"]
    assert "unknown sex 'martian'" in by_id["bad-term"]
    assert "'U/L' is not a unit of calcium" in by_id["bad-unit"] and "mmol/L, mg/dL" in by_id["bad-unit"]
    assert by_id["bad-cell"] == "expected true, false or empty, got 'yes'"
    assert "mg/dL" in by_id["slip"]
    summary = _summary(out)
    assert (summary["rows_in"], summary["scored"], summary["rejected"], summary["reject_lines"]) == (8, 2, 6, 6)


def test_strict_stops_at_the_first_bad_row(tmp_path: Path) -> None:
    """--strict: exit 2 naming the first bad row and its column, and no output file at all."""
    source = write_csv(tmp_path / "bad.csv", BAD_ROWS, NAMES)
    out = tmp_path / "out.parquet"
    code, _, err = run_batch_cli(source, "--out", out, "--strict")
    assert code == 2
    assert "bad.csv, row 2, column age: Input should be a valid number" in err and "--strict" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv"]  # no output, no temporary file left


def test_unknown_column_is_refused_before_any_row(tmp_path: Path) -> None:
    """An unknown column stops the run before reading rows, naming the closest known column."""
    source = tmp_path / "t.csv"
    source.write_text("id,age,sex,finding:raynauds\np1,40,female,true\n", encoding="utf-8")
    code, _, err = run_batch_cli(source, "--out", tmp_path / "o.parquet")
    assert code == 2
    assert "finding:raynauds: unknown column" in err and "closest known: finding:raynaud_phenomenon" in err
    assert not (tmp_path / "o.parquet").exists() and not (tmp_path / "o.rejects.csv").exists()


def test_french_rejects_and_counts(tmp_path: Path) -> None:
    """--lang fr: the counts, the cell messages and the reader's messages are in French."""
    source = write_csv(tmp_path / "bad.csv", BAD_ROWS[:5], NAMES)
    out = tmp_path / "out.csv"
    printed = _run_ok(source, "--out", out, "--lang", "fr")
    assert "lignes lues 5, évaluées 1, refusées 4" in printed and "résultats\u00a0:" in printed
    messages = {r["id"]: r["message"] for r in read_rejects(out.with_name("out.rejects.csv"))}
    assert messages["bad-cell"] == "attendu\u00a0: true, false ou vide\u202f; reçu 'yes'"
    assert "n'est pas une unité" in messages["bad-unit"] and "expected" not in messages["bad-unit"]


def test_empty_table(tmp_path: Path) -> None:
    """A table with a header only: an empty output with every column, and zero counts."""
    source = tmp_path / "empty.csv"
    source.write_text("id,age,sex\n", encoding="utf-8")
    out = tmp_path / "o.parquet"
    assert "rows in 0, scored 0, rejected 0" in _run_ok(source, "--out", out)
    table = pq.read_table(out)
    assert table.num_rows == 0 and "p_calciphylaxis" in table.column_names and "dx5" in table.column_names


def test_outputs_are_safe(cases: list[dict[str, Any]], tmp_path: Path) -> None:
    """An existing output needs --force, an input is never overwritten, the suffix decides the format."""
    source = write_jsonl(tmp_path / "c.jsonl", cases[:3])
    out = tmp_path / "o.csv"
    _run_ok(source, "--out", out)
    before = out.read_bytes()
    code, _, err = run_batch_cli(source, "--out", out)
    assert code == 2 and "exists" in err and out.read_bytes() == before
    _run_ok(source, "--out", out, "--force", "--top-k", "2")
    assert read_table(out).column_names[-8:-3] == ["dx1", "p1", "dx2", "p2", "basis"]
    csv_in = write_csv(tmp_path / "in.csv", [as_row(c) for c in cases[:2]])
    code, _, err = run_batch_cli(csv_in, "--out", csv_in, "--force")
    assert code == 2 and "input" in err and csv_in.read_text(encoding="utf-8").startswith("id,age,sex")
    code, _, err = run_batch_cli(source, "--out", tmp_path / "o.xlsx")
    assert code == 2 and ".parquet or .csv" in err
    code, _, err = run_batch_cli(source, "--out", tmp_path / "p.csv", "--partitions", "2")
    assert code == 2 and "--dask" in err


def test_explain_writes_the_full_result_objects(cases: list[dict[str, Any]], kb: KnowledgeBase, tmp_path: Path) -> None:
    """--explain: one result object per scored row, in the order of the output rows."""
    source = write_jsonl(tmp_path / "c.jsonl", [*cases[:4], {"patient": {"age": 1}}])
    out = tmp_path / "o.parquet"
    _run_ok(source, "--out", out, "--explain")
    lines = out.with_name("o.explain.jsonl").read_text(encoding="utf-8").splitlines()
    rows = pq.read_table(out).to_pylist()
    assert len(lines) == len(rows) == 4
    for line, row in zip(lines, rows, strict=True):
        result = json.loads(line)
        assert result["case_id"] == row["id"] and result["category"] == row["category"]
        assert result["differential"][0]["diagnosis"] == row["dx1"] and result["metadata"]["kb_version"] == kb.version


def test_registry_export(kb: KnowledgeBase, tmp_path: Path) -> None:
    """The registry's JSON Lines visit export is read as cases (id patient/date); its CSV export,
    which holds results only, is refused with the command that exports the cases."""
    from calcinosis.case.reader import read_case
    from calcinosis.registry import store
    from calcinosis.registry.db import migrate, open_engine, session_scope
    from calcinosis.registry.transfer import EXPORT_COLUMNS, export_visits

    engine = open_engine(f"sqlite:///{tmp_path / 'r.sqlite3'}")
    migrate(engine)
    case = read_case(SHARED / "cases" / "dev-003-crest-fingertips.yaml", kb)
    with session_scope(engine) as s:
        patient = store.add_patient(s, "P001", actor="dr-a", sex="female", birth_year=1960)
        store.add_visit(s, patient, case, kb, date=dt.date(2025, 1, 10), actor="dr-a")
        store.add_visit(s, patient, case, kb, date=dt.date(2025, 7, 12), actor="dr-a")
    with session_scope(engine) as s:
        export_visits(s, tmp_path / "visits.jsonl")
        export_visits(s, tmp_path / "visits.csv")
    engine.dispose()
    export = tmp_path / "visits.jsonl"
    exported = [json.loads(line) for line in export.read_text(encoding="utf-8").splitlines()]
    anonymous = {**exported[0], "patient": "P002", "case": {k: v for k, v in exported[0]["case"].items() if k != "id"}}
    exported.append(anonymous)  # a visit whose case has no id of its own
    export.write_text("".join(json.dumps(e) + "\n" for e in exported), encoding="utf-8")
    out = tmp_path / "o.parquet"
    _run_ok(export, "--out", out)
    rows = pq.read_table(out).to_pylist()
    assert _summary(out)["input_kind"] == "registry"
    assert [r["id"] for r in rows] == ["dev-003-crest-fingertips", "dev-003-crest-fingertips", "P002/2025-01-10"]
    assert [r["category"] for r in rows] == [e["result"]["category"] for e in exported]
    assert [r["dx1"] for r in rows] == [e["result"]["differential"][0]["diagnosis"] for e in exported]
    assert set(EXPORT_COLUMNS) >= {"patient", "date", "leading_diagnosis"}
    code, _, err = run_batch_cli(tmp_path / "visits.csv", "--out", tmp_path / "o2.parquet")
    assert code == 2 and "holds results, not cases" in err and "visits.jsonl" in err


def test_bad_lines_and_files_are_rejects(tmp_path: Path) -> None:
    """Bad JSON lines and bad case files are rejected with their line or file, and the rest scored."""
    source = tmp_path / "c.jsonl"
    lines = [
        '{"patient": {"age": 30, "sex": "male"}}',
        "",
        "{not json",
        "[1, 2]",
        '{"patient": {"age": 30, "sex": "male"}, "findings": ["painn"]}',
    ]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "o.csv"
    assert "rows in 4, scored 1, rejected 3" in _run_ok(source, "--out", out)
    rejects = read_rejects(out.with_name("o.rejects.csv"))
    assert [(r["row"], r["location"]) for r in rejects] == [("3", ""), ("4", ""), ("5", "findings[0]")]
    assert "not valid JSON" in rejects[0]["message"] and "closest known: pain" in rejects[2]["message"]
    folder = tmp_path / "cases"
    folder.mkdir()
    (folder / "a.yaml").write_text("patient: {age: 30, sex: male}\n", encoding="utf-8")
    (folder / "b.yaml").write_text("patient: {age: 30, sex: male}\npatient: {age: 31, sex: male}\n", encoding="utf-8")
    out = tmp_path / "f.csv"
    assert "rows in 2, scored 1, rejected 1" in _run_ok(folder, "--out", out)
    assert read_rejects(out.with_name("f.rejects.csv"))[0]["source"] == "b.yaml"


@pytest.mark.parametrize("kind", ["folder", "jsonl", "csv"])
def test_a_repeated_case_id_is_a_rejected_row(cases: list[dict[str, Any]], tmp_path: Path, kind: str) -> None:
    """A hostile-input audit: a folder with two files of ``id: same`` and a JSON Lines file with one
    id twice were scored without a word (``calcinosis evaluate`` refuses them). The later row is
    a reject naming the first, across chunks too; --strict stops at it and writes nothing."""
    cohort = [dict(c) for c in cases[:5]]
    cohort[3]["id"] = cohort[1]["id"]
    repeated = cohort[1]["id"]
    if kind == "folder":  # files named by their order: write_folder names them by id
        source = tmp_path / "cases"
        source.mkdir()
        for i, case in enumerate(cohort):
            (source / f"case{i}.json").write_text(json.dumps(case), encoding="utf-8")
    else:
        source = write_jsonl(tmp_path / "c.jsonl", cohort) if kind == "jsonl" else tmp_path / "c.csv"
        if kind == "csv":
            write_csv(source, [as_row(c) for c in cohort])
    out = tmp_path / "o.csv"
    assert "rows in 5, scored 4, rejected 1" in _run_ok(source, "--out", out, "--chunk-rows", "2")
    [reject] = read_rejects(out.with_name("o.rejects.csv"))
    assert (reject["row"], reject["id"], reject["code"]) == ("4", repeated, "batch.duplicate_id")
    assert f"case id {repeated!r} is also that of row 2" in reject["message"]
    assert reject["source"] == ("case3.json" if kind == "folder" else source.name)
    assert ("(case1.json)" if kind == "folder" else f"({source.name})") in reject["message"]
    assert read_table(out).column("row").to_pylist() == [1, 2, 3, 5]
    explained = tmp_path / "e.csv"
    _run_ok(source, "--out", explained, "--explain", "--chunk-rows", "2")
    assert len(explained.with_name("e.explain.jsonl").read_text(encoding="utf-8").splitlines()) == 4
    code, _, err = run_batch_cli(source, "--out", tmp_path / "s.csv", "--strict")
    assert code == 2 and "row 4" in err and "is also that of row 2" in err
    assert not (tmp_path / "s.csv").exists()


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_json_lines_reject_names_the_files_own_line(tmp_path: Path, lang: str) -> None:
    """A hostile-input audit: the object with a duplicate key on line 7 of a JSON Lines file was
    rejected as row 7 with a message that said 'line 1' (each line is parsed on its own)."""
    source = tmp_path / "c.jsonl"
    good = '{"patient": {"age": 40, "sex": "female"}}'
    lines = [good, good, "not json", "", good, good, '{"patient": {"age": 40, "sex": "female", "sex": "male"}}']
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "o.csv"
    _run_ok(source, "--out", out, "--lang", lang)
    rejects = {r["row"]: r["message"] for r in read_rejects(out.with_name("o.rejects.csv"))}
    line, lines_word = ("line", "lines 7 and 7") if lang == "en" else ("ligne", "lignes 7 et 7")
    assert f"c.jsonl, {line} 7" in rejects["7"] and lines_word in rejects["7"]
    assert f"{line} 3" in rejects["3"] and f"{line} 1" not in rejects["3"]


def test_dask_local_cluster_is_identical_to_the_local_run(cases: list[dict[str, Any]], tmp_path: Path) -> None:
    """A 2-worker LocalCluster on 127.0.0.1, 3 partitions: the same rows, rejects and counts as locally."""
    rows = [as_row(c) for c in cases] + [{"id": "bad", "age": "-1", "sex": "male"}]
    source = write_csv(tmp_path / "c.csv", rows, header(rows))
    local, remote = tmp_path / "local.parquet", tmp_path / "dask.parquet"
    _run_ok(source, "--out", local, "--chunk-rows", "7")
    _run_ok(source, "--out", remote, "--dask", "local:2", "--partitions", "3")
    assert pq.read_table(remote).equals(pq.read_table(local))
    assert read_rejects(remote.with_name("dask.rejects.csv")) == read_rejects(local.with_name("local.rejects.csv"))
    summary = _summary(remote)
    assert (summary["dask"], summary["partitions"], summary["rows_in"], summary["rejected"]) == ("local:2", 3, 41, 1)
    code, _, err = run_batch_cli(source, "--out", tmp_path / "x.parquet", "--dask", "0.0.0.0:8786")
    assert code == 2 and "local:N" in err


def test_dask_and_pyarrow_stay_off_the_start_up_path() -> None:
    """Importing the CLI (and this command) loads neither Dask nor pyarrow."""
    code = (
        "import sys, calcinosis.cli.main, calcinosis.cli.batch; "
        "bad = [m for m in ('dask', 'distributed', 'pyarrow') if m in sys.modules]; "
        "print(*bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("column,value", [("lab:calcium[mmol/L]", "2.9"), ("lab:calcium[mg/dL]", "11.6")])
def test_unit_in_the_column_name(tmp_path: Path, column: str, value: str) -> None:
    """A unit in the column's name applies to every row: the same calcium in two units scores the same."""
    source = tmp_path / "t.csv"
    source.write_text(f"id,age,sex,{column}\na,60,female,{value}\n", encoding="utf-8")
    out = tmp_path / "o.csv"
    _run_ok(source, "--out", out)
    assert read_table(out).column("phosphocalcic_status").to_pylist() == ["deranged"]


def test_a_non_finite_probability_stops_the_run(
    cases: list[dict[str, Any]], kb: KnowledgeBase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Output never holds NaN: a kernel that gave one fails the run naming the row, and writes nothing."""
    import calcinosis.engine.batch as kernel

    real = kernel.score_evidence

    def broken(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs)
        result.scores.category_posterior[1, 0] = np.nan
        return result

    monkeypatch.setattr(kernel, "score_evidence", broken)
    source = write_jsonl(tmp_path / "c.jsonl", cases[:3])
    code, _, err = run_batch_cli(source, "--out", tmp_path / "o.parquet")
    assert code == 2 and "non-finite probability for row(s) 2" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.jsonl"]


def test_a_partition_scored_in_pieces_is_the_partition(
    cases: list[dict[str, Any]], kb: KnowledgeBase, tmp_path: Path
) -> None:
    """What a Dask worker does with a large partition (split, score, merge) gives the whole partition's rows."""
    from calcinosis.batch.inputs import open_input, split
    from calcinosis.batch.job import JobOptions, merge, process_chunk
    from calcinosis.batch.validate import RowValidator

    rows = [as_row(c) for c in cases] + [{"id": "bad", "age": "-1", "sex": "male"}]
    for source in (write_csv(tmp_path / "c.csv", rows, header(rows)), write_jsonl(tmp_path / "c.jsonl", cases)):
        chunk = next(open_input(source, kb).chunks(1000))
        validator, options = RowValidator(kb), JobOptions(top_k=3)
        whole = process_chunk(chunk, kb, validator, options)
        pieces = merge([process_chunk(p, kb, validator, options) for p in split(chunk, 7)], kb, options)
        assert pieces.table.equals(whole.table) and pieces.rejects == whole.rejects
        assert (pieces.rows_in, pieces.rows_rejected) == (whole.rows_in, whole.rows_rejected)
        assert whole.table.column("row").to_pylist() == list(range(1, len(cases) + 1))


def test_local_worker_processes_are_identical_to_one_process(cases: list[dict[str, Any]], tmp_path: Path) -> None:
    """--workers 2 with small chunks (several in flight per process): the same rows, rejects and counts."""
    rows = [as_row(c) for c in cases] + [{"id": "bad", "age": "-1", "sex": "male"}]
    source = write_csv(tmp_path / "c.csv", rows, header(rows))
    one, two = tmp_path / "one.parquet", tmp_path / "two.parquet"
    _run_ok(source, "--out", one, "--chunk-rows", "5")
    _run_ok(source, "--out", two, "--chunk-rows", "5", "--workers", "2")
    assert pq.read_table(two).equals(pq.read_table(one))
    assert read_rejects(two.with_name("two.rejects.csv")) == read_rejects(one.with_name("one.rejects.csv"))
    assert (_summary(two)["rows_in"], _summary(two)["rejected"]) == (41, 1)


def test_a_laboratorys_interval_in_a_table(kb: KnowledgeBase, tmp_path: Path) -> None:
    """``lab:<test>:low`` / ``:high`` become the case's reference_range: the row scores as the
    case file with the interval does (not as the value alone), and a bad interval is a reject
    naming its column."""
    rows = [
        {
            "id": "own",
            "age": "70",
            "sex": "female",
            "lab:pth": "62",
            "lab:pth:unit": "ng/L",
            "lab:pth:low": "7",
            "lab:pth:high": "53",
        },
        {"id": "default", "age": "70", "sex": "female", "lab:pth": "62", "lab:pth:unit": "ng/L"},
        {
            "id": "upside-down",
            "age": "70",
            "sex": "female",
            "lab:pth": "62",
            "lab:pth:unit": "ng/L",
            "lab:pth:low": "53",
            "lab:pth:high": "7",
        },
    ]
    out = tmp_path / "out.parquet"
    printed = _run_ok(
        write_csv(
            tmp_path / "t.csv", rows, ["id", "age", "sex", "lab:pth", "lab:pth:unit", "lab:pth:low", "lab:pth:high"]
        ),
        "--out",
        out,
        "--top-k",
        "3",
    )
    assert "rows in 3, scored 2, rejected 1" in printed
    got = {r["id"]: r for r in pq.read_table(out).to_pylist()}
    base = {"patient": {"age": 70, "sex": "female"}}
    for row_id, lab in (
        ("own", {"test": "pth", "value": 62, "unit": "ng/L", "reference_range": {"low": 7, "high": 53}}),
        ("default", {"test": "pth", "value": 62, "unit": "ng/L"}),
    ):
        scores = analyse(parse_case({**base, "labs": [lab]}, kb), kb)[2]
        order = np.argsort(-scores.posterior, kind="stable")[:3]
        assert [got[row_id][f"dx{i}"] for i in (1, 2, 3)] == [kb.disease_ids[j] for j in order]
        assert np.allclose([got[row_id][f"p{i}"] for i in (1, 2, 3)], scores.posterior[order], rtol=0, atol=1e-9)
    assert got["own"]["p1"] != got["default"]["p1"]
    (reject,) = read_rejects(out.with_name("out.rejects.csv"))
    assert (reject["id"], reject["column"], reject["location"]) == (
        "upside-down",
        "lab:pth:low",
        "labs[0].reference_range",
    )
    assert "low limit must be below" in reject["message"]


def test_an_interval_or_a_value_implausible_in_its_unit_is_a_reject_naming_its_column(tmp_path: Path) -> None:
    """A hostile-input audit: ``lab:<test>:low`` / ``:high`` were never checked against the unit
    (a mg/dL interval beside a mmol/L phosphate read it as low), and a value of 1e-300 was read.
    Each is a reject with its row and column, as in a case file; the good row is scored."""
    columns = ["id", "age", "sex", "lab:phosphate", "lab:phosphate:unit", "lab:phosphate:low", "lab:phosphate:high"]
    base = {"age": "30", "sex": "female", "lab:phosphate": "1.9", "lab:phosphate:unit": "mmol/L"}
    rows = [
        {**base, "id": "ok", "lab:phosphate:low": "0.8", "lab:phosphate:high": "1.45"},
        {**base, "id": "mg", "lab:phosphate:low": "2.5", "lab:phosphate:high": "4.5"},
        {**base, "id": "tiny-high", "lab:phosphate:high": "1e-300"},
        {**base, "id": "tiny-value", "lab:phosphate": "1e-300"},
    ]
    out = tmp_path / "out.csv"
    assert "rows in 4, scored 1, rejected 3" in _run_ok(write_csv(tmp_path / "t.csv", rows, columns), "--out", out)
    rejects = read_rejects(out.with_name("out.rejects.csv"))
    assert [(r["row"], r["id"], r["column"], r["code"]) for r in rejects] == [
        ("2", "mg", "lab:phosphate:low", "case.range_unit"),
        ("3", "tiny-high", "lab:phosphate:high", "case.range_unit"),
        ("4", "tiny-value", "lab:phosphate", "case.range"),
    ]
    assert "but fits in mg/dL" in rejects[0]["message"] and "below any measurable value" in rejects[2]["message"]


def test_what_a_spreadsheet_or_pandas_writes_is_read_not_crashed_on(tmp_path: Path) -> None:
    """A hardening review's tracebacks: a header cell with a space (Excel), a pandas Categorical
    sex column (dictionary-encoded Parquet) and a JSON line nested 100,000 deep each stopped the
    whole run. The first two are read; the deep line is one reject, the rest scored."""
    spaced = tmp_path / "spaced.csv"
    spaced.write_text("id, age,sex, finding:pain \nq,30,female,true\n", encoding="utf-8")
    assert "rows in 1, scored 1, rejected 0" in _run_ok(spaced, "--out", tmp_path / "s.csv")
    categorical = tmp_path / "cat.parquet"
    sexes = pa.array(["female", "male"]).dictionary_encode()
    pq.write_table(pa.table({"id": ["a", "b"], "age": [30, 40], "sex": sexes}), categorical)
    assert "rows in 2, scored 2, rejected 0" in _run_ok(categorical, "--out", tmp_path / "c.csv")
    numbers = tmp_path / "int.parquet"
    pq.write_table(pa.table({"id": ["a", "b"], "age": [30, 40], "sex": [0, 1]}), numbers)
    assert "rows in 2, scored 0, rejected 2" in _run_ok(numbers, "--out", tmp_path / "i.csv")
    deep = tmp_path / "deep.jsonl"
    deep.write_text(
        '{"id": "d", "x": ' + "[" * 100_000 + "]" * 100_000 + "}\n" + '{"patient": {"age": 30, "sex": "male"}}\n'
    )
    assert "rows in 2, scored 1, rejected 1" in _run_ok(deep, "--out", tmp_path / "d.csv")


def test_a_cell_a_spreadsheet_would_run_stays_text(tmp_path: Path) -> None:
    """Ids typed as formulas ('=cmd|...', '+', '-', '@') came back active in the results and
    rejects a researcher opens in a spreadsheet, and an ESC in an id reached the rejects raw;
    each is now text (a leading apostrophe) and the unsafe characters are replaced."""
    source = tmp_path / "f.csv"
    source.write_text(
        "id,age,sex,finding:pain\n\"=cmd|' /C calc'!A0\",30,female,true\n-2+3,30,female,true\n@x\x1b[31m,thirty,female,true\n",
        encoding="utf-8",
    )
    out = tmp_path / "o.csv"
    assert "rows in 3, scored 2, rejected 1" in _run_ok(source, "--out", out)
    ids = read_table(out).column("id").to_pylist()
    assert ids == ["'=cmd|' /C calc'!A0", "'-2+3"]
    reject = read_rejects(out.with_name("o.rejects.csv"))[0]
    assert reject["id"].startswith("'@x") and "\x1b" not in reject["id"]


def test_an_age_beyond_any_life_is_a_reject_without_a_numpy_warning(tmp_path: Path) -> None:
    """A hostile-input audit: an age of 1e308 was rejected, but numpy's 'overflow encountered in
    multiply' (the age in months) was printed on the user's terminal first (an error under the
    test suite's warnings filter). The row is a reject naming its column, and nothing else is said."""
    source = tmp_path / "t.csv"
    source.write_text(
        "id,age,sex,duration_months\nok,50,female,\nhuge,1e308,female,\nlong,50,female,1e308\n", encoding="utf-8"
    )
    out = tmp_path / "out.csv"
    code, printed, err = run_batch_cli(source, "--out", out, "--no-progress")
    assert code == 0 and "Warning" not in err + printed
    assert "rows in 3, scored 1, rejected 2" in printed
    assert {r["id"]: r["column"] for r in read_rejects(out.with_name("out.rejects.csv"))} == {
        "huge": "age",
        "long": "duration_months",
    }


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_a_dot_before_three_digits_is_read_only_when_the_unit_allows_one_number(
    kind: str, kb: KnowledgeBase, tmp_path: Path
) -> None:
    """A hardening audit: a CSV's alkaline phosphatase '1.200' U/L was read as 1.2 (low), where a
    French export meant 1200. Such a cell is the free-text intake's and the case reader's
    question: 1200 or 1.2. A lab cell whose unit makes one reading implausible is that reading
    (calcium '2.400' mmol/L is 2.4, creatinine '1.200' µmol/L is 1200); any other is a reject
    naming its row, column and value and the two ways to write it, in CSV and in Parquet text."""
    columns = ["id", "age", "sex", "duration_months", "lab:calcium[mmol/L]", "lab:creatinine[µmol/L]"]
    columns += ["lab:alkaline_phosphatase[U/L]"]
    base = {"age": "54", "sex": "female", "lab:calcium[mmol/L]": "2.4", "lab:creatinine[µmol/L]": "90"}
    rows = [
        {**base, "id": "plain", "lab:creatinine[µmol/L]": "1200"},
        {**base, "id": "settled", "lab:calcium[mmol/L]": "2.400", "lab:creatinine[µmol/L]": "1.200"},
        {**base, "id": "alp", "lab:alkaline_phosphatase[U/L]": "1.200"},
        {**base, "id": "months", "duration_months": "1.200"},
    ]
    source = write_csv(tmp_path / "t.csv", rows, columns)
    if kind == "parquet":
        table = pa.csv.read_csv(
            source, convert_options=pa.csv.ConvertOptions(column_types=dict.fromkeys(columns, pa.string()))
        )
        pq.write_table(table, source := tmp_path / "t.parquet")
    for explain in ((), ("--explain",)):  # the columnar path, then the per-row path
        out = tmp_path / f"out{len(explain)}.csv"
        assert "rows in 4, scored 2, rejected 2" in _run_ok(source, "--out", out, *explain)
        scored = read_table(out).to_pylist()
        assert [r["id"] for r in scored] == ["plain", "settled"]
        assert {k: v for k, v in scored[0].items() if k not in ("row", "id")} == {
            k: v for k, v in scored[1].items() if k not in ("row", "id")
        }
        rejects = read_rejects(out.with_name(out.stem + ".rejects.csv"))
        assert [(r["row"], r["id"], r["column"], r["code"]) for r in rejects] == [
            ("3", "alp", "lab:alkaline_phosphatase[U/L]", "case.ambiguous_number"),
            ("4", "months", "duration_months", "case.ambiguous_number"),
        ]
        assert all("'1.200' cannot be read" in r["message"] and "write 1200 or 1.2" in r["message"] for r in rejects)
    explained = [json.loads(line) for line in (tmp_path / "out1.explain.jsonl").read_text().splitlines()]
    assert [(lab["test"], lab["value"]) for lab in explained[1]["case"]["labs"]] == [
        ("calcium", 2.4),
        ("creatinine", 1200.0),
    ]


def test_an_enormous_id_is_cut_in_its_reject_and_an_accepted_one_is_kept_whole(tmp_path: Path) -> None:
    """A hardening audit: a CSV row with a 10 MB id was rejected, and the whole id was copied
    into its reject (a 10 MB line of the rejects file). The reject's id is now cut, by the shared
    ``textsafe.plain``, to the longest id the case format accepts (200 characters) with '…', and
    the message says how long it was; an id the format accepts is kept whole in its reject."""
    huge, long_id, fine = "X" * 1_000_000, "Y" * 300, "Z" * 200
    source = tmp_path / "t.csv"
    source.write_text(
        f"id,age,sex\n{huge},54,female\n{long_id},54,female\n{fine},fifty,female\nok,54,female\n", encoding="utf-8"
    )
    out = tmp_path / "out.csv"
    assert "rows in 4, scored 1, rejected 3" in _run_ok(source, "--out", out)
    rejects_file = out.with_name("out.rejects.csv")
    assert rejects_file.stat().st_size < 2_000
    rejects = read_rejects(rejects_file)
    assert [(r["row"], r["id"]) for r in rejects] == [("1", "X" * 199 + "…"), ("2", "Y" * 199 + "…"), ("3", fine)]
    assert "1,000,000 characters" in rejects[0]["message"] and huge not in rejects[0]["message"]


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_an_id_that_is_not_printable_is_a_reject_on_the_fast_path_too(kind: str, tmp_path: Path) -> None:
    """A hardening audit: a table row with a valid case and an ESC or a newline in its id was
    scored by the column-wise path, which never puts ids to the case model. Such a row goes the
    per-row way, where the model refuses the id: a reject naming the id column and the character."""
    ids = ["a\x1b[2Jb", "two\nlines", "ok"]
    table = pa.table({"id": ids, "age": ["30"] * 3, "sex": ["female"] * 3, "finding:pain": ["true"] * 3})
    source = tmp_path / f"t.{kind}"
    if kind == "csv":
        pa.csv.write_csv(table, source)
    else:
        pq.write_table(table, source)
    out = tmp_path / "out.csv"
    assert "rows in 3, scored 1, rejected 2" in _run_ok(source, "--out", out)
    assert read_table(out).column("id").to_pylist() == ["ok"]
    rejects = read_rejects(out.with_name("out.rejects.csv"))
    assert [(r["row"], r["column"], r["location"]) for r in rejects] == [("1", "id", "id"), ("2", "id", "id")]
    assert "U+001B" in rejects[0]["message"] and "U+000A" in rejects[1]["message"]
