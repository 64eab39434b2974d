"""``calcinosis report CASE --format html|pdf --lang fr|en --audience clinician|patient -o FILE``."""

from __future__ import annotations

from pathlib import Path

import typer

from calcinosis.cli._common import KB_OPTION, LANG_OPTION, check_lang, handles_errors, load, safe
from calcinosis.reports.kinds import ReportAudience as Audience
from calcinosis.reports.kinds import ReportFormat as Format

__all__ = ["report", "report_format"]

_SUFFIX_FORMATS = {".html": Format.html, ".htm": Format.html, ".pdf": Format.pdf}


def report_format(output: Path, fmt: Format | None, lang: str = "en") -> Format:
    """The format ``output`` is written in: the one asked, else the one its suffix names.

    A hostile-input audit: ``-o r.pdf`` wrote HTML and ``-o r.html -f pdf`` a PDF, files that
    open as garbage or not at all under the names they were given. The decision: without
    ``--format`` the suffix says (.pdf: PDF; .html, .htm or none: HTML; any other suffix, such
    as .md, is refused: it would hold HTML under a name that says otherwise); with ``--format``,
    a suffix that names the other format is refused, never written under a name that lies about
    its content.

    Raises
    ------
    OutputError
        When ``--format`` and the suffix name different formats, or, without ``--format``, the
        suffix names neither.
    """
    named = _SUFFIX_FORMATS.get(output.suffix.lower())
    if fmt is None and named is None and output.suffix:
        # a clinical review: '-o leaflet.md' wrote an HTML document under a Markdown name; a
        # suffix naming neither format is refused unless --format says what to write
        from calcinosis.errors import OutputError
        from calcinosis.i18n import message

        text = message("report_suffix_unknown", lang, suffix=output.suffix)
        raise OutputError(message("err_file", lang, source=output, text=text), path=output)
    if fmt is None:
        return named or Format.html
    if named is not None and named != fmt:
        from calcinosis.errors import OutputError
        from calcinosis.i18n import message

        text = message("report_suffix_format", lang, suffix=output.suffix, named=named.value.upper(), fmt=fmt.value)
        raise OutputError(message("err_file", lang, source=output, text=text), path=output)
    return fmt


@handles_errors
def report(
    case_file: Path = typer.Argument(..., help="Case file (YAML or JSON, case format v1).", metavar="CASE"),
    fmt: Format | None = typer.Option(
        None,
        "--format",
        "-f",
        help="html or pdf. Default: the output's suffix says (.pdf: pdf; .html, .htm or none: html; "
        "another suffix is refused); a suffix that names the other format is refused.",
    ),
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
    """Write the clinician report or the patient leaflet of a case, in HTML or PDF (the format
    asked, else the one the output's suffix names)."""
    from calcinosis.case.reader import read_case
    from calcinosis.outputs import check_output
    from calcinosis.reports.render import render_html, write_report

    lang = check_lang(lang)
    chosen = report_format(output, fmt, lang)
    check_output(output, inputs=[case_file], force=force, lang=lang)  # before any work: fail fast
    kb = load(kb_path)
    html = render_html(read_case(case_file, kb, lang=lang), kb, lang=lang, audience=audience.value)
    write_report(html, output, fmt=chosen.value, inputs=[case_file], force=force, lang=lang)
    typer.echo(safe(output, limit=4000))
