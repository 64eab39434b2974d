"""The pages: the case form with its live result, the imaging page, report downloads.

Server-rendered (Jinja2) and enhanced with htmx: the form posts itself to ``/ui/result`` as it
changes and the result panel is replaced. Every number shown comes from the result objects of
:func:`calcinosis.engine.diagnose.diagnose` and :func:`calcinosis.management.manage.manage`,
the functions the CLI calls; this module only lays them out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from calcinosis.case.document import load_document
from calcinosis.case.reader import parse_case, separator_readings
from calcinosis.engine.results import DiagnosisReport
from calcinosis.errors import CalcinosisError, CaseValidationError, ImagingError
from calcinosis.i18n import decimal, message
from calcinosis.issues import Issue
from calcinosis.kb.model import KnowledgeBase
from calcinosis.management.results import ManagementReport
from calcinosis.reports.kinds import ReportAudience as Audience
from calcinosis.reports.kinds import ReportFormat
from calcinosis.reports.summary import must_not_miss_alert
from calcinosis.textsafe import plain
from calcinosis.web.api.clinical import report_document
from calcinosis.web.cases import case_data, read_posted_document
from calcinosis.web.lang import request_lang
from calcinosis.web.pages.form import (
    MAX_FIELDS,
    CaseForm,
    FormProblem,
    PostedForm,
    case_to_form,
    form_to_case,
    read_form,
    rows_beyond,
)
from calcinosis.web.pages.view import templates
from calcinosis.web.problems import refusal_status
from calcinosis.web.state import kb_of

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
Kb = Annotated[KnowledgeBase, Depends(kb_of)]
Lang = Annotated[str, Depends(request_lang)]
DEMO = resources.files("calcinosis") / "demo"
SOURCE = "form"


@dataclass
class Outcome:
    """What the result panel shows: the result objects, or the located issues that stopped them."""

    report: DiagnosisReport | None = None
    management: ManagementReport | None = None
    issues: list[Issue] | None = None
    error: str = ""
    empty: bool = False
    # diagnosis -> its must-not-miss alert, chosen by the function the summary, the PDF and CDS
    # Hooks use (reports.summary.must_not_miss_alert): the template holds no clinical choice
    alerts: dict[str, str] = field(default_factory=dict)


def analyse_form(data: dict[str, Any], kb: KnowledgeBase, lang: str) -> Outcome:
    """Run the engine on the form's case (the functions the CLI calls)."""
    from calcinosis.engine.diagnose import analyse, diagnose
    from calcinosis.management.manage import manage

    has_content = any(k != "patient" for k in data) or any(data.get("patient", {}).values())
    if not has_content:
        return Outcome(empty=True)
    try:
        case = parse_case(data, kb, source=SOURCE, lang=lang)
        analysis = analyse(case, kb, lang=lang)
        report = diagnose(case, kb, lang=lang, analysis=analysis)
        management = manage(case, kb, lang=lang, report=report, analysis=analysis)
    except CaseValidationError as exc:
        return Outcome(issues=exc.issues, error=str(exc).splitlines()[0])
    alerts = {
        d.diagnosis: must_not_miss_alert(report, d, kb, lang)
        for d in report.differential
        if d.diagnosis in kb.must_not_miss
    }
    return Outcome(report=report, management=management, alerts=alerts)


def analyse_posted(posted: PostedForm, kb: KnowledgeBase, lang: str) -> Outcome:
    """The outcome of a posted form: the fields it could not read, else the engine's result (a
    result computed without them was the case without them, and no word: a hostile-input audit)."""
    if posted.problems:
        return Outcome(issues=[p.issue(lang) for p in posted.problems], error=message("ui_form_problems", lang))
    return analyse_form(posted.data, kb, lang)


def _form_as_posted(posted: PostedForm) -> CaseForm:
    """The form as it was posted, a refused ``extra`` included (sent back as it came)."""
    form = case_to_form(posted.data)
    form.extra_refused = posted.extra_text
    return form


async def _fields(request: Request) -> list[tuple[str, str]]:
    form = await request.form(max_fields=MAX_FIELDS)
    return [(k, v) for k, v in form.multi_items() if isinstance(v, str)]


def _page(request: Request, name: str, lang: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    """A page; ``status`` is a refusal's 4xx when the page shows why (a failed measurement was a 200)."""
    return templates.TemplateResponse(request, name, {"lang": lang, **context}, status_code=status)


def _case_page(
    request: Request, kb: KnowledgeBase, lang: str, form: CaseForm, outcome: Outcome, **context: Any
) -> HTMLResponse:
    """The case page with ``form`` in its fields and ``outcome`` in its result panel."""
    return _page(request, "case.html", lang, form=form, outcome=outcome, demos=_demo_names(), kb=kb, **context)


def _demo_names() -> list[str]:
    return sorted(p.name.removesuffix(".yaml") for p in DEMO.iterdir() if p.name.endswith(".yaml"))


@router.get("/", response_class=HTMLResponse)
def case_page(
    request: Request, kb: Kb, lang: Lang, demo: Annotated[str | None, Query(max_length=100)] = None
) -> HTMLResponse:
    """The case form; ``?demo=NAME`` fills it with a bundled demo case."""
    form, issues = CaseForm(), None
    if demo is not None:
        if demo not in _demo_names():
            issues = [Issue.error("web.demo", message("ui_no_demo", lang, name=plain(demo, limit=100)), "demo")]
        else:
            data = load_document((DEMO / f"{demo}.yaml").read_bytes(), source=demo, fmt="yaml", lang=lang)
            form = case_to_form(data)
    outcome = analyse_form(form_to_case(_form_fields(form)), kb, lang) if issues is None else Outcome(issues=issues)
    return _case_page(request, kb, lang, form, outcome)


def _form_fields(form: CaseForm) -> list[tuple[str, str]]:
    """The fields the page would post for ``form`` (to run the engine on a freshly loaded case)."""
    fields: list[tuple[str, str]] = [("id", form.id), ("age", form.age), ("sex", form.sex)]
    fields.append(("duration_months", form.duration_months))
    for key, items in form.terms.items():
        fields += [(key, t) for t in items]
    for i, lab in enumerate(form.labs):
        fields += [(f"lab-{i}-{k}", v) for k, v in lab.items()]
    for i, ab in enumerate(form.antibodies):
        fields += [(f"ab-{i}-{k}", v) for k, v in ab.items()]
    for i, img in enumerate(form.imaging):
        for k, v in img.items():
            fields += [(f"img-{i}-{k}", t) for t in v] if isinstance(v, list) else [(f"img-{i}-{k}", v)]
    if form.extra:
        fields.append(("extra", json.dumps(form.extra)))
    return fields


@router.post("/ui/page", response_class=HTMLResponse)
async def case_page_again(request: Request, kb: Kb, lang: Lang) -> HTMLResponse:
    """The case page again, in ``lang``, with the posted form in it: the language switch keeps
    the case being typed (a plain link to ``?lang=`` lost it); a field it cannot read is said
    with a 422."""
    posted = read_form(await _fields(request))
    outcome = await anyio.to_thread.run_sync(lambda: analyse_posted(posted, kb, lang))
    page = _case_page(request, kb, lang, _form_as_posted(posted), outcome)
    page.status_code = 422 if posted.problems else 200
    return page


@router.post("/ui/result", response_class=HTMLResponse)
async def result_panel(request: Request, kb: Kb, lang: Lang) -> HTMLResponse:
    """The result panel for the posted form (htmx swaps it in); the fields it cannot read are
    listed in it with a 422 (base.html lets htmx swap a 422 in: the form itself stays as typed)."""
    posted = read_form(await _fields(request))
    outcome = await anyio.to_thread.run_sync(lambda: analyse_posted(posted, kb, lang))
    panel = _page(request, "_result.html", lang, outcome=outcome, kb=kb)
    panel.status_code = 422 if posted.problems else 200
    return panel


@router.post("/ui/whatif", response_class=HTMLResponse)
async def what_if(
    request: Request,
    kb: Kb,
    lang: Lang,
    key: Annotated[str, Query(max_length=40)],
    term: Annotated[str, Query(max_length=200)],
) -> HTMLResponse:
    """The leading diagnoses with an entered item as entered, as absent, and as not reported."""
    posted = await _fields(request)
    checked = read_form(posted)
    if checked.problems:  # each variant would be the case without what could not be read
        refused = _page(
            request,
            "_whatif.html",
            lang,
            outcomes=[("as_entered", analyse_posted(checked, kb, lang))],
            key=key,
            term=term,
            kb=kb,
        )
        refused.status_code = 422
        return refused
    fields = [(k, v) for k, v in posted if not (k in (key, "absent") and v == term)]
    present = form_to_case(posted)
    unreported = form_to_case(fields)
    absent = form_to_case([*fields, ("absent", term)]) if key in ("history", "exposures", "findings") else None

    def run() -> list[tuple[str, Outcome]]:
        rows = [("as_entered", analyse_form(present, kb, lang)), ("not_reported", analyse_form(unreported, kb, lang))]
        if absent is not None:
            rows.append(("absent", analyse_form(absent, kb, lang)))
        return rows

    outcomes = await anyio.to_thread.run_sync(run)
    return _page(request, "_whatif.html", lang, outcomes=outcomes, key=key, term=term, kb=kb)


def _too_many_rows(problems: list[FormProblem], source: str, lang: str) -> CaseValidationError:
    """The load refused: a table longer than the form's, which the form could show but never save."""
    issues = [p.issue(lang) for p in problems]
    return CaseValidationError(
        message("err_file", lang, source=source, text=issues[0].message), issues=issues, lang=lang
    )


@router.post("/ui/load", response_class=HTMLResponse)
async def load_case(
    request: Request,
    kb: Kb,
    lang: Lang,
    case_file: Annotated[UploadFile | str | None, File()] = None,
    case_text: Annotated[str, Form(max_length=1_048_576)] = "",
) -> HTMLResponse:
    """Fill the form from an uploaded or pasted case file (YAML or JSON); a text that cannot be
    read comes back in its box with the reason (it was lost: the box and the form came back empty)."""
    form, outcome, source = CaseForm(), Outcome(empty=True), "case"
    try:
        # the case page keeps a refused text in its box: a file chosen next is what is meant
        data, source = await read_posted_document(case_file, case_text, lang=lang, file_wins=True)
        data = await anyio.to_thread.run_sync(lambda: case_data(data, kb, source=source, lang=lang))
        if not isinstance(data, dict):
            raise CaseValidationError(message("ui_not_a_mapping", lang, source=source))
        if too_many := rows_beyond(data):
            raise _too_many_rows(too_many, source, lang)
        form = case_to_form(data)
        outcome = await anyio.to_thread.run_sync(lambda: analyse_form(form_to_case(_form_fields(form)), kb, lang))
    except CalcinosisError as exc:  # a 422 (413: over the case file limit), the page saying why
        issues = getattr(exc, "issues", []) or [Issue.error("web.load", str(exc).splitlines()[0], source)]
        outcome = Outcome(issues=issues, error=str(exc).splitlines()[0])
        page = _case_page(request, kb, lang, form, outcome, pasted=case_text)
        page.status_code = refusal_status(exc)
        return page
    return _case_page(request, kb, lang, form, outcome)


@router.post("/ui/note", response_class=HTMLResponse)
async def load_note(
    request: Request,
    kb: Kb,
    lang: Lang,
    note_text: Annotated[str, Form(max_length=1_000_000)] = "",
    note_lang: Annotated[str, Form(max_length=2)] = "",
) -> HTMLResponse:
    """Fill the form from a pasted clinical note (``calcinosis intake``), with the note shown
    and every item's words marked, for the clinician to correct before trusting the result."""
    from calcinosis.intake import IntakeError, extract_case
    from calcinosis.web.pages.note import note_review

    form, outcome, review = CaseForm(), Outcome(empty=True), None
    try:
        given = note_lang if note_lang in ("fr", "en") else None
        extraction = await anyio.to_thread.run_sync(lambda: extract_case(note_text, kb, lang=given, reasons=lang))
    except IntakeError as exc:  # 422, the note kept in its box (it was a 200 and an empty box)
        outcome = Outcome(issues=[Issue.error("web.note", exc.text(lang), "note")], error=exc.text(lang))
        page = _case_page(request, kb, lang, form, outcome, note_typed=note_text, note_lang=note_lang)
        page.status_code = 422
        return page
    review = note_review(note_text, extraction, kb, lang)
    if too_many := rows_beyond(extraction.case):
        issues = [p.issue(lang) for p in too_many]
        outcome = Outcome(issues=issues, error=issues[0].message)
        page = _case_page(request, kb, lang, form, outcome, review=review, note_typed=note_text, note_lang=note_lang)
        page.status_code = 422
        return page
    form = case_to_form(extraction.case)
    if extraction.missing:
        outcome = Outcome(issues=[Issue.error("web.note_missing", message("ui_note_missing_age", lang), "patient.age")])
    else:
        try:
            outcome = await anyio.to_thread.run_sync(lambda: analyse_form(form_to_case(_form_fields(form)), kb, lang))
        except CalcinosisError as exc:
            outcome = Outcome(issues=getattr(exc, "issues", []), error=str(exc).splitlines()[0])
    return _case_page(request, kb, lang, form, outcome, review=review)


@router.post("/ui/report")
async def report_download(
    request: Request,
    kb: Kb,
    lang: Lang,
    format: Annotated[ReportFormat, Query()] = ReportFormat.pdf,
    audience: Annotated[Audience, Query()] = Audience.clinician,
) -> Response:
    """The clinician report or the patient leaflet of the form's case, for download; a case
    that cannot be read gives the case page back with the form as typed and its problems
    (a problem document shown raw in the browser lost the form), or a field it cannot read."""
    posted = read_form(await _fields(request))
    data = posted.data
    try:
        if posted.problems:
            raise CaseValidationError(message("ui_form_problems", lang))
        case = parse_case(data, kb, source=SOURCE, lang=lang)
    except CaseValidationError:
        outcome = await anyio.to_thread.run_sync(lambda: analyse_posted(posted, kb, lang))
        page = _case_page(request, kb, lang, _form_as_posted(posted), outcome)
        page.status_code = 422
        return page
    content, media = await anyio.to_thread.run_sync(lambda: report_document(case, kb, lang, format, audience))
    name = f"calcinosis-{audience.value}-{lang}.{format.value}"
    return Response(content, media_type=media, headers={"content-disposition": f'attachment; filename="{name}"'})


@router.get("/imaging", response_class=HTMLResponse)
def imaging_page(request: Request, kb: Kb, lang: Lang) -> HTMLResponse:
    """Upload a study to measure its deposits."""
    return _page(request, "imaging.html", lang, measured=None, error=None, kb=kb, typed={})


_IMAGING_BOUNDS = {"threshold": (-1024.0, 32767.0), "pixel_spacing": (0.001, 1000.0)}


def _typed_number(text: str, low: float, high: float) -> float | None:
    """A number typed on a form, with either decimal mark; None when blank; ValueError when it
    is no number from ``low`` to ``high`` (a word, NaN, an infinity included)."""
    value = text.strip().replace(",", ".")
    if not value:
        return None
    if separator_readings(text) is not None:  # '1,200', '1.200': a thousand or a decimal (the case form's rule)
        raise ValueError(text)
    number = float(value)
    if not low <= number <= high:  # NaN fails both comparisons
        raise ValueError(text)
    return number


@router.post("/imaging", response_class=HTMLResponse)
async def imaging_measure(
    request: Request,
    kb: Kb,
    lang: Lang,
    study: Annotated[UploadFile, File()],
    threshold: Annotated[str, Form(max_length=20)] = "130",
    pixel_spacing: Annotated[str, Form(max_length=20)] = "",
) -> HTMLResponse:
    """Measure the uploaded study and show the overlays, the deposits and the case entry it
    supports. The two numbers are read here, the decimal comma included, and a bad one is said
    on the page beside what was typed (a problem document shown raw lost the page)."""
    from calcinosis.web.uploads import quantify_upload, spooled

    measured, error = None, None
    typed = {"threshold": threshold, "pixel_spacing": pixel_spacing}
    numbers: dict[str, float | None] = {}
    for key, text in typed.items():
        low, high = _IMAGING_BOUNDS[key]
        try:
            numbers[key] = _typed_number(text, low, high)
        except ValueError:
            error = message(
                "ui_imaging_number",
                lang,
                name=message(f"ui_{key}", lang),
                value=text,
                low=decimal(low, lang, 3),
                high=decimal(high, lang, 0),
            )
            if (readings := separator_readings(text)) is not None:
                whole, fraction = readings
                key_ = "err_ambiguous_comma" if "," in text else "err_ambiguous_dot"
                fraction = fraction.replace(".", ",") if lang == "fr" else fraction
                said = message(key_, lang, value=repr(text.strip()), whole=whole, fraction=fraction)
                error = message("ui_imaging_ambiguous", lang, name=message(f"ui_{key}", lang), said=said)
            return _page(request, "imaging.html", lang, measured=None, error=error, kb=kb, typed=typed, status=422)
    name = study.filename or ""
    threshold_hu = numbers["threshold"] if numbers["threshold"] is not None else 130.0
    spacing = numbers["pixel_spacing"]
    status = 200
    try:
        async with spooled(study) as data_file:
            measured = await anyio.to_thread.run_sync(
                lambda: quantify_upload(data_file, name, threshold=threshold_hu, pixel_spacing=spacing, lang=lang)
            )
    except ImagingError as exc:  # said in the page's language, with the API's status (415 or 422)
        error, status = exc.text(lang).splitlines()[0], getattr(exc, "status", 422)
    except CalcinosisError as exc:
        error, status = str(exc).splitlines()[0], 422
    return _page(request, "imaging.html", lang, measured=measured, error=error, kb=kb, typed=typed, status=status)
