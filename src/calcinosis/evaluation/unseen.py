"""The engine's measured performance on published patients it was never built or tuned on.

A clinician reading "calciphylaxis 72 %" should know how often such a figure has been right.
The fresh validation set (``tests/data/published-fresh``: patients coded by readers who never
saw the engine, never read case by case by whoever changes the knowledge) answers that: how
often the first diagnosis was right, and how often it was right when its probability fell in
the same band as the case at hand. ``scripts/measure_unseen.py`` writes these figures to
``engine/measured_unseen.json``, which every result then quotes (``engine/measured.py``); a
test recomputes them and fails when the knowledge has changed without them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from calcinosis.engine.measured import BANDS, in_band
from calcinosis.evaluation.metrics import evaluate_cases
from calcinosis.evaluation.pool import case_files
from calcinosis.kb.model import KnowledgeBase

__all__ = ["UNSEEN_SET", "measure_unseen"]

UNSEEN_SET = "tests/data/published-fresh/cases"  # the fresh validation set, from the repository's root


def measure_unseen(folder: Path, kb: KnowledgeBase, *, source: str) -> dict[str, Any]:
    """The figures of ``folder``'s cases under ``kb``: counts, bootstrap 95 % intervals (those of
    ``calcinosis evaluate``) and, per band of the first diagnosis' probability, how many cases
    fell in it and in how many the first diagnosis was the expected one. ``source`` names the
    folder in the output (a path relative to the repository)."""
    ev = evaluate_cases(case_files(folder), kb)
    right = [c.rank == 1 for c in ev.cases]
    bands = []
    for low, high in BANDS:
        inside = [ok for c, ok in zip(ev.cases, right, strict=True) if in_band(c.top_probability, low, high)]
        bands.append({"low": low, "high": high, "n": len(inside), "right": sum(inside)})

    def share(key: str, k: int) -> dict[str, Any]:
        interval = ev.intervals[key]
        return {"right": k, "low": interval.low, "high": interval.high}

    return {
        "what": "Performance of the engine on published patients never used to build or tune it; written by scripts/measure_unseen.py, checked by tests/test_measured_unseen.py.",
        "source": source,
        "kb_version": kb.version,
        "n": ev.n,
        "top1": share("top1", sum(right)),
        "top3": share("top3", sum(c.rank <= 3 for c in ev.cases)),
        "category": share("category_accuracy", sum(c.expected_category == c.predicted_category for c in ev.cases)),
        "bands": bands,
    }
