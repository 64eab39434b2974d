"""``calcinosis report CASE --format html|pdf --lang fr|en --audience clinician|patient -o FILE``."""

from __future__ import annotations

from pathlib import Path

import typer

from calcinosis.cli._common import KB_OPTION, LANG_OPTION, check_lang, handles_errors, load, safe
from calcinosis.reports.kinds import ReportAudience as Audience
from calcinosis.reports.kinds import ReportFormat as Format

__all__ = ["report"]


@handles_errors
def report(
    case_file: Path = typer.Argument(..., help="Case file (YAML or JSON, case format v1).", metavar="CASE"),
    fmt: Format = typer.Option(Format.html, "--format", "-f", help="html or pdf."),
    audience: Audience = typer.Option(
        Audience.clinician, "--audience", "-a", help="clinician (full report) or patient (plain-language leaflet)."
    ),
    output: Path = typer.Option(
        ..., "--output", "-o", help="File to write (never an input; an existing file needs --force)."
    ),
    force: bool = typer.Option(False, "--force", help="Replace the output file if it exists."),
    lang: str = LANG_OPTION,
    kb_path: Path | None = KB_OPTION,
) -> None:
    """Write the clinician report or the patient leaflet of a case, in HTML or PDF."""
    from calcinosis.case.reader import read_case
    from calcinosis.outputs import check_output
    from calcinosis.reports.render import render_html, write_report

    lang = check_lang(lang)
    check_output(output, inputs=[case_file], force=force, lang=lang)  # before any work: fail fast
    kb = load(kb_path)
    html = render_html(read_case(case_file, kb, lang=lang), kb, lang=lang, audience=audience.value)
    write_report(html, output, fmt=fmt.value, inputs=[case_file], force=force, lang=lang)
    typer.echo(safe(output, limit=4000))
