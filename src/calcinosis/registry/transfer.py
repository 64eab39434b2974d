"""Moving data in and out of the registry: a CSV manifest of visits, exports, SQLite backups.

An import is one transaction: the caller's session commits only if every row was read, so a
file that fails half-way leaves the registry exactly as it was, and the error names the row and
the column. Exports are pseudonymous (codes, never the identity table).
"""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from calcinosis.errors import CalcinosisError
from calcinosis.kb.model import KnowledgeBase
from calcinosis.outputs import check_output, write_output
from calcinosis.registry import store
from calcinosis.registry.db import RegistryError
from calcinosis.registry.models import DEFAULT_TEAM, Patient, Visit

__all__ = [
    "MANIFEST_COLUMNS",
    "backup",
    "backup_sqlite",
    "export_redcap",
    "export_visits",
    "import_lesions",
    "import_manifest",
    "restore",
    "restore_sqlite",
]

MANIFEST_COLUMNS = ("patient", "date", "case")
OPTIONAL_COLUMNS = ("sex", "birth_year", "note", "team")
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

    reader = _csv_rows(manifest, MANIFEST_COLUMNS, OPTIONAL_COLUMNS)
    counts = {"visits": 0, "patients": 0}
    for row_number, row in _rows(manifest, reader):
        if row_number > MAX_ROWS:
            raise RegistryError(f"{manifest}: more than {MAX_ROWS} rows")
        column = "patient"
        try:
            code = (row.get("patient") or "").strip()
            team = (row.get("team") or "").strip() or DEFAULT_TEAM
            patient = session.scalar(select(Patient).where(Patient.code == code, Patient.team == team))
            if patient is None:
                column = "birth_year"
                year = int(row["birth_year"]) if (row.get("birth_year") or "").strip() else None
                column = "patient"
                patient = store.add_patient(
                    session, code, actor=actor, sex=(row.get("sex") or "").strip() or None, birth_year=year, team=team
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


LESION_COLUMNS = ("patient", "date", "label")
LESION_OPTIONAL = ("site", "tissue", "size_mm", "area_cm2", "volume_mm3", "ulcerated", "infected", "vas", "team")
_YES_NO = {
    "yes": True,
    "y": True,
    "true": True,
    "1": True,
    "oui": True,
    "no": False,
    "n": False,
    "false": False,
    "0": False,
    "non": False,
}


def _csv_rows(path: Path, required: tuple[str, ...], optional: tuple[str, ...]) -> csv.DictReader[str]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise RegistryError(f"{path}: cannot be read ({exc})") from None
    reader = csv.DictReader(text.splitlines())
    try:
        columns = reader.fieldnames or []
    except csv.Error as exc:
        raise RegistryError(f"{path}, row 1: {exc}") from None
    missing = [c for c in required if c not in columns]
    unknown = [c for c in columns if c not in (*required, *optional)]
    if missing or unknown:
        problems = ([f"missing {', '.join(missing)}"] if missing else []) + (
            [f"unknown {', '.join(repr(c) for c in unknown)}"] if unknown else []
        )
        raise RegistryError(
            f"{path}: columns must be {', '.join(required)} (optional: {', '.join(optional)}); {'; '.join(problems)}"
        )
    return reader


def _rows(path: Path, reader: csv.DictReader[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """The rows of ``reader`` numbered as a spreadsheet shows them (the header is row 1). A row
    the csv module cannot read (a cell over its 131,072 characters, a NUL) is said with its file
    and row, never a traceback (a hostile-input audit: a 10 MB cell ended the import with one)."""
    row_number = 1
    try:
        for row_number, row in enumerate(reader, start=2):
            yield row_number, row
    except csv.Error as exc:
        raise RegistryError(f"{path}, row {row_number + 1}: {exc}; nothing was imported") from None


# the registry's name of a measurement -> the lesion table's column that holds it
_LESION_COLUMN_OF = {
    "largest_dimension_mm": "size_mm",
    "pain_vas": "vas",
    "area_cm2": "area_cm2",
    "volume_mm3": "volume_mm3",
}


def import_lesions(session: Session, path: Path, kb: KnowledgeBase, *, actor: str) -> int:
    """Lesion measurements from a CSV (``patient,date,label`` + optional ``site,tissue,size_mm,
    area_cm2,volume_mm3,ulcerated,infected,vas``), each at a visit already recorded; all or nothing."""
    count = 0
    for row_number, row in _rows(path, _csv_rows(path, LESION_COLUMNS, LESION_OPTIONAL)):
        column = "patient"
        try:
            patient = store.get_patient(
                session, (row.get("patient") or "").strip(), (row.get("team") or "").strip() or None
            )
            column = "date"
            date = store.parse_date(row.get("date") or "", "date")
            numbers: dict[str, float | None] = {}
            for name in ("size_mm", "area_cm2", "volume_mm3", "vas"):
                column = name
                numbers[name] = store.parse_number(row.get(name) or "", name)
            flags: dict[str, bool | None] = {}
            for name in ("ulcerated", "infected"):
                column = name
                text = (row.get(name) or "").strip().lower()
                if text and text not in _YES_NO:
                    raise RegistryError(f"{text[:20]!r} is not yes or no")
                flags[name] = _YES_NO[text] if text else None
            column = "label"
            store.record_lesion(
                session,
                patient,
                kb,
                date=date,
                label=row.get("label") or "",
                actor=actor,
                site=(row.get("site") or "").strip() or None,
                tissue=(row.get("tissue") or "").strip() or None,
                largest_dimension_mm=numbers["size_mm"],
                area_cm2=numbers["area_cm2"],
                volume_mm3=numbers["volume_mm3"],
                pain_vas=numbers["vas"],
                ulcerated=flags["ulcerated"],
                infected=flags["infected"],
            )
            count += 1
        except (CalcinosisError, ValueError) as exc:
            first = str(exc).splitlines()[0]
            # a measurement out of range is refused by record_lesion: its column, not the label's
            column = _LESION_COLUMN_OF.get(str(getattr(exc, "values", {}).get("what", "")), column)
            raise RegistryError(f"{path}, row {row_number}, column {column}: {first}; nothing was imported") from None
    return count


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
        raise RegistryError("this is not an SQLite registry file")
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


REDCAP_HEADER = (
    "Variable / Field Name",
    "Form Name",
    "Section Header",
    "Field Type",
    "Field Label",
    "Choices, Calculations, OR Slider Labels",
    "Field Note",
    "Text Validation Type OR Show Slider Number",
    "Text Validation Min",
    "Text Validation Max",
    "Identifier?",
    "Branching Logic (Show field only if...)",
    "Required Field?",
    "Custom Alignment",
    "Question Number (surveys only)",
    "Matrix Group Name",
    "Matrix Ranking?",
    "Field Annotation",
)
# (field, form, type, label, choices, validation, min, max)
REDCAP_FIELDS: tuple[tuple[str, str, str, str, str, str, str, str], ...] = (
    ("record_id", "patient", "text", "Patient code (pseudonym)", "", "", "", ""),
    ("sex", "patient", "radio", "Sex", "female, Female | male, Male | other, Other | unknown, Unknown", "", "", ""),
    ("birth_year", "patient", "text", "Year of birth", "", "integer", "1880", ""),
    ("visit_date", "visit", "text", "Visit date", "", "date_ymd", "", ""),
    ("visit_category", "visit", "text", "Category suggested by calcinosis", "", "", "", ""),
    ("visit_leading", "visit", "text", "Leading diagnosis suggested by calcinosis", "", "", "", ""),
    ("visit_leading_p", "visit", "text", "Its probability", "", "number", "0", "1"),
    ("visit_kb_version", "visit", "text", "Knowledge-base version", "", "", "", ""),
    ("lesion_label", "lesion_measurement", "text", "Lesion", "", "", "", ""),
    ("lesion_site", "lesion_measurement", "text", "Site (case-format vocabulary)", "", "", "", ""),
    ("lesion_date", "lesion_measurement", "text", "Date measured", "", "date_ymd", "", ""),
    ("lesion_size_mm", "lesion_measurement", "text", "Largest dimension (mm)", "", "number", "0", "2500"),
    ("lesion_area_cm2", "lesion_measurement", "text", "Area (cm2)", "", "number", "0", ""),
    ("lesion_volume_mm3", "lesion_measurement", "text", "Volume (mm3)", "", "number", "0", ""),
    ("lesion_ulcerated", "lesion_measurement", "yesno", "Ulcerated", "", "", "", ""),
    ("lesion_infected", "lesion_measurement", "yesno", "Infected", "", "", "", ""),
    ("lesion_vas", "lesion_measurement", "text", "Pain (VAS 0-10)", "", "number", "0", "10"),
)


def _yesno(value: bool | None) -> str:
    return "" if value is None else ("1" if value else "0")


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def export_redcap(session: Session, folder: Path, *, force: bool = False) -> int:
    """A REDCap data dictionary and its records (``data_dictionary.csv``, ``records.csv``), pseudonymous.

    ``visit`` and ``lesion_measurement`` are repeating instruments: enable "repeating instruments"
    for them in the REDCap project before importing the records. Returns the number of patients.
    """
    import io

    from calcinosis.registry.response import with_history

    folder.mkdir(parents=True, exist_ok=True)
    dictionary = io.StringIO()
    writer = csv.writer(dictionary)
    writer.writerow(REDCAP_HEADER)
    for name, form, kind, label, choices, validation, low, high in REDCAP_FIELDS:
        identifier = "y" if name == "record_id" else ""
        writer.writerow(
            [name, form, "", kind, label, choices, "", validation, low, high, identifier, "", "", "", "", "", "", ""]
        )
    records = io.StringIO()
    fields = [f[0] for f in REDCAP_FIELDS]
    out = csv.DictWriter(
        records, fieldnames=["record_id", "redcap_repeat_instrument", "redcap_repeat_instance", *fields[1:]]
    )
    out.writeheader()
    patients = list(session.scalars(select(Patient).options(*with_history()).order_by(Patient.code)))
    for p in patients:
        out.writerow({"record_id": p.code, "sex": p.sex or "", "birth_year": p.birth_year or ""})
        dates = {}
        for i, v in enumerate(p.visits, start=1):
            dates[v.id] = v.date
            out.writerow(
                {
                    "record_id": p.code,
                    "redcap_repeat_instrument": "visit",
                    "redcap_repeat_instance": i,
                    "visit_date": v.date.isoformat(),
                    "visit_category": v.category or "",
                    "visit_leading": v.leading_diagnosis or "",
                    "visit_leading_p": _num(v.leading_probability),
                    "visit_kb_version": v.kb_version,
                }
            )
        instance = 0
        for lesion in sorted(p.lesions, key=lambda x: x.label):
            for m in sorted(lesion.measurements, key=lambda m: dates[m.visit_id]):
                instance += 1
                out.writerow(
                    {
                        "record_id": p.code,
                        "redcap_repeat_instrument": "lesion_measurement",
                        "redcap_repeat_instance": instance,
                        "lesion_label": lesion.label,
                        "lesion_site": lesion.site,
                        "lesion_date": dates[m.visit_id].isoformat(),
                        "lesion_size_mm": _num(m.largest_dimension_mm),
                        "lesion_area_cm2": _num(m.area_cm2),
                        "lesion_volume_mm3": _num(m.volume_mm3),
                        "lesion_ulcerated": _yesno(m.ulcerated),
                        "lesion_infected": _yesno(m.infected),
                        "lesion_vas": _num(m.pain_vas),
                    }
                )
    write_output(folder / "data_dictionary.csv", dictionary.getvalue(), force=force)
    write_output(folder / "records.csv", records.getvalue(), force=force)
    return len(patients)


def _pg_tool(name: str) -> str:
    import glob
    import shutil as sh

    found = sh.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if found is None:
        raise RegistryError(f"{name} is not installed (Debian package postgresql-client)")
    return found


def _libpq(engine: Engine) -> tuple[str, dict[str, str]]:
    """The libpq URL (without the password) and an environment carrying the password, so that it
    never appears on a command line."""
    import os

    url = engine.url
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False), env


def backup(engine: Engine, output: Path) -> None:
    """A consistent copy of the registry: SQLite's online backup, or ``pg_dump --format=custom``."""
    import subprocess

    # the rules every other output follows (calcinosis.outputs): a hostile-input audit saw
    # 'registry backup o/link.db' write through a dangling symbolic link; a link, a folder, a
    # pipe or a device is refused here; an existing file is refused below (there is no --force)
    check_output(output, force=True)
    if not output.parent.is_dir():  # sqlite3 said only "unable to open database file", as a traceback
        raise RegistryError(f"{output}: folder {output.parent} does not exist; create it or choose another")
    if engine.dialect.name == "sqlite":
        backup_sqlite(engine, output)
        return
    if output.exists():
        raise RegistryError(f"{output}: already exists; choose a new file name")
    url, env = _libpq(engine)
    done = subprocess.run(
        [_pg_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={output}", f"--dbname={url}"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        output.unlink(missing_ok=True)
        raise RegistryError(f"pg_dump failed: {done.stderr.strip()[:300]}")


def restore(engine: Engine, backup_file: Path, *, force: bool) -> None:
    """Replace the registry's content with a backup (``pg_restore --clean`` for PostgreSQL)."""
    import subprocess

    if engine.dialect.name == "sqlite":
        restore_sqlite(engine, backup_file, force=force)
        return
    if not backup_file.is_file():
        raise RegistryError(f"{backup_file}: no such backup file")
    if not force:
        raise RegistryError("restore replaces everything in the registry: pass --force to do it")
    engine.dispose()
    url, env = _libpq(engine)
    done = subprocess.run(
        [
            _pg_tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            f"--dbname={url}",
            str(backup_file),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RegistryError(f"pg_restore failed (nothing was changed): {done.stderr.strip()[:300]}")
