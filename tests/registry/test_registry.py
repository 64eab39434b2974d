"""The registry on SQLite and PostgreSQL: recording, response, due, import atomicity, export,
audit, concurrency, migrations, backup."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from calcinosis import KnowledgeBase, read_case
from calcinosis.cli.main import app as cli
from calcinosis.registry import store
from calcinosis.registry.db import RegistryError, check_ready, migrate, open_engine, schema_revision, session_scope
from calcinosis.registry.models import Audit, LesionMeasurement, Patient, Visit
from calcinosis.registry.response import classify, cohort_summary, due, patient_response
from calcinosis.registry.transfer import REDCAP_HEADER, export_redcap, export_visits, import_lesions, import_manifest

from ..conftest import SHARED

D = dt.date
CREST = SHARED / "cases" / "dev-003-crest-fingertips.yaml"
DATA = Path(__file__).resolve().parents[1] / "data" / "registry"


def _count(engine: Engine, model: type) -> int:
    with session_scope(engine) as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def _follow_up(engine: Engine, kb: KnowledgeBase, *, second_area: float) -> None:
    case = read_case(CREST, kb)
    with session_scope(engine) as s:
        p = store.add_patient(s, "P001", actor="dr-a", sex="female", birth_year=1960)
        store.add_visit(s, p, case, kb, date=D(2025, 1, 10), actor="dr-a")
        store.add_visit(s, p, case, kb, date=D(2025, 7, 12), actor="dr-a")
        store.record_lesion(
            s,
            p,
            kb,
            date=D(2025, 1, 10),
            label="L1",
            site="fingertips",
            area_cm2=2.0,
            pain_vas=6,
            ulcerated=True,
            actor="dr-a",
        )
        store.record_lesion(
            s, p, kb, date=D(2025, 7, 12), label="L1", area_cm2=second_area, pain_vas=3, ulcerated=False, actor="dr-a"
        )
        store.record_lesion(
            s, p, kb, date=D(2025, 1, 10), label="elbow", site="elbow", largest_dimension_mm=10, actor="dr-a"
        )
        store.record_lesion(s, p, kb, date=D(2025, 7, 12), label="elbow", largest_dimension_mm=10.5, actor="dr-a")
        store.add_treatment(s, p, kb, "diltiazem", start=D(2025, 2, 1), dose="60 mg three times a day", actor="dr-a")
        store.add_treatment(s, p, kb, "colchicine", start=D(2024, 1, 1), stop=D(2024, 6, 1), actor="dr-a")


def test_a_followed_patient_and_the_response(engine: Engine, kb: KnowledgeBase) -> None:
    _follow_up(engine, kb, second_area=1.2)
    with session_scope(engine) as s:
        result = patient_response(s, store.get_patient(s, "P001"))
        visit = s.scalars(select(Visit).order_by(Visit.date)).first()
        assert visit is not None and visit.result is not None  # the stored result object (loaded when read)
        assert visit.result["differential"][0]["diagnosis"] == visit.leading_diagnosis == "systemic_sclerosis"
        assert visit.kb_version == kb.version and visit.code_version
    lesions = {r.label: r for r in result.lesions}
    assert lesions["L1"].measure == "area_cm2" and lesions["L1"].change_from_baseline == pytest.approx(-0.4)
    assert lesions["L1"].response == "improved" and lesions["L1"].ulcer == "healed"
    assert (lesions["L1"].vas_baseline, lesions["L1"].vas_latest) == (6, 3)
    assert lesions["elbow"].measure == "largest_dimension_mm" and lesions["elbow"].response == "stable"
    # the interval overlaps diltiazem, not colchicine (stopped before it)
    assert lesions["L1"].intervals[0].treatments == ["diltiazem"]
    assert result.response == "improved" and "Valenzuela 2022" in result.basis
    assert _count(engine, Audit) == 1 + 2 + 2 + 4 + 2  # patient, visits, lesions created, measurements, treatments


@pytest.mark.parametrize(
    ("change", "expected"),
    [(0.26, "progression"), (0.25, "stable"), (-0.25, "stable"), (-0.26, "improved"), (None, "not_measurable")],
)
def test_response_thresholds(change: float | None, expected: str) -> None:
    assert classify(change) == expected


def test_who_is_due(engine: Engine, kb: KnowledgeBase) -> None:
    _follow_up(engine, kb, second_area=3.0)
    with session_scope(engine) as s:
        store.add_patient(s, "P002", actor="dr-a")
        rows = {(r.patient, r.check): r for r in due(s, kb, D(2026, 2, 1))}
    assert rows[("P001", "clinical_review")].status == "overdue"  # 204 days > 183
    assert rows[("P001", "imaging")].status == "never_done"
    assert rows[("P002", "clinical_review")].status == "never_done"
    with session_scope(engine) as s:
        assert {
            r.status for r in due(s, kb, D(2025, 8, 1)) if r.patient == "P001" and r.check == "clinical_review"
        } == {"not_yet"}


def test_a_newborn_read_in_its_form_is_due_for_its_calcium(engine: Engine, kb: KnowledgeBase) -> None:
    """A newborn whose latest visit read fat necrosis in its newborn form is due for the form's
    calcium checks (every 1-2 weeks: followup.yaml by_form), not the adults' review in 3-6
    months or yearly imaging; an adult with the same leading diagnosis keeps the general plan."""
    from calcinosis import parse_case

    newborn = parse_case(
        {
            "patient": {"age": 0.06, "sex": "male"},
            "findings": ["palpable_nodules"],
            "sites": ["back", "buttock"],
            "labs": [{"test": "calcium", "interpretation": "high"}],
        },
        kb,
    )
    adult = parse_case(
        {
            "patient": {"age": 58, "sex": "female"},
            "findings": ["palpable_nodules"],
            "history": ["trauma_local"],
            "sites": ["breast"],
            "imaging": [{"modality": "mammography", "sites": ["breast"], "patterns": ["ring"]}],
        },
        kb,
    )
    with session_scope(engine) as s:
        for code, case in (("N001", newborn), ("A001", adult)):
            p = store.add_patient(s, code, actor="dr-a")
            store.add_visit(s, p, case, kb, date=D(2026, 1, 5), actor="dr-a")
        rows = due(s, kb, D(2026, 1, 15))
    newborn_rows = {r.check: r for r in rows if r.patient == "N001"}
    assert set(newborn_rows) == {"scfn_calcium"} and newborn_rows["scfn_calcium"].status == "due"  # 10 days
    assert newborn_rows["scfn_calcium"].due == D(2026, 1, 12)
    assert {r.check for r in rows if r.patient == "A001"} == {"clinical_review", "imaging"}
    with session_scope(engine) as s:
        late = {r.check: r.status for r in due(s, kb, D(2026, 1, 25)) if r.patient == "N001"}
    assert late == {"scfn_calcium": "overdue"}  # 20 days > 14


def test_a_deposit_after_a_calcium_infusion_is_due_for_its_site_review(
    engine: Engine, kb: KnowledgeBase, shared: Path
) -> None:
    """A patient whose latest visit led with calcinosis after intravenous calcium is due for the
    infusion site's review every 1-2 weeks (followup.yaml by_diagnosis), not the 3-6-monthly
    review and yearly imaging of chronic calcinosis."""
    case = read_case(shared / "cases" / "dev-019-neonatal-calcium-gluconate-leg.yaml", kb)
    with session_scope(engine) as s:
        store.add_visit(s, store.add_patient(s, "X001", actor="dr-a"), case, kb, date=D(2026, 1, 5), actor="dr-a")
        rows = {r.check: r.status for r in due(s, kb, D(2026, 1, 20)) if r.patient == "X001"}
        late = {r.check: r.status for r in due(s, kb, D(2026, 2, 20)) if r.patient == "X001"}
    assert rows == {"extravasation_site_review": "due"}  # 15 days
    assert late == {"extravasation_site_review": "overdue"}  # 46 days > 35


def test_a_calciphylaxis_patient_is_due_for_the_weekly_review_alone(
    engine: Engine, kb: KnowledgeBase, shared: Path
) -> None:
    """Calciphylaxis: the weekly wound review (with its blood tests) stands for the 3-6-monthly
    review and the yearly imaging, which are not listed as due beside it."""
    case = read_case(shared / "cases" / "dev-024-calciphylaxis-pd-calves.yaml", kb)
    with session_scope(engine) as s:
        store.add_visit(s, store.add_patient(s, "C001", actor="dr-a"), case, kb, date=D(2026, 1, 5), actor="dr-a")
        rows = {r.check: r.status for r in due(s, kb, D(2026, 1, 14)) if r.patient == "C001"}
    assert rows == {"wound_review": "due"}  # 9 days: due after 7


def test_refusals_change_nothing(engine: Engine, kb: KnowledgeBase) -> None:
    _follow_up(engine, kb, second_area=1.0)
    before = _count(engine, Audit)
    case = read_case(CREST, kb)
    attempts = [
        (lambda s: store.add_patient(s, "P001", actor="x"), "already in the registry"),
        (lambda s: store.add_patient(s, "Jean Dupont", actor="x"), "pseudonym"),
        (lambda s: store.get_patient(s, "P00l"), "closest: P001"),
        (
            lambda s: store.add_visit(s, store.get_patient(s, "P001"), case, kb, date=D(2025, 7, 12), actor="x"),
            "already has a visit",
        ),
        (
            lambda s: store.record_lesion(
                s, store.get_patient(s, "P001"), kb, date=D(2025, 7, 12), label="L1", pain_vas=11, actor="x"
            ),
            "pain",
        ),
        (
            lambda s: store.record_lesion(
                s, store.get_patient(s, "P001"), kb, date=D(2025, 7, 12), label="L9", site="fingertipz", actor="x"
            ),
            "closest: fingertips",
        ),
        (
            lambda s: store.record_lesion(
                s, store.get_patient(s, "P001"), kb, date=D(2025, 3, 3), label="L1", actor="x"
            ),
            "no visit on 2025-03-03",
        ),
        (
            lambda s: store.add_treatment(
                s, store.get_patient(s, "P001"), kb, "diltiazemm", start=D(2025, 1, 1), actor="x"
            ),
            "closest: diltiazem",
        ),
        (lambda s: store.parse_date("2999-01-01", "--date"), "future"),
        (lambda s: store.parse_date("12/01/2025", "--date"), "YYYY-MM-DD"),
    ]
    for attempt, message in attempts:
        with pytest.raises(RegistryError, match=message), session_scope(engine) as s:
            attempt(s)
    assert _count(engine, Audit) == before


def test_a_refused_patient_is_said_in_french_too(engine: Engine, kb: KnowledgeBase) -> None:
    """What the web form and the API can send (a code, a team, a sex, a birth year, identity
    items, an unknown code) is refused in the reader's language, not only in English."""
    _follow_up(engine, kb, second_area=1.0)
    attempts = [
        (lambda s: store.add_patient(s, "Jean Dupont", actor="x"), "pseudonyme"),
        (lambda s: store.add_patient(s, "P777", actor="x", team="a team"), "équipe"),
        (lambda s: store.add_patient(s, "P777", actor="x", sex="m"), "sexe « m »"),
        (lambda s: store.add_patient(s, "P777", actor="x", birth_year=1700), "année de naissance 1700"),
        (lambda s: store.add_patient(s, "P777", actor="x", identity={"nom": "x"}), "éléments inconnus nom"),
        (lambda s: store.get_patient(s, "P00l"), "aucun patient « P00l » dans le registre"),
    ]
    for attempt, french in attempts:
        with pytest.raises(RegistryError) as caught, session_scope(engine) as s:
            attempt(s)
        text = caught.value.text("fr").replace("\u00a0", " ").replace("\u202f", " ")  # French spacing
        assert french in text
        assert "expected" not in text and "closest" not in text


def test_an_age_that_does_not_follow_from_another_visit_is_refused(engine: Engine, kb: KnowledgeBase) -> None:
    """A hostile-input audit: for a patient without a birth year, ages 24 on 2024-01-01, 60 a
    month later and 24 five years before were all recorded. Ages that a whole-year rounding
    explains (24, then 25 eleven months later) are recorded."""
    case = read_case(CREST, kb)
    aged = {
        age: case.model_copy(update={"patient": case.patient.model_copy(update={"age": age})}) for age in (24, 25, 60)
    }
    with session_scope(engine) as s:
        p = store.add_patient(s, "Q1", actor="dr-a", sex="female")
        store.add_visit(s, p, aged[24], kb, date=D(2024, 1, 1), actor="dr-a")
    for age, date, said in (
        (60, D(2024, 2, 1), "age (60) does not fit the visit of 2024-01-01 (age 24 years then, so about 24 years at"),
        (24, D(2019, 1, 1), "age (24) does not fit the visit of 2024-01-01 (age 24 years then, so about 19 years at"),
    ):
        with pytest.raises(RegistryError, match=re.escape(said)), session_scope(engine) as s:
            store.add_visit(s, store.get_patient(s, "Q1"), aged[age], kb, date=date, actor="dr-a")
    with session_scope(engine) as s:
        store.add_visit(s, store.get_patient(s, "Q1"), aged[25], kb, date=D(2024, 12, 1), actor="dr-a")
        store.add_visit(s, store.get_patient(s, "Q1"), aged[24], kb, date=D(2023, 2, 1), actor="dr-a")
    with pytest.raises(RegistryError) as caught, session_scope(engine) as s:
        store.add_visit(s, store.get_patient(s, "Q1"), aged[60], kb, date=D(2024, 3, 1), actor="dr-a")
    assert "ne correspond pas à la visite du 2023-02-01 (24 ans alors, donc environ 25 ans" in caught.value.text("fr")
    # a fraction in French, with its comma, and an infant's age in months (a code review read '0.6 ans')
    said = RegistryError.said(
        "reg_err_visit_age_visit", age=2.5, other_years=0.5, date="2024-01-01", expected_years=0.6
    )
    assert "(2,5)" in said.text("fr") and "(6 mois alors, donc environ 7 mois" in said.text("fr")
    assert _count(engine, Visit) == 3


def _manifest(tmp_path: Path, rows: list[str]) -> Path:
    shutil.copy(CREST, tmp_path / "crest.yaml")
    (tmp_path / "bad.yaml").write_text("patient: {age: 40, sex: female}\nfindings: [raynod]\n", encoding="utf-8")
    path = tmp_path / "visits.csv"
    path.write_text("patient,date,case,sex\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_import_is_all_or_nothing(engine: Engine, kb: KnowledgeBase, tmp_path: Path) -> None:
    good = _manifest(
        tmp_path, ["A1,2025-01-01,crest.yaml,female", "A1,2025-06-01,crest.yaml,", "A2,2025-02-01,crest.yaml,female"]
    )
    with session_scope(engine) as s:
        assert import_manifest(s, good, kb, actor="import") == {"visits": 3, "patients": 2}
    before = (_count(engine, Patient), _count(engine, Visit), _count(engine, Audit))
    bad = _manifest(
        tmp_path, ["B1,2025-01-01,crest.yaml,female", "B1,2025-02-01,bad.yaml,", "B2,2025-03-01,crest.yaml,"]
    )
    with pytest.raises(RegistryError, match=r"row 3, column case: .*nothing was imported"), session_scope(engine) as s:
        import_manifest(s, bad, kb, actor="import")
    assert (_count(engine, Patient), _count(engine, Visit), _count(engine, Audit)) == before


def test_an_import_killed_half_way_leaves_the_registry_as_it_was(
    engine: Engine, kb: KnowledgeBase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest = _manifest(tmp_path, [f"K{i},2025-01-0{i + 1},crest.yaml," for i in range(5)])
    calls = {"n": 0}
    original = store.add_visit

    def dying(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt  # the process is stopped in the middle of the file
        return original(*args, **kwargs)

    monkeypatch.setattr(store, "add_visit", dying)
    with pytest.raises(KeyboardInterrupt), session_scope(engine) as s:
        import_manifest(s, manifest, kb, actor="import")
    assert _count(engine, Patient) == _count(engine, Visit) == _count(engine, Audit) == 0


def test_export_csv_and_jsonl(engine: Engine, kb: KnowledgeBase, tmp_path: Path) -> None:
    _follow_up(engine, kb, second_area=2.0)
    with session_scope(engine) as s:
        assert export_visits(s, tmp_path / "v.csv") == 2
        assert export_visits(s, tmp_path / "v.jsonl") == 2
    lines = (tmp_path / "v.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("patient,date,category") and lines[1].startswith(
        "P001,2025-01-10,dystrophic,systemic_sclerosis"
    )
    first = json.loads((tmp_path / "v.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert (
        first["result"]["differential"][0]["diagnosis"] == "systemic_sclerosis"
        and first["case"]["patient"]["age"] == 65
    )
    with pytest.raises(Exception, match="exists"), session_scope(engine) as s:
        export_visits(s, tmp_path / "v.csv")


def test_hostile_text_is_stored_as_text(engine: Engine, kb: KnowledgeBase) -> None:
    """SQL and script strings in free-text fields are data: stored and read back unchanged."""
    hostile = "'); DROP TABLE patient; -- <script>alert(1)</script>"
    _follow_up(engine, kb, second_area=2.0)
    with session_scope(engine) as s:
        store.add_treatment(
            s,
            store.get_patient(s, "P001"),
            kb,
            "diltiazem",
            start=D(2025, 8, 1),
            dose=hostile,
            adverse_events=hostile,
            actor=hostile,
        )
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Patient)) == 1
        assert s.scalar(select(Audit.actor).order_by(Audit.id.desc())) == hostile


def test_eight_concurrent_writers_lose_nothing(engine: Engine, kb: KnowledgeBase) -> None:
    """8 threads add visits and lesion measurements to the same 4 patients at once."""
    case = read_case(CREST, kb)
    with session_scope(engine) as s:
        for i in range(4):
            store.add_patient(s, f"C{i}", actor="setup")
    errors: list[BaseException] = []

    def writer(w: int) -> None:
        try:
            for k in range(5):
                day = D(2024, 1, 1) + dt.timedelta(days=w * 10 + k)
                code = f"C{(w + k) % 4}"
                with session_scope(engine) as s:
                    p = store.get_patient(s, code)
                    store.add_visit(s, p, case, kb, date=day, actor=f"w{w}")
                    store.record_lesion(s, p, kb, date=day, label=f"W{w}", site="hand", area_cm2=1.0 + k, actor=f"w{w}")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert _count(engine, Visit) == 40 and _count(engine, LesionMeasurement) == 40
    with session_scope(engine) as s:
        audited = s.scalar(
            select(func.count()).select_from(Audit).where(Audit.entity.in_(["visit", "lesion_measurement"]))
        )
    assert audited == 80


def test_schema_check_and_idempotent_migration(registry_url: str) -> None:
    engine = open_engine(registry_url)
    with pytest.raises(RegistryError, match="registry init"):
        check_ready(engine)
    migrate(engine)
    migrate(engine)  # again: nothing to do
    check_ready(engine)
    assert schema_revision(engine) == "0004"
    engine.dispose()


def test_a_first_version_registry_upgrades_with_its_data(tmp_path: Path) -> None:
    """The fixture database was made by migration 0001 and holds a patient with two visits."""
    copy = tmp_path / "old.sqlite3"
    shutil.copy(DATA / "registry-0001.sqlite3", copy)
    engine = open_engine(f"sqlite:///{copy}")
    migrate(engine)
    check_ready(engine)
    assert _count(engine, Patient) == 1 and _count(engine, Visit) == 2
    engine.dispose()


def test_cli_session_backup_and_restore(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'r.sqlite3'}"
    monkeypatch.setenv("CALCINOSIS_USER", "dr-cli")
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(cli, ["registry", *args, "--db", url])
        assert result.exit_code == 0, result.stderr
        return result.stdout

    run("init")
    run("add-patient", "P9", "--sex", "female")
    run("add-visit", "P9", str(CREST), "--date", "2025-03-01")
    run("add-lesion", "P9", "--date", "2025-03-01", "--label", "L1", "--site", "hand", "--size-mm", "12", "--vas", "4")
    assert "never_done" in run("due", "--today", "2025-05-01")
    response = json.loads(run("response", "P9", "--json"))
    assert response["lesions"][0]["response"] == "not_measurable"  # one visit: no change yet
    run("backup", str(tmp_path / "b.sqlite3"))
    nowhere = runner.invoke(cli, ["registry", "backup", str(tmp_path / "no" / "b.sqlite3"), "--db", url])
    assert nowhere.exit_code == 2 and "does not exist" in nowhere.stderr and "Traceback" not in nowhere.output
    run("add-patient", "P10")
    refused = runner.invoke(cli, ["registry", "restore", str(tmp_path / "b.sqlite3"), "--db", url])
    assert refused.exit_code == 2 and "--force" in refused.stderr
    run("restore", str(tmp_path / "b.sqlite3"), "--force")
    with sqlite3.connect(tmp_path / "r.sqlite3") as conn:
        assert [r[0] for r in conn.execute("SELECT code FROM patient")] == ["P9"]
        actors = {r[0] for r in conn.execute("SELECT actor FROM audit")}
    assert actors == {"dr-cli"}
    bad = runner.invoke(cli, ["registry", "add-patient", "P11", "--db", "mysql://x@y/z"])
    assert bad.exit_code == 2 and "SQLite or PostgreSQL" in bad.stderr and "Traceback" not in bad.stderr


def test_a_backup_never_follows_a_link_nor_replaces_a_pipe(tmp_path: Path) -> None:
    """A hostile-input audit: 'registry backup o/link.db' wrote the copy through a (dangling)
    symbolic link, where every other output refuses one. The backup follows the same rules."""
    url = f"sqlite:///{tmp_path / 'r.sqlite3'}"
    runner = CliRunner()
    assert runner.invoke(cli, ["registry", "init", "--db", url]).exit_code == 0
    out = tmp_path / "o"
    out.mkdir()
    dangling, to_file = out / "link.db", out / "to-file.db"
    dangling.symlink_to("made_through_link.db")
    (out / "kept.db").write_text("precious")
    to_file.symlink_to("kept.db")
    for link in (dangling, to_file):
        refused = runner.invoke(cli, ["registry", "backup", str(link), "--db", url])
        assert refused.exit_code == 2 and f"{link}: is a symbolic link" in refused.stderr, refused.output
    assert sorted(p.name for p in out.iterdir()) == ["kept.db", "link.db", "to-file.db"]
    assert (out / "kept.db").read_text() == "precious"
    if hasattr(os, "mkfifo"):
        os.mkfifo(out / "fifo")
        refused = runner.invoke(cli, ["registry", "backup", str(out / "fifo"), "--db", url])
        assert refused.exit_code == 2 and "not a regular file" in refused.stderr


def test_redcap_export(engine: Engine, kb: KnowledgeBase, tmp_path: Path) -> None:
    """A data dictionary REDCap reads (its 18 columns; every record column defined) and the records."""
    import csv

    _follow_up(engine, kb, second_area=1.2)
    with session_scope(engine) as s:
        assert export_redcap(s, tmp_path / "redcap") == 1
    with (tmp_path / "redcap" / "data_dictionary.csv").open(encoding="utf-8", newline="") as f:
        dictionary = list(csv.reader(f))
    assert tuple(dictionary[0]) == REDCAP_HEADER and all(len(row) == 18 for row in dictionary)
    defined = {row[0] for row in dictionary[1:]}
    with (tmp_path / "redcap" / "records.csv").open(encoding="utf-8", newline="") as f:
        records = list(csv.DictReader(f))
    assert set(records[0]) - {"redcap_repeat_instrument", "redcap_repeat_instance"} <= defined
    visits = [r for r in records if r["redcap_repeat_instrument"] == "visit"]
    lesions = [r for r in records if r["redcap_repeat_instrument"] == "lesion_measurement"]
    assert [v["visit_date"] for v in visits] == ["2025-01-10", "2025-07-12"]
    assert len(lesions) == 4 and {r["lesion_ulcerated"] for r in lesions if r["lesion_label"] == "L1"} == {"1", "0"}
    assert "Dupont" not in (tmp_path / "redcap" / "records.csv").read_text(encoding="utf-8")


def test_lesion_import_is_all_or_nothing(engine: Engine, kb: KnowledgeBase, tmp_path: Path) -> None:
    _follow_up(engine, kb, second_area=1.0)
    good = tmp_path / "lesions.csv"
    good.write_text(
        'patient,date,label,site,area_cm2,ulcerated,vas\nP001,2025-01-10,L7,hand,"1,5",oui,4\nP001,2025-07-12,L7,,2.5,no,2\n',
        encoding="utf-8",
    )
    with session_scope(engine) as s:
        assert import_lesions(s, good, kb, actor="import") == 2
    with session_scope(engine) as s:
        l7 = next(r for r in patient_response(s, store.get_patient(s, "P001")).lesions if r.label == "L7")
    assert (l7.baseline, l7.latest, l7.ulcer, l7.response) == (1.5, 2.5, "healed", "progression")
    before = _count(engine, LesionMeasurement)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "patient,date,label,site,vas\nP001,2025-01-10,L8,hand,3\nP001,2025-07-12,L8,,eleven\n", encoding="utf-8"
    )
    with pytest.raises(RegistryError, match="row 3, column vas"), session_scope(engine) as s:
        import_lesions(s, bad, kb, actor="import")
    assert _count(engine, LesionMeasurement) == before
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("patient,when,label\n", encoding="utf-8")
    with pytest.raises(RegistryError, match="missing date; unknown 'when'"), session_scope(engine) as s:
        import_lesions(s, wrong, kb, actor="import")


def test_patient_summary_pdf(engine: Engine, kb: KnowledgeBase, tmp_path: Path) -> None:
    """The summary PDF holds the response and the chart, in French without English words."""
    import subprocess

    from calcinosis.registry.summary import patient_summary_html, patient_summary_pdf

    from ..test_french import problems

    _follow_up(engine, kb, second_area=1.2)
    with session_scope(engine) as s:
        patient = store.get_patient(s, "P001")
        html = patient_summary_html(s, patient, kb, lang="fr")
        pdf = patient_summary_pdf(s, patient, kb, lang="fr")
    assert pdf.startswith(b"%PDF-") and "data:image/png;base64," in html
    (tmp_path / "s.pdf").write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "s.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "amélioration" in text and "Sclérodermie systémique" in text and "Diltiazem" in text
    assert not problems(text, kb, typography=False)


def test_cohort_summary_agrees_with_each_patients_response(engine: Engine, kb: KnowledgeBase) -> None:
    _follow_up(engine, kb, second_area=1.2)  # improved, on diltiazem and colchicine
    case = read_case(CREST, kb)
    with session_scope(engine) as s:
        p2 = store.add_patient(s, "P002", actor="t")
        for day, area in ((D(2025, 1, 1), 1.0), (D(2025, 6, 1), 2.0)):
            store.add_visit(s, p2, case, kb, date=day, actor="t")
            store.record_lesion(s, p2, kb, date=day, label="A", site="hand", area_cm2=area, actor="t")
        store.add_treatment(s, p2, kb, "diltiazem", start=D(2025, 1, 2), actor="t")
        store.add_patient(s, "P003", actor="t")
    with session_scope(engine) as s:
        overall, by_treatment = cohort_summary(s)
        each = [patient_response(s, p).response for p in s.scalars(select(Patient))]
    assert overall == {"improved": 1, "stable": 0, "progression": 1, "not_measurable": 1}
    assert sorted(each) == ["improved", "not_measurable", "progression"]
    assert by_treatment["diltiazem"] == {"improved": 1, "stable": 0, "progression": 1, "not_measurable": 0}
    assert by_treatment["colchicine"]["improved"] == 1


def test_teams_share_codes_and_the_cli_asks_which(engine: Engine, kb: KnowledgeBase) -> None:
    with session_scope(engine) as s:
        store.add_patient(s, "P1", actor="t", team="a")
        store.add_patient(s, "P1", actor="t", team="b")
    with pytest.raises(RegistryError, match="several teams"), session_scope(engine) as s:
        store.get_patient(s, "P1")
    with session_scope(engine) as s:
        assert store.get_patient(s, "P1", "b").team == "b"
        assert [r.patient for r in due(s, kb, D(2026, 1, 1), team="a")] == ["P1", "P1"]
    with pytest.raises(RegistryError, match="already in the registry"), session_scope(engine) as s:
        store.add_patient(s, "P1", actor="t", team="a")


def test_imaging_followed_across_studies(engine: Engine, kb: KnowledgeBase) -> None:
    """Two CT measurements of the same limb: every deposit matched, no change; the note says how."""
    from calcinosis.imaging.measure import measure_volume
    from calcinosis.registry.imaging_course import NOT_ALIGNED, imaging_course

    from ..imaging.phantoms import limb_phantom

    volume, _ = limb_phantom(shape=(24, 160, 160), spacing=(1.0, 1.0, 1.0))
    result, _ = measure_volume(volume, threshold=130.0)
    payload = result.model_dump(mode="json")
    _follow_up(engine, kb, second_area=1.0)
    with session_scope(engine) as s:
        p = store.get_patient(s, "P001")
        store.add_imaging(s, p, date=D(2025, 1, 10), result=payload, actor="t")
        store.add_imaging(s, p, date=D(2025, 7, 12), result=payload, actor="t")
    with session_scope(engine) as s:
        studies, steps = imaging_course(store.get_patient(s, "P001"))
    assert [r.date for r in studies] == [D(2025, 1, 10), D(2025, 7, 12)] and studies[0].deposits == len(result.deposits)
    assert len(steps) == 1 and steps[0].total_change_percent == pytest.approx(0.0)
    assert steps[0].matched == len(result.deposits) and steps[0].new == steps[0].vanished == 0
    assert steps[0].note == NOT_ALIGNED


def test_backup_and_restore_round_trip(engine: Engine, kb: KnowledgeBase, tmp_path: Path) -> None:
    """On both backends: back up, change, restore: the registry is as it was at the backup."""
    from calcinosis.registry.transfer import backup, restore

    _follow_up(engine, kb, second_area=1.2)
    backup(engine, tmp_path / "registry.backup")
    with session_scope(engine) as s:
        store.add_patient(s, "LATER", actor="t")
    with pytest.raises(RegistryError, match="--force"):
        restore(engine, tmp_path / "registry.backup", force=False)
    restore(engine, tmp_path / "registry.backup", force=True)
    with session_scope(engine) as s:
        assert [p.code for p in s.scalars(select(Patient))] == ["P001"]
        assert patient_response(s, store.get_patient(s, "P001")).response == "improved"
    with pytest.raises(RegistryError, match="already exists"):
        backup(engine, tmp_path / "registry.backup")


def test_the_clinicians_diagnosis_beside_the_engines(engine: Engine, kb: KnowledgeBase) -> None:
    from calcinosis.registry.models import ClinicalDiagnosis

    _follow_up(engine, kb, second_area=1.0)
    with session_scope(engine) as s:
        p = store.get_patient(s, "P001")
        store.record_diagnosis(s, p, kb, "overlap_syndrome", date=D(2025, 8, 1), actor="dr-a")
    with session_scope(engine) as s:
        row = s.scalar(select(ClinicalDiagnosis))
        assert row is not None and row.diagnosis == "overlap_syndrome"
        assert (
            row.engine_suggestion == "systemic_sclerosis"
            and row.engine_probability is not None
            and row.kb_version == kb.version
        )
    with pytest.raises(RegistryError, match="closest: systemic_sclerosis"), session_scope(engine) as s:
        store.record_diagnosis(s, store.get_patient(s, "P001"), kb, "systemic_sclerosys", date=D(2025, 8, 1), actor="x")


def test_an_unreachable_database_is_a_clear_error(tmp_path: Path) -> None:
    """No traceback: a registry that cannot be reached, or a write that conflicts, is a RegistryError."""
    engine = open_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    with pytest.raises(RegistryError, match="busy or unreachable"), session_scope(engine) as s:
        s.execute(select(Patient.id))
    engine.dispose()
    runner = CliRunner()
    result = runner.invoke(
        cli, ["registry", "add-patient", "P1", "--db", "postgresql+psycopg://nobody@127.0.0.1:1/none"]
    )
    assert result.exit_code == 2 and "Traceback" not in result.stderr


def test_free_text_and_dates_of_a_course_are_checked(engine: Engine, kb: KnowledgeBase) -> None:
    """A hostile-input audit: a dose holding an ANSI escape and a dose of 100,000 characters (a
    column of 200: SQLite kept it, PostgreSQL refused it) were recorded, and so were a treatment
    started and a diagnosis held in 1900 for a patient born in 1960. Each is refused, naming the
    field, and changes nothing; a list of adverse events may keep its line breaks."""
    _follow_up(engine, kb, second_area=1.0)
    before = _count(engine, Audit)
    attempts = [
        ({"dose": "60 mg\x1b[31m"}, "dose: expected at most 200 printable characters"),
        ({"dose": "a" * 201}, "dose: expected at most 200 printable characters"),
        ({"reason_stopped": "bad\x07"}, "reason stopped: expected at most 200"),
        ({"start": D(1900, 2, 1)}, "start: 1900-02-01 is before the patient's birth year 1960"),
    ]
    for changes, said in attempts:
        values = {"start": D(2025, 8, 1), **changes}
        with pytest.raises(RegistryError, match=re.escape(said)), session_scope(engine) as s:
            store.add_treatment(s, store.get_patient(s, "P001"), kb, "diltiazem", actor="x", **values)
    with pytest.raises(RegistryError, match="date: 1900-08-01 is before"), session_scope(engine) as s:
        store.record_diagnosis(s, store.get_patient(s, "P001"), kb, "systemic_sclerosis", date=D(1900, 8, 1), actor="x")
    assert _count(engine, Audit) == before
    with session_scope(engine) as s:
        row = store.add_treatment(
            s,
            store.get_patient(s, "P001"),
            kb,
            "diltiazem",
            start=D(2025, 8, 1),
            adverse_events="nausea\nheadache",
            actor="x",
        )
        assert row.adverse_events == "nausea\nheadache"


def test_an_imaging_result_that_is_not_one_is_refused(
    engine: Engine, kb: KnowledgeBase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A volume of -5 with deposits "abc" was stored as 3 deposits; a volume of NaN was refused as
    'conflicts with one recorded at the same time'; /dev/zero was read whole until the command
    was killed. Each is now said for what it is."""
    from calcinosis.cli import registry as registry_cli

    _follow_up(engine, kb, second_area=1.0)
    for result in (
        {"modality": "ct", "total_volume_mm3": -5, "deposits": "abc"},
        {"modality": "ct\x1b[31m", "total_volume_mm3": 5, "deposits": []},
        {"modality": "ct", "total_volume_mm3": float("nan"), "deposits": []},
        {"modality": "ct", "total_volume_mm3": True, "deposits": []},
    ):
        with pytest.raises(RegistryError, match="not an `image quantify` result"), session_scope(engine) as s:
            store.add_imaging(s, store.get_patient(s, "P001"), date=D(2025, 1, 10), result=result, actor="t")
    nan = tmp_path / "nan.json"
    nan.write_text('{"modality": "ct", "total_volume_mm3": NaN, "deposits": []}', encoding="utf-8")
    with pytest.raises(RegistryError, match="NaN is not a number JSON allows"):
        registry_cli._imaging_result(nan)
    monkeypatch.setattr(registry_cli, "IMAGING_RESULT_BYTES", 100)
    big = tmp_path / "big.json"
    big.write_text('{"deposits": [' + "0, " * 100 + "0]}", encoding="utf-8")
    with pytest.raises(RegistryError, match="larger than"):
        registry_cli._imaging_result(big)


def test_a_csv_an_import_cannot_read_is_said_not_a_traceback(engine: Engine, kb: KnowledgeBase, tmp_path: Path) -> None:
    """A 10 MB cell ended `registry import` with a traceback (the csv module's field limit); an
    area out of range was said to be the label's column."""
    _follow_up(engine, kb, second_area=1.0)
    huge = tmp_path / "visits.csv"
    huge.write_text("patient,date,case\nP001,2025-09-01," + "a" * 200_000 + "\n", encoding="utf-8")
    with (
        pytest.raises(RegistryError, match=r"visits.csv, row 2: field larger than field limit"),
        session_scope(engine) as s,
    ):
        import_manifest(s, huge, kb, actor="import")
    header = tmp_path / "header.csv"
    header.write_text("patient,date," + "a" * 200_000 + "\n", encoding="utf-8")
    with pytest.raises(RegistryError, match=r"header.csv, row 1: field larger"), session_scope(engine) as s:
        import_lesions(s, header, kb, actor="import")
    area = tmp_path / "area.csv"
    area.write_text("patient,date,label,site,area_cm2\nP001,2025-01-10,L9,hand,NaN\n", encoding="utf-8")
    with pytest.raises(RegistryError, match="row 2, column area_cm2: area"), session_scope(engine) as s:
        import_lesions(s, area, kb, actor="import")


def test_a_patient_code_or_team_with_a_final_newline_is_refused(engine: Engine) -> None:
    """A hardening audit: the code pattern ended in ``$``, which also matches before a final
    newline, so 'P001\\n' was stored as a patient code (and a team 'a\\n' accepted), to reach
    terminals, exports and file names. Both are refused as any other bad code, and nothing is stored."""
    for attempt, words in (
        (lambda s: store.add_patient(s, "P001\n", actor="x"), "pseudonym"),
        (lambda s: store.add_patient(s, "P002", actor="x", team="a\n"), "team"),
    ):
        with pytest.raises(RegistryError, match=words), session_scope(engine) as s:
            attempt(s)
    assert _count(engine, Patient) == 0
