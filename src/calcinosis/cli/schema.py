"""``calcinosis schema``: JSON Schema of the case file, vocabulary included."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from calcinosis.cli._common import KB_OPTION, handles_errors, load

__all__ = ["schema"]


@handles_errors
def schema(
    result: bool = typer.Option(False, "--result", help="Print the schema of the result object instead."),
    kb_path: Path | None = KB_OPTION,
) -> None:
    """Print the JSON Schema of case format version 1 (or of the result with --result)."""
    from calcinosis.case.schema import case_json_schema
    from calcinosis.engine.results import result_json_schema

    data = result_json_schema() if result else case_json_schema(load(kb_path))
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
