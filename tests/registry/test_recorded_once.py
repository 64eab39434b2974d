"""A treatment started once on a day, a diagnosis held once on a date, on SQLite and PostgreSQL:
the unique constraints of migration 0004, an upgrade over a registry that already holds a
repeat (refused, every row kept), and two writers racing past the store's look (the loser
gets the same 409 as a second writer, one row recorded)."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from sqlalchemy import Engine, func, inspect, select, text
from sqlalchemy.exc import IntegrityError
from typer.testing import CliRunner

from calcinosis import KnowledgeBase
from calcinosis.cli.main import app as cli
from calcinosis.registry import store
from calcinosis.registry.db import RegistryError, check_ready, migrate, open_engine, schema_revision, session_scope
from calcinosis.registry.models import Audit, ClinicalDiagnosis, Treatment

D = dt.date
CONSTRAINTS = {
    "treatment": ("uq_treatment_patient_treatment_start", ["patient_id", "treatment", "start"]),
    "clinical_diagnosis": ("uq_clinical_diagnosis_patient_diagnosis_date", ["patient_id", "diagnosis", "date"]),
}


def _unique(engine: Engine, table: str) -> dict[str | None, list[str]]:
    return {u["name"]: u["column_names"] for u in inspect(engine).get_unique_constraints(table)}


def _count(engine: Engine, model: type) -> int:
    with session_scope(engine) as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_the_database_refuses_a_repeat_after_upgrade(engine: Engine) -> None:
    assert schema_revision(engine) == "0004"
    for table, (name, columns) in CONSTRAINTS.items():
        assert _unique(engine, table).get(name) == columns
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO patient (id, team, code, created_at) VALUES (1, 'default', 'P1', '2025-01-01')"))
        conn.execute(text("INSERT INTO treatment (patient_id, treatment, start) VALUES (1, 'diltiazem', '2025-02-01')"))
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text("INSERT INTO treatment (patient_id, treatment, start) VALUES (1, 'diltiazem', '2025-02-01')"))


def _registry_at_0003_with_repeats(registry_url: str) -> Engine:
    engine = open_engine(registry_url)
    migrate(engine, "0003")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO patient (id, team, code, created_at) VALUES (1, 'north', 'P1', '2025-01-01')"))
        for i, dose in ((1, "60 mg"), (2, "90 mg")):  # the two records differ: neither may be dropped silently
            conn.execute(
                text(
                    "INSERT INTO treatment (id, patient_id, treatment, dose, start) "
                    "VALUES (:i, 1, 'diltiazem', :dose, '2025-02-01')"
                ),
                {"i": i, "dose": dose},
            )
        conn.execute(
            text("INSERT INTO treatment (id, patient_id, treatment, start) VALUES (3, 1, 'diltiazem', '2025-03-01')")
        )
        for i in (4, 5):
            conn.execute(
                text(
                    "INSERT INTO clinical_diagnosis (id, patient_id, date, diagnosis, code_version, kb_version) "
                    "VALUES (:i, 1, '2025-04-01', 'systemic_sclerosis', 'c', 'k')"
                ),
                {"i": i},
            )
    return engine


def test_an_upgrade_over_repeats_stops_clearly_and_keeps_every_row(registry_url: str) -> None:
    engine = _registry_at_0003_with_repeats(registry_url)
    with pytest.raises(RegistryError) as refused:
        migrate(engine)
    said = str(refused.value)
    assert "2 record(s) entered more than once" in said
    assert "patient 'P1' (team north): treatment 'diltiazem' started on 2025-02-01, records 1, 2" in said
    assert "patient 'P1' (team north): diagnosis 'systemic_sclerosis' held on 2025-04-01, records 4, 5" in said
    assert "2025-03-01" not in said  # a treatment started on another day is no repeat
    assert "DELETE FROM treatment WHERE id IN (2)" in said and "`calcinosis registry init` again" in said
    assert schema_revision(engine) == "0003"
    for table, (name, _columns) in CONSTRAINTS.items():
        assert name not in _unique(engine, table)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT id, dose FROM treatment ORDER BY id")).all() == [
            (1, "60 mg"),
            (2, "90 mg"),
            (3, None),
        ]
        assert conn.execute(text("SELECT id FROM clinical_diagnosis ORDER BY id")).scalars().all() == [4, 5]
    # the command line says it, no traceback
    result = CliRunner().invoke(cli, ["registry", "init", "--db", registry_url])
    assert result.exit_code == 2 and "entered more than once" in result.stderr, result.output
    assert "Traceback" not in result.output and schema_revision(engine) == "0003"
    # done as told, the upgrade goes through
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM treatment WHERE id IN (2)"))
        conn.execute(text("DELETE FROM clinical_diagnosis WHERE id IN (5)"))
    migrate(engine)
    check_ready(engine)
    assert _count(engine, Treatment) == 2 and _count(engine, ClinicalDiagnosis) == 1
    engine.dispose()


def _record(kind: str, s: Any, kb: KnowledgeBase) -> None:
    patient = store.get_patient(s, "P1")
    if kind == "treatment":
        store.add_treatment(s, patient, kb, "diltiazem", start=D(2025, 2, 1), actor="w")
    else:
        store.record_diagnosis(s, patient, kb, "systemic_sclerosis", date=D(2025, 2, 1), actor="w")


@pytest.mark.parametrize("kind", ["treatment", "diagnosis"])
def test_two_writers_past_the_look_record_one_row_and_the_loser_gets_409(
    engine: Engine, kb: KnowledgeBase, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two workers send the same form at once: both look (nothing recorded yet), then both insert.
    The constraint refuses the second insert, which is told what the first recorded, never a 500."""
    with session_scope(engine) as s:
        store.add_patient(s, "P1", actor="setup", birth_year=1960)
    looked = threading.Barrier(2, timeout=30)
    first_look = threading.local()
    look = store._refuse_repeat

    def both_look_before_either_inserts(*args: Any, **kwargs: Any) -> None:
        look(*args, **kwargs)
        if not getattr(first_look, "done", False):
            first_look.done = True
            looked.wait()

    monkeypatch.setattr(store, "_refuse_repeat", both_look_before_either_inserts)
    outcomes: list[BaseException | None] = []

    def writer() -> None:
        try:
            with session_scope(engine) as s:
                _record(kind, s, kb)
            outcomes.append(None)
        except BaseException as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    model = Treatment if kind == "treatment" else ClinicalDiagnosis
    assert _count(engine, model) == 1
    with session_scope(engine) as s:
        kept = s.scalar(select(model.id))
        audited = s.scalar(select(func.count()).select_from(Audit).where(Audit.entity == model.__tablename__))
    assert audited == 1
    errors = [o for o in outcomes if o is not None]
    assert len(outcomes) == 2 and len(errors) == 1, outcomes
    error = errors[0]
    assert isinstance(error, RegistryError) and error.status == 409, repr(error)
    if kind == "treatment":
        expected = (
            f"patient 'P1' already has treatment 'diltiazem' started on 2025-02-01 (record {kept}; nothing was changed)"
        )
    else:
        expected = (
            f"patient 'P1' already has the diagnosis 'systemic_sclerosis' recorded on 2025-02-01 "
            f"(record {kept}; nothing was changed)"
        )
    assert str(error) == expected
