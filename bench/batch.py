"""Benchmark of ``calcinosis batch`` (issue #17 targets, on 2 cores: engine >= 200,000 cases/s and
>= 400x the single-case loop; end to end Parquet -> Parquet >= 50,000 cases/s; peak memory stated;
the --dask overhead on a 2-worker LocalCluster stated).

The cohort is synthetic, drawn from the knowledge base's own numbers, and written to Parquet
first (a flat table, docs/batch.md):

- a diagnosis is drawn from the knowledge's priors (``priors.yaml``, as compiled: exp(log_prior)),
  and for a diagnosis with forms one of them by its share (``kb.forms``);
- the age band from the diagnosis' frequencies of the age bands (``kb.age_bands``,
  normalised), the age uniform inside it (the open band taken to 95); the sex female with P(patient:female | d);
  ``postmenopausal`` for women of 50 or more with P(patient:postmenopausal | d);
- every other feature of the vocabulary is *reported* with a referral-like probability (below:
  a referral letter mentions a few conditions and findings, nearly always calcium and
  phosphate, often an imaging study) and, if reported, is *present* with the diagnosis'
  frequency P(feature | d) (its own, else its category's, else the baseline, as the engine
  reads it) and absent otherwise. A site, a pattern or a tissue that is not present is left
  empty (the case format has no absent site). Labs: calcium, phosphate and eGFR as values in
  mmol/L and mL/min/1.73m2 (two decimals, integers) inside, above or below the adult reference
  range by the drawn state; the other tests as ``interpretation`` high / normal / low.

Measured in the same run:

1. engine only: the batch engine (``score_evidence``: kernel, categories, top-k) on the evidence
   matrix of each chunk of 20,000 rows, read beforehand and timed apart (from the table's
   columns, ``batch/columnar.py``; the per-case path on the first chunks, for reference);
2. end to end: ``run_batch`` Parquet -> Parquet (read, validate, evidence, score, write), in this
   process and with ``--workers 2``, cases/s;
3. the single-case loop: ``diagnose`` per case on a 2,000-case sample, cases/s; the ratios;
4. peak memory (``resource.getrusage`` for this process; the Dask processes sampled with psutil);
5. ``--dask local:2`` (a LocalCluster of two workers on 127.0.0.1) against the local run.

Run: .venv/bin/python bench/batch.py [--n 100000] [--seed 17] [--no-dask] [--keep DIR]
The full acceptance run is --n 1000000.
"""

from __future__ import annotations

import argparse
import contextlib
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import psutil
import pyarrow as pa
import pyarrow.parquet as pq

from calcinosis import load_kb
from calcinosis.batch.columnar import ColumnarReader
from calcinosis.batch.inputs import TableChunk, open_input
from calcinosis.batch.job import run_batch, validate_chunk
from calcinosis.batch.validate import RowValidator
from calcinosis.engine.batch import evidence_matrix, score_evidence
from calcinosis.engine.diagnose import diagnose
from calcinosis.engine.evidence import LAB_FEATURES
from calcinosis.kb.model import KnowledgeBase

REPORTED = {  # P(reported) per namespace: a referral letter, not a full work-up
    "condition": 0.12,
    "exposure": 0.08,
    "finding": 0.20,
    "site": 0.12,
    "antibody": 0.05,
    "gene": 0.01,
    "pattern": 0.25,  # given an imaging study
    "tissue": 0.25,  # given an imaging study
    "imaging": 0.20,  # symmetric, bone destruction, uptake, along muscle fibres (given a study)
}
PER_CASE_CHUNKS = 3
"""Chunks of 20,000 rows read the per-case way too, for reference (and the single-case sample)."""
P_IMAGING = 0.7
P_DISTRIBUTION = 0.5  # given an imaging study
P_LAB = {"calcium": 0.85, "phosphate": 0.75, "egfr": 0.5}
P_OTHER_LAB = 0.12
P_DURATION = 0.3
MODALITIES = (("radiograph", 0.5), ("ct", 0.3), ("ultrasound", 0.1), ("mri", 0.1))
OLDEST = 95.0  # the open age band's upper limit for drawing ages
ADULT_RANGE = {"calcium": (2.2, 2.6), "phosphate": (0.8, 1.45)}


def _freq(kb: KnowledgeBase, fid: str) -> np.ndarray:
    """P(feature present | row) for every row (diagnosis or form), as compiled for the engine."""
    return np.exp(kb.log_present[:, kb.feature_pos(fid)])


def _draw(rng: np.random.Generator, p: np.ndarray) -> np.ndarray:
    return rng.random(p.shape[0]) < p


def synthetic_table(kb: KnowledgeBase, n: int, seed: int) -> pa.Table:
    """A flat table of ``n`` synthetic cases (see the module docstring)."""
    rng = np.random.default_rng(seed)
    # a row of the compiled arrays: a diagnosis (its main form) or one of its forms, each with
    # its share of its diagnosis' prior (kb.forms; every row is a diagnosis without forms)
    shares = [d.main_share for d in kb.diseases] + [r.form.share for r in kb.forms]
    prior = np.exp(kb.log_prior)[[kb.row_disease(r) for r in range(len(shares))]] * np.array(shares)
    d = rng.choice(len(shares), size=n, p=prior / prior.sum())
    cols: dict[str, pa.Array] = {"id": pa.array([f"s{i:07d}" for i in range(n)])}
    bands = np.stack([_freq(kb, b.feature)[d] for b in kb.age_bands], axis=1)
    bands /= bands.sum(axis=1, keepdims=True)
    band = (rng.random(n)[:, None] > np.cumsum(bands, axis=1)).sum(axis=1).clip(0, len(kb.age_bands) - 1)
    low = np.array([b.low for b in kb.age_bands])[band]
    high = np.array([min(b.high, OLDEST) for b in kb.age_bands])[band]
    age = np.round(low + rng.random(n) * (high - low), 1).clip(0, 94.9)
    cols["age"] = pa.array(age)
    female = _draw(rng, _freq(kb, "patient:female")[d])
    cols["sex"] = pa.array(np.where(female, "female", "male"))
    post = _draw(rng, _freq(kb, "patient:postmenopausal")[d])
    cols["postmenopausal"] = pa.array(post, mask=~(female & (age >= 50)))
    duration = np.round(1 + rng.random(n) * 59)
    cols["duration_months"] = pa.array(np.minimum(duration, np.floor(age * 12) + 1), mask=~(rng.random(n) < P_DURATION))
    imaging = rng.random(n) < P_IMAGING
    prefix = {"condition": "history", "exposure": "exposure", "finding": "finding", "site": "site"}
    prefix |= {"antibody": "antibody", "gene": "gene", "pattern": "imaging:pattern", "tissue": "imaging:tissue"}
    prefix |= {"imaging": "imaging"}
    for fid in kb.feature_ids:
        ns, _, term = fid.partition(":")
        if ns not in REPORTED or (ns == "imaging" and term == "large_deposit"):
            continue
        reported = rng.random(n) < REPORTED[ns]
        if ns in ("pattern", "tissue", "imaging"):
            reported &= imaging
        present = _draw(rng, _freq(kb, fid)[d])
        name = f"{prefix[ns]}:{term}"
        if ns in ("condition", "exposure", "finding", "imaging"):
            cols[name] = pa.array(present, mask=~reported)
        elif ns in ("site", "pattern", "tissue"):
            cols[name] = pa.array(np.ones(n, dtype=bool), mask=~(reported & present))
        elif ns == "antibody":
            cols[name] = pa.array(np.where(present, "positive", "negative"), mask=~reported)
        else:
            cols[name] = pa.array(np.where(present, "pathogenic_variant", "not_found"), mask=~reported)
    modality = rng.choice([m for m, _ in MODALITIES], size=n, p=[p for _, p in MODALITIES])
    cols["imaging:modality"] = pa.array(modality, mask=~imaging)
    dist = np.stack(
        [_freq(kb, f"distribution:{x}")[d] for x in ("single", "multiple_localized", "regional", "widespread")], 1
    )
    dist /= dist.sum(axis=1, keepdims=True)
    pick = (rng.random(n)[:, None] > np.cumsum(dist, axis=1)).sum(axis=1).clip(0, 3)
    names = np.array(["single", "multiple_localized", "regional", "widespread"])
    cols["imaging:distribution"] = pa.array(names[pick], mask=~(imaging & (rng.random(n) < P_DISTRIBUTION)))
    for test, (lo, hi) in ADULT_RANGE.items():
        high = _draw(rng, _freq(kb, f"lab:{test}_high")[d])
        low_ = _draw(rng, _freq(kb, f"lab:{test}_low")[d]) & ~high
        value = lo + rng.random(n) * (hi - lo)
        value = np.where(high, hi + 0.05 + rng.random(n) * 0.8, np.where(low_, lo - 0.05 - rng.random(n) * 0.4, value))
        cols[f"lab:{test}[mmol/L]"] = pa.array(np.round(value, 2), mask=~(rng.random(n) < P_LAB[test]))
    below_15 = _draw(rng, _freq(kb, "lab:egfr_below_15")[d])
    below_60 = _draw(rng, _freq(kb, "lab:egfr_below_60")[d]) | below_15
    egfr = np.where(
        below_15,
        5 + rng.integers(0, 10, n),
        np.where(below_60, 15 + rng.integers(0, 45, n), 60 + rng.integers(0, 60, n)),
    )
    cols["lab:egfr[mL/min/1.73m2]"] = pa.array(egfr.astype(float), mask=~(rng.random(n) < P_LAB["egfr"]))
    done = {"calcium", "phosphate", "egfr"}
    by_test: dict[str, list[tuple[str, str]]] = {}
    for fid, (tests, state) in LAB_FEATURES.items():
        test = tests[-1]
        if test not in done and fid in kb.features:
            by_test.setdefault(test, []).append((fid, state))
    for test, states in by_test.items():
        shown = np.full(n, "normal", dtype=object)
        for fid, state in states:
            shown = np.where((shown == "normal") & _draw(rng, _freq(kb, fid)[d]), state, shown)
        cols[f"lab:{test}:interpretation"] = pa.array(shown.astype(str), mask=~(rng.random(n) < P_OTHER_LAB))
    return pa.table(cols)


def peak_mb() -> float:
    """Peak resident memory of this process (MB; Linux reports ru_maxrss in kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class WorkerPeak:
    """Peak resident memory of this process's descendants (the Dask nannies and workers), sampled
    every 0.2 s: ``RUSAGE_CHILDREN`` would only see children that have been waited for, and a
    forked child starts with its parent's figure."""

    def __init__(self) -> None:
        self.peak_one = 0.0
        self.peak_all = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.wait(0.2):
            sizes = []
            for child in me.children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    sizes.append(child.memory_info().rss / 2**20)
            if sizes:
                self.peak_one = max(self.peak_one, max(sizes))
                self.peak_all = max(self.peak_all, sum(sizes))

    def __enter__(self) -> WorkerPeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000, help="cases (the acceptance run: 1000000)")
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--sample", type=int, default=2_000, help="cases of the single-case loop")
    ap.add_argument("--dask-n", type=int, default=None, help="cases of the --dask comparison (default: all)")
    ap.add_argument("--no-dask", action="store_true")
    ap.add_argument("--keep", type=Path, default=None, help="folder to keep the cohort and outputs in")
    args = ap.parse_args()
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
        run(args, args.keep)
        print(f"files in {args.keep}")
    else:  # the cohort and its outputs are about 350 MB for a million cases: never left behind
        with tempfile.TemporaryDirectory(prefix="calcinosis-bench-") as tmp:
            run(args, Path(tmp))


def run(args: argparse.Namespace, work: Path) -> None:
    """Every measurement, the cohort and outputs written in ``work``."""
    kb = load_kb()
    cohort = work / "cohort.parquet"

    t = time.perf_counter()
    table = synthetic_table(kb, args.n, args.seed)
    pq.write_table(table, cohort, compression="zstd")
    print(
        f"cohort: {args.n:,} synthetic cases, {table.num_columns} columns, "
        f"{cohort.stat().st_size / 1e6:.1f} MB Parquet, generated in {time.perf_counter() - t:.1f} s"
    )
    del table

    # 1. engine only: the batch engine on the evidence matrix (evidence read first, timed apart:
    # from the table's columns as `batch` reads a flat table, and per validated case for reference)
    source = open_input(cohort, kb)
    validator = RowValidator(kb)
    reader = ColumnarReader(kb, validator)
    engine_s = columnar_s = validate_s = evidence_s = 0.0
    sample = []
    n_fast = n_valid = 0
    for i, chunk in enumerate(source.chunks(20_000)):
        assert isinstance(chunk, TableChunk)
        t = time.perf_counter()
        fast, _ = reader.read(chunk.table, chunk.layout)
        columnar_s += time.perf_counter() - t
        t = time.perf_counter()
        result = score_evidence(fast.matrix, fast.ids, kb)
        result.top_diagnoses, result.category  # noqa: B018  (the top-k and categories, as the output takes them)
        engine_s += time.perf_counter() - t
        n_fast += fast.matrix.n
        if i < PER_CASE_CHUNKS:  # the per-case path, on the first chunks only (it is 30x slower)
            t = time.perf_counter()
            cases = validate_chunk(chunk, validator).cases
            validate_s += time.perf_counter() - t
            t = time.perf_counter()
            evidence_matrix(cases, kb)
            evidence_s += time.perf_counter() - t
            n_valid += len(cases)
            if len(sample) < args.sample:
                sample.extend(cases[: args.sample - len(sample)])
    engine_rate = n_fast / engine_s
    print(f"engine only (the batch engine on the evidence matrix): {engine_rate:,.0f} cases/s ({engine_s:.1f} s)")
    print(
        f"evidence from the table's columns (batch/columnar.py): {n_fast / columnar_s:,.0f} cases/s ({columnar_s:.1f} s)"
    )
    print(
        f"for reference, on the first {n_valid:,} rows: rows -> validated cases {n_valid / validate_s:,.0f} cases/s; "
        f"evidence per case {n_valid / evidence_s:,.0f} cases/s"
    )

    # 3. the single-case loop
    t = time.perf_counter()
    for case in sample:
        diagnose(case, kb)
    single_rate = len(sample) / (time.perf_counter() - t)
    print(f"single-case loop (diagnose, {len(sample):,} cases): {single_rate:,.0f} cases/s")
    del sample

    # 2. end to end, in this process and on two local worker processes
    out = work / "results.parquet"
    rates = {}
    for workers in (1, 2):
        target = out if workers == 1 else work / "results-2.parquet"
        t = time.perf_counter()
        summary = run_batch(cohort, target, kb, force=True, progress=False, workers=workers)
        seconds = time.perf_counter() - t
        rates[workers] = summary.rows_in / seconds
        print(
            f"end to end Parquet -> Parquet, --workers {workers}: {rates[workers]:,.0f} cases/s ({seconds:.1f} s; "
            f"{summary.scored:,} scored, {summary.rejected:,} rejected)"
        )
        if workers == 1:
            local_s = seconds
    same = pq.read_table(out).equals(pq.read_table(work / "results-2.parquet"))
    print(f"  the two outputs are identical: {same}")
    print(
        f"ratios: engine / single-case loop {engine_rate / single_rate:,.0f}x; "
        f"end to end / single-case loop {rates[1] / single_rate:,.0f}x (--workers 2: {rates[2] / single_rate:,.0f}x)"
    )
    print(f"peak memory (this process, after the local runs): {peak_mb():,.0f} MB")

    # 5. --dask local:2 against local
    if not args.no_dask:
        dask_in = cohort
        if args.dask_n is not None and args.dask_n < args.n:
            dask_in = work / "cohort-dask.parquet"
            pq.write_table(pq.read_table(cohort).slice(0, args.dask_n), dask_in)
            t = time.perf_counter()
            run_batch(dask_in, work / "local-sub.parquet", kb, force=True, progress=False)
            local_s = time.perf_counter() - t
        t = time.perf_counter()
        with WorkerPeak() as workers:
            dsum = run_batch(dask_in, work / "dask.parquet", kb, force=True, progress=False, dask="local:2")
        dask_s = time.perf_counter() - t
        same = pq.read_table(work / "dask.parquet").equals(
            pq.read_table(out if dask_in == cohort else work / "local-sub.parquet")
        )
        print(
            f"--dask local:2 ({dsum.partitions} partitions, {dsum.rows_in:,} rows): {dsum.rows_in / dask_s:,.0f} cases/s "
            f"({dask_s:.1f} s, cluster start included) against local {local_s:.1f} s: "
            f"{dask_s / local_s:.2f}x the local time; output identical to the local run: {same}"
        )
        print(
            f"peak memory: this process {peak_mb():,.0f} MB; Dask processes (2 nannies, 2 workers) "
            f"{workers.peak_all:,.0f} MB together, the largest {workers.peak_one:,.0f} MB"
        )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
