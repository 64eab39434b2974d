"""Readable terminal output of management results and CVI staging."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel

from calcinosis.cli._common import keep_no_break_spaces, safe
from calcinosis.engine.results import CviStaging
from calcinosis.i18n import colon, lower_first, message, percent
from calcinosis.kb.model import KnowledgeBase
from calcinosis.management.results import WAITING_SHOWN, ManagementReport, TreatmentOption

__all__ = ["render_management", "render_staging"]


def _option(con: Console, o: TreatmentOption, lang: str) -> None:
    level = f" · {message('cli_level', lang)} {o.best_level}" if o.best_level else ""
    con.print(f"  [bold]{escape(o.name)}[/bold] [dim]({message('role_' + o.role, lang)}{level})[/dim]")
    for why in o.why:
        con.print(f"    [dim]{message('cli_fits', lang)}{colon(lang)}[/dim] {escape(why)}")
    if o.dose:
        con.print(f"    [dim]{message('cli_dose', lang)}{colon(lang)}[/dim] {escape(o.dose)}")
    for c in o.cautions:
        con.print(f"    [yellow]![/yellow] {escape(c)}")
    # the studies of this patient's possible diagnoses (or of calcinosis in general); when there
    # is none, what the studies are of, not one of their figures (a calciphylaxis survival figure
    # stood under the excision of an infant's nodule)
    relevant = [e for e in o.evidence if e.relevant][:3]
    if not relevant and o.evidence:
        studied = list(dict.fromkeys(d for e in o.evidence for d in e.studied_in))
        shown = message("list_separator", lang).join(studied[:4]) + (" …" if len(studied) > 4 else "")
        said = message("report_no_study_here", lang) + " " + shown
        con.print(f"    [dim]• {escape(said)}[/dim]")
    for e in relevant:
        n = f", n = {e.n}" if e.n else ""
        design = message(f"design_{e.design}", lang)
        # a study of another disease says so (a calciphylaxis series under a scrotal calcinosis' excision)
        where = (
            f" — {message('report_studied_in', lang)} {message('list_separator', lang).join(e.studied_in)}"
            if not e.relevant and e.studied_in
            else ""
        )
        con.print(
            f"    [dim]• {escape(e.outcome)} ({escape(design)}{n}, {message('cli_level', lang)} {e.level}) {escape('[' + e.reference + ']')}{escape(where)}[/dim]"
        )


def _header(result: ManagementReport, kb: KnowledgeBase, lang: str) -> str:
    """'Calciphylaxis (88%) · Calciphylaxis', or, when the leading diagnosis belongs to another
    category than the one the whole differential weighs most, both said with their own
    probability: the engine's category beside a diagnosis of another read as a contradiction
    ('Metastatic calcification of chronic kidney disease (32%) · Dystrophic', a clinical review)."""
    shown = percent(
        result.diagnosis_probability, lang
    )  # '> 99%', never '100%' for a probability that is not a certainty
    cat = kb.categories[result.category]
    name = cat.fr if lang == "fr" else cat.en
    own = kb.categories[kb.disease(result.diagnosis).category]
    if own is cat or result.category_probability is None:
        return f"{result.diagnosis_name} ({shown}) · {name}"
    return message(
        "management_header_split",
        lang,
        name=result.diagnosis_name,
        p=shown,
        own=lower_first(own.fr if lang == "fr" else own.en),
        category=lower_first(name),
        cp=percent(result.category_probability, lang),
    )


def render_staging(staging: CviStaging, *, lang: str, console: Console | None = None) -> None:
    """Porter stage (or range), CEAP class, and what would decide."""
    keep_no_break_spaces()
    con = console or Console()
    p = staging.porter
    rng = f"{p.stage_min}" if p.stage_min == p.stage_max else f"{p.stage_min}–{p.stage_max}"
    if staging.staged:
        lines = [f"Porter 1988{colon(lang)} {rng} — {p.description}", *[f"  {b}" for b in p.basis]]
        lines += [
            f"CEAP 2020{colon(lang)} {staging.ceap.clinical_class} — {staging.ceap.description}",
            *[f"  {b}" for b in staging.ceap.basis],
        ]
        lines += [f"  ({n})" for n in staging.ceap.notes]
    else:  # the stage of a limb without signs is not the patient's: the note says so, alone
        lines = list(staging.ceap.notes)
    con.print(Panel(escape("\n".join(lines)), title=message("cli_staging", lang), expand=False))
    for m in staging.missing:
        con.print(f"  ? {escape(m)}")


def render_management(
    result: ManagementReport,
    kb: KnowledgeBase,
    *,
    source: str,
    console: Console | None = None,
    lang: str | None = None,
) -> None:
    """Principles, options by mechanism, what to avoid, staging, follow-up, disclaimer."""
    keep_no_break_spaces()
    con = console or Console()
    if lang is None:  # the result's language, read from its disclaimer
        lang = "fr" if result.disclaimer == message("disclaimer", "fr") else "en"
    con.rule(f"[bold]{safe(result.case_id or source)}")
    con.print(escape(_header(result, kb, lang)))
    if result.diagnosis_form is not None:
        con.print(escape(message("management_form", lang, form=result.diagnosis_form)))
    if result.statements:
        con.print(f"\n[bold]{message('cli_principles', lang)}[/bold]")
        for s in result.statements:
            refs = f" [dim]{escape('[' + ', '.join(s.references) + ']')}[/dim]" if s.references else ""
            con.print(f"  • {escape(s.text)}{refs}")
    # an option that waits (for a diagnosis to be confirmed, a sarcoma or an infection to be
    # excluded) is named with what it waits for, after the others, not printed in full: a girl of
    # 7 with painless nodules had 500 lines of doses of drugs for a diagnosis none of whose signs
    # she had (two clinical reviews); the JSON keeps every field
    waiting = [o for options in result.options.values() for o in options if o.wait_note]
    for mechanism, options in result.options.items():
        now = [o for o in options if not o.wait_note]
        if not now:
            continue
        con.print(f"\n[bold]{message('mechanism_' + mechanism, lang)}[/bold]")
        for o in now[:6]:
            _option(con, o, lang)
    if waiting:
        con.print(f"\n[bold]{message('cli_waiting', lang)}[/bold]")
        by_note: dict[str, list[str]] = {}  # what they wait for, said once, then the options that wait for it
        for o in waiting:
            by_note.setdefault(o.wait_note, []).append(o.name)
        for note, names in by_note.items():
            con.print(f"  [yellow]![/yellow] {escape(note)}")
            # a few names, and how many more: 19 drugs waited for a suspected sarcoma's other
            # diagnoses (a French clinical review: the noise drowned the sarcoma)
            shown = message("list_separator", lang).join(names[:WAITING_SHOWN])
            more = len(names) - WAITING_SHOWN
            if more > 0:
                shown = f"{shown} {message('waiting_more', lang, n=more)}"
            con.print(f"    {escape(shown)}")
    if result.avoid:
        con.print(f"\n[bold red]{message('cli_avoid', lang)}[/bold red]")
        for o in result.avoid:
            _option(con, o, lang)
    if result.staging is not None:
        con.print()
        render_staging(result.staging, lang=lang, console=con)
    con.print(f"\n[bold]{message('cli_followup', lang)}[/bold]")
    for item in result.followup.schedule:
        con.print(f"  • {escape(item.every)}{colon(lang)} {escape(item.text)}")
    con.print(f"[bold]{message('cli_warning_signs', lang)}[/bold]")
    for w in result.followup.warning_signs:
        con.print(f"  ! {escape(w)}")
    con.print(f"\n[dim]{message('cli_versions', lang, code=result.calcinosis_version, kb=result.kb_version)}[/dim]")
    con.print(Panel(result.disclaimer, style="italic", expand=False))
