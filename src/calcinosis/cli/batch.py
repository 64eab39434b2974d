"""``calcinosis batch INPUT --out results.parquet``."""

from __future__ import annotations

from pathlib import Path

import typer

from calcinosis.cli._common import KB_OPTION, LANG_OPTION, check_lang, fail, handles_errors, load

__all__ = ["batch"]


@handles_errors
def batch(
    source: Path = typer.Argument(
        ...,
        help="A folder of case files, a JSON Lines file of cases (or a registry visit export), or a flat CSV or Parquet table.",
        metavar="INPUT",
    ),
    out: Path = typer.Option(
        ..., "--out", "-o", help="Results table: .parquet or .csv (rejects, summary and --explain files beside it)."
    ),
    top_k: int = typer.Option(5, "--top-k", help="Diagnoses per row (dx1, p1, ...)."),
    explain: bool = typer.Option(
        False, "--explain", help="Also write each case's full result object as JSON Lines (slow: ~3 ms a case)."
    ),
    strict: bool = typer.Option(False, "--strict", help="Stop at the first bad row instead of rejecting it."),
    force: bool = typer.Option(False, "--force", help="Replace existing output files."),
    dask: str | None = typer.Option(
        None, "--dask", help="Run on a Dask cluster: tcp://HOST:PORT, or local:N for N workers on 127.0.0.1."
    ),
    partitions: int | None = typer.Option(
        None,
        "--partitions",
        help="With --dask: partitions of the input (default: two per worker, more on large inputs).",
    ),
    chunk_rows: int = typer.Option(20_000, "--chunk-rows", help="Rows scored at once in a local run.", hidden=True),
    no_progress: bool = typer.Option(False, "--no-progress", help="No progress bar (it shows on a terminal only)."),
    workers: int = typer.Option(
        1,
        "--workers",
        "-j",
        min=1,
        max=256,
        help="Local processes scoring chunks in parallel (each loads the knowledge once); same output as 1.",
    ),
    lang: str = LANG_OPTION,
    kb_path: Path | None = KB_OPTION,
) -> None:
    """Score a cohort: category, its probabilities and the top diagnoses of every case, in one table."""
    from calcinosis.batch._text import say
    from calcinosis.batch.job import JobOptions, run_batch

    lang = check_lang(lang)
    kb = load(kb_path)
    if not 1 <= top_k <= len(kb.diseases):
        raise fail(say("bad_number", lang, option="--top-k", high=len(kb.diseases), value=top_k), lang)
    if not 1 <= chunk_rows <= 10_000_000:
        raise fail(say("bad_number", lang, option="--chunk-rows", high=10_000_000, value=chunk_rows), lang)
    if partitions is not None and dask is None:
        raise fail(say("partitions_need_dask", lang), lang)
    summary = run_batch(
        source,
        out,
        kb,
        kb_path=kb_path,
        options=JobOptions(top_k=top_k, explain=explain, lang=lang),
        strict=strict,
        force=force,
        dask=dask,
        partitions=partitions,
        chunk_rows=chunk_rows,
        progress=not no_progress,
        workers=workers,
    )
    typer.echo(say("counts", lang, rows_in=summary.rows_in, scored=summary.scored, rejected=summary.rejected))
    typer.echo(say("written", lang, out=summary.output, rejects=summary.rejects, summary=summary.summary))
    if summary.explain:
        typer.echo(say("written_explain", lang, explain=summary.explain))
