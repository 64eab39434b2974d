"""The batch job: rows -> validated cases -> the vectorised kernel -> output rows, chunk by chunk.

:func:`process_chunk` is the whole work on one chunk and the only function a Dask worker runs
(``distributed.py``), so a local run and a cluster run give the same rows. :func:`run_batch`
drives it: it opens the input, checks every output before any work, streams the scored rows
to the output with a progress bar, and counts what went where (rows in = scored + rejected,
always: a row is never dropped without a reject line saying why).
"""

from __future__ import annotations

import contextlib
import gc
import json
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from calcinosis._version import __version__
from calcinosis.batch._text import say
from calcinosis.batch.columns import Layout
from calcinosis.batch.inputs import Chunk, Source, TableChunk, open_input, pyarrow_modules
from calcinosis.batch.outputs import BatchOutputs, result_schema
from calcinosis.batch.validate import Reject, RowValidator, reject_id, rejects_from
from calcinosis.case.model import Case
from calcinosis.engine.batch import EvidenceMatrix
from calcinosis.errors import CalcinosisError, CaseValidationError
from calcinosis.kb.model import KnowledgeBase
from calcinosis.serialise import NonFiniteResultError
from calcinosis.textsafe import plain

__all__ = [
    "BatchSummary",
    "ChunkResult",
    "JobOptions",
    "ValidatedRows",
    "merge",
    "process_chunk",
    "run_batch",
    "validate_chunk",
]

DEFAULT_CHUNK_ROWS = 20_000
"""Rows scored at once locally: large enough for the kernel's matrix products, small enough
that a million-row cohort never sits in memory whole."""


@dataclass(frozen=True)
class JobOptions:
    """What every chunk is scored with (sent to each Dask worker)."""

    top_k: int = 5
    explain: bool = False
    lang: str = "en"
    columnar: bool = True
    """Read flat-table rows column by column where possible (``columnar.py``); False: every row
    the per-row way (the reference the fast path is tested against)."""


@dataclass
class ChunkResult:
    """One chunk scored: its output rows (an Arrow table), its rejects, the explained results."""

    rows_in: int
    table: Any
    rejects: list[Reject]
    rows_rejected: int
    explain: list[str] = field(default_factory=list)


def _items(chunk: Chunk, validator: RowValidator) -> Iterator[tuple[int, str, dict[str, Any] | None, list[Reject]]]:
    """(row, source, case dict or None, rejects so far) for every row of a chunk."""
    lang = validator.lang
    if isinstance(chunk, TableChunk):
        yield from _table_items(chunk, validator.kb, lang)
        return
    from calcinosis.case.document import load_document

    for row, source, payload, fmt in zip(chunk.rows, chunk.sources, chunk.payloads, chunk.fmts, strict=True):
        if isinstance(payload, str):
            yield row, source, None, [Reject(row, "", source, "", "", "case.unreadable", payload)]
            continue
        try:
            line = row if chunk.kind != "files" else 1  # a JSON line's row is its line in the file
            doc = load_document(payload, source=source, fmt=fmt, lang=lang, first_line=line)
        except CaseValidationError as exc:
            yield (
                row,
                source,
                None,
                rejects_from(exc, row=row, case_id="", source=source, lang=lang, column_at=_nowhere),
            )
            continue
        if chunk.kind == "registry":
            doc, problem = _registry_case(doc, lang)
            if problem:
                yield row, source, None, [Reject(row, "", source, "", "", "batch.registry_line", problem)]
                continue
        elif not isinstance(doc, dict):
            text = say("line_not_object", lang, type=type(doc).__name__)
            yield row, source, None, [Reject(row, "", source, "", "", "case.not_mapping", text)]
            continue
        yield row, source, doc, []


def _nowhere(location: str) -> str:
    """A case file or a JSON line has no table column."""
    return ""


def _registry_case(line: Any, lang: str) -> tuple[Any, str]:
    """The case of a registry visit line; its id is the case's own, else ``patient/date``."""
    if (
        not isinstance(line, dict)
        or not {"patient", "date", "case"} <= line.keys()
        or not isinstance(line["case"], dict)
    ):
        keys = ", ".join(sorted(map(str, line))) if isinstance(line, dict) else type(line).__name__
        return None, say("line_not_registry", lang, keys=keys)
    case = dict(line["case"])
    if case.get("id") is None:
        case["id"] = f"{line['patient']}/{line['date']}"
    return case, ""


def _table_items(
    chunk: TableChunk, kb: KnowledgeBase, lang: str
) -> Iterator[tuple[int, str, dict[str, Any] | None, list[Reject]]]:
    from calcinosis.batch.columns import table_docs

    table = chunk.table
    cells: list[tuple[list[int], list[Any]]] = []
    for col in chunk.layout.columns:
        column = table.column(col.name)
        if column.null_count == len(column):
            cells.append(([], []))
            continue
        valid = column.is_valid()
        rows = np.flatnonzero(valid.to_numpy(zero_copy_only=False)).tolist()
        cells.append((rows, column.filter(valid).to_pylist()))
    docs, errors = table_docs(chunk.layout, table.num_rows, cells, kb=kb, lang=lang)
    for i, doc in enumerate(docs):
        row = chunk.row(i)
        bad = errors.get(i, [])
        case_id = reject_id(doc.get("id"))
        rejects = [Reject(row, case_id, chunk.source, e.column, "", "batch.cell", e.message) for e in bad]
        yield row, chunk.source, doc, rejects


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a chunk is turned into cases and scored.

    A chunk makes hundreds of thousands of small dicts, lists and models, which set off the
    collector again and again to find no cycle: pausing it for the chunk halves the time of
    building and validating rows (measured on the bench's cohort). It runs again after the
    chunk, so memory held by the rare cycles (a caught error's traceback) is freed then.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@dataclass
class ValidatedRows:
    """A chunk's rows sorted into validated cases (with their row numbers) and rejects."""

    rows: list[int]
    cases: list[Case]
    rejects: list[Reject]
    rows_in: int
    rows_rejected: int


def validate_chunk(chunk: Chunk, validator: RowValidator) -> ValidatedRows:
    """Every row of ``chunk`` as a validated case, or as the rejects that say why it is not one."""
    with _collector_paused():
        return _validate_chunk(chunk, validator)


def _validate_chunk(chunk: Chunk, validator: RowValidator) -> ValidatedRows:
    lang = validator.lang
    layout = chunk.layout if isinstance(chunk, TableChunk) else None
    out = ValidatedRows([], [], [], 0, 0)
    for row, source, doc, found in _items(chunk, validator):
        out.rows_in += 1
        if doc is not None:
            case_id = reject_id(doc.get("id"))
            try:
                if layout is None or found:
                    case = validator.parse(doc, source=source)
                else:
                    case = validator.parse_row(doc, source=source)
            except CaseValidationError as exc:
                at = _locator(layout, doc)
                found = [*found, *rejects_from(exc, row=row, case_id=case_id, source=source, lang=lang, column_at=at)]
            else:
                if not found:
                    out.rows.append(row)
                    out.cases.append(case)
        if found:
            out.rows_rejected += 1
            out.rejects.extend(found)
    return out


def process_chunk(chunk: Chunk, kb: KnowledgeBase, validator: RowValidator, options: JobOptions) -> ChunkResult:
    """Validate every row of ``chunk``, score the valid ones with the kernel, and build the output rows.

    A flat table's rows are read column by column where ``columnar.py`` vouches for them (the
    same evidence, to the bit, as the per-row path); the other rows, and every row when the
    results are to be explained, go through the per-row path: validated cases, then evidence.
    """
    pa = pyarrow_modules(options.lang)[0]
    with _collector_paused():
        if isinstance(chunk, TableChunk) and not options.explain and options.columnar:
            return _process_table(pa, chunk, kb, validator, options)
        valid = validate_chunk(chunk, validator)
        table = _output_table(pa, valid.rows, *_case_evidence(valid.cases, kb), kb, options)
    explain: list[str] = []
    if options.explain and valid.cases:
        from calcinosis.engine.diagnose import diagnose
        from calcinosis.serialise import to_json

        explain = [to_json(diagnose(case, kb, lang=options.lang), indent=None) for case in valid.cases]
    return ChunkResult(
        rows_in=valid.rows_in, table=table, rejects=valid.rejects, rows_rejected=valid.rows_rejected, explain=explain
    )


def _case_evidence(cases: list[Case], kb: KnowledgeBase) -> tuple[list[str | None], EvidenceMatrix]:
    from calcinosis.engine.batch import evidence_matrix

    return [c.id for c in cases], evidence_matrix(cases, kb)


def _process_table(
    pa: Any, chunk: TableChunk, kb: KnowledgeBase, validator: RowValidator, options: JobOptions
) -> ChunkResult:
    from calcinosis.batch.columnar import ColumnarReader

    reader = validator.columnar
    if not isinstance(reader, ColumnarReader):
        reader = validator.columnar = ColumnarReader(kb, validator)
    fast, slow = reader.read(chunk.table, chunk.layout)
    rows = [chunk.row(i) for i in fast.positions.tolist()]
    ids, matrix = fast.ids, fast.matrix
    rejects: list[Reject] = []
    rejected = 0
    if slow.any():
        left = np.flatnonzero(slow)
        rest = TableChunk(
            chunk.first_row,
            chunk.table.take(pa.array(left)),
            chunk.layout,
            chunk.source,
            tuple(chunk.row(i) for i in left.tolist()),
        )
        valid = validate_chunk(rest, validator)
        rejects, rejected = valid.rejects, valid.rows_rejected
        if valid.cases:
            slow_ids, slow_matrix = _case_evidence(valid.cases, kb)
            order = np.argsort(np.array(rows + valid.rows, dtype=np.int64), kind="stable")
            matrix = EvidenceMatrix.stack([matrix, slow_matrix], order)
            ids = [(ids + slow_ids)[i] for i in order.tolist()]
            rows = [(rows + valid.rows)[i] for i in order.tolist()]
    table = _output_table(pa, rows, ids, matrix, kb, options)
    return ChunkResult(rows_in=chunk.table.num_rows, table=table, rejects=rejects, rows_rejected=rejected)


def without_repeated_ids(res: ChunkResult, first: dict[str, int], source: Source, lang: str) -> ChunkResult:
    """``res`` without the scored rows whose case id a row scored before already has, each
    rejected instead (``first``: the row of each id seen so far, filled in here).

    A hostile-input audit: a folder with two files of ``id: same`` and a JSON Lines file with
    one id twice were scored without a word, where ``calcinosis evaluate`` refuses them; two
    results under one id cannot be told apart by whoever joins them back to the cohort. The
    repeat is a reject with its row (and --strict stops at it), like every other bad row.
    A registry export is left as it is: its lines are visits, and one case recorded at several
    visits of a patient keeps its id at each (the registry tells them apart by their dates)."""
    if source.kind == "registry":
        return res
    keep: list[bool] = []
    found: list[Reject] = []
    columns = res.table.select(["row", "id"]).to_pydict()
    for row, case_id in zip(columns["row"], columns["id"], strict=True):
        earlier = first.setdefault(case_id, row) if case_id is not None else row
        keep.append(earlier == row)
        if earlier != row:
            shown = repr(plain(case_id, limit=80, newlines=False))
            text = say("duplicate_id", lang, id=shown, first=earlier, source=source.row_source(earlier))
            column = "id" if source.kind in ("csv", "parquet") else ""
            found.append(Reject(row, case_id, source.row_source(row), column, "id", "batch.duplicate_id", text))
    if not found:
        return res
    pa = pyarrow_modules(lang)[0]
    return ChunkResult(
        rows_in=res.rows_in,
        table=res.table.filter(pa.array(keep)),
        rejects=sorted([*res.rejects, *found], key=lambda r: r.row),
        rows_rejected=res.rows_rejected + len(found),
        explain=[line for line, kept in zip(res.explain, keep, strict=True) if kept] if res.explain else [],
    )


def merge(parts: list[ChunkResult], kb: KnowledgeBase, options: JobOptions) -> ChunkResult:
    """Consecutive chunk results as one, in order."""
    pa = pyarrow_modules(options.lang)[0]
    tables = [p.table for p in parts] or [result_schema(kb, options.top_k).empty_table()]
    return ChunkResult(
        rows_in=sum(p.rows_in for p in parts),
        table=pa.concat_tables(tables),
        rejects=[r for p in parts for r in p.rejects],
        rows_rejected=sum(p.rows_rejected for p in parts),
        explain=[line for p in parts for line in p.explain],
    )


def _locator(layout: Layout | None, doc: dict[str, Any]) -> Callable[[str], str]:
    """Where an issue of a row's case came from: its column for a table, nothing for a case file."""
    if layout is None:
        return _nowhere
    return lambda location: layout.column_at(location, doc)


def _output_table(
    pa: Any, rows: list[int], ids: list[str | None], matrix: EvidenceMatrix, kb: KnowledgeBase, options: JobOptions
) -> Any:
    schema = result_schema(kb, options.top_k)
    if not rows:
        return schema.empty_table()
    from calcinosis.engine.batch import score_evidence

    result = score_evidence(matrix, ids, kb, top_k=options.top_k)
    probs = np.asarray(result.category_probabilities, dtype=np.float64)
    top_p = np.asarray(result.top_probabilities, dtype=np.float64)
    finite = np.isfinite(probs).all(axis=1) & np.isfinite(top_p).all(axis=1)
    if not finite.all():
        bad = [str(rows[i]) for i in np.flatnonzero(~finite)[:10]]
        raise NonFiniteResultError(say("non_finite", options.lang, rows=", ".join(bad)))
    n = len(rows)
    columns: dict[str, Any] = {
        "row": pa.array(rows, pa.int64()),
        "id": pa.array(ids, pa.string()),
        "category": pa.array(result.category, pa.string()),
    }
    for j, name in enumerate(result.category_names):
        columns[f"p_{name}"] = pa.array(probs[:, j], pa.float64())
    top_dx = np.asarray(result.top_diagnoses)
    for i in range(top_dx.shape[1]):
        columns[f"dx{i + 1}"] = pa.array(top_dx[:, i], pa.string())
        columns[f"p{i + 1}"] = pa.array(top_p[:, i], pa.float64())
    offsets, rule_ids = result.rules_present_flat()
    columns["basis"] = pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), pa.array(rule_ids, pa.string()))
    columns["phosphocalcic_status"] = pa.array(result.phosphocalcic_status, pa.string())
    columns["calcinosis_version"] = pa.array([__version__] * n, pa.string())
    columns["kb_version"] = pa.array([kb.version] * n, pa.string())
    return pa.table(columns, schema=schema)


@dataclass(frozen=True)
class BatchSummary:
    """What a run read, scored, rejected and wrote; rows_in == scored + rejected."""

    input: str
    input_kind: str
    rows_in: int
    scored: int
    rejected: int
    reject_lines: int
    ignored_files: int
    output: str
    rejects: str
    explain: str | None
    summary: str
    seconds: float
    cases_per_second: float
    dask: str | None
    partitions: int | None
    calcinosis_version: str
    kb_version: str

    def to_json(self) -> str:
        """The summary file's text."""
        return json.dumps(self.__dict__, ensure_ascii=False, indent=2, allow_nan=False) + "\n"


def _local_results(
    source: Source, kb: KnowledgeBase, options: JobOptions, rows: int, *, workers: int = 1, kb_path: Path | None = None
) -> Iterator[ChunkResult]:
    """Chunk results in input order: in this process, or on ``workers`` local processes (each loads
    the knowledge once; at most two chunks per process are in flight, so the input is streamed)."""
    if workers <= 1:
        validator = RowValidator(kb, lang=options.lang)
        for chunk in source.chunks(rows):
            yield process_chunk(chunk, kb, validator, options)
        return
    import multiprocessing
    from collections import deque
    from concurrent.futures import Future, ProcessPoolExecutor

    context = multiprocessing.get_context("spawn")  # no fork of a process that holds threads
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_worker_start, initargs=(kb_path, kb.version)
    ) as pool:
        pending: deque[Future[ChunkResult]] = deque()
        for chunk in source.chunks(rows):
            pending.append(pool.submit(_worker_chunk, chunk, options))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


_WORKER: dict[str, Any] = {}


def _worker_start(kb_path: Path | None, version: str) -> None:
    """Load the knowledge once in a worker process, and refuse a different version from the parent's."""
    from calcinosis.kb.loader import load_kb

    kb = load_kb(kb_path)
    if kb.version != version:  # pragma: no cover - the files changed during the run
        raise RuntimeError(f"knowledge base {kb.version} in a worker, {version} in the run")
    _WORKER["kb"] = kb
    _WORKER["validators"] = {}


def _worker_chunk(chunk: Chunk, options: JobOptions) -> ChunkResult:
    kb = _WORKER["kb"]
    validator = _WORKER["validators"].setdefault(options.lang, RowValidator(kb, lang=options.lang))
    return process_chunk(chunk, kb, validator, options)


def run_batch(
    input_path: Path,
    out: Path,
    kb: KnowledgeBase,
    *,
    kb_path: Path | None = None,
    options: JobOptions | None = None,
    strict: bool = False,
    force: bool = False,
    dask: str | None = None,
    partitions: int | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    progress: bool = True,
    workers: int = 1,
) -> BatchSummary:
    """Score every row of ``input_path`` into ``out`` (see ``docs/batch.md``).

    Raises
    ------
    CaseValidationError
        A table's columns are not understood, or with ``strict`` the first bad row.
    OutputError
        An output is an input, exists without ``force``, or cannot be written.
    """
    from calcinosis.batch.progress import batch_progress

    options = options or JobOptions()
    lang = options.lang
    started = time.perf_counter()
    source = open_input(input_path, kb, lang=lang)
    outputs = BatchOutputs.plan(out, inputs=[input_path], force=force, explain=options.explain, lang=lang)
    n_partitions = None
    if dask is not None:
        try:
            from calcinosis.batch.distributed import cluster_results
        except ImportError:
            raise CalcinosisError(say("dask_no_extra", lang)) from None
        results, n_partitions = cluster_results(
            dask, source, kb, kb_path=kb_path, options=options, partitions=partitions
        )
    else:
        results = _local_results(source, kb, options, chunk_rows, workers=workers, kb_path=kb_path)
    rows_in = scored = rejected = reject_lines = 0
    first_rows: dict[str, int] = {}
    with (
        outputs.open(result_schema(kb, options.top_k)) as writers,
        batch_progress(source.n_rows, lang, progress) as bar,
    ):
        for scored_chunk in results:
            res = without_repeated_ids(scored_chunk, first_rows, source, lang)
            if strict and res.rejects:
                first = min(res.rejects, key=lambda r: r.row)
                column = say("column_part", lang, column=first.column) if first.column else ""
                text = say(
                    "strict_failed",
                    lang,
                    source=first.source or input_path.name,
                    row=first.row,
                    column=column,
                    text=first.message,
                )
                raise CaseValidationError(text, path=input_path, lang=lang)
            writers.write(res)
            rows_in += res.rows_in
            scored += res.table.num_rows
            rejected += res.rows_rejected
            reject_lines += len(res.rejects)
            bar(res.rows_in)
        if rows_in != scored + rejected:  # pragma: no cover - a bug, never a silent loss
            raise RuntimeError(f"batch: {rows_in} rows in but {scored} scored and {rejected} rejected")
        seconds = time.perf_counter() - started
        summary = BatchSummary(
            input=str(input_path),
            input_kind=source.kind,
            rows_in=rows_in,
            scored=scored,
            rejected=rejected,
            reject_lines=reject_lines,
            ignored_files=source.ignored,
            output=str(outputs.results),
            rejects=str(outputs.rejects),
            explain=str(outputs.explain) if outputs.explain else None,
            summary=str(outputs.summary),
            seconds=round(seconds, 3),
            cases_per_second=round(rows_in / seconds, 1) if seconds > 0 and math.isfinite(seconds) else 0.0,
            dask=dask,
            partitions=n_partitions,
            calcinosis_version=__version__,
            kb_version=kb.version,
        )
        writers.finish(summary.to_json())
    return summary
