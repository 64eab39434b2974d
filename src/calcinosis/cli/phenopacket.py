"""``calcinosis phenopacket export|import``: GA4GH Phenopackets v2."""

from __future__ import annotations

from pathlib import Path

import typer

from calcinosis.cli._common import KB_OPTION, handles_errors, load, safe

__all__ = ["app"]

app = typer.Typer(help="Exchange cases as GA4GH Phenopackets v2.", no_args_is_help=True)

OUTPUT_HELP = "File to write (default: standard output; never an input; an existing file needs --force)."


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
    kb_path: Path | None = KB_OPTION,
) -> None:
    """Write a case as a GA4GH Phenopacket v2 (JSON)."""
    from calcinosis.case.reader import read_case
    from calcinosis.interop.phenopacket import export_case, packet_json
    from calcinosis.kb.codes import load_codes
    from calcinosis.kb.loader import default_kb_path
    from calcinosis.outputs import check_output, write_output

    if output is not None:
        check_output(output, inputs=[case_file], force=force)  # before any work: fail fast
    kb = load(kb_path)
    codes = load_codes(kb_path or default_kb_path())
    packet = export_case(read_case(case_file, kb), kb, codes=codes, with_diagnosis=with_diagnosis)
    text = packet_json(packet)
    if output is None:
        typer.echo(text, nl=False)
        return
    write_output(output, text, inputs=[case_file], force=force)
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
    kb_path: Path | None = KB_OPTION,
) -> None:
    """Read a GA4GH Phenopacket v2 into a case, reporting what became of every element."""
    from calcinosis import __version__
    from calcinosis.interop.phenopacket import case_text, read_phenopacket
    from calcinosis.kb.codes import load_codes
    from calcinosis.kb.loader import default_kb_path
    from calcinosis.outputs import check_output, write_output
    from calcinosis.serialise import to_json
    from calcinosis.textsafe import plain

    targets = [p for p in (output, report_file) if p is not None]
    for target in targets:  # before any work: fail fast
        check_output(target, inputs=[packet_file], force=force)
    if output is not None and report_file is not None and output.resolve() == report_file.resolve():
        raise typer.BadParameter("--output and --report must be different files")
    kb = load(kb_path)
    result = read_phenopacket(packet_file, kb, codes=load_codes(kb_path or default_kb_path()))
    header = (
        f"Imported from {plain(packet_file, limit=200, newlines=False)} (GA4GH Phenopacket v2) by calcinosis "
        f"{__version__}.\n{result.report.summary()}"
    )
    fmt = "json" if output is not None and output.suffix.lower() == ".json" else "yaml"
    text = case_text(result.case, fmt=fmt, header=plain(header))
    if output is None:
        typer.echo(text, nl=False)
    else:
        write_output(output, text, inputs=[packet_file], force=force)
    if report_file is not None:
        write_output(report_file, to_json(result.report) + "\n", inputs=[packet_file], force=force)
        typer.echo(plain(result.report.summary()), err=True)
    else:
        typer.echo(plain(result.report.render()), err=True)
    if output is not None:
        typer.echo(safe(output, limit=4000))
