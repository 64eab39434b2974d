"""Clinician report and patient leaflet: HTML from Jinja2 templates, PDF through WeasyPrint.

Both are rendered from the same result objects as the CLI JSON (``DiagnosisReport``,
``ManagementReport``) and the knowledge base; every label comes from ``messages.yaml`` in
French or English.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from calcinosis.case.model import Case
from calcinosis.engine.diagnose import analyse, diagnose
from calcinosis.errors import CalcinosisError
from calcinosis.i18n import age_text, decimal, message, messages, percent
from calcinosis.kb.model import KnowledgeBase
from calcinosis.management.manage import manage
from calcinosis.management.results import WAITING_SHOWN, EvidenceItem, ManagementReport, TreatmentOption
from calcinosis.outputs import write_output
from calcinosis.reports.lab_table import lab_rows
from calcinosis.reports.leaflet import build_leaflet
from calcinosis.reports.plain_basis import plain_basis
from calcinosis.reports.summary import build_summary
from calcinosis.textsafe import plain

if TYPE_CHECKING:
    from jinja2 import Environment

__all__ = ["ReportError", "pdf_bytes", "render_html", "render_registry_summary", "short_citation", "write_report"]

Audience = Literal["clinician", "patient"]


class ReportError(CalcinosisError):
    """A report cannot be rendered or written."""


def _environment() -> Environment:
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    return Environment(
        loader=PackageLoader("calcinosis", "reports/templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_finalize,
    )


def _finalize(value: object) -> object:
    """Every printed value: strings from a case (its id) lose control characters (NUL and ESC are invalid in HTML)."""
    return plain(value, limit=2000) if isinstance(value, str) else value


def short_citation(citation: str, authors_shown: int = 3) -> str:
    """A citation with its author list cut to the first ``authors_shown`` and "et al." (Vancouver
    style, as journals print reference lists); the title, journal and identifiers stay whole."""
    authors, sep, rest = citation.partition(". ")
    names = [n.strip() for n in authors.replace(";", ",").split(",") if n.strip()]
    if not sep or len(names) <= authors_shown + 1:
        return citation
    return f"{', '.join(names[:authors_shown])}, et al. {rest}"


OPTIONS_SHOWN = 2
"""How many options of each mechanism the clinician's page describes in full (the others are named)."""


def now_options(management: ManagementReport) -> dict[str, list[TreatmentOption]]:
    """The options of each mechanism that can start now (an option that waits is only named, with
    what it waits for), the mechanisms that have one: what the clinician's page shows."""
    now = {m: [o for o in options if not o.wait_note] for m, options in management.options.items()}
    return {m: options for m, options in now.items() if options}


def shown_study(option: TreatmentOption) -> EvidenceItem | None:
    """The study the page shows under an option: its first of this patient's possible diagnoses."""
    return next((e for e in option.evidence if e.relevant), None)


def patient_line(case: Case, kb: KnowledgeBase, lang: str) -> str:
    """The patient's age and sex as the report's case section opens: '45 ans · Femme', but an
    infant in words ('Nourrisson de sexe féminin, 1 mois': « 1 mois · Femme » read as a woman)."""
    age = age_text(case.patient.age, lang)
    infant = case.patient.age < kb.threshold("infant_age_years") and case.patient.sex in ("female", "male")
    if infant:
        return message(f"report_infant_{case.patient.sex}", lang, age=age)
    return f"{age} · {kb.vocabulary.label('sexes', case.patient.sex, lang)}"


def render_html(case: Case, kb: KnowledgeBase, *, lang: str = "en", audience: Audience = "clinician") -> str:
    """The report of ``case`` as a complete HTML document (``lang`` 'en' or 'fr')."""
    analysis = analyse(case, kb, lang=lang)
    report = diagnose(case, kb, lang=lang, analysis=analysis)
    management = manage(case, kb, lang=lang, report=report, analysis=analysis)
    t = {key: text["fr" if lang == "fr" else "en"] for key, text in messages().items()}
    # the references of what the report shows: the leading diagnoses and the options listed
    # (each once: a comprehension that checks the list it extends let a reference named twice in
    # one option through twice, a review found gaster2022 listed twice)
    shown: dict[str, None] = {}
    for d in report.differential[:3]:
        shown.update(dict.fromkeys(d.references))
    # every reference the page cites in brackets is listed: the principles' (a French clinical
    # review found [balin2012] and [seed004] cited and not listed) and the study each option
    # shows, read from the options and studies the template itself shows (one definition of each)
    for st in management.statements:
        shown.update(dict.fromkeys(st.references))
    now = now_options(management)
    for options in now.values():
        for o in options[:OPTIONS_SHOWN]:
            study = shown_study(o)
            shown.update(dict.fromkeys([*([study.reference] if study else []), *o.cited]))
    for o in management.avoid:  # the options to avoid say their cautions too
        shown.update(dict.fromkeys(o.cited))
    refs = list(shown)
    env = _environment()
    env.filters["vocab"] = lambda term, list_name: kb.vocabulary.label(list_name, term, lang)
    env.filters["percent"] = lambda p: percent(p, lang, 1)  # '98,5 %' in French (Babel)
    env.filters["number"] = lambda x: decimal(x, lang, 1)  # '62' or '1,5'
    env.filters["age"] = lambda years: age_text(years, lang)  # '45 ans', '3 mois', '24 jours'
    env.filters["plain"] = lambda text: plain_basis(text, kb, lang)  # a reason's case paths in words
    template = env.get_template(f"{audience}.html.j2")
    return str(
        template.render(
            t=t,
            lang=lang,
            waiting_shown=WAITING_SHOWN,
            now_options=now,
            options_shown=OPTIONS_SHOWN,
            shown_study=shown_study,
            case=case,
            report=report,
            management=management,
            kb=kb,
            categories={k: (v.fr if lang == "fr" else v.en) for k, v in kb.categories.items()},
            references=[(r, short_citation(kb.references[r].text(lang))) for r in refs],
            lab_rows=lab_rows(report.labs, kb, lang),
            leaflet=build_leaflet(report, kb, lang=lang),
            summary=build_summary(report, kb, lang=lang, management=management),
            warnings=[i.render(lang, located=False) for i in report.issues],
            patient_line=patient_line(case, kb, lang),
        )
    )


def render_registry_summary(context: dict[str, object], *, lang: str = "en") -> str:
    """The registry's patient summary (``templates/registry_patient.html.j2``) from plain data the
    registry prepares (this layer does not read the registry)."""
    t = {key: text["fr" if lang == "fr" else "en"] for key, text in messages().items()}
    return str(_environment().get_template("registry_patient.html.j2").render(t=t, lang=lang, **context))


def write_report(
    html: str,
    path: Path,
    *,
    fmt: Literal["html", "pdf"],
    inputs: Sequence[Path] = (),
    force: bool = False,
    lang: str = "en",
) -> None:
    """Write ``html`` to ``path`` as HTML, or as PDF through WeasyPrint, by the rules of
    :mod:`calcinosis.outputs` (never an input, never an existing file without ``force``,
    never through a link, atomically).

    Raises
    ------
    ReportError
        When WeasyPrint is missing.
    OutputError
        When the file cannot be written safely.
    """
    if fmt == "html":
        write_output(path, html, inputs=inputs, force=force, lang=lang)
        return
    write_output(path, pdf_bytes(html), inputs=inputs, force=force, lang=lang)


def pdf_bytes(html: str) -> bytes:
    """The PDF of a rendered report (WeasyPrint), for a file or an HTTP response.

    Raises
    ------
    ReportError
        When WeasyPrint is missing.
    """
    try:
        from weasyprint import HTML  # type: ignore[import-untyped]
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ReportError(
            "PDF output needs WeasyPrint and its system libraries: run scripts/setup "
            "(or pip install 'calcinosis[reports]')"
        ) from exc
    data: bytes = HTML(string=html).write_pdf()
    return data
