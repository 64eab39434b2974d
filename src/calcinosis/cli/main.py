"""The ``calcinosis`` command: a thin layer of verb subcommands over the Python API.

Heavy imports happen inside each command so that ``calcinosis --help`` and a single
``diagnose`` start fast. Every expected failure (bad case file, bad knowledge base) is
printed as a clear message with exit code 2, never a traceback.
"""

from __future__ import annotations

import sys

import typer

from calcinosis.cli import batch as batch_cmd
from calcinosis.cli import diagnose as diagnose_cmd
from calcinosis.cli import evaluate as evaluate_cmd
from calcinosis.cli import fhir as fhir_cmd
from calcinosis.cli import image as image_cmd
from calcinosis.cli import intake as intake_cmd
from calcinosis.cli import intake_eval as intake_eval_cmd
from calcinosis.cli import kb as kb_cmd
from calcinosis.cli import manage as manage_cmd
from calcinosis.cli import phenopacket as phenopacket_cmd
from calcinosis.cli import registry as registry_cmd
from calcinosis.cli import report as report_cmd
from calcinosis.cli import schema as schema_cmd
from calcinosis.cli import serve as serve_cmd

__all__ = ["app", "main"]

app = typer.Typer(
    name="calcinosis",
    help="Decision support for soft-tissue calcification: classification, calibrated differential, work-up. The decision is the clinician's.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("diagnose")(diagnose_cmd.diagnose)
app.command("batch")(batch_cmd.batch)
app.command("evaluate")(evaluate_cmd.evaluate)
app.command("intake")(intake_cmd.intake)
app.command("intake-eval")(intake_eval_cmd.intake_eval)
app.command("manage")(manage_cmd.manage)
app.command("report")(report_cmd.report)
app.command("schema")(schema_cmd.schema)
app.command("serve")(serve_cmd.serve)
app.add_typer(manage_cmd.stage_app, name="stage")
app.add_typer(kb_cmd.app, name="kb")
app.add_typer(image_cmd.app, name="image")
app.add_typer(registry_cmd.app, name="registry")
app.add_typer(fhir_cmd.app, name="fhir")
app.add_typer(phenopacket_cmd.app, name="phenopacket")


@app.callback(invoke_without_command=True)
def _root(
    version: bool = typer.Option(False, "--version", help="Print the code and knowledge versions."),
) -> None:
    """Decision support for soft-tissue calcification."""
    if version:
        import yaml

        from calcinosis import __version__
        from calcinosis.kb.loader import default_kb_path

        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        manifest = yaml.load((default_kb_path() / "MANIFEST.yaml").read_text(encoding="utf-8"), Loader=loader)
        typer.echo(f"calcinosis {__version__} (knowledge base {manifest['kb_version']})")
        raise typer.Exit(0)


def main() -> None:
    """Console-script entry point."""
    from calcinosis.errors import CalcinosisError
    from calcinosis.textsafe import plain

    try:
        app()
    except CalcinosisError as exc:
        sys.stderr.write(f"error: {plain(exc)}\n")
        sys.exit(2)
