"""Regression tests for each hostile input reported in the hardening issue (case files, outputs,
terminal, cache, limits, messages). Imaging inputs are in tests/imaging/.

Each test states the defect it guards against; each failed on the code before the fix.
"""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from calcinosis import CaseValidationError, KnowledgeBase, load_kb, read_case
from calcinosis.cache import private_dir
from calcinosis.case.document import LIMITS
from calcinosis.cli.main import app
from calcinosis.serialise import NonFiniteResultError, to_json

from .conftest import DEV_CASES

runner = CliRunner()
PATIENT = "patient: {age: 50, sex: male}\n"


def write(tmp_path: Path, text: str | bytes, name: str = "case.yaml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def refused(tmp_path: Path, text: str | bytes, name: str = "case.yaml") -> str:
    """Run diagnose on the text; assert exit 2 with one located error line; return stderr."""
    path = write(tmp_path, text, name)
    result = runner.invoke(app, ["diagnose", str(path), "--json"])
    assert result.exit_code == 2, result.stdout
    assert result.stderr.startswith(f"error: {path}") and result.stderr.endswith("\n")
    assert result.stderr.lower().count("error:") == 1
    return result.stderr


def accepted(tmp_path: Path, text: str | bytes, name: str = "case.yaml") -> dict[str, object]:
    path = write(tmp_path, text, name)
    result = runner.invoke(app, ["diagnose", str(path), "--json"])
    assert result.exit_code == 0, result.stderr
    out: dict[str, object] = json.loads(result.stdout, parse_constant=lambda c: pytest.fail(c))
    return out


# 1. duplicate keys ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, key, lines",
    [
        (
            PATIENT
            + "labs:\n  - {test: phosphate, value: 2.9, unit: mmol/L}\nlabs:\n  - {test: calcium, value: 2.3, unit: mmol/L}\n",
            "labs",
            "lines 2 and 4",
        ),
        ("patient:\n  age: 50\n  sex: male\n  age: 5\n", "age", "lines 2 and 4"),
        (PATIENT + "findings: [pain]\nfindings: [fever]\n", "findings", "lines 2 and 3"),
    ],
)
def test_duplicate_yaml_keys_are_refused_with_both_lines(tmp_path: Path, text: str, key: str, lines: str) -> None:
    err = refused(tmp_path, text)
    assert f"key '{key}' appears twice" in err and lines in err


def test_duplicate_json_keys_are_refused_with_both_lines(tmp_path: Path) -> None:
    err = refused(tmp_path, '{"patient": {"age": 50,\n "sex": "male",\n "sex": "female"}}', "case.json")
    assert "key 'sex' appears twice" in err and "lines 2 and 3" in err


# 2. non-finite and absurd numbers -----------------------------------------------------------------
@pytest.mark.parametrize(
    "text, where",
    [
        (PATIENT + "onset_days_after: {iv_calcium: .nan}\n", "finite"),
        (PATIENT + "labs: [{test: calcium, value: .inf, unit: mmol/L}]\n", "finite"),
        (PATIENT + "duration_months: .inf\n", "finite"),
        (PATIENT + "imaging: [{modality: ct, size_cm: .inf}]\n", "finite"),
        (PATIENT + "labs: [{test: creatinine, value: 1e308, unit: mg/dL}]\n", "beyond any measurable value"),
        (PATIENT + "duration_months: 1e308\n", "longer than the patient's life"),
        ("patient: {age: .nan, sex: male}\n", "finite number (got nan)"),
    ],
)
def test_non_finite_and_impossible_numbers_are_refused(tmp_path: Path, text: str, where: str) -> None:
    assert where in refused(tmp_path, text)


def test_json_nan_and_infinity_tokens_are_refused(tmp_path: Path) -> None:
    assert "NaN" in refused(tmp_path, '{"patient": {"age": NaN, "sex": "male"}}', "case.json")
    assert "finite" in refused(tmp_path, '{"patient": {"age": 1e400, "sex": "male"}}', "case.json")


def test_results_are_never_serialised_with_nan() -> None:
    assert json.loads(to_json({"p": 0.5})) == {"p": 0.5}
    with pytest.raises(NonFiniteResultError):
        to_json({"p": float("nan")})


# 3. coercions and YAML 1.1 ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, explanation",
    [
        ("patient: {age: true, sex: male}\n", "yes/no value"),
        (PATIENT + "labs: [{test: calcium, value: true, unit: mmol/L}]\n", "yes/no value"),
        ("patient: {age: 012, sex: male}\n", "octal"),
        ("patient: {age: 1:05, sex: male}\n", "base-60"),
        (PATIENT + "duration_months: 1:30\n", "base-60"),
        ("patient: {age: 50, sex: no}\n", "yes/no value"),
        ("patient: {age: 1_000, sex: male}\n", "underscore"),
        ('patient: {age: "50", sex: male}\n', "valid number"),
    ],
)
def test_coercions_and_yaml_11_tokens_are_refused_with_the_reason(tmp_path: Path, text: str, explanation: str) -> None:
    assert explanation in refused(tmp_path, text)


@pytest.mark.parametrize("value, number", [("'2,5'", "2.5"), ('"0,85"', "0.85"), ("' -1,25 '", "-1.25")])
def test_a_decimal_comma_is_refused_with_the_number_to_write(tmp_path: Path, value: str, number: str) -> None:
    """A French author's '2,5' is not 'not a valid number': the error says the decimal comma and
    the number to write; '1,200' stays the ambiguous-separator error (it may be 1200)."""
    said = refused(tmp_path, PATIENT + f"labs: [{{test: calcium, value: {value}, unit: mmol/L}}]\n")
    assert "decimal comma" in said and f"(expected {number})" in said
    assert "decimal comma" not in refused(tmp_path, PATIENT + "labs: [{test: calcium, value: '1,200', unit: mmol/L}]\n")


def test_a_date_like_id_stays_text(tmp_path: Path, kb: KnowledgeBase) -> None:
    case = read_case(write(tmp_path, "id: 2024-01-01\n" + PATIENT), kb)
    assert case.id == "2024-01-01"


def test_egfr_in_ml_per_min_is_refused_as_a_clearance(tmp_path: Path) -> None:
    err = refused(tmp_path, PATIENT + "labs: [{test: egfr, value: 50, unit: mL/min}]\n")
    assert "clearance" in err and "mL/min/1.73m2" in err


# 6. terminal injection --------------------------------------------------------------------------
HOSTILE_ID = 'id: "[/x] \\e[2J\\e[8m [link=http://example.invalid]click[/link]"\n'
MARKUP_ID = 'id: "[/x] [bold red]alert[/] [link=http://example.invalid]click[/link]"\n'


def test_markup_in_an_id_is_shown_as_text_and_escape_sequences_are_refused(tmp_path: Path) -> None:
    """Rich markup in an id (printable text, which the format allows) reaches the terminal as
    text, not as markup; an id with escape sequences is refused (a hardening audit: ids are
    printable text), and its ESC reaches neither output."""
    path = write(tmp_path, MARKUP_ID + PATIENT)
    result = runner.invoke(app, ["diagnose", str(path)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "[link=http://example.invalid]" in result.stdout and "[bold red]alert[/]" in result.stdout
    err = refused(tmp_path, HOSTILE_ID + PATIENT)
    assert "\x1b" not in err and "U+001B" in err


def test_invisible_and_direction_characters_in_an_id_are_refused_never_printed(tmp_path: Path) -> None:
    """``--json`` printed a right-to-left override, a C1 control and zero-width characters of an
    id as they were (the text output replaced them). Such an id is now refused at input, naming
    the first character, and the message shows the id escaped: none of them reaches the terminal."""
    err = refused(tmp_path, 'id: "a\\u202eb\\x9bc\\u200bd\\ufeff"\n' + PATIENT)  # YAML escapes
    assert not any(ch in err for ch in "\u202e\u009b\u200b\ufeff")
    assert "U+202E (RIGHT-TO-LEFT OVERRIDE)" in err and "\\u202e" in err


def test_evaluate_survives_a_markup_id_and_names_an_unprintable_one(tmp_path: Path) -> None:
    body = PATIENT + "findings: [pain]\nexpected: {category: idiopathic, diagnosis: gout}\n"
    write(tmp_path, MARKUP_ID + body)
    result = runner.invoke(app, ["evaluate", str(tmp_path)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    write(tmp_path, HOSTILE_ID + body, "other.yaml")
    result = runner.invoke(app, ["evaluate", str(tmp_path)], env={"COLUMNS": "200"})
    assert result.exit_code == 2 and "other.yaml" in result.stderr and "U+001B" in result.stderr
    assert "\x1b" not in result.stdout + result.stderr


def test_control_characters_in_a_path_are_not_echoed(tmp_path: Path) -> None:
    result = runner.invoke(app, ["diagnose", str(tmp_path / "no\x1b[2Jcase.yaml")])
    assert result.exit_code == 2 and "\x1b" not in result.stderr


def test_control_characters_in_an_id_never_reach_the_html_report(tmp_path: Path) -> None:
    """An id holding NUL and ESC is refused before any report is written (it used to be written
    into the page, each replaced); the message shows it escaped."""
    case = write(tmp_path, 'id: "a\\0b\\ec"\n' + PATIENT)
    out = tmp_path / "r.html"
    result = runner.invoke(app, ["report", str(case), "-o", str(out)])
    assert result.exit_code == 2 and not out.exists()
    assert "\x00" not in result.stderr and "\x1b" not in result.stderr and "U+0000" in result.stderr


# 7. the knowledge cache -------------------------------------------------------------------------
@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("CALCINOSIS_CACHE_DIR", str(folder))
    load_kb()
    return folder


def _cache_file(folder: Path) -> Path:
    return max(folder.glob("kb-*.json"), key=lambda p: p.stat().st_mtime)


def test_cache_folder_is_private(cache_dir: Path) -> None:
    assert stat.S_IMODE(cache_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(_cache_file(cache_dir).stat().st_mode) & 0o077 == 0


@pytest.mark.parametrize("damage", ["truncate", "empty", "flip_body", "flip_header", "garbage", "pickle"])
def test_a_damaged_cache_is_rebuilt_and_answers_the_same(cache_dir: Path, kb: KnowledgeBase, damage: str) -> None:
    path = _cache_file(cache_dir)
    data = bytearray(path.read_bytes())
    if damage == "truncate":
        data = data[: len(data) // 2]
    elif damage == "empty":
        data = bytearray()
    elif damage == "flip_body":
        data[len(data) // 2] ^= 0x04
    elif damage == "flip_header":
        data[12] ^= 0x01
    elif damage == "garbage":
        data = bytearray(os.urandom(4096))
    else:  # a planted pickle that would run code if unpickled
        import pickle

        data = bytearray(pickle.dumps(os.system))
    path.write_bytes(bytes(data))
    again = load_kb()
    assert again.version == kb.version and (again.frequency == kb.frequency).all()
    assert json.loads(_cache_file(cache_dir).read_bytes().partition(b"\n")[0])["format"] == 1  # rebuilt


def test_a_valid_looking_cache_with_changed_content_is_refused(cache_dir: Path, kb: KnowledgeBase) -> None:
    """A bit flip inside a number (still valid JSON) changes the content digest: rebuilt, not used."""
    path = _cache_file(cache_dir)
    header, _, body = path.read_bytes().partition(b"\n")
    body = body.replace(b'"frequency": 0.8', b'"frequency": 0.1', 1)
    path.write_bytes(header + b"\n" + body)
    again = load_kb()
    assert (again.frequency == kb.frequency).all()


def test_a_cache_folder_others_can_write_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "shared-cache"
    folder.mkdir(mode=0o777)
    folder.chmod(0o777)
    monkeypatch.setenv("CALCINOSIS_CACHE_DIR", str(folder))
    load_kb()
    assert list(folder.iterdir()) == []
    assert not private_dir(folder)


# 8. outputs never overwrite data ------------------------------------------------------------------
def test_report_refuses_to_overwrite_its_input(tmp_path: Path) -> None:
    case = write(tmp_path, PATIENT)
    # --format html: without it the .yaml suffix is refused first (it names neither format)
    result = runner.invoke(app, ["report", str(case), "-o", str(case), "-f", "html"])
    assert result.exit_code == 2 and "input of this command" in result.stderr
    assert runner.invoke(app, ["report", str(case), "-o", str(case)]).exit_code == 2
    assert case.read_text(encoding="utf-8") == PATIENT


def test_report_refuses_an_existing_file_without_force(tmp_path: Path) -> None:
    case = write(tmp_path, PATIENT)
    out = write(tmp_path, "keep me", "out.html")
    result = runner.invoke(app, ["report", str(case), "-o", str(out)])
    assert result.exit_code == 2 and "--force" in result.stderr and out.read_text() == "keep me"
    result = runner.invoke(app, ["report", str(case), "-o", str(out), "--force"])
    assert result.exit_code == 0 and out.read_text().lower().startswith("<!doctype html>")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary left


def test_report_never_follows_a_symlink(tmp_path: Path) -> None:
    case = write(tmp_path, PATIENT)
    target = write(tmp_path, "precious", "target.txt")
    link = tmp_path / "link.html"
    link.symlink_to(target)
    for extra in ([], ["--force"]):
        result = runner.invoke(app, ["report", str(case), "-o", str(link), *extra])
        assert result.exit_code == 2 and "symbolic link" in result.stderr
    assert target.read_text() == "precious"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
@pytest.mark.parametrize(
    "command",
    [
        ["report", "{case}", "-o", "{out}.html"],
        [
            "fhir",
            "import",
            str(Path(__file__).parent / "data" / "fhir" / "dialysis-warfarin-r4.json"),
            "-o",
            "{out}.yaml",
        ],
        ["batch", "{cases}", "--out", "{out}.csv"],
    ],
    ids=["report", "fhir-import", "batch"],
)
def test_force_never_replaces_a_named_pipe(tmp_path: Path, command: list[str]) -> None:
    """A hostile-input audit: ``report -o fifo --force`` exited 0 and the FIFO became a regular
    file (as root it replaced /dev/full). Only a regular file is ever replaced, by every command."""
    cases, out = tmp_path / "cases", tmp_path / "out"
    cases.mkdir()
    out.mkdir()
    case = write(cases, PATIENT)
    args = [part.format(case=case, cases=cases, out=out / "result") for part in command]
    fifo = Path(next(a for a in args if a.startswith(str(out))))
    os.mkfifo(fifo)
    for extra in ([], ["--force"]):
        result = runner.invoke(app, [*args, *extra])
        assert result.exit_code == 2, result.output
        assert f"{fifo}: is not a regular file" in result.stderr and "Traceback" not in result.output
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert [p.name for p in out.iterdir()] == [fifo.name]  # nothing else written, no temporary left


# 9. size limits -------------------------------------------------------------------------------------
def test_a_long_id_is_refused_and_a_long_allowed_one_renders_fast(tmp_path: Path) -> None:
    assert "more than the limit" in refused(tmp_path, f'id: "{"x" * 40_000}"\n' + PATIENT)
    path = write(tmp_path, f'id: "{"[y" * (LIMITS["id_chars"] // 2)}"\n' + PATIENT)
    start = time.perf_counter()
    result = runner.invoke(app, ["diagnose", str(path)])
    assert result.exit_code == 0 and time.perf_counter() - start < 5


def test_a_huge_file_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    text = PATIENT + "# " + "x" * (LIMITS["file_bytes"] + 10) + "\n"
    assert "larger than the limit" in refused(tmp_path, text)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_dev_zero_is_refused(kb: KnowledgeBase) -> None:
    with pytest.raises(CaseValidationError, match="larger than the limit"):
        read_case("/dev/zero", kb)


def test_deep_nesting_is_refused(tmp_path: Path) -> None:
    assert "nested deeper" in refused(tmp_path, "[" * 100_000 + "]" * 100_000, "case.json")
    assert "nest" in refused(tmp_path, "a: " + "[" * 100_000 + "]" * 100_000)
    assert "nested deeper" in refused(tmp_path, "a: " + "[" * 30 + "]" * 30)


def test_a_long_list_is_refused(tmp_path: Path) -> None:
    items = ", ".join(["pain"] * (LIMITS["list_length"] + 1))
    assert "more than the limit" in refused(tmp_path, PATIENT + f"findings: [{items}]\n")


def test_an_alias_bomb_is_refused(tmp_path: Path) -> None:
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]']
    lines += [f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 10)}]" for i in range(8)]
    assert "items" in refused(tmp_path, "\n".join(lines) + "\n")


# 10. messages ---------------------------------------------------------------------------------------
def test_utf16_and_bom_files_are_read(tmp_path: Path) -> None:
    accepted(tmp_path, PATIENT.encode("utf-16"), "u16.yaml")
    accepted(tmp_path, b"\xef\xbb\xbf" + b'{"patient": {"age": 50, "sex": "male"}}', "bom.json")
    accepted(tmp_path, b"\xef\xbb\xbf" + PATIENT.encode(), "bom.yaml")


def test_latin1_file_is_refused_with_the_byte(tmp_path: Path) -> None:
    assert "not UTF-8 text (byte" in refused(tmp_path, "patient: {age: 50, sex: m\xe2le}\n".encode("latin-1"))


def test_symlink_loop_is_named(tmp_path: Path) -> None:
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.symlink_to(b)
    b.symlink_to(a)
    result = runner.invoke(app, ["diagnose", str(a)])
    assert result.exit_code == 2 and "loop of symbolic links" in result.stderr


def test_pregnancy_in_a_male_is_flagged(tmp_path: Path) -> None:
    out = accepted(tmp_path, PATIENT + "history: [pregnancy]\n")
    assert any("pregnancy" in w for w in out["warnings"])  # type: ignore[attr-defined]


def test_dev_cases_still_read(kb: KnowledgeBase) -> None:
    """The strict path refuses nothing that the published dev cases hold."""
    for path in DEV_CASES:
        read_case(path, kb)


def test_a_zero_where_zero_is_no_measurement_is_refused(tmp_path: Path) -> None:
    """Found by the property tests: creatinine 0 mg/dL reached CKD-EPI and divided by zero."""
    assert "is not a measurement" in refused(
        tmp_path, PATIENT + "labs: [{test: creatinine, value: 0.0, unit: mg/dL}]\n"
    )


# 11. a hostile-input audit: what a case cannot be ----------------------------------------------------
@pytest.mark.parametrize(
    "text, said",
    [
        ("patient: {age: 0.1, sex: female}\nduration_months: 5\n", "duration_months 5 is longer"),
        (
            "patient: {age: 0.1, sex: female}\nexposures: [warfarin]\nonset_days_after: {warfarin: 400}\n",
            "onset_days_after.warfarin 400 days is longer",
        ),
        ("patient: {age: 1, sex: female}\nduration_months: 25\n", "duration_months 25 is longer"),
        ("patient: {age: 0.5, sex: female}\nduration_months: 8\n", "duration_months 8 is longer"),
    ],
)
def test_a_time_longer_than_a_fractional_age_is_refused(tmp_path: Path, text: str, said: str) -> None:
    """(age + 1) years were allowed whatever the age: five months of calcinosis at 0.1 years."""
    assert said in refused(tmp_path, text)


@pytest.mark.parametrize(
    "text",
    [
        "patient: {age: 1, sex: female}\nduration_months: 23\n",  # a 1-year-old may be 23 months old
        "patient: {age: 0, sex: female}\nduration_months: 11\n",
        "patient: {age: 0.5, sex: female}\nduration_months: 7\n",  # 0.5 written for 7 months
        "patient: {age: 0.9, sex: female}\nduration_months: 11\n",
        "patient: {age: 0.1, sex: female}\nexposures: [iv_calcium]\nonset_days_after: {iv_calcium: 60}\n",
    ],
)
def test_a_time_within_a_rounded_age_is_read(tmp_path: Path, text: str) -> None:
    accepted(tmp_path, text)


@pytest.mark.parametrize(
    "text, name, said",
    [
        (
            PATIENT + "duration_months: 1" + "0" * 5000 + "\n",
            "case.yaml",
            "line 2: duration_months is a number of 5,001",
        ),
        (PATIENT + "labs: [{test: calcium, value: 9" + "9" * 400 + ", unit: mmol/L}]\n", "case.yaml", "labs[0].value"),
        ('{"patient": {"age": 4' + "0" * 5000 + ', "sex": "male"}}', "case.json", "patient.age is a number of 5,001"),
    ],
    ids=["yaml", "yaml-list-item", "json"],
)
def test_a_number_of_thousands_of_digits_is_out_of_range_at_its_item(
    tmp_path: Path, text: str, name: str, said: str
) -> None:
    """A hostile-input audit: 5,001 digits got Python's own 'Exceeds the limit (4300 digits) ...
    use sys.set_int_max_str_digits()', with no item named."""
    err = refused(tmp_path, text, name)
    assert said in err and "out of range" in err
    assert "sys.set_int_max_str_digits" not in err


@pytest.mark.parametrize(
    "imaging, said",
    [
        ("{modality: radiograph, uptake: true}", "imaging[0].uptake: uptake is read on bone scintigraphy or PET"),
        ("{modality: x_ray, uptake: false}", "not on a radiograph"),
        ("{modality: ct, uptake: true}", "not on a CT scan"),
        ("{modality: ct, distribution: single, symmetric: true}", "imaging[0].symmetric: a single deposit"),
    ],
)
def test_what_an_imaging_study_cannot_show_is_refused_at_its_item(tmp_path: Path, imaging: str, said: str) -> None:
    """A hostile-input audit: uptake on a radiograph and a symmetric single deposit were read as
    evidence (tracer uptake exists on scintigraphy and PET only; one deposit has no mirror image)."""
    assert said in refused(tmp_path, PATIENT + f"imaging: [{imaging}]\n")


@pytest.mark.parametrize(
    "imaging",
    [
        "{modality: bone_scintigraphy, uptake: true}",
        "{modality: pet, uptake: false}",
        "{modality: ct, distribution: single, symmetric: false}",
        "{modality: ct, distribution: widespread, symmetric: true}",
    ],
)
def test_what_an_imaging_study_can_show_is_read(tmp_path: Path, imaging: str) -> None:
    accepted(tmp_path, PATIENT + f"imaging: [{imaging}]\n")


def test_the_french_reader_names_the_modality_uptake_is_not_read_on(tmp_path: Path, kb: KnowledgeBase) -> None:
    with pytest.raises(CaseValidationError) as caught:
        read_case(write(tmp_path, PATIENT + "imaging: [{modality: ultrasound, uptake: true}]\n"), kb, lang="fr")
    assert caught.value.issues[0].location == "imaging[0].uptake"
    assert (
        caught.value.issues[0].message
        == "la fixation se lit en scintigraphie osseuse ou en TEP, pas sur une échographie"
    )


def test_a_term_given_twice_is_kept_once_and_said(tmp_path: Path, kb: KnowledgeBase) -> None:
    """A hostile-input audit: [dialysis, dialysis], [pain, pain] and imaging patterns [linear,
    linear] were merged without a word."""
    text = (
        PATIENT
        + "history: [dialysis, dialyse]\nfindings: [pain, pain]\nabsent: [fever, fever]\n"
        + "imaging: [{modality: ct, patterns: [linear, sheet, linear]}]\n"
    )
    case = read_case(write(tmp_path, text), kb)
    assert (case.history, case.findings, case.absent) == (["dialysis"], ["pain"], ["fever"])
    assert case.imaging[0].patterns == ["linear", "sheet"]
    warnings = accepted(tmp_path, text)["warnings"]
    assert isinstance(warnings, list)
    for said in (
        "history[1]: dialysis repeats history[0]; the case keeps it once",
        "findings[1]: pain repeats findings[0]",
        "absent[1]: fever repeats absent[0]",
        "imaging[0].patterns[2]: linear repeats imaging[0].patterns[0]",
    ):
        assert any(w.startswith(said) for w in warnings), said


def test_a_term_given_twice_is_said_in_french(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["diagnose", str(write(tmp_path, PATIENT + "findings: [pain, pain]\n")), "--json", "--lang", "fr"]
    )
    assert result.exit_code == 0
    assert (
        "findings[1]\xa0: douleur répète findings[0]\u202f; le cas ne le garde qu'une fois"
        in json.loads(result.stdout)["warnings"]
    )


@pytest.mark.parametrize(
    ("lab", "said"),
    [
        (
            "{test: creatinine, value: 1e-300, unit: umol/L}",
            "labs[0].value: creatinine 1e-300 umol/L is below any measurable value (1e-300 µmol/L, more than 10x"
            " below the smallest plausible value 10 µmol/L)",
        ),
        (
            "{test: calcium, value: 0.01, unit: mg/dL}",
            "labs[0].value: calcium 0.01 mg/dL is below any measurable value (0.0025 mmol/L, more than 10x below"
            " the smallest plausible value 0.5 mmol/L)",
        ),
    ],
)
def test_a_value_below_any_measurable_one_is_refused(tmp_path: Path, lab: str, said: str) -> None:
    """A hostile-input audit: 0 was refused but 1e-300 was read and used (creatinine 1e-300 umol/L
    gave an eGFR). Below a tenth of the smallest plausible value, as above ten times the largest,
    a value is refused, located and said in the unit written and in SI."""
    assert said in refused(tmp_path, PATIENT + f"labs: [{lab}]\n").replace("\n   ", "").replace("\n  ", " ")


def test_a_low_but_measurable_value_is_warned_not_refused(tmp_path: Path) -> None:
    """Between a tenth of the smallest plausible value and that value the reading is kept, with
    its warning (units.yaml: plausible bounds warn, never correct): calcium 0.3 mmol/L."""
    out = accepted(tmp_path, PATIENT + "labs: [{test: calcium, value: 0.3, unit: mmol/L}]\n")
    assert out["labs"]["tests"]["calcium"]["readings"][0]["value_si"] == 0.3  # type: ignore[index]
    assert any("physiologically plausible range" in w for w in out["warnings"])  # type: ignore[attr-defined]


def test_a_unit_slip_below_the_measurable_still_names_the_unit_that_fits(tmp_path: Path) -> None:
    """A code review: creatinine 0.9 entered under µmol/L (the commonest slip, mg/dL meant) lost
    its 'plausible in mg/dL' once values below any measurable one were refused first."""
    out = refused(tmp_path, PATIENT + "labs: [{test: creatinine, value: 0.9, unit: µmol/L}]\n")
    assert "labs[0].unit" in out and "plausible in mg/dL" in out
