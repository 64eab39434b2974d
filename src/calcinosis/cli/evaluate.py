"""``calcinosis evaluate DIR [DIR ...]``."""

from __future__ import annotations

from pathlib import Path

import typer

from calcinosis.cli._common import KB_OPTION, fail, handles_errors, load, safe

__all__ = ["evaluate"]


def _case_folder(folder: Path) -> Path:
    """The folder whose case files are evaluated: ``folder`` itself, or, for a set laid out as
    ``tests/data/published`` is (its cases in ``cases/``, those set aside in ``excluded/``), its
    ``cases/`` folder, said on stderr. Anything else is an error naming the subfolders that hold
    case files."""
    from calcinosis.evaluation.pool import case_files

    if not folder.is_dir():
        raise fail(f"{folder} is not a folder of case files")
    if case_files(folder):
        return folder
    inner = folder / "cases"
    if inner.is_dir() and case_files(inner):
        typer.echo(f"{safe(str(folder), 120)}: its cases are read from {safe(str(inner), 120)}", err=True)
        return inner
    near = sorted(str(sub) for sub in folder.iterdir() if sub.is_dir() and case_files(sub))
    hint = f"; case files are in {', '.join(near)}" if near else ""
    raise fail(f"{folder} holds no case file (*.yaml, *.yml, *.json){hint}")


@handles_errors
def evaluate(
    folders: list[Path] = typer.Argument(
        ...,
        help=(
            "Folders of case files with an expected block (a set with a cases/ subfolder is read from it); "
            "with several, a publication an earlier folder gave is counted once."
        ),
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the metrics as one JSON object."),
    kb_path: Path | None = KB_OPTION,
) -> None:
    """Accuracy, ranking, calibration and the misses of the engine on folders of cases."""
    from rich.console import Console
    from rich.table import Table

    from calcinosis.evaluation.metrics import evaluate_cases
    from calcinosis.evaluation.pool import pool_case_files
    from calcinosis.serialise import to_json

    folders = [_case_folder(folder) for folder in folders]
    kb = load(kb_path)
    pooled = pool_case_files(folders, kb)
    try:
        ev = evaluate_cases(pooled.paths, kb)
    except ValueError as exc:
        raise fail(f"{', '.join(map(str, folders))}: {exc}") from None
    for dropped, kept in pooled.duplicates:  # on stderr, so that --json stays one object
        typer.echo(f"counted once: {safe(str(dropped), 120)} is the publication of {safe(str(kept), 120)}", err=True)
    if as_json:
        typer.echo(to_json(ev))
        return
    con = Console()
    t = Table(title=f"Evaluation on {ev.n} cases (knowledge base {ev.kb_version})")
    t.add_column("metric")
    t.add_column("value", justify="right")
    t.add_column("95 % interval (bootstrap)", justify="right")
    percent = ("category_accuracy", "macro_category_recall", "top1", "top3", "top5")
    for key in (
        "category_accuracy",
        "macro_category_recall",
        "top1",
        "top3",
        "top5",
        "mrr",
        "brier",
        "log_score",
        "category_log_score",
        "ece",
    ):
        value = getattr(ev, key)
        ci = ev.intervals.get(key)
        fmt = "{:.1%}" if key in percent else "{:.3f}"
        dash = " to " if ci and ci.low < 0 else "–"  # "-1.2–-0.1" would read as a typo
        t.add_row(key, fmt.format(value), f"{fmt.format(ci.low)}{dash}{fmt.format(ci.high)}" if ci else "")
    ref = ev.ece_if_calibrated
    t.add_row(
        "ece if calibrated",
        f"{ref.mean:.3f}",
        f"{ref.low:.3f}–{ref.high:.3f} (p = {ref.p_value:.2f})",
    )
    con.print(t)
    con.print(
        "log_score, category_log_score: the mean natural log of the probability given to the expected "
        "diagnosis and to its category (0 is certainty of the truth; higher is better)."
    )
    con.print(
        "ece if calibrated: the ECE a perfectly calibrated engine would show with these top-1 "
        "probabilities (sampling noise of the bins); p: the share of such draws at least as large "
        "as the observed ECE."
    )
    r = Table(title="Reliability of the top-1 probability")
    for col in ("bin", "n", "mean probability", "accuracy"):
        r.add_column(col, justify="right")
    for b in ev.reliability:
        if b.n:
            r.add_row(
                f"{b.low:.1f}–{b.high:.1f}",
                str(b.n),
                f"{b.mean_confidence:.2f}",
                f"{b.accuracy:.2f}",
            )
    con.print(r)
    c = Table(title="Category confusion (rows: expected, columns: predicted)")
    c.add_column("")
    cats = list(ev.confusion)
    for cat in cats:
        c.add_column(cat[:6], justify="right")
    c.add_column("recall", justify="right")
    for cat in cats:
        rec = ev.category_recall[cat]
        c.add_row(cat, *[str(ev.confusion[cat][p]) for p in cats], "—" if rec is None else f"{rec:.0%}")
    con.print(c)
    if ev.misses:
        m = Table(title="Misses")
        for col in (
            "case",
            "expected",
            "rank",
            "p(expected)",
            "top prediction",
            "p(top)",
            "category",
        ):
            m.add_column(col)
        for o in ev.misses:
            m.add_row(
                safe(o.case, 60),
                o.expected_diagnosis,
                str(o.rank),
                f"{o.expected_probability:.3f}",
                o.top_diagnosis,
                f"{o.top_probability:.2f}",
                f"{o.expected_category}→{o.predicted_category}",
            )
        con.print(m)
