"""What every result says of the engine's measured performance on patients it has never seen.

The figures come from ``measured_unseen.json`` beside this module, written by
``scripts/measure_unseen.py`` from the fresh validation set (``evaluation/unseen.py``). They
describe the shipped knowledge at one version: a result made with another knowledge base, or
another version of this one, quotes nothing rather than figures that were not measured for it.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from calcinosis.engine.results import MeasuredPerformance, built
from calcinosis.engine.tables import tables
from calcinosis.i18n import message, percent
from calcinosis.kb.loader import default_kb_path
from calcinosis.kb.model import KnowledgeBase

__all__ = ["BANDS", "MEASURED_FILE", "in_band", "measured_performance"]

MEASURED_FILE = Path(str(resources.files("calcinosis") / "engine" / "measured_unseen.json"))

# Bands of the first diagnosis' probability: wide enough to hold a dozen of the 66 patients each.
BANDS: tuple[tuple[float, float], ...] = ((0.0, 0.4), (0.4, 0.6), (0.6, 0.8), (0.8, 1.0))


def in_band(p: float, low: float, high: float) -> bool:
    """Whether ``p`` lies in [low, high), the last band closed at 1."""
    return low <= p < high or (high == 1.0 and p == 1.0)


@lru_cache(maxsize=1)
def _figures() -> dict[str, Any] | None:
    """The measured figures, read once; None when the file is missing or unreadable (a result
    then quotes nothing: the figures are context, never needed to diagnose)."""
    try:
        data: dict[str, Any] = json.loads(MEASURED_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data


def _applies(kb: KnowledgeBase, figures: dict[str, Any]) -> bool:
    """Whether the figures were measured with ``kb``: the shipped knowledge, at their version."""
    shipped = default_kb_path().resolve()
    return kb.version == figures["kb_version"] and kb.root is not None and Path(kb.root).resolve() == shipped


def measured_performance(kb: KnowledgeBase, top_probability: float | None, lang: str) -> MeasuredPerformance | None:
    """The measured performance a result quotes, with the band of ``top_probability`` (the first
    diagnosis' probability), or None when no figures were measured for ``kb``.

    Written once per knowledge base, band and language (kept with the knowledge base's texts)."""
    figures = _figures()
    if figures is None:
        return None
    band = next(
        (
            i
            for i, b in enumerate(figures["bands"])
            if top_probability is not None and in_band(top_probability, b["low"], b["high"])
        ),
        None,
    )
    texts = tables(kb).texts
    key = ("measured", band, lang)
    fields: dict[str, Any] | None = texts.get(key)
    if fields is None:
        fields = texts[key] = _fields(figures, band, lang) if _applies(kb, figures) else {}
    return built(MeasuredPerformance, dict(fields)) if fields else None


def _fields(figures: dict[str, Any], band: int | None, lang: str) -> dict[str, Any]:
    """The fields of the statement, its sentence in ``lang`` included."""
    n = figures["n"]
    top1, top3, category = figures["top1"], figures["top3"], figures["category"]
    text = message(
        "measured_unseen",
        lang,
        n=n,
        kb=figures["kb_version"],
        top1=percent(top1["right"] / n, lang),
        low=percent(top1["low"], lang),
        high=percent(top1["high"], lang),
        top3=percent(top3["right"] / n, lang),
        category=percent(category["right"] / n, lang),
    )
    b = figures["bands"][band] if band is not None else None
    if b is not None and b["n"]:
        text += " " + message(
            "measured_band",
            lang,
            low=percent(b["low"], lang),
            high=percent(b["high"], lang),
            right=b["right"],
            n=b["n"],
        )
    return {
        "source": figures["source"],
        "kb_version": figures["kb_version"],
        "n": n,
        "top1": round(top1["right"] / n, 4),
        "top1_interval": [top1["low"], top1["high"]],
        "top3": round(top3["right"] / n, 4),
        "category": round(category["right"] / n, 4),
        "band": None if b is None else [b["low"], b["high"]],
        "band_cases": None if b is None else b["n"],
        "band_right": None if b is None else b["right"],
        "text": text,
    }
