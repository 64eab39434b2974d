"""``calcinosis intake-eval DIR``: how well the notes of a folder become their gold cases."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from calcinosis.cli._common import KB_OPTION, fail, handles_errors, load, safe

__all__ = ["intake_eval"]


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


@handles_errors
def intake_eval(
    folder: Path = typer.Argument(..., help="Folder of notes (<id>.txt) with their gold cases (<id>.yaml)."),
    half: str | None = typer.Option(
        None, "--half", help="Only the dev half (odd note numbers) or the held-out half (even): dev | held-out."
    ),
    reader: Path | None = typer.Option(
        None,
        "--reader",
        help="A folder of cases another reader coded from the same notes (<id>.yaml): their agreement "
        "with the gold cases instead of the extraction's (the ceiling an extractor can be held to).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the figures and each note's misses as JSON."),
    notes: bool = typer.Option(False, "--notes", help="Also list each note's missed and extra items."),
    kb_path: Path | None = KB_OPTION,
) -> None:
    """Per-field precision and recall of the note extraction, negation accuracy, lab values with
    the right unit, and how often the extracted case gets the gold case's top diagnosis."""
    from rich.console import Console
    from rich.table import Table

    from calcinosis.evaluation.intake import evaluate_notes

    if not folder.is_dir():
        raise fail(f"{folder} is not a folder of notes")
    if half not in (None, "dev", "held-out"):
        raise fail(f"--half {half!r}: expected dev or held-out")
    kb = load(kb_path)
    if reader is not None and not reader.is_dir():
        raise fail(f"{reader} is not a folder of cases")
    ev = evaluate_notes(folder, kb, half=half, reader=reader)
    if not ev.notes:
        raise fail(f"{folder}: no note with a gold case (<id>.txt beside <id>.yaml)")
    if as_json:
        typer.echo(json.dumps(ev.as_dict(), indent=2, ensure_ascii=False))
        return
    con = Console()
    what = "Agreement of a second reader" if reader is not None else "Note extraction"
    title = f"{what} on {len(ev.notes)} notes" + (f" ({half} half)" if half else "")
    t = Table(title=title)
    for name in ("field", "precision", "recall", "found", "gold"):
        t.add_column(name, justify="left" if name == "field" else "right")
    rows = [(k, v) for k, v in ev.by_field.items() if v.gold or v.found]
    rows += [(f"language {k}", v) for k, v in sorted(ev.by_lang.items())] + [("all fields", ev.overall)]
    for name, score in rows:
        t.add_row(name, _pct(score.precision), _pct(score.recall), str(score.found), str(score.gold))
    con.print(t)
    con.print(f"negation accuracy: {_pct(ev.negation_accuracy)} ({ev.negation_right}/{ev.negation_total})")
    con.print(
        f"lab values with the right unit: {_pct(ev.lab_unit_accuracy)} ({ev.lab_values_right}/{ev.lab_values_total})"
    )
    judged = [n for n in ev.notes if n.same_top is not None]
    same = sum(bool(n.same_top) for n in judged)
    lent = sum(n.age_lent for n in ev.notes)
    con.print(
        f"same top diagnosis as the gold case: {_pct(ev.same_top_rate)} ({same}/{len(judged)}; gold age lent to {lent})"
    )
    total, from_case, from_gold = ev.expected_top()
    if total:
        con.print(
            f"published diagnosis first: from the {'second reader' if reader is not None else 'extracted'} case "
            f"{_pct(from_case / total)} ({from_case}/{total}), "
            f"from the gold case {_pct(from_gold / total)} ({from_gold}/{total})"
        )
    for n in ev.notes:
        if n.error:
            con.print(f"[red]{safe(n.id)}: {safe(n.error)}[/red]")
        elif notes:
            con.print(
                f"[bold]{safe(n.id)}[/bold] ({n.lang}) top {safe(str(n.top_extracted))} / gold {safe(str(n.top_gold))}"
            )
            for name in n.missed:
                if n.missed[name] or n.extra[name]:
                    con.print(
                        f"  {name}: missed {safe(', '.join(n.missed[name]))}; extra {safe(', '.join(n.extra[name]))}"
                    )
