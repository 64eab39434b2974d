"""Benchmark of the diagnosis engine (issue #2 targets on a 2-core machine: p50 <= 2 ms, CLI <= 0.6 s).

Prints:
- knowledge-base load, validation and compile time (median of 5), and the load from the
  compiled cache that the CLI uses;
- single-case latency in process after load, p50/p99, over the 25 dev cases, for the whole
  ``diagnose`` (labs, evidence, scoring, explanations, questions, work-up) and for scoring alone;
  the baseline, measured in the same run, is a plain-Python loop computing the same undamped
  posterior, so the ratio shows what the compiled arrays buy;
- CLI cold-start wall time of ``calcinosis diagnose CASE --json`` (median of 5), against
  ``python -c pass`` measured in the same run.

Run: .venv/bin/python bench/engine.py [CASES_DIR]
"""

from __future__ import annotations

import math
import statistics
import subprocess
import sys
import time
from pathlib import Path

from calcinosis import diagnose, load_kb, read_case
from calcinosis.case.labs import interpret_labs
from calcinosis.engine.evidence import collect_evidence
from calcinosis.engine.scoring import score

ROOT = Path(__file__).resolve().parents[1]
CASES = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "cases"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1)]


def main() -> None:
    cold, cached = [], []
    for _ in range(5):
        t = time.perf_counter()
        kb = load_kb(cache=False)
        cold.append(time.perf_counter() - t)
        t = time.perf_counter()
        kb = load_kb()
        cached.append(time.perf_counter() - t)
    print(
        f"knowledge base load, validate and compile: median {statistics.median(cold) * 1000:.0f} ms; "
        f"from the compiled cache: {statistics.median(cached) * 1000:.0f} ms "
        f"({len(kb.diseases)} diagnoses, {len(kb.features)} features)"
    )

    cases = [read_case(p, kb) for p in sorted(CASES.glob("*.yaml"))]
    for c in cases:  # warm-up
        diagnose(c, kb)
    full, scoring, naive = [], [], []
    for _ in range(40):
        for c in cases:
            t = time.perf_counter()
            diagnose(c, kb)
            full.append(time.perf_counter() - t)
            ev = collect_evidence(c, interpret_labs(c, kb), kb)
            t = time.perf_counter()
            score(ev, kb)
            scoring.append(time.perf_counter() - t)
            t = time.perf_counter()
            _naive_posterior(ev, kb)
            naive.append(time.perf_counter() - t)
    ms = 1000
    print(
        f"diagnose() per case: p50 {percentile(full, 50) * ms:.2f} ms, p99 {percentile(full, 99) * ms:.2f} ms (n={len(full)})"
    )
    print(
        f"scoring alone: p50 {percentile(scoring, 50) * ms:.3f} ms; plain-Python baseline p50 {percentile(naive, 50) * ms:.3f} ms "
        f"(ratio {percentile(naive, 50) / percentile(scoring, 50):.1f}x)"
    )

    exe = Path(sys.executable).with_name("calcinosis")
    case_file = sorted(CASES.glob("*.yaml"))[0]
    cli, bare = [], []
    for _ in range(5):
        t = time.perf_counter()
        subprocess.run([str(exe), "diagnose", str(case_file), "--json"], check=True, capture_output=True)
        cli.append(time.perf_counter() - t)
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True, capture_output=True)
        bare.append(time.perf_counter() - t)
    c, b = statistics.median(cli), statistics.median(bare)
    print(f"CLI cold start, diagnose --json: median {c:.3f} s (python -c pass: {b:.3f} s, ratio {c / b:.1f}x)")


def _naive_posterior(ev, kb):  # type: ignore[no-untyped-def]
    """The same undamped posterior with Python loops (baseline)."""
    scores = []
    for d in range(len(kb.diseases)):
        s = float(kb.log_prior[d])
        for fid, obs in ev.observations.items():
            j = kb.feature_pos(fid)
            p = float(kb.frequency[d, j])
            b = float(kb.baseline[j])
            s += math.log(p / b) if obs.present else math.log((1 - p) / (1 - b))
        scores.append(s)
    top = max(scores)
    exp = [math.exp(x - top) for x in scores]
    total = sum(exp)
    return [x / total for x in exp]


if __name__ == "__main__":
    main()
