"""``calcinosis diagnose CASE``."""

from __future__ import annotations

from pathlib import Path

import typer

from calcinosis.cli._common import KB_OPTION, LANG_OPTION, check_lang, handles_errors, load
from calcinosis.cli.fhir import DATE_OPTION, analysis_date, read_input, render_mapping

__all__ = ["diagnose"]


@handles_errors
def diagnose(
    case_files: list[Path] = typer.Argument(
        ...,
        help="Case files (YAML or JSON, case format v1), FHIR R4 Bundles (JSON) or clinical notes (.txt, French or English: read by calcinosis intake).",
        metavar="CASE...",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result object as JSON."),
    as_fhir: bool = typer.Option(
        False,
        "--fhir",
        help="Print a FHIR R4 Bundle: the case, a DiagnosticReport, a RiskAssessment, the missing work-up as ServiceRequest proposals and a CarePlan.",
    ),
    full: bool = typer.Option(
        False, "--full", help="After the one-screen summary, every reason, the work-up, questions and references."
    ),
    when: str | None = DATE_OPTION,
    lang: str = LANG_OPTION,
    kb_path: Path | None = KB_OPTION,
) -> None:
    """Rank the causes of a case's soft-tissue calcification, with the reasons and the missing work-up."""
    from calcinosis.engine.diagnose import diagnose as run

    lang = check_lang(lang)
    date = analysis_date(when, lang)
    kb = load(kb_path)
    cases = []
    for path in case_files:
        if path.suffix.lower() in (".txt", ".text"):  # a free-text note: read by the intake, said on stderr
            from calcinosis.case.model import Case
            from calcinosis.cli.intake import note_case

            from_note = note_case(path, kb, lang)
            assert isinstance(from_note, Case)
            cases.append(from_note)
            continue
        case, imported = read_input(path, kb, when=date, lang=lang)
        if imported is not None:
            render_mapping(imported, str(path), lang)
        cases.append(case)
    if as_fhir:
        import json

        from calcinosis.interop.fhir.write import result_bundle

        bundles = [result_bundle(case, kb, analysis_date=date, lang=lang) for case in cases]
        from calcinosis.textsafe import json_safe

        typer.echo(json_safe(json.dumps(bundles[0] if len(bundles) == 1 else bundles, ensure_ascii=False, indent=2)))
        return
    reports = [run(case, kb, lang=lang) for case in cases]
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
