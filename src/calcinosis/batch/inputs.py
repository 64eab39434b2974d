"""Cohort inputs, read in chunks of rows: a folder of case files, JSON Lines, CSV or Parquet tables.

Each input is cut into chunks that carry raw rows only (bytes of a case file, a JSON line, a
slice of an Arrow table), so that the costly part, turning rows into validated cases, runs
where the chunk is scored: in this process, or on a Dask worker. Nothing here interprets a
case.

======================  =====================================================================
folder                  every ``*.yaml``, ``*.yml``, ``*.json`` file (case format v1), sorted by
                        name; row n is the n-th file; other files are counted as ignored
``*.jsonl``             one case per line (row = line number; blank lines skipped), or a
                        registry visit export (``calcinosis registry export visits.jsonl``:
                        lines of ``{patient, date, case, ...}``), detected on its first line
``*.csv``               a flat table (``columns.py``), read as text; row 1 is the first data row.
                        The registry's CSV visit export holds results and no case: refused
                        with the command that exports the cases
``*.parquet``           a flat table, typed or text columns
======================  =====================================================================
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from calcinosis.batch._text import say
from calcinosis.batch.columns import Layout, parse_header
from calcinosis.case.document import LIMITS, read_document_bytes
from calcinosis.errors import CalcinosisError, CaseValidationError
from calcinosis.kb.model import KnowledgeBase

__all__ = ["DocChunk", "Source", "TableChunk", "open_input", "pyarrow_modules", "split"]

CASE_SUFFIXES = (".yaml", ".yml", ".json")
REGISTRY_KEYS = frozenset({"patient", "date", "case"})
"""The keys of a line of ``calcinosis registry export visits.jsonl`` that matter here."""
REGISTRY_CSV_MARKERS = frozenset({"patient", "date", "leading_diagnosis"})
"""Columns of the registry's CSV visit export (results only): a table with them is that export."""


def pyarrow_modules(lang: str = "en") -> tuple[Any, Any, Any]:
    """``pyarrow``, ``pyarrow.csv`` and ``pyarrow.parquet``, or a clear error naming the extra."""
    try:
        import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]
        import pyarrow.csv as pacsv  # type: ignore[import-untyped,unused-ignore]
        import pyarrow.parquet as pq  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        raise CalcinosisError(say("input_no_extra", lang)) from None
    return pa, pacsv, pq


@dataclass(frozen=True)
class TableChunk:
    """Rows ``first_row`` (1-based) onwards of a flat table, as an Arrow table."""

    first_row: int
    table: Any
    layout: Layout
    source: str
    row_numbers: tuple[int, ...] | None = None
    """The rows' own numbers when they are not consecutive (the rows the fast path left)."""

    def row(self, i: int) -> int:
        """The input row number of the chunk's ``i``-th row."""
        return self.first_row + i if self.row_numbers is None else self.row_numbers[i]


@dataclass(frozen=True)
class DocChunk:
    """Case documents: the bytes of each, or the text of the error that kept it from being read."""

    kind: Literal["files", "jsonl", "registry"]
    rows: tuple[int, ...]
    sources: tuple[str, ...]
    payloads: tuple[bytes | str, ...]
    fmts: tuple[str, ...]


Chunk = TableChunk | DocChunk


def split(chunk: Chunk, rows: int) -> Iterator[Chunk]:
    """``chunk`` in pieces of at most ``rows`` rows, in order (a large Dask partition is scored piece
    by piece, so a worker never holds more validated cases than a local run does)."""
    if isinstance(chunk, TableChunk):
        for start in range(0, chunk.table.num_rows, rows):
            piece = chunk.table.slice(start, rows)
            yield TableChunk(chunk.first_row + start, piece, chunk.layout, chunk.source)
        return
    for start in range(0, len(chunk.rows), rows):
        stop = start + rows
        yield DocChunk(
            chunk.kind,
            chunk.rows[start:stop],
            chunk.sources[start:stop],
            chunk.payloads[start:stop],
            chunk.fmts[start:stop],
        )


class Source:
    """An opened input: what kind it is, how many rows it has, and its chunks."""

    kind: str
    path: Path
    n_rows: int
    ignored: int = 0

    def chunks(self, rows: int) -> Iterator[Chunk]:  # pragma: no cover - every source overrides it
        """Chunks of ``rows`` rows (the last one shorter)."""
        raise NotImplementedError

    def row_source(self, row: int) -> str:
        """The source a reject of row ``row`` names: the input's file name."""
        return self.path.name


class _Folder(Source):
    def __init__(self, path: Path, lang: str) -> None:
        self.kind, self.path, self.lang = "folder", path, lang
        entries = sorted(p for p in path.iterdir() if not p.name.startswith("."))
        self.files = [p for p in entries if p.is_file() and p.suffix.lower() in CASE_SUFFIXES]
        self.ignored = len(entries) - len(self.files)
        self.n_rows = len(self.files)

    def row_source(self, row: int) -> str:
        """A folder's row is a case file: its name."""
        return self.files[row - 1].name

    def chunks(self, rows: int) -> Iterator[DocChunk]:
        for start in range(0, len(self.files), rows):
            files = self.files[start : start + rows]
            payloads: list[bytes | str] = []
            for f in files:
                try:
                    payloads.append(read_document_bytes(f, lang=self.lang))
                except CaseValidationError as exc:
                    payloads.append(str(exc).splitlines()[0])
            yield DocChunk(
                "files",
                tuple(range(start + 1, start + len(files) + 1)),
                tuple(f.name for f in files),
                tuple(payloads),
                tuple("json" if f.suffix.lower() == ".json" else "yaml" for f in files),
            )


class _JsonLines(Source):
    def __init__(self, path: Path, lang: str) -> None:
        self.path, self.lang = path, lang
        self.kind = "jsonl"
        n = 0
        first: bytes | None = None
        for _, line in self._lines():
            if isinstance(line, bytes) and first is None:
                first = line
            n += 1
        self.n_rows = n
        if first is not None and _is_registry_line(first):
            self.kind = "registry"

    def _lines(self) -> Iterator[tuple[int, bytes | str]]:
        """(line number, bytes) of each non-blank line; a line beyond the size limit gives its error text."""
        limit = LIMITS["file_bytes"]
        try:
            with self.path.open("rb") as fh:
                number = 0
                while True:
                    line = fh.readline(limit + 1)
                    if not line:
                        return
                    number += 1
                    if len(line) > limit and not line.endswith(b"\n"):
                        while line and not line.endswith(b"\n"):  # skip the rest of the long line
                            line = fh.readline(limit + 1)
                        yield number, say("line_too_long", self.lang, limit=limit)
                        continue
                    if line.strip():
                        yield number, line
        except OSError as exc:
            raise CalcinosisError(
                say("input_unreadable", self.lang, source=self.path, reason=exc.strerror or exc)
            ) from None

    def chunks(self, rows: int) -> Iterator[DocChunk]:
        batch: list[tuple[int, bytes | str]] = []
        for item in self._lines():
            batch.append(item)
            if len(batch) == rows:
                yield self._chunk(batch)
                batch = []
        if batch:
            yield self._chunk(batch)

    def _chunk(self, batch: list[tuple[int, bytes | str]]) -> DocChunk:
        kind: Literal["jsonl", "registry"] = "registry" if self.kind == "registry" else "jsonl"
        return DocChunk(
            kind,
            tuple(n for n, _ in batch),
            tuple(self.path.name for _ in batch),
            tuple(p for _, p in batch),
            tuple("json" for _ in batch),
        )


def _is_registry_line(line: bytes) -> bool:
    try:
        data = json.loads(line)
    except (ValueError, RecursionError):  # a line nested too deep is a case the job refuses, with its row
        return False
    return isinstance(data, dict) and data.keys() >= REGISTRY_KEYS and isinstance(data.get("case"), dict)


class _Table(Source):
    def __init__(self, path: Path, kb: KnowledgeBase, lang: str) -> None:
        self.path, self.lang = path, lang
        self.pa, self.pacsv, self.pq = pyarrow_modules(lang)
        self.kind = "parquet" if path.suffix.lower() in (".parquet", ".pq") else "csv"
        try:
            names = self._names()
            if self.kind == "csv" and {n.strip() for n in names} >= REGISTRY_CSV_MARKERS:
                raise CalcinosisError(say("input_registry_csv", lang, source=path))
            self.layout = parse_header(names, kb, source=str(path), lang=lang)
            self.names = names
            self.n_rows = self._count()
        except (OSError, UnicodeDecodeError, csv.Error, self.pa.ArrowException) as exc:
            raise CalcinosisError(say("input_unreadable", lang, source=path, reason=_reason(exc))) from None

    def _names(self) -> list[str]:
        if self.kind == "parquet":
            self.file = self.pq.ParquetFile(self.path)
            return list(self.file.schema_arrow.names)
        with self.path.open(encoding="utf-8-sig", newline="") as fh:
            header = next(csv.reader(fh), [])
        return header

    def _csv_reader(self, columns: list[str] | None = None) -> Any:
        pacsv = self.pacsv
        return pacsv.open_csv(
            self.path,
            read_options=pacsv.ReadOptions(block_size=8 << 20),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={n: self.pa.string() for n in self.names},
                strings_can_be_null=True,
                null_values=[""],
                include_columns=columns,
            ),
        )

    def _count(self) -> int:
        if self.kind == "parquet":
            return int(self.file.metadata.num_rows)
        return sum(batch.num_rows for batch in self._csv_reader(self.names[:1]))

    def _batches(self) -> Iterator[Any]:
        if self.kind == "parquet":
            yield from self.file.iter_batches(batch_size=65_536)
        else:
            yield from self._csv_reader()

    def chunks(self, rows: int) -> Iterator[TableChunk]:
        pa = self.pa
        pending: list[Any] = []
        held = 0
        first = 1
        try:
            for batch in self._batches():
                pending.append(batch)
                held += batch.num_rows
                while held >= rows:
                    table = _plain(pa, pa.Table.from_batches(pending).combine_chunks())
                    yield TableChunk(first, table.slice(0, rows), self.layout, self.path.name)
                    first += rows
                    rest = table.slice(rows)
                    pending, held = rest.to_batches(), rest.num_rows
            if held:
                table = _plain(pa, pa.Table.from_batches(pending).combine_chunks())
                yield TableChunk(first, table, self.layout, self.path.name)
        except (OSError, pa.ArrowException) as exc:
            raise CalcinosisError(say("input_unreadable", self.lang, source=self.path, reason=_reason(exc))) from None


def _plain(pa: Any, table: Any) -> Any:
    """The table as the header was read: column names without surrounding spaces (the header
    check strips them, and a name kept with its space was then not found: a traceback for
    ``id,age,sex, finding:pain``), dictionary-encoded columns (a pandas Categorical) decoded."""
    names = [str(n).strip() for n in table.column_names]
    if names != table.column_names:
        table = table.rename_columns(names)
    for i, field in enumerate(table.schema):
        if pa.types.is_dictionary(field.type):
            table = table.set_column(i, field.name, table.column(i).cast(field.type.value_type))
    return table


def _reason(exc: BaseException) -> str:
    text = str(getattr(exc, "strerror", None) or exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def open_input(path: Path, kb: KnowledgeBase, *, lang: str = "en") -> Source:
    """The input at ``path``, its kind told by what it is (folder) or its suffix; a table's header is
    checked here, before any row is read."""
    if path.is_dir():
        return _Folder(path, lang)
    if not path.exists():
        raise CalcinosisError(say("input_missing", lang, source=path))
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return _JsonLines(path, lang)
    if suffix in (".csv", ".parquet", ".pq"):
        return _Table(path, kb, lang)
    raise CalcinosisError(say("input_unknown_kind", lang, source=path))
