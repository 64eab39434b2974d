"""``calcinosis diagnose CASE``."""

from __future__ import annotations

from pathlib import Path

import typer

from calcinosis.cli._common import KB_OPTION, LANG_OPTION, check_lang, handles_errors, load

__all__ = ["diagnose"]


@handles_errors
def diagnose(
    case_files: list[Path] = typer.Argument(..., help="Case files (YAML or JSON, case format v1).", metavar="CASE..."),
    as_json: bool = typer.Option(False, "--json", help="Print the result object as JSON."),
    full: bool = typer.Option(
        False, "--full", help="After the one-screen summary, every reason, the work-up, questions and references."
    ),
    lang: str = LANG_OPTION,
    kb_path: Path | None = KB_OPTION,
) -> None:
    """Rank the causes of a case's soft-tissue calcification, with the reasons and the missing work-up."""
    from calcinosis.case.reader import read_case
    from calcinosis.engine.diagnose import diagnose as run

    lang = check_lang(lang)
    kb = load(kb_path)
    reports = [run(read_case(path, kb, lang=lang), kb, lang=lang) for path in case_files]
    if as_json:
        from calcinosis.serialise import to_json

        typer.echo(to_json(reports[0] if len(reports) == 1 else reports))
        return
    from calcinosis.cli.render import render_report, render_summary
    from calcinosis.reports.summary import build_summary

    for path, report in zip(case_files, reports, strict=True):
        render_summary(build_summary(report, kb, lang=lang), source=report.case_id or str(path), lang=lang, full=full)
        if full:
            render_report(report, kb, source=str(path))
