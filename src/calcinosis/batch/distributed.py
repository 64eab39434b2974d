"""The same batch job on a Dask distributed cluster (``calcinosis batch --dask ADDRESS``).

The input is cut into ``--partitions`` partitions of consecutive rows. Each goes to a worker
as raw rows (``inputs.py``) and comes back as output rows: the worker runs
:func:`calcinosis.batch.job.process_chunk`, the function of a local run, so the rows are the
same. Every worker loads the knowledge base once, in a worker plugin keyed by the knowledge
path, and checks that its version is the one this run reports; it also keeps one row
validator, whose memory of checked items serves all its partitions. Results are taken back in
input order, with a bounded number of partitions in flight, so memory stays flat on a large
input.

``ADDRESS`` is a scheduler (``tcp://host:8786``) or ``local:N``, a ``LocalCluster`` of N
single-threaded worker processes on 127.0.0.1 (its dashboard on a free loopback port, never
on 0.0.0.0). This module imports Dask, and is itself imported only when ``--dask`` is given.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import re
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

from distributed import Client, LocalCluster, WorkerPlugin, get_worker

from calcinosis.batch._text import say
from calcinosis.batch.inputs import Chunk, Source, split
from calcinosis.batch.job import DEFAULT_CHUNK_ROWS, ChunkResult, JobOptions, merge, process_chunk
from calcinosis.batch.validate import RowValidator
from calcinosis.errors import CalcinosisError, KnowledgeBaseError
from calcinosis.kb.model import KnowledgeBase

__all__ = ["KnowledgePlugin", "cluster_results", "parse_address"]

_LOCAL = re.compile(r"local:(\d+)")
MAX_LOCAL_WORKERS = 256
MAX_PARTITIONS = 100_000


def parse_address(address: str, lang: str = "en") -> tuple[str, int | None]:
    """('tcp://...', None) for a scheduler, or ('local', N) for a LocalCluster of N workers."""
    text = address.strip()
    local = _LOCAL.fullmatch(text)
    if local:
        n = int(local.group(1))
        if not 1 <= n <= MAX_LOCAL_WORKERS:
            raise CalcinosisError(say("bad_number", lang, option="local:N", high=MAX_LOCAL_WORKERS, value=n))
        return "local", n
    if re.fullmatch(r"(tcp|tls)://[^\s/]+:\d+", text):
        return text, None
    raise CalcinosisError(say("bad_dask", lang, value=address))


def plugin_name(kb_path: Path | None) -> str:
    """The worker plugin's name: one per knowledge folder, so two runs on two knowledge bases never mix."""
    key = str(kb_path.resolve()) if kb_path is not None else "<bundled>"
    return "calcinosis-kb-" + hashlib.sha256(key.encode()).hexdigest()[:16]


class KnowledgePlugin(WorkerPlugin):
    """Loads the knowledge base once per worker and keeps a row validator per language."""

    def __init__(self, kb_path: str | None, version: str, lang: str) -> None:
        self.kb_path, self.version, self.lang = kb_path, version, lang
        self.kb: KnowledgeBase | None = None
        self.validators: dict[str, RowValidator] = {}

    def setup(self, worker: Any) -> None:
        """Load the knowledge base on this worker (Dask calls it when the plugin is registered)."""
        from calcinosis.kb.loader import load_kb

        self.kb = load_kb(self.kb_path)

    def knowledge(self) -> KnowledgeBase:
        """The worker's knowledge base, checked to be the version of the run."""
        if self.kb is None:  # pragma: no cover - Dask runs setup before any task
            self.setup(None)
        assert self.kb is not None
        if self.kb.version != self.version:
            raise KnowledgeBaseError(say("worker_kb", self.lang, worker=self.kb.version, here=self.version))
        return self.kb

    def validator(self, lang: str) -> RowValidator:
        """The worker's validator for ``lang`` (its memory of checked items serves every partition)."""
        found = self.validators.get(lang)
        if found is None:
            found = self.validators[lang] = RowValidator(self.knowledge(), lang=lang)
        return found


def _score_partition(chunk: Chunk, options: JobOptions, name: str) -> ChunkResult:
    """The task of a worker: one partition, piece by piece, with the worker's knowledge base and validator."""
    plugin = cast(KnowledgePlugin, get_worker().plugins[name])
    kb, validator = plugin.knowledge(), plugin.validator(options.lang)
    parts = [process_chunk(piece, kb, validator, options) for piece in split(chunk, DEFAULT_CHUNK_ROWS)]
    return merge(parts, kb, options)


def cluster_results(
    address: str,
    source: Source,
    kb: KnowledgeBase,
    *,
    kb_path: Path | None,
    options: JobOptions,
    partitions: int | None,
) -> tuple[Iterator[ChunkResult], int]:
    """The scored partitions of ``source`` in input order, and how many partitions there are.

    Without ``partitions``: two per local worker (four on a remote cluster), or more when that
    would make partitions larger than a local run's chunks (so that the progress bar moves), a
    multiple of the workers (so that none idles at the end); at most one per row.
    """
    where, n_local = parse_address(address, options.lang)
    if partitions is not None and not 1 <= partitions <= MAX_PARTITIONS:
        raise CalcinosisError(
            say("bad_number", options.lang, option="--partitions", high=MAX_PARTITIONS, value=partitions)
        )
    workers = n_local or 2
    by_size = math.ceil(source.n_rows / DEFAULT_CHUNK_ROWS)
    wanted = partitions or workers * max(2, math.ceil(by_size / workers))  # a multiple of the workers: no idle tail
    n = max(1, min(wanted, source.n_rows or 1))
    return _results(where, n_local, source, kb, kb_path, options, n), n


def _results(
    where: str,
    n_local: int | None,
    source: Source,
    kb: KnowledgeBase,
    kb_path: Path | None,
    options: JobOptions,
    n_partitions: int,
) -> Iterator[ChunkResult]:
    rows = max(1, math.ceil(source.n_rows / n_partitions))
    name = plugin_name(kb_path)
    with contextlib.ExitStack() as stack:
        if n_local is not None:
            cluster = stack.enter_context(
                LocalCluster(  # type: ignore[no-untyped-call]
                    n_workers=n_local,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address="127.0.0.1:0",
                    silence_logs=logging.ERROR,
                )
            )
            client = stack.enter_context(Client(cluster))  # type: ignore[no-untyped-call]
        else:
            client = stack.enter_context(Client(where))  # type: ignore[no-untyped-call]
        plugin = KnowledgePlugin(str(kb_path) if kb_path is not None else None, kb.version, options.lang)
        client.register_plugin(plugin, name=name)
        window = 2 * max(1, len(client.scheduler_info().get("workers", {})))
        in_flight: deque[Any] = deque()
        for chunk in source.chunks(rows):
            # the partition's rows go straight to a worker, not inside the task graph
            data = client.scatter(chunk, hash=False)
            in_flight.append(client.submit(_score_partition, data, options, name, pure=False))
            while len(in_flight) >= window:
                yield in_flight.popleft().result()
        while in_flight:
            yield in_flight.popleft().result()
