"""Fixtures of the batch tests: the command on a runner, a random cohort, output readers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
import typer
from typer.testing import CliRunner

from calcinosis.cli.batch import batch
from calcinosis.kb.model import KnowledgeBase

from .cohort import cohort

_app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
_app.command("batch")(batch)


@_app.callback()
def _root() -> None:
    """The batch command as ``calcinosis batch`` registers it."""


runner = CliRunner()


def run_batch_cli(*args: str | Path) -> tuple[int, str, str]:
    """``calcinosis batch ARGS``: exit code, stdout, stderr."""
    result = runner.invoke(_app, ["batch", *map(str, args)])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def read_table(path: Path) -> pa.Table:
    """An output table, Parquet or CSV."""
    if path.suffix == ".parquet":
        return pq.read_table(path)
    return pacsv.read_csv(path)


@pytest.fixture(scope="session")
def cases(kb: KnowledgeBase) -> list[dict[str, Any]]:
    """40 random valid cases (seeded)."""
    return cohort(kb, 40)
