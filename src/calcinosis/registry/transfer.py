"""Moving data in and out of the registry: a CSV manifest of visits, exports, SQLite backups.

An import is one transaction: the caller's session commits only if every row was read, so a
file that fails half-way leaves the registry exactly as it was, and the error names the row and
the column. Exports are pseudonymous (codes, never the identity table).
"""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from calcinosis.errors import CalcinosisError
from calcinosis.kb.model import KnowledgeBase
from calcinosis.outputs import write_output
from calcinosis.registry import store
from calcinosis.registry.db import RegistryError
from calcinosis.registry.models import Patient, Visit

__all__ = ["MANIFEST_COLUMNS", "backup_sqlite", "export_visits", "import_manifest", "restore_sqlite"]

MANIFEST_COLUMNS = ("patient", "date", "case")
OPTIONAL_COLUMNS = ("sex", "birth_year", "note")
MAX_ROWS = 1_000_000
EXPORT_COLUMNS = (
    "patient",
    "date",
    "category",
    "leading_diagnosis",
    "leading_probability",
    "code_version",
    "kb_version",
)


def import_manifest(session: Session, manifest: Path, kb: KnowledgeBase, *, actor: str) -> dict[str, int]:
    """Visits from a CSV (``patient,date,case`` + optional ``sex,birth_year,note``; ``case`` is a
    case file path relative to the manifest). Patients are created on first sight."""
    from calcinosis.case.reader import read_case

    try:
        text = manifest.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise RegistryError(f"{manifest}: cannot be read ({exc})") from None
    reader = csv.DictReader(text.splitlines())
    columns = reader.fieldnames or []
    missing = [c for c in MANIFEST_COLUMNS if c not in columns]
    unknown = [c for c in columns if c not in (*MANIFEST_COLUMNS, *OPTIONAL_COLUMNS)]
    if missing or unknown:
        raise RegistryError(
            f"{manifest}: columns must be {', '.join(MANIFEST_COLUMNS)} (optional: {', '.join(OPTIONAL_COLUMNS)}); "
            + (f"missing {', '.join(missing)}" if missing else "")
            + ("; " if missing and unknown else "")
            + (f"unknown {', '.join(repr(c) for c in unknown)}" if unknown else "")
        )
    counts = {"visits": 0, "patients": 0}
    for row_number, row in enumerate(reader, start=2):  # the header is row 1
        if row_number > MAX_ROWS:
            raise RegistryError(f"{manifest}: more than {MAX_ROWS} rows")
        column = "patient"
        try:
            code = (row.get("patient") or "").strip()
            patient = session.scalar(select(Patient).where(Patient.code == code))
            if patient is None:
                column = "birth_year"
                year = int(row["birth_year"]) if (row.get("birth_year") or "").strip() else None
                column = "patient"
                patient = store.add_patient(
                    session, code, actor=actor, sex=(row.get("sex") or "").strip() or None, birth_year=year
                )
                counts["patients"] += 1
            column = "date"
            date = store.parse_date(row.get("date") or "", "date")
            column = "case"
            case = read_case(manifest.parent / (row.get("case") or "").strip(), kb)
            store.add_visit(
                session, patient, case, kb, date=date, actor=actor, note=(row.get("note") or "").strip() or None
            )
            counts["visits"] += 1
        except (CalcinosisError, ValueError) as exc:
            first = str(exc).splitlines()[0]
            raise RegistryError(
                f"{manifest}, row {row_number}, column {column}: {first}; nothing was imported"
            ) from None
    return counts


def export_visits(session: Session, output: Path, *, force: bool = False) -> int:
    """Every visit, by patient code and date: CSV (one row each) or JSON Lines (with the case and result)."""
    rows = session.execute(select(Visit, Patient.code).join(Patient).order_by(Patient.code, Visit.date)).all()
    if output.suffix.lower() == ".jsonl":
        lines = [
            json.dumps(
                {
                    "patient": code,
                    "date": v.date.isoformat(),
                    "case": v.case,
                    "result": v.result,
                    "code_version": v.code_version,
                    "kb_version": v.kb_version,
                },
                ensure_ascii=False,
                allow_nan=False,
            )
            for v, code in rows
        ]
        write_output(output, "\n".join(lines) + ("\n" if lines else ""), force=force)
        return len(lines)
    if output.suffix.lower() != ".csv":
        raise RegistryError(f"{output}: export writes .csv or .jsonl")
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    for v, code in rows:
        writer.writerow(
            [
                code,
                v.date.isoformat(),
                v.category,
                v.leading_diagnosis,
                v.leading_probability,
                v.code_version,
                v.kb_version,
            ]
        )
    write_output(output, buffer.getvalue(), force=force)
    return len(rows)


def _sqlite_path(engine: Engine) -> str:
    if engine.dialect.name != "sqlite" or not engine.url.database:
        raise RegistryError(
            "backup and restore here are for an SQLite registry file; for PostgreSQL use pg_dump and pg_restore"
        )
    return engine.url.database


def backup_sqlite(engine: Engine, output: Path) -> None:
    """SQLite's online backup API: a consistent copy while the registry is in use."""
    source_path = _sqlite_path(engine)
    if output.exists():
        raise RegistryError(f"{output}: already exists; choose a new file name")
    with sqlite3.connect(source_path) as source, sqlite3.connect(output) as target:
        source.backup(target)


def restore_sqlite(engine: Engine, backup_file: Path, *, force: bool) -> None:
    """Replace the registry's content with a backup (the backup is checked to be a registry first)."""
    target_path = _sqlite_path(engine)
    if not backup_file.is_file():
        raise RegistryError(f"{backup_file}: no such backup file")
    try:
        with sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True) as probe:
            probe.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        raise RegistryError(f"{backup_file}: not a calcinosis registry backup") from None
    if not force:
        raise RegistryError("restore replaces everything in the registry: pass --force to do it")
    engine.dispose()
    with sqlite3.connect(backup_file) as source, sqlite3.connect(target_path) as target:
        source.backup(target)
