"""Readable terminal report of a DiagnosisReport (rich)."""

from __future__ import annotations

import re

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from calcinosis.cli._common import keep_no_break_spaces, safe
from calcinosis.engine.reasons import stated
from calcinosis.engine.results import Contribution, DiagnosisReport
from calcinosis.i18n import colon, message, messages, percent, significant
from calcinosis.kb.model import KnowledgeBase
from calcinosis.reports.lab_table import lab_rows
from calcinosis.reports.summary import Summary

__all__ = ["render_report", "render_summary"]


def _bar(p: float, width: int = 20) -> str:
    filled = round(p * width)
    return "█" * filled + "·" * (width - filled)


def _num(x: float, lang: str) -> str:
    return f"{x:.2g}" if lang != "fr" else significant(x, lang)


def _reason(c: Contribution, kb: KnowledgeBase, lang: str) -> str:
    """One compact line of a reason: sign, feature, state, input, LR and the two frequencies."""
    sign = "[green]+[/green]" if c.likelihood_ratio > 1 else "[red]−[/red]"
    feature = kb.features[c.feature]
    present = c.state == "present"
    # a finding present is its label alone in this compact line; anything else says its state
    said = c.label if present and not feature.attribute else stated(feature, present, lang, brackets=True)
    freq = c.frequency if c.state == "present" else 1 - c.frequency
    base = c.baseline if c.state == "present" else 1 - c.baseline
    lr = _num(c.likelihood_ratio, lang) if c.likelihood_ratio < 10 else f"{c.likelihood_ratio:.0f}"
    damped = f" ×{_num(c.weight, lang)}" if c.weight < 0.999 else ""
    est = "*" if c.estimate else ""
    where = _pointer(c.basis[0].split(" ")[0], lang)
    return (
        f"{sign} {escape(said)} [dim]({escape(where)})[/dim] {'RV' if lang == 'fr' else 'LR'} {lr}{damped} "
        f"[dim]({percent(freq, lang)}/{percent(base, lang)}){est}[/dim]"
    )


_SEGMENT = re.compile(r"^([a-z_]+)(?:\[(\d+)\])?$")


def _pointer(where: str, lang: str) -> str:
    """Where a reason comes from in the case file: its field path in English, as the case format
    writes it; in French, the same place in French words, counted from 1 (« imagerie 1, tissu 1 »
    for ``imaging[0].tissues[0]``: a French clinical review read raw field paths). A pointer that
    is no field path (a computed value) is left as it is."""
    if lang != "fr":
        return where
    said = []
    for segment in where.split("."):
        m = _SEGMENT.match(segment)
        key = f"cli_field_{m.group(1)}" if m is not None else ""
        if m is None or key not in messages():
            return where
        word = message(key, lang)
        said.append(word if m.group(2) is None else f"{word} {int(m.group(2)) + 1}")
    return ", ".join(said)


def render_report(report: DiagnosisReport, kb: KnowledgeBase, *, source: str, console: Console | None = None) -> None:
    """Print one report: category, differential with reasons, work-up, questions, warnings."""
    keep_no_break_spaces()
    con = console or Console()
    lang = report.metadata.language
    cat = kb.categories[report.category]
    con.rule(f"[bold]{safe(report.case_id or source)}")
    cat_table = Table(title=message("cli_category", lang), show_header=False, box=None)
    for justify in ("left", "right", "left"):
        cat_table.add_column(justify=justify)
    for name, p in sorted(report.category_probabilities.items(), key=lambda kv: -kv[1]):
        spec = kb.categories[name]
        label = spec.fr if lang == "fr" else spec.en
        cat_table.add_row(f"[bold]{label}[/bold]" if name == report.category else label, percent(p, lang, 1), _bar(p))
    con.print(cat_table)
    con.print(f"[dim]{cat.definition.get(lang)}[/dim]")

    status_word = message(f"status_{report.phosphocalcic_status}", lang)
    lines = []
    for rule in report.classification:
        mark = {
            True: message("cli_consistent", lang),
            False: message("cli_inconsistent", lang),
            None: message("cli_undetermined", lang),
        }[rule.consistent]
        spec = kb.categories[rule.category]
        lines.append(f"{spec.fr if lang == 'fr' else spec.en}{colon(lang)} {rule.rule} [{mark}]")
    con.print(
        Panel(
            "\n".join(lines),
            title=f"{message('cli_classification', lang)}{colon(lang)} {status_word}",
            expand=False,
        )
    )

    rows = lab_rows(report.labs, kb, lang)
    if rows:
        labs = Table(title=message("cli_labs", lang))
        for key in ("ui_lab_test", "ui_lab_result", "ui_lab_reading", "ui_lab_read_against"):
            labs.add_column(message(key, lang))
        for row in rows:
            flag = {"high": "red", "low": "blue"}.get(row.flag)
            status = f"[{flag}]{escape(row.status)}[/{flag}]" if flag else escape(row.status)
            result = escape(row.entered) + (f"\n[dim]{escape(row.si)}[/dim]" if row.si else "")
            name = escape(row.name) + (" *" if row.drives else "")
            labs.add_row(name, result, status, f"[dim]{escape(row.reference)}[/dim]")
        con.print(labs)
        if any(row.drives for row in rows):
            con.print(f"[dim]* {message('ui_lab_drives', lang)}[/dim]")

    table = Table(title=message("cli_differential", lang), show_lines=True)
    table.add_column("#", justify="right")
    table.add_column(message("cli_diagnosis", lang))
    table.add_column(message("cli_probability", lang), justify="right")
    table.add_column(message("cli_for", lang) + " / " + message("cli_against", lang))
    for rank, d in enumerate(report.differential[:8], start=1):
        # what the ranking starts from, and what a diagnosis pays when none of its defining
        # features is reported: both decided an order the reasons alone did not explain (a
        # clinician's review: the overlap syndrome above the patient's own polymyositis)
        reasons = [f"[dim]{message('cli_pretest', lang, p=percent(d.pretest_probability, lang, 1))}[/dim]"]
        reasons += [_reason(c, kb, lang) for c in d.evidence if c.likelihood_ratio > 1][:4]
        if d.defining_unreported_lr is not None:
            lr = _num(d.defining_unreported_lr, lang)
            reasons.append(f"[red]−[/red] {message('cli_defining_unreported', lang, lr=lr)}")
        reasons += [_reason(c, kb, lang) for c in d.evidence if c.likelihood_ratio < 1][:3]
        table.add_row(
            str(rank),
            # the category, then the diagnosis' id as a technical reference (for kb show), in both
            # languages (a French clinical review read « sarcoidosis · Métastatique »)
            f"{d.name}\n[dim]{kb.categories[d.category].fr if lang == 'fr' else kb.categories[d.category].en}"
            f" · {message('cli_diagnosis_id', lang, id=d.diagnosis)}[/dim]",
            f"{percent(d.probability, lang, 1)}\n{_bar(d.probability, 10)}",
            "\n".join(reasons) or "—",
        )
    con.print(table)
    con.print(f"[dim]{message('cli_reason_legend', lang)}[/dim]")
    hidden = len(report.differential) - 8  # listed in the differential but cut from the table
    if hidden > 0:
        said = message("cli_excluded_one", lang) if hidden == 1 else message("cli_excluded", lang, n=hidden)
        con.print(f"[dim]{said}[/dim]")

    if report.workup_steps:
        con.print(f"\n[bold]{message('cli_workup', lang)}[/bold]")
        for w in report.workup_steps:
            con.print(f"  • {escape(w.text)} [dim]({escape(w.reason)})[/dim]")
    for note in report.workup_omitted:
        con.print(f"  [dim]{escape(note)}[/dim]")
    if report.next_questions:
        con.print(f"\n[bold]{message('cli_questions', lang)}[/bold]")
        for q in report.next_questions:
            con.print(f"  ? {escape(q.question)}")
            con.print(
                f"    [dim]{message('question_yes', lang)}{colon(lang)} {escape(q.if_yes)} · "
                f"{message('question_no', lang)}{colon(lang)} {escape(q.if_no)}[/dim]"
            )
    if report.warnings:
        con.print(f"\n[bold yellow]{message('cli_warnings', lang)}[/bold yellow]")
        for warning in report.warnings:
            con.print(f"  ! {escape(warning)}")
    refs: list[str] = []
    for d in report.differential[:3]:
        refs.extend(r for r in d.references if r not in refs)
    if refs:
        con.print(f"\n[bold]{message('cli_references', lang)}[/bold]")
        for r in refs:
            con.print(escape(f"  [{r}] {kb.references[r].text(lang)}"), highlight=False)
    con.print(
        f"\n[dim]{message('cli_versions', lang, code=report.metadata.calcinosis_version, kb=report.metadata.kb_version)}[/dim]"
    )
    if report.metadata.measured is not None:
        con.print(f"[dim]{escape(report.metadata.measured.text)}[/dim]")
    con.print(Panel(report.metadata.disclaimer, style="italic", expand=False))


def render_summary(summary: Summary, *, source: str, lang: str, full: bool, console: Console | None = None) -> None:
    """The one-screen summary: category, three leading diagnoses with their strongest reasons,
    must-not-miss diagnoses and warnings up front, the next step."""
    keep_no_break_spaces()
    con = console or Console()
    sep = colon(lang)
    con.rule(f"[bold]{safe(source)}[/bold] · {message('summary_title', lang)}")
    con.print(
        f"[bold]{message('cli_category', lang)}{sep}[/bold] {escape(summary.category)} ({summary.category_probability})"
    )
    con.print(f"[dim]{escape(summary.category_explanation)}[/dim]")
    if summary.must_not_miss:
        con.print(f"[bold red]{message('summary_must_not_miss', lang)}{sep}[/bold red]")
        for alert in summary.must_not_miss:
            con.print(f"  [red]![/red] {escape(alert)}")
    con.print(f"[bold]{message('summary_leading', lang)}{sep}[/bold]")
    for rank, d in enumerate(summary.leading, start=1):
        con.print(f"  {rank}. [bold]{escape(d.name)}[/bold] {d.probability}")
        for reason in d.reasons:
            con.print(f"     [dim]{escape(reason)}[/dim]")
    for warning in summary.warnings:
        con.print(f"  [yellow]![/yellow] {escape(warning)}")
    if summary.next_steps:
        con.print(f"[bold]{message('summary_next', lang)}{sep}[/bold]")
        for step in summary.next_steps:
            con.print(f"  → {escape(step)}")
    if not full:
        con.print(f"[dim]{message('summary_details', lang)}[/dim]")
        if summary.measured:
            con.print(f"[dim]{escape(summary.measured)}[/dim]")
        con.print(Panel(summary.disclaimer, style="italic", expand=False))
