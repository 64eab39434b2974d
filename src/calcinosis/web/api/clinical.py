"""``/api/v1/diagnose``, ``/manage``, ``/stage/cvi``, ``/report``: the engine's functions over HTTP.

Each endpoint reads the case with the CLI's reader, calls the function the CLI calls, and returns
the result object serialised by :func:`calcinosis.serialise.to_json` (the CLI's ``--json``).
The endpoints are plain functions, so FastAPI runs them in its thread pool and the event loop
keeps answering while one case is scored.
"""

from __future__ import annotations

from typing import Annotated, Literal

import anyio
from fastapi import APIRouter, Depends, Query, Request, Response

from calcinosis.case.model import Case
from calcinosis.engine.results import CviStaging, DiagnosisReport
from calcinosis.kb.model import KnowledgeBase
from calcinosis.management.results import ManagementReport
from calcinosis.reports.kinds import ReportAudience as Audience
from calcinosis.reports.kinds import ReportFormat
from calcinosis.serialise import to_json
from calcinosis.web.cases import case_body_schema, fhir_not_used_warnings, read_request_case
from calcinosis.web.lang import request_lang
from calcinosis.web.state import kb_of

__all__ = ["router"]

# Error responses (RFC 9457 problem details) are documented for every route by the app factory.
router = APIRouter(tags=["clinical"])

Kb = Annotated[KnowledgeBase, Depends(kb_of)]
Lang = Annotated[str, Depends(request_lang)]


def json_response(obj: object) -> Response:
    """The result object as strict JSON (the CLI's ``--json``)."""
    return Response(to_json(obj, indent=None), media_type="application/json")


@router.post(
    "/diagnose",
    response_model=DiagnosisReport,
    openapi_extra=case_body_schema(),
    summary="Category, ranked differential with reasons, missing work-up and next questions",
)
async def diagnose(
    request: Request,
    kb: Kb,
    lang: Lang,
    format: Annotated[
        Literal["json", "fhir"],
        Query(
            description="json: the result object; fhir: a FHIR R4 Bundle with the case, a DiagnosticReport, "
            "a RiskAssessment, ServiceRequest proposals and a CarePlan (application/fhir+json)."
        ),
    ] = "json",
) -> Response:
    """The diagnosis result of a case (the object ``calcinosis diagnose --json`` prints), or
    the FHIR Bundle that ``calcinosis diagnose --fhir`` prints."""
    from calcinosis.engine.diagnose import diagnose as run

    case = await read_request_case(request, kb, lang)
    if format == "fhir":
        return await anyio.to_thread.run_sync(lambda: _fhir_response(case, kb, lang))
    report = await anyio.to_thread.run_sync(lambda: run(case, kb, lang=lang))
    report.warnings.extend(fhir_not_used_warnings(request, lang))
    return json_response(report)


def _fhir_response(case: Case, kb: KnowledgeBase, lang: str) -> Response:
    """The case and its result as a FHIR R4 Bundle (the CLI's ``diagnose --fhir``)."""
    import json

    from calcinosis.interop.fhir.write import result_bundle
    from calcinosis.textsafe import json_safe

    bundle = result_bundle(case, kb, lang=lang)
    return Response(json_safe(json.dumps(bundle, ensure_ascii=False)), media_type="application/fhir+json")


@router.post("/manage", response_model=ManagementReport, openapi_extra=case_body_schema())
async def manage(
    request: Request,
    kb: Kb,
    lang: Lang,
    diagnosis: Annotated[
        str | None, Query(max_length=200, description="An established diagnosis id: fit the options to it.")
    ] = None,
) -> Response:
    """Treatment options by mechanism with doses, cautions and evidence, the CVI staging and the follow-up plan."""
    from calcinosis.engine.diagnose import analyse
    from calcinosis.management.manage import manage as run

    case = await read_request_case(request, kb, lang)

    def work() -> ManagementReport:
        if diagnosis is not None:
            kb.disease(diagnosis)  # unknown id: 404 with close ids, before any work
        return run(case, kb, lang=lang, diagnosis=diagnosis, analysis=analyse(case, kb, lang=lang))

    result = await anyio.to_thread.run_sync(work)
    result.warnings.extend(fhir_not_used_warnings(request, lang))
    return json_response(result)


@router.post("/stage/cvi", response_model=CviStaging, openapi_extra=case_body_schema())
async def stage_cvi(request: Request, kb: Kb, lang: Lang) -> Response:
    """Porter 1988 stage and CEAP 2020 clinical class of chronic venous disease, and what is missing."""
    from calcinosis.engine.diagnose import analyse
    from calcinosis.engine.staging import stage_cvi as run

    case = await read_request_case(request, kb, lang)

    def work() -> CviStaging:
        _, evidence, _ = analyse(case, kb, lang=lang)
        return run(evidence, kb, lang=lang)

    return json_response(await anyio.to_thread.run_sync(work))


# A report is a document to read, not an app: no script at all, its own inline styles only.
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'"


@router.post(
    "/report",
    responses={200: {"content": {"application/pdf": {}, "text/html": {}}, "description": "The report document."}},
    response_class=Response,
    openapi_extra=case_body_schema(),
)
async def report(
    request: Request,
    kb: Kb,
    lang: Lang,
    format: Annotated[ReportFormat, Query(description="pdf or html")] = ReportFormat.pdf,
    audience: Annotated[Audience, Query(description="clinician report or patient leaflet")] = Audience.clinician,
) -> Response:
    """The clinician report or the patient leaflet of a case, as PDF or HTML, in the request's language."""
    case = await read_request_case(request, kb, lang)
    content, media = await anyio.to_thread.run_sync(lambda: report_document(case, kb, lang, format, audience))
    name = f"calcinosis-{audience.value}-{lang}.{format.value}"
    return Response(
        content,
        media_type=media,
        headers={"content-disposition": f'attachment; filename="{name}"', "content-security-policy": REPORT_CSP},
    )


def report_document(
    case: Case, kb: KnowledgeBase, lang: str, fmt: ReportFormat, audience: Audience
) -> tuple[bytes, str]:
    """The report's bytes and media type (shared by the API and the web pages)."""
    from calcinosis.reports.render import pdf_bytes, render_html

    html = render_html(case, kb, lang=lang, audience=audience.value)
    if fmt is ReportFormat.pdf:
        return pdf_bytes(html), "application/pdf"
    return html.encode("utf-8"), "text/html; charset=utf-8"
