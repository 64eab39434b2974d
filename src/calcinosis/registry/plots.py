"""Charts of a patient's course (matplotlib, SVG for the pages): each lesion's size relative to its
first measurement and its pain, over time, with the treatment periods shaded and named; and, when
the patient has hand radiographs measured by region, the deposit area of each region that ever
held a deposit (one labelled line per region, ``gid`` ``hand-region-<region>`` in the SVG).

The SVG keeps its text as text (``svg.fonttype`` none): the labels can be read, searched and
checked, in the page's language."""

from __future__ import annotations

import io
from typing import Any

from calcinosis.registry.imaging_course import HandCourse, hand_course, imaging_course, region_name
from calcinosis.registry.models import Patient
from calcinosis.registry.response import SIZE_FIELDS

__all__ = ["cohort_svg", "course_png", "course_svg"]


def course_svg(patient: Patient, *, lang: str = "en") -> str:
    """The SVG of ``patient``'s lesions over time (an empty chart says there is nothing yet)."""
    return _course(patient, lang=lang, fmt="svg").decode("utf-8")


def course_png(patient: Patient, *, lang: str = "en") -> bytes:
    """The same chart as PNG (for the PDF summary)."""
    return _course(patient, lang=lang, fmt="png")


def _course(patient: Patient, *, lang: str, fmt: str) -> bytes:
    plt = _pyplot()
    words = {
        "en": ("Size (% of first measurement)", "Pain (VAS 0-10)", "No lesion measured yet"),
        "fr": ("Taille (% de la première mesure)", "Douleur (EVA 0-10)", "Aucune lésion mesurée"),
    }["fr" if lang == "fr" else "en"]
    dates = {v.id: v.date for v in patient.visits}
    hand = hand_course(*imaging_course(patient))
    hand = hand if hand is not None and hand.regions else None
    fig, axes = plt.subplots(
        3 if hand else 2, 1, figsize=(7.5, 7.2 if hand else 4.8), sharex=True, constrained_layout=True
    )
    size_ax, pain_ax = axes[0], axes[1]
    if hand is not None:
        _hand_panel(axes[2], hand, lang)
    plotted = False
    for lesion in sorted(patient.lesions, key=lambda x: x.label):
        points = sorted(lesion.measurements, key=lambda m: dates[m.visit_id])
        measure = next((f for f in SIZE_FIELDS if points and getattr(points[0], f) is not None), None)
        if measure:
            base = getattr(points[0], measure)
            xs = [dates[p.visit_id] for p in points if getattr(p, measure) is not None]
            ys = [100 * getattr(p, measure) / base for p in points if getattr(p, measure) is not None]
            size_ax.plot(xs, ys, marker="o", label=lesion.label)
            plotted = True
        vas = [(dates[p.visit_id], p.pain_vas) for p in points if p.pain_vas is not None]
        if vas:
            pain_ax.plot([d for d, _ in vas], [v for _, v in vas], marker="s", label=lesion.label)
            plotted = True
    for ax in axes:
        for t in patient.treatments:
            end = t.stop or max(dates.values(), default=t.start)
            ax.axvspan(t.start, max(end, t.start), alpha=0.12, color="tab:green")
    for t in patient.treatments:
        size_ax.annotate(
            t.treatment.replace("_", " "), (t.start, 1.0), xycoords=("data", "axes fraction"), fontsize=7, va="top"
        )
    size_ax.axhspan(75, 125, color="0.9", zorder=0)  # the stable band (within 25 %)
    size_ax.set_ylabel(words[0], fontsize=8)
    pain_ax.set_ylabel(words[1], fontsize=8)
    pain_ax.set_ylim(-0.5, 10.5)
    if plotted:
        size_ax.legend(fontsize=7, loc="upper right")
    else:
        size_ax.text(0.5, 0.5, words[2], transform=size_ax.transAxes, ha="center")
    fig.autofmt_xdate()
    return _save(fig, fmt)


def _hand_panel(ax: Any, hand: HandCourse, lang: str) -> None:
    """One line per hand region that ever held a deposit: its area (mm²) at each hand radiograph."""
    from calcinosis.i18n import message

    for k, r in enumerate(hand.regions):
        points = [(d, a) for d, a in zip(hand.dates, r.area_mm2, strict=True) if a is not None]
        ax.plot(
            [d for d, _ in points],
            [a for _, a in points],
            marker="^",
            linestyle="-" if k < 10 else "--",  # the colour cycle has 10 colours; 15 regions at most
            label=region_name(r.region, lang),
            gid=f"hand-region-{r.region}",
        )
    ax.set_ylabel(message("reg_region_chart_axis", lang), fontsize=8)
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)  # beside: 15 lines at most


def cohort_svg(overall: dict[str, int], by_treatment: dict[str, dict[str, int]], labels: dict[str, str]) -> str:
    """Stacked horizontal bars: patients by response class, overall and per treatment received.

    ``labels`` names the classes and the treatments in the page's language.
    """
    plt = _pyplot()
    rows = [(labels.get("all", "All"), overall), *((labels.get(t, t), counts) for t, counts in by_treatment.items())]
    classes = ("improved", "stable", "progression", "not_measurable")
    colours = ("tab:green", "0.65", "tab:red", "0.88")
    fig, ax = plt.subplots(figsize=(7.5, 0.45 * len(rows) + 1.2), constrained_layout=True)
    left = [0] * len(rows)
    for cls, colour in zip(classes, colours, strict=True):
        values = [counts.get(cls, 0) for _, counts in rows]
        ax.barh([name for name, _ in rows], values, left=left, color=colour, label=labels.get(cls, cls))
        left = [a + b for a, b in zip(left, values, strict=True)]
    ax.invert_yaxis()
    ax.set_xlabel(labels.get("patients", "patients"), fontsize=8)
    ax.legend(fontsize=7, loc="lower right")
    return _save(fig, "svg").decode("utf-8")


def _pyplot() -> Any:
    """matplotlib's pyplot on the Agg backend (no display), imported on first use (it is slow to import)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, fmt: str) -> bytes:
    """The figure as SVG (no date inside, so equal charts are equal files) or PNG, then closed."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    with plt.rc_context({"svg.fonttype": "none"}):  # text stays text: readable, searchable, in the page's language
        fig.savefig(buffer, format=fmt, dpi=150, metadata={"Date": None} if fmt == "svg" else {})
    plt.close(fig)
    return buffer.getvalue()
