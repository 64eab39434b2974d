"""``calcinosis phenopacket export|import``: GA4GH Phenopackets v2."""

from __future__ import annotations

from pathlib import Path

import typer

from calcinosis.cli._common import KB_OPTION, LANG_OPTION, check_lang, fail, handles_errors, load, safe

__all__ = ["app"]

app = typer.Typer(help="Exchange cases as GA4GH Phenopackets v2.", no_args_is_help=True)

OUTPUT_HELP = "File to write (default: standard output; never an input; an existing file needs --force)."


def _require_phenopackets(lang: str) -> None:
    """The ``interop`` extra, before any work: its absence said in ``lang``, exit 2."""
    from calcinosis.interop.phenopackets._pb import PhenopacketsUnavailableError, pb

    try:
        pb(lang)
    except PhenopacketsUnavailableError as exc:
        raise fail(exc, lang) from None


@app.command("export")
@handles_errors
def export(
    case_file: Path = typer.Argument(..., help="Case file (YAML or JSON, case format v1).", metavar="CASE"),
    output: Path | None = typer.Option(None, "--output", "-o", help=OUTPUT_HELP),
    with_diagnosis: bool = typer.Option(
        False,
        "--with-diagnosis",
        help="Add the engine's most probable diagnosis and its probability (decision support).",
    ),
    force: bool = typer.Option(False, "--force", help="Replace the output file if it exists."),
    lang: str = LANG_OPTION,
    kb_path: Path | None = KB_OPTION,
) -> None:
    """Write a case as a GA4GH Phenopacket v2 (JSON); --lang sets the language of the messages."""
    from calcinosis.case.reader import read_case
    from calcinosis.interop.phenopacket import export_case, packet_json
    from calcinosis.kb.codes import codes_of
    from calcinosis.outputs import check_output, write_output

    lang = check_lang(lang)
    if output is not None:
        check_output(output, inputs=[case_file], force=force, lang=lang)  # before any work: fail fast
    _require_phenopackets(lang)
    kb = load(kb_path)
    codes = codes_of(kb)
    case = read_case(case_file, kb, lang=lang)
    packet = export_case(case, kb, codes=codes, with_diagnosis=with_diagnosis, lang=lang)
    text = packet_json(packet)
    if output is None:
        typer.echo(text, nl=False)
        return
    write_output(output, text, inputs=[case_file], force=force, lang=lang)
    typer.echo(safe(output, limit=4000))


@app.command("import")
@handles_errors
def import_(
    packet_file: Path = typer.Argument(..., help="Phenopacket v2 file (JSON, or YAML).", metavar="PACKET"),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Case file to write, YAML (or JSON when it ends in .json). " + OUTPUT_HELP
    ),
    report_file: Path | None = typer.Option(
        None, "--report", help="Write the mapping report as JSON to this file (default: as text on standard error)."
    ),
    force: bool = typer.Option(False, "--force", help="Replace the output files if they exist."),
    lang: str = LANG_OPTION,
    kb_path: Path | None = KB_OPTION,
) -> None:
    """Read a GA4GH Phenopacket v2 into a case, reporting what became of every element (in --lang)."""
    from calcinosis import __version__
    from calcinosis.i18n import message
    from calcinosis.interop.phenopacket import case_text, read_phenopacket
    from calcinosis.kb.codes import codes_of
    from calcinosis.outputs import check_output, write_output
    from calcinosis.serialise import to_json
    from calcinosis.textsafe import plain

    lang = check_lang(lang)
    targets = [p for p in (output, report_file) if p is not None]
    for target in targets:  # before any work: fail fast
        check_output(target, inputs=[packet_file], force=force, lang=lang)
    if output is not None and report_file is not None and output.resolve() == report_file.resolve():
        raise fail(message("pp_cli_same_output", lang), lang)
    _require_phenopackets(lang)
    kb = load(kb_path)
    result = read_phenopacket(packet_file, kb, codes=codes_of(kb), lang=lang)
    source = plain(packet_file, limit=200, newlines=False)
    header = message("pp_cli_header", lang, source=source, version=__version__) + "\n" + result.report.summary()
    fmt = "json" if output is not None and output.suffix.lower() == ".json" else "yaml"
    text = case_text(result.case, fmt=fmt, header=plain(header))
    if output is None:
        typer.echo(text, nl=False)
    else:
        write_output(output, text, inputs=[packet_file], force=force, lang=lang)
    if report_file is not None:
        write_output(report_file, to_json(result.report) + "\n", inputs=[packet_file], force=force, lang=lang)
        typer.echo(plain(result.report.summary()), err=True)
    else:
        typer.echo(plain(result.report.render()), err=True)
    if output is not None:
        typer.echo(safe(output, limit=4000))
