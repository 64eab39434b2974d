"""``calcinosis fhir import``: a FHIR R4 Bundle becomes a case; shared by ``diagnose``, which
accepts a Bundle wherever it accepts a case file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from calcinosis.cli._common import KB_OPTION, LANG_OPTION, check_lang, handles_errors, load, safe

if TYPE_CHECKING:
    from calcinosis.case.model import Case
    from calcinosis.interop.fhir.mapping import FhirImport
    from calcinosis.kb.model import KnowledgeBase

__all__ = ["DATE_OPTION", "analysis_date", "app", "read_input", "render_mapping"]

app = typer.Typer(help="Read FHIR R4 Bundles from hospital systems.", no_args_is_help=True)

DATE_OPTION = typer.Option(
    None,
    "--date",
    help="Analysis date for FHIR input (YYYY-MM-DD): the age and delays are computed at it. Default: today.",
)


def _document(path: Path, lang: str) -> Any:
    from calcinosis.case.document import load_document, read_document_bytes

    fmt = "json" if path.suffix.lower() == ".json" else "yaml"
    return load_document(read_document_bytes(path, lang=lang), source=str(path), fmt=fmt, lang=lang)


def analysis_date(text: str | None, lang: str) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        from calcinosis.cli._common import fail

        raise fail(f"--date: {safe(text, 40)!r} is not a date (expected YYYY-MM-DD, e.g. 2026-12-04)", lang) from None


def import_bundle(path: Path, data: Any, kb: KnowledgeBase, *, when: dt.date | None, lang: str) -> FhirImport:
    """The case of a FHIR document, with its mapping report (codes from the KB's codes.yaml)."""
    from calcinosis.interop.fhir.read import read_bundle
    from calcinosis.kb.codes import codes_of

    return read_bundle(data, kb, codes_of(kb), analysis_date=when, source=str(path), lang=lang)


def _names_resource_type(data: Any) -> bool:
    """The test of :func:`calcinosis.interop.fhir.read.is_fhir_document`, without importing the
    FHIR reader and its models for a plain case file (a fifth of ``diagnose``'s start)."""
    return isinstance(data, dict) and "resourceType" in data


def read_input(path: Path, kb: KnowledgeBase, *, when: dt.date | None, lang: str) -> tuple[Case, FhirImport | None]:
    """A case file, or a FHIR Bundle turned into a case (then with its mapping report)."""
    data = _document(path, lang)
    if not _names_resource_type(data):
        from calcinosis.case.reader import parse_case

        return parse_case(data, kb, source=str(path), lang=lang), None
    from calcinosis.interop.fhir.read import read_document_case

    return read_document_case(data, kb, source=str(path), lang=lang, analysis_date=when)


def render_mapping(imported: FhirImport, source: str, lang: str) -> None:
    """The mapping report on stderr: what was used, and what was not and why."""
    from rich.console import Console
    from rich.table import Table

    from calcinosis.i18n import colon, message

    console = Console(stderr=True, highlight=False)
    table = Table(title=safe(message("fhir_report_title", lang, source=source)), show_lines=False, expand=False)
    for column in ("fhir_col_resource", "fhir_col_element", "fhir_col_value", "fhir_col_outcome"):
        table.add_column(message(column, lang), overflow="fold")
    for m in imported.mapping:
        outcome = (
            m.mapped_to
            if m.outcome == "used"
            else f"[yellow]{safe(message('fhir_not_used', lang))}[/]{colon(lang)} {safe(m.reason, 200)}"
        )
        if m.outcome == "used":
            outcome = safe(outcome, 200) + (f" [dim]({safe(m.reason, 120)})[/]" if m.reason else "")
        table.add_row(safe(m.resource, 60), safe(m.element, 40), safe(m.value, 80), outcome)
    console.print(table)
    used = sum(1 for m in imported.mapping if m.outcome == "used")
    console.print(message("fhir_report_counts", lang, used=used, not_used=len(imported.mapping) - used))


@app.command("import")
@handles_errors
def import_(
    bundle: Path = typer.Argument(..., help="A FHIR R4 Bundle (JSON) or one resource."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the case here (YAML); default: print it."),
    when: str | None = DATE_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print the case and the mapping report as JSON."),
    force: bool = typer.Option(False, "--force", help="Replace the output file if it exists."),
    lang: str = LANG_OPTION,
    kb_path: Path | None = KB_OPTION,
) -> None:
    """Turn a FHIR R4 Bundle into a case, and say what was used and what was not, and why."""
    from calcinosis.case.document import case_yaml
    from calcinosis.outputs import check_output, write_output

    lang = check_lang(lang)
    date = analysis_date(when, lang)
    if output is not None:
        check_output(output, inputs=[bundle], force=force, lang=lang)
    kb = load(kb_path)
    imported = import_bundle(bundle, _document(bundle, lang), kb, when=date, lang=lang)
    if as_json:
        from calcinosis.serialise import to_json

        typer.echo(to_json(imported.model_dump(mode="json")))
    else:
        render_mapping(imported, str(bundle), lang)
    text = case_yaml(imported.case)
    if output is not None:
        write_output(output, text, inputs=[bundle], force=force, lang=lang)
    elif not as_json:
        typer.echo(text, nl=False)
