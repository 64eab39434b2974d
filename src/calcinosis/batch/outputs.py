"""Batch outputs: the scored rows (Parquet or CSV), the rejects, the full results, the summary.

``--out results.parquet`` writes, side by side:

- ``results.parquet`` (or ``.csv``): one row per scored case (columns in :func:`result_schema`);
- ``results.rejects.csv``: one line per problem of a rejected row (row, id, source, column,
  location in the case, code, message), written even when empty;
- ``results.explain.jsonl`` with ``--explain``: the full result object of each scored case
  (``calcinosis diagnose --json``), one per line, in the order of the output rows;
- ``results.summary.json``: the counts, the versions and the timing, written last.

The rules of :mod:`calcinosis.outputs` hold for every one of them: an output is never an input,
an existing one is kept unless ``--force``, links are never followed. Each is streamed to a
temporary file in its folder and renamed into place only when the whole run succeeded, so a
run that fails (``--strict``, an interrupted job) leaves no partial output behind.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from calcinosis.batch._text import say
from calcinosis.batch.inputs import pyarrow_modules
from calcinosis.batch.validate import Reject
from calcinosis.errors import OutputError
from calcinosis.kb.model import KnowledgeBase
from calcinosis.outputs import check_output
from calcinosis.textsafe import plain

if TYPE_CHECKING:
    from calcinosis.batch.job import ChunkResult

__all__ = ["REJECT_COLUMNS", "BatchOutputs", "result_schema"]

REJECT_COLUMNS = ("row", "id", "source", "column", "location", "code", "message")


def result_schema(kb: KnowledgeBase, top_k: int) -> Any:
    """The columns of the output rows, fixed by the knowledge base (its categories) and ``top_k``."""
    pa = pyarrow_modules()[0]
    k = min(top_k, len(kb.diseases))
    fields = [("row", pa.int64()), ("id", pa.string()), ("category", pa.string())]
    fields += [(f"p_{c}", pa.float64()) for c in kb.category_names]
    for i in range(1, k + 1):
        fields += [(f"dx{i}", pa.string()), (f"p{i}", pa.float64())]
    fields += [
        ("basis", pa.list_(pa.string())),
        ("phosphocalcic_status", pa.string()),
        ("calcinosis_version", pa.string()),
        ("kb_version", pa.string()),
    ]
    return pa.schema(fields)


class _Staged:
    """A file written under a temporary name in its folder, renamed into place on commit."""

    def __init__(self, path: Path, *, inputs: Sequence[Path], force: bool, lang: str) -> None:
        self.path, self.inputs, self.force, self.lang = path, inputs, force, lang
        folder = path.parent if str(path.parent) else Path(".")
        try:
            fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
        except OSError as exc:
            raise OutputError(f"{path}: cannot write in {folder} ({exc.strerror})", path=path) from None
        os.close(fd)
        self.tmp = Path(name)

    def commit(self) -> None:
        check_output(self.path, inputs=self.inputs, force=self.force, lang=self.lang)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(self.tmp, 0o644 & ~umask)
        os.replace(self.tmp, self.path)

    def discard(self) -> None:
        with contextlib.suppress(OSError):
            os.unlink(self.tmp)


@dataclass(frozen=True)
class BatchOutputs:
    """The output paths of a run, checked before any work."""

    results: Path
    rejects: Path
    summary: Path
    explain: Path | None
    fmt: str
    inputs: tuple[Path, ...]
    force: bool
    lang: str

    @classmethod
    def plan(cls, out: Path, *, inputs: Sequence[Path], force: bool, explain: bool, lang: str = "en") -> BatchOutputs:
        """The outputs of ``--out out``, each refused now if it could not be written at the end."""
        suffix = out.suffix.lower()
        if suffix not in (".parquet", ".csv"):
            raise OutputError(say("out_suffix", lang, path=out), path=out)
        stem = out.with_suffix("")
        plan = cls(
            results=out,
            rejects=stem.with_name(f"{stem.name}.rejects.csv"),
            summary=stem.with_name(f"{stem.name}.summary.json"),
            explain=stem.with_name(f"{stem.name}.explain.jsonl") if explain else None,
            fmt=suffix[1:],
            inputs=tuple(inputs),
            force=force,
            lang=lang,
        )
        for path in plan.paths:
            check_output(path, inputs=inputs, force=force, lang=lang)
        return plan

    @property
    def paths(self) -> list[Path]:
        """Every file the run writes."""
        return [p for p in (self.results, self.rejects, self.explain, self.summary) if p is not None]

    @contextlib.contextmanager
    def open(self, schema: Any) -> Iterator[_Writers]:
        """Writers for the run; every file is committed by ``finish``, or removed if the run fails."""
        staged = {p: _Staged(p, inputs=self.inputs, force=self.force, lang=self.lang) for p in self.paths}
        writers = _Writers(self, schema, staged)
        try:
            yield writers
        finally:
            if not writers.finished:
                writers.close()
                for s in staged.values():
                    s.discard()


class _Writers:
    def __init__(self, plan: BatchOutputs, schema: Any, staged: dict[Path, _Staged]) -> None:
        pa, pacsv, pq = pyarrow_modules(plan.lang)
        self.pa, self.plan, self.staged = pa, plan, staged
        results = staged[plan.results].tmp
        self.csv_schema = schema.set(schema.get_field_index("basis"), pa.field("basis", pa.string()))
        if plan.fmt == "parquet":
            self.table_writer: Any = pq.ParquetWriter(results, schema, compression="zstd")
        else:
            self.table_writer = pacsv.CSVWriter(results, self.csv_schema)
        self.rejects: IO[str] = staged[plan.rejects].tmp.open("w", encoding="utf-8", newline="")
        self.reject_rows = csv.writer(self.rejects)
        self.reject_rows.writerow(REJECT_COLUMNS)
        self.explain: IO[str] | None = (
            staged[plan.explain].tmp.open("w", encoding="utf-8") if plan.explain is not None else None
        )
        self.closed = False
        self.finished = False

    def write(self, res: ChunkResult) -> None:
        """One chunk's rows, rejects and full results."""
        table = res.table
        if self.plan.fmt == "csv":
            import pyarrow.compute as pc  # type: ignore[import-untyped,unused-ignore]

            joined = pc.binary_join(table.column("basis"), ";")
            table = table.set_column(table.schema.get_field_index("basis"), "basis", joined)
            at = table.schema.get_field_index("id")
            table = table.set_column(at, "id", _cells(table.column("id")))
        if table.num_rows:
            self.table_writer.write_table(table)
        self.reject_rows.writerows(_reject_row(r) for r in res.rejects)
        if self.explain is not None and res.explain:
            self.explain.write("\n".join(res.explain) + "\n")

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.table_writer.close()
            self.rejects.close()
            if self.explain is not None:
                self.explain.close()

    def finish(self, summary: str) -> None:
        """Close every file, write the summary, and put them all in place (the summary last)."""
        self.close()
        self.staged[self.plan.summary].tmp.write_text(summary, encoding="utf-8")
        for path in self.plan.paths:
            self.staged[path].commit()
        self.finished = True


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""What a spreadsheet reads as the start of a formula (OWASP, CSV injection): a case id
'=cmd|...' typed in a registry or a table came back active in the results a researcher opens."""


def spreadsheet_safe(value: object) -> object:
    """A text cell that a spreadsheet would run, kept as text by a leading apostrophe, and
    without unsafe characters (an ESC or a right-to-left override in an id); other values as they are."""
    if not isinstance(value, str):
        return value
    text = plain(value, newlines=False)
    return "'" + text if text.startswith(FORMULA_START) else text


def _cells(column: Any) -> Any:
    """A string column of the CSV results, each cell :func:`spreadsheet_safe`."""
    import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]

    return pa.array([spreadsheet_safe(v) for v in column.to_pylist()], type=column.type)


def _reject_row(r: Reject) -> list[object]:
    return [spreadsheet_safe(v) for v in (r.row, r.id, r.source, r.column, r.location, r.code, r.message)]


def read_rejects(path: Path) -> list[dict[str, str]]:
    """The rejects file as dicts (for tests and tools)."""
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
