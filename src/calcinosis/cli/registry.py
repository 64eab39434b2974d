"""``calcinosis registry ...``: the follow-up registry from the command line.

Every command opens the registry at ``--db`` (default ``CALCINOSIS_DATABASE_URL``, else an SQLite
file in the user's data folder), works in one transaction (a failure leaves the registry as it
was), and records who did it (``CALCINOSIS_USER``, else the login name) in the audit log.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from calcinosis.cli._common import KB_OPTION, handles_errors, safe

if TYPE_CHECKING:
    from sqlalchemy import Engine

__all__ = ["app"]

app = typer.Typer(
    help="Follow-up registry: patients, visits, lesions, treatments, response over time.", no_args_is_help=True
)
DB_OPTION = typer.Option(
    None, "--db", help="Database URL (default: CALCINOSIS_DATABASE_URL, else a file in your data folder)."
)
JSON_OPTION = typer.Option(False, "--json", help="Print JSON.")
TEAM_OPTION = typer.Option(None, "--team", help="The patient's team (needed only when teams share a code).")


def _actor() -> str:
    import getpass
    import os

    return os.environ.get("CALCINOSIS_USER") or getpass.getuser()


@contextmanager
def _engine(db: str | None, *, ready: bool = True) -> Iterator[Engine]:
    """The registry's engine for one command, its connections closed when the command ends
    (a command run in-process, as the tests run it, must not leave a connection open)."""
    from calcinosis.registry.db import check_ready, open_engine

    engine = open_engine(db)
    try:
        if ready:
            check_ready(engine)
        yield engine
    finally:
        engine.dispose()


@contextmanager
def _patient_transaction(
    db: str | None, code: str, kb_path: Path | None = None, team: str | None = None
) -> Iterator[tuple[Any, Any, Any]]:
    """(session, patient, knowledge base) inside one transaction: what every recording command needs."""
    from calcinosis.cli._common import load
    from calcinosis.registry import store
    from calcinosis.registry.db import session_scope

    kb = load(kb_path)
    with _engine(db) as engine, session_scope(engine) as session:
        yield session, store.get_patient(session, code, team), kb


def _shown_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


@app.command("init")
@handles_errors
def init(db: str | None = DB_OPTION) -> None:
    """Create the registry, or upgrade its schema in place (every row kept)."""
    from calcinosis.registry.db import migrate, schema_revision

    with _engine(db, ready=False) as engine:
        before = schema_revision(engine)
        migrate(engine)
        after = schema_revision(engine)
        shown = _shown_url(engine)
    what = "created" if before is None else ("upgraded" if before != after else "already up to date")
    typer.echo(f"registry {what}: {safe(shown, limit=300)} (schema {after})")


@app.command("add-patient")
@handles_errors
def add_patient(
    code: str = typer.Argument(..., help="Pseudonymous code (never a name)."),
    sex: str | None = typer.Option(None, "--sex", help="female, male, other or unknown."),
    birth_year: int | None = typer.Option(None, "--birth-year"),
    team: str = typer.Option("default", "--team", help="The team whose registry the patient is in."),
    db: str | None = DB_OPTION,
) -> None:
    """Add a patient."""
    from calcinosis.registry import store
    from calcinosis.registry.db import session_scope

    with _engine(db) as engine, session_scope(engine) as session:
        store.add_patient(session, code, actor=_actor(), sex=sex, birth_year=birth_year, team=team)
    typer.echo(f"patient {safe(code)} added")


@app.command("add-visit")
@handles_errors
def add_visit(
    code: str = typer.Argument(..., help="Patient code."),
    case_file: Path = typer.Argument(..., help="The case of that visit (case format v1).", metavar="CASE"),
    date: str = typer.Option(..., "--date", help="Visit date, YYYY-MM-DD."),
    note: str | None = typer.Option(None, "--note"),
    team: str | None = TEAM_OPTION,
    db: str | None = DB_OPTION,
    kb_path: Path | None = KB_OPTION,
) -> None:
    """Record a visit: its case and the diagnosis result of that day (with the versions)."""
    from calcinosis.case.reader import read_case
    from calcinosis.cli._common import load
    from calcinosis.registry import store
    from calcinosis.registry.db import session_scope

    kb = load(kb_path)
    case = read_case(case_file, kb)
    with _engine(db) as engine, session_scope(engine) as session:
        patient = store.get_patient(session, code, team)
        visit = store.add_visit(
            session, patient, case, kb, date=store.parse_date(date, "--date"), actor=_actor(), note=note
        )
        typer.echo(
            f"visit {visit.date.isoformat()} recorded for {safe(code)}: {visit.category}, leading {visit.leading_diagnosis}"
        )


@app.command("add-lesion")
@handles_errors
def add_lesion(
    code: str = typer.Argument(..., help="Patient code."),
    date: str = typer.Option(..., "--date", help="Date of the visit it was measured at."),
    label: str = typer.Option(..., "--label", help="The lesion's name for this patient (e.g. L1, left thumb)."),
    site: str | None = typer.Option(None, "--site", help="Site (vocabulary: sites); needed the first time."),
    tissue: str | None = typer.Option(None, "--tissue"),
    size_mm: float | None = typer.Option(None, "--size-mm", help="Largest dimension in mm."),
    area_cm2: float | None = typer.Option(None, "--area-cm2"),
    volume_mm3: float | None = typer.Option(None, "--volume-mm3"),
    ulcerated: bool | None = typer.Option(None, "--ulcerated/--not-ulcerated"),
    infected: bool | None = typer.Option(None, "--infected/--not-infected"),
    vas: float | None = typer.Option(None, "--vas", help="Pain, 0-10."),
    team: str | None = TEAM_OPTION,
    db: str | None = DB_OPTION,
    kb_path: Path | None = KB_OPTION,
) -> None:
    """Record a lesion's measurement at a visit."""
    from calcinosis.registry import store

    with _patient_transaction(db, code, kb_path, team) as (session, patient, kb):
        store.record_lesion(
            session,
            patient,
            kb,
            date=store.parse_date(date, "--date"),
            label=label,
            actor=_actor(),
            site=site,
            tissue=tissue,
            largest_dimension_mm=size_mm,
            area_cm2=area_cm2,
            volume_mm3=volume_mm3,
            ulcerated=ulcerated,
            infected=infected,
            pain_vas=vas,
        )
    typer.echo(f"lesion {safe(label)} recorded for {safe(code)} on {date}")


@app.command("add-treatment")
@handles_errors
def add_treatment(
    code: str = typer.Argument(..., help="Patient code."),
    treatment: str = typer.Argument(..., help="Treatment id (management knowledge)."),
    start: str = typer.Option(..., "--start"),
    stop: str | None = typer.Option(None, "--stop"),
    dose: str | None = typer.Option(None, "--dose"),
    reason: str | None = typer.Option(None, "--reason", help="Why it was stopped."),
    adverse: str | None = typer.Option(None, "--adverse-events"),
    team: str | None = TEAM_OPTION,
    db: str | None = DB_OPTION,
    kb_path: Path | None = KB_OPTION,
) -> None:
    """Record a treatment period."""
    from calcinosis.registry import store

    with _patient_transaction(db, code, kb_path, team) as (session, patient, kb):
        store.add_treatment(
            session,
            patient,
            kb,
            treatment,
            start=store.parse_date(start, "--start"),
            stop=store.parse_date(stop, "--stop") if stop else None,
            dose=dose,
            reason_stopped=reason,
            adverse_events=adverse,
            actor=_actor(),
        )
    typer.echo(f"treatment {safe(treatment)} recorded for {safe(code)}")


@app.command("add-diagnosis")
@handles_errors
def add_diagnosis(
    code: str = typer.Argument(..., help="Patient code."),
    diagnosis: str = typer.Argument(..., help="The diagnosis the clinician holds (id, e.g. systemic_sclerosis)."),
    date: str = typer.Option(..., "--date", help="Date of the decision, YYYY-MM-DD."),
    team: str | None = TEAM_OPTION,
    db: str | None = DB_OPTION,
    kb_path: Path | None = KB_OPTION,
) -> None:
    """Record the clinician's diagnosis beside the engine's suggestion of the latest visit."""
    from calcinosis.registry import store

    with _patient_transaction(db, code, kb_path, team) as (session, patient, kb):
        row = store.record_diagnosis(
            session, patient, kb, diagnosis, date=store.parse_date(date, "--date"), actor=_actor()
        )
        suggested = (
            f"{row.engine_suggestion} ({row.engine_probability:.0%})" if row.engine_suggestion else "no visit yet"
        )
    typer.echo(f"diagnosis {safe(diagnosis)} recorded for {safe(code)}; the engine suggested {suggested}")


IMAGING_RESULT_BYTES = 64 * 1024 * 1024
"""The largest ``image quantify`` result read: a CT study's result with thousands of deposits is a
few megabytes; ``/dev/zero`` or a wrong file of gigabytes was read whole and the command killed."""


def _imaging_result(path: Path) -> dict[str, Any]:
    """The JSON object of an ``image quantify`` result, read at most one byte past the limit;
    NaN and infinity tokens are refused (no JSON writer of ours makes them)."""
    import json

    from calcinosis.registry.db import RegistryError
    from calcinosis.textsafe import plain

    def no_constant(token: str) -> None:
        raise ValueError(f"{token} is not a number JSON allows")

    try:
        with path.open("rb") as fh:
            data = fh.read(IMAGING_RESULT_BYTES + 1)
        if len(data) > IMAGING_RESULT_BYTES:
            raise ValueError(f"larger than {IMAGING_RESULT_BYTES // (1024 * 1024)} MiB")
        result = json.loads(data.decode("utf-8"), parse_constant=no_constant)
    except (OSError, ValueError) as exc:
        raise RegistryError(f"{plain(path, limit=300)}: cannot be read as JSON ({plain(exc, limit=200)})") from None
    if not isinstance(result, dict):
        raise RegistryError(f"{plain(path, limit=300)}: not an `image quantify` result (a JSON object)")
    return result


@app.command("add-imaging")
@handles_errors
def add_imaging(
    code: str = typer.Argument(..., help="Patient code."),
    result_file: Path = typer.Argument(..., help="result.json of `calcinosis image quantify --out`.", metavar="RESULT"),
    date: str = typer.Option(..., "--date", help="Date of the visit it belongs to."),
    team: str | None = TEAM_OPTION,
    db: str | None = DB_OPTION,
) -> None:
    """Attach an imaging measurement to a visit."""

    from calcinosis.registry import store
    from calcinosis.registry.db import session_scope

    result = _imaging_result(result_file)
    with _engine(db) as engine, session_scope(engine) as session:
        patient = store.get_patient(session, code, team)
        store.add_imaging(session, patient, date=store.parse_date(date, "--date"), result=result, actor=_actor())
    typer.echo(f"imaging attached to {safe(code)}'s visit of {date}")


@app.command("import")
@handles_errors
def import_visits(
    manifest: Path = typer.Argument(..., help="CSV with columns patient,date,case (and optional sex,birth_year)."),
    db: str | None = DB_OPTION,
    kb_path: Path | None = KB_OPTION,
) -> None:
    """Import visits from a CSV manifest of case files, in one transaction (all or nothing)."""
    from calcinosis.cli._common import load
    from calcinosis.registry.db import session_scope
    from calcinosis.registry.transfer import import_manifest

    kb = load(kb_path)
    with _engine(db) as engine, session_scope(engine) as session:
        counts = import_manifest(session, manifest, kb, actor=_actor())
    typer.echo(
        f"imported {counts['visits']} visits ({counts['patients']} new patients) from {safe(manifest, limit=300)}"
    )


@app.command("import-lesions")
@handles_errors
def import_lesions(
    table: Path = typer.Argument(
        ..., help="CSV: patient,date,label[,site,tissue,size_mm,area_cm2,volume_mm3,ulcerated,infected,vas]."
    ),
    db: str | None = DB_OPTION,
    kb_path: Path | None = KB_OPTION,
) -> None:
    """Import lesion measurements at recorded visits, in one transaction (all or nothing)."""
    from calcinosis.cli._common import load
    from calcinosis.registry.db import session_scope
    from calcinosis.registry.transfer import import_lesions as run

    kb = load(kb_path)
    with _engine(db) as engine, session_scope(engine) as session:
        n = run(session, table, kb, actor=_actor())
    typer.echo(f"imported {n} lesion measurements from {safe(table, limit=300)}")


@app.command("export")
@handles_errors
def export(
    output: Path = typer.Option(..., "--output", "-o", help="File to write (.csv or .jsonl)."),
    force: bool = typer.Option(False, "--force", help="Replace the file if it exists."),
    db: str | None = DB_OPTION,
) -> None:
    """Export every visit: CSV (one row per visit, pseudonymous) or JSON Lines (with the result objects)."""
    from calcinosis.outputs import check_output
    from calcinosis.registry.db import session_scope
    from calcinosis.registry.transfer import export_visits

    check_output(output, force=force)
    with _engine(db) as engine, session_scope(engine) as session:
        n = export_visits(session, output, force=force)
    typer.echo(f"{n} visits written to {safe(output, limit=300)}")


@app.command("export-redcap")
@handles_errors
def export_redcap(
    folder: Path = typer.Argument(..., help="Folder for data_dictionary.csv and records.csv."),
    force: bool = typer.Option(False, "--force", help="Replace the files if they exist."),
    db: str | None = DB_OPTION,
) -> None:
    """A REDCap data dictionary and its records (pseudonymous; visits and lesions as repeating instruments)."""
    from calcinosis.registry.db import session_scope
    from calcinosis.registry.transfer import export_redcap as run

    with _engine(db) as engine, session_scope(engine) as session:
        n = run(session, folder, force=force)
    typer.echo(f"{n} patients written to {safe(folder, limit=300)} (data_dictionary.csv, records.csv)")


@app.command("response")
@handles_errors
def response(
    code: str = typer.Argument(..., help="Patient code."),
    as_json: bool = JSON_OPTION,
    team: str | None = TEAM_OPTION,
    db: str | None = DB_OPTION,
) -> None:
    """Change of each lesion and of the patient from baseline, with the response class and its basis."""
    from calcinosis.registry import store
    from calcinosis.registry.db import session_scope
    from calcinosis.registry.imaging_course import hand_course, imaging_course
    from calcinosis.registry.response import patient_response

    with _engine(db) as engine, session_scope(engine) as session:
        patient = store.get_patient(session, code, team)
        result = patient_response(session, patient)
        hand = hand_course(*imaging_course(patient)) if not as_json else None
    if as_json:
        from calcinosis.serialise import to_json

        typer.echo(to_json(result))
        return
    _print_response(result)
    if hand is not None:
        _print_hand(hand)


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x:+.0%}"


def _print_response(result: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    con = Console()
    table = Table(
        title=f"{safe(result.patient)}: {result.visits} visits, response {result.response} ({_pct(result.total_change_from_baseline)})"
    )
    for col in (
        "lesion",
        "site",
        "measure",
        "baseline",
        "latest",
        "change",
        "VAS",
        "ulcer",
        "class",
        "treatments over the intervals",
    ):
        table.add_column(col)
    for r in result.lesions:
        treatments = sorted({t for i in r.intervals for t in i.treatments})
        vas = "—" if r.vas_baseline is None or r.vas_latest is None else f"{r.vas_baseline:g} → {r.vas_latest:g}"
        table.add_row(
            safe(r.label),
            r.site,
            r.measure or "—",
            "—" if r.baseline is None else f"{r.baseline:g}",
            "—" if r.latest is None else f"{r.latest:g}",
            _pct(r.change_from_baseline),
            vas,
            r.ulcer,
            r.response,
            ", ".join(treatments) or "—",
        )
    con.print(table)
    con.print(f"[dim]{result.basis} The decision is the clinician's.[/dim]")


def _print_hand(course: Any) -> None:
    """The deposit area of each hand region at each hand radiograph, and the last step's class."""
    from rich.console import Console
    from rich.table import Table

    from calcinosis.i18n import decimal, message
    from calcinosis.registry.imaging_course import hand_rows, region_rule

    table = Table(title=message("reg_region_title", "en"))
    table.add_column(message("reg_region_col_region", "en"))
    for d in course.dates:
        table.add_column(d.isoformat(), justify="right")
    table.add_column(message("reg_region_col_change", "en"), justify="right")
    table.add_column(message("reg_region_col_class", "en"))
    for row in hand_rows(course, "en"):
        areas = ["—" if a is None else decimal(a, "en", 1) for a in row["areas"]]
        table.add_row(row["label"], *areas, row["change"], row["class"])
    con = Console()
    con.print(table)
    rule = region_rule(course, "en")
    if rule:
        con.print(f"[dim]{safe(rule, 1000)}[/dim]")


@app.command("summary")
@handles_errors
def summary(
    code: str = typer.Argument(..., help="Patient code."),
    output: Path = typer.Option(..., "--output", "-o", help="PDF file to write."),
    force: bool = typer.Option(False, "--force", help="Replace the file if it exists."),
    lang: str = typer.Option("en", "--lang", help="en or fr."),
    team: str | None = TEAM_OPTION,
    db: str | None = DB_OPTION,
    kb_path: Path | None = KB_OPTION,
) -> None:
    """The patient's course as a PDF: response, chart, visits, lesions, treatments."""
    from calcinosis.cli._common import check_lang
    from calcinosis.outputs import check_output, write_output
    from calcinosis.registry.summary import patient_summary_pdf

    lang = check_lang(lang)
    check_output(output, force=force)
    with _patient_transaction(db, code, kb_path, team) as (session, patient, kb):
        pdf = patient_summary_pdf(session, patient, kb, lang=lang)
    write_output(output, pdf, force=force)
    typer.echo(safe(output, limit=300))


@app.command("due")
@handles_errors
def due(
    today: str | None = typer.Option(None, "--today", help="Date to count from (default: today)."),
    everyone: bool = typer.Option(False, "--all", help="Also list checks not yet due."),
    as_json: bool = JSON_OPTION,
    db: str | None = DB_OPTION,
    kb_path: Path | None = KB_OPTION,
) -> None:
    """Who is due or overdue for clinical review or imaging (intervals of the follow-up plan)."""
    import datetime as dt

    from calcinosis.cli._common import load
    from calcinosis.registry import store
    from calcinosis.registry.db import session_scope
    from calcinosis.registry.response import due as run

    kb = load(kb_path)
    day = store.parse_date(today, "--today") if today else dt.date.today()
    with _engine(db) as engine, session_scope(engine) as session:
        rows = [r for r in run(session, kb, day) if everyone or r.status != "not_yet"]
    if as_json:
        from calcinosis.serialise import to_json

        typer.echo(to_json(rows))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Due on {day.isoformat()}")
    for col in ("patient", "check", "every", "last", "due", "status"):
        table.add_column(col)
    for r in rows:
        table.add_row(safe(r.patient), r.check, r.every, str(r.last or "—"), str(r.due or "—"), r.status)
    Console().print(table)


@app.command("backup")
@handles_errors
def backup(output: Path = typer.Argument(..., help="Backup file to write."), db: str | None = DB_OPTION) -> None:
    """A consistent copy of the registry while it is in use (SQLite's online backup, or pg_dump)."""
    from calcinosis.registry.transfer import backup as run

    with _engine(db) as engine:
        run(engine, output)
    typer.echo(f"backup written to {safe(output, limit=300)}")


@app.command("restore")
@handles_errors
def restore(
    backup_file: Path = typer.Argument(..., help="A backup written by `registry backup`."),
    force: bool = typer.Option(False, "--force", help="Replace the registry's current content."),
    db: str | None = DB_OPTION,
) -> None:
    """Replace the registry's content with a backup (needs --force: it replaces everything)."""
    from calcinosis.registry.transfer import restore as run

    with _engine(db, ready=False) as engine:
        run(engine, backup_file, force=force)
    typer.echo(f"registry restored from {safe(backup_file, limit=300)}")


users_app = typer.Typer(help="Users of the registry's pages (clinician, researcher, admin).", no_args_is_help=True)
app.add_typer(users_app, name="users")


@users_app.command("add")
@handles_errors
def users_add(
    username: str = typer.Argument(...),
    role: str = typer.Option(..., "--role", help="clinician, researcher or admin."),
    team: str = typer.Option("default", "--team", help="The team whose patients the user sees."),
    db: str | None = DB_OPTION,
) -> None:
    """Add a user; the password is asked (or read from CALCINOSIS_NEW_PASSWORD for scripts), never echoed."""
    import os

    from calcinosis.registry import store
    from calcinosis.registry.db import session_scope

    password = os.environ.get("CALCINOSIS_NEW_PASSWORD") or typer.prompt(
        "password", hide_input=True, confirmation_prompt=True
    )
    with _engine(db) as engine, session_scope(engine) as session:
        store.add_user(session, username, password, role, actor=_actor(), team=team)
    typer.echo(f"user {safe(username)} added ({role}, team {safe(team)})")


@users_app.command("list")
@handles_errors
def users_list(db: str | None = DB_OPTION) -> None:
    """List the users and their roles."""
    from sqlalchemy import select

    from calcinosis.registry.db import session_scope
    from calcinosis.registry.models import User

    with _engine(db) as engine, session_scope(engine) as session:
        for user in session.scalars(select(User).order_by(User.username)):
            typer.echo(
                f"{safe(user.username)}\t{user.role}\t{safe(user.team)}\t{'active' if user.active else 'inactive'}"
            )
