"""``calcinosis manage CASE`` and ``calcinosis stage cvi CASE``."""

from __future__ import annotations

from pathlib import Path

import typer

from calcinosis.cli._common import KB_OPTION, LANG_OPTION, check_lang, handles_errors, load

__all__ = ["manage", "stage_app"]

stage_app = typer.Typer(help="Staging.", no_args_is_help=True)


@handles_errors
def manage(
    case_file: Path = typer.Argument(..., help="Case file (YAML or JSON, case format v1).", metavar="CASE"),
    as_json: bool = typer.Option(False, "--json", help="Print the management result as JSON."),
    diagnosis: str | None = typer.Option(
        None,
        "--diagnosis",
        "-d",
        help="An established diagnosis (id): fit options to it rather than to the differential.",
    ),
    lang: str = LANG_OPTION,
    kb_path: Path | None = KB_OPTION,
) -> None:
    """Treatment options that fit the case, grouped by mechanism, with doses, cautions and evidence."""
    from calcinosis.case.reader import read_case
    from calcinosis.engine.diagnose import analyse
    from calcinosis.management.manage import manage as run

    lang = check_lang(lang)
    kb = load(kb_path)
    case = read_case(case_file, kb, lang=lang)
    result = run(case, kb, lang=lang, diagnosis=diagnosis, analysis=analyse(case, kb, lang=lang))
    if as_json:
        from calcinosis.serialise import to_json

        typer.echo(to_json(result))
        return
    from calcinosis.cli.render_management import render_management

    render_management(result, kb, source=str(case_file), lang=lang)


@stage_app.command("cvi")
@handles_errors
def stage_cvi(
    case_file: Path = typer.Argument(..., help="Case file (YAML or JSON, case format v1).", metavar="CASE"),
    as_json: bool = typer.Option(False, "--json", help="Print the staging as JSON."),
    lang: str = LANG_OPTION,
    kb_path: Path | None = KB_OPTION,
) -> None:
    """Porter 1988 stage and CEAP 2020 clinical class of chronic venous disease, and what is missing."""
    from calcinosis.case.reader import read_case
    from calcinosis.engine.diagnose import analyse
    from calcinosis.engine.staging import stage_cvi as run

    lang = check_lang(lang)
    kb = load(kb_path)
    _, evidence, _ = analyse(read_case(case_file, kb, lang=lang), kb, lang=lang)
    result = run(evidence, kb, lang=lang)
    if as_json:
        from calcinosis.serialise import to_json

        typer.echo(to_json(result))
        return
    from calcinosis.cli.render_management import render_staging

    render_staging(result, lang=lang)
