"""``calcinosis report CASE --format html|pdf --lang fr|en --audience clinician|patient -o FILE``."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from calcinosis.cli._common import KB_OPTION, LANG_OPTION, check_lang, handles_errors, load

__all__ = ["report"]


class Format(StrEnum):
    """Output formats."""

    html = "html"
    pdf = "pdf"


class Audience(StrEnum):
    """Who the report is for."""

    clinician = "clinician"
    patient = "patient"


@handles_errors
def report(
    case_file: Path = typer.Argument(..., help="Case file (YAML or JSON, case format v1).", metavar="CASE"),
    fmt: Format = typer.Option(Format.html, "--format", "-f", help="html or pdf."),
    audience: Audience = typer.Option(
        Audience.clinician, "--audience", "-a", help="clinician (full report) or patient (plain-language leaflet)."
    ),
    output: Path = typer.Option(..., "--output", "-o", help="File to write."),
    lang: str = LANG_OPTION,
    kb_path: Path | None = KB_OPTION,
) -> None:
    """Write the clinician report or the patient leaflet of a case, in HTML or PDF."""
    from calcinosis.case.reader import read_case
    from calcinosis.reports.render import render_html, write_report

    lang = check_lang(lang)
    if not output.parent.exists():
        typer.echo(f"error: cannot write {output}: folder {output.parent} does not exist", err=True)
        raise typer.Exit(2)
    kb = load(kb_path)
    html = render_html(read_case(case_file, kb), kb, lang=lang, audience=audience.value)
    write_report(html, output, fmt=fmt.value)
    typer.echo(str(output))
