"""``/cds-services``: the CDS Hooks 2.0 discovery document, the ``patient-view`` service, and the
signed link from a card to the full report.

The routes only translate HTTP: :mod:`calcinosis.interop.cds_hooks` reads the prefetched record,
runs the engine and writes the card. The endpoints sit at ``{base}/cds-services`` (the path the
specification fixes), outside ``/api/v1``.

The card's *Full report* link must open with a plain GET from the EHR, which holds no session
with this app. It carries the case (de-identified: no id, no name, no dates; age, sex and the
coded items) in a token signed with the app's signing secret (``CALCINOSIS_SESSION_SECRET``,
else ``CALCINOSIS_SECRET``, else a random key per process) and valid for 8 hours; the access
log never records query strings. Nothing is stored on the server.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
from typing import Annotated, Any
from urllib.parse import urlencode

import anyio
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from calcinosis.case.model import Case
from calcinosis.case.reader import parse_case
from calcinosis.errors import KnowledgeBaseError
from calcinosis.interop.cds_hooks import (
    SERVICE_ID,
    CdsHooksError,
    HookRequest,
    HookResponse,
    ServiceList,
    advise,
    parse_request,
    service_definition,
)
from calcinosis.issues import Issue
from calcinosis.kb.codes import CodeTable, codes_of
from calcinosis.kb.model import KnowledgeBase
from calcinosis.textsafe import plain
from calcinosis.web.lang import request_lang
from calcinosis.web.problems import PROBLEM_TYPE, Problem, ProblemResponse, unique_keys
from calcinosis.web.settings import is_loopback
from calcinosis.web.state import AppState, kb_of

_log = logging.getLogger("calcinosis.web")

__all__ = ["LINK_MAX_AGE_S", "router"]

router = APIRouter(prefix="/cds-services", tags=["cds-hooks"])

Kb = Annotated[KnowledgeBase, Depends(kb_of)]
Lang = Annotated[str, Depends(request_lang)]

LINK_MAX_AGE_S = 8 * 3600  # a working day, as the registry's sessions
_SALT = "calcinosis.cds-hooks.report-link"
_KEY_LOCK = threading.Lock()
_PROBLEM = {PROBLEM_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}


def _inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """A pydantic JSON Schema with its ``$defs`` written in place (the OpenAPI document has no
    room for them beside a request body; the request models are not recursive)."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return walk(defs[ref.removeprefix("#/$defs/")])
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    result: dict[str, Any] = walk(schema)
    return result


def _hook_body() -> dict[str, Any]:
    schema = _inline_refs(HookRequest.model_json_schema())
    return {
        "requestBody": {
            "required": True,
            "description": "A CDS Hooks 2.0 request of the patient-view hook, with the prefetched FHIR R4 resources.",
            "content": {"application/json": {"schema": schema}},
        }
    }


def _codes(request: Request) -> CodeTable:
    """``codes.yaml`` of the knowledge folder the app serves (503 when it is missing)."""
    state: AppState = request.app.state.calcinosis
    try:
        return codes_of(state.kb)
    except KnowledgeBaseError as exc:
        raise CdsHooksError(str(exc).splitlines()[0], status=503) from None


_TITLES = {
    400: "Bad request",
    403: "Forbidden",
    410: "Gone",
    412: "Precondition failed",
    415: "Unsupported media type",
    503: "Service unavailable",
}


def _cds_problem(request: Request, status: int, detail: str, issues: list[Issue] | None = None) -> ProblemResponse:
    """RFC 9457 problem details, titled for the statuses of this service (412, 410, 503...)."""
    body = Problem(
        title=_TITLES.get(status, "Error"),
        status=status,
        detail=plain(detail, limit=4000),
        instance=request.url.path,
        issues=issues or [],
    )
    return ProblemResponse(body.model_dump(mode="json", exclude_none=True), status_code=status)


def _signer(request: Request) -> URLSafeTimedSerializer:
    """The app's signing secret (the session cookies' one), else a random key kept for this app."""
    state: AppState = request.app.state.calcinosis
    secret = state.settings.session_secret or state.settings.secret
    if secret is None:
        with _KEY_LOCK:
            secret = getattr(request.app.state, "cds_link_key", None)
            if secret is None:
                secret = secrets.token_urlsafe(32)
                request.app.state.cds_link_key = secret
    return URLSafeTimedSerializer(secret, salt=_SALT)


def report_link(request: Request, case: Case, lang: str) -> str | None:
    """The absolute URL of the full report of ``case`` (its id and evaluation fields left out),
    or None when the app cannot say its own address safely.

    With ``CALCINOSIS_PUBLIC_URL`` the link starts with it, never with the request's Host, which
    whoever sends the request chooses (a card's link could point anywhere). Without it the Host
    is used only when it names this machine (the app served and called on loopback); a proxy on
    the same machine forwards the client's Host, so any other gives no link (a code review)."""
    data = case.model_dump(mode="json", exclude_none=True, exclude={"id", "expected"})
    token = _signer(request).dumps({"case": data, "lang": lang})
    public: str | None = request.app.state.calcinosis.settings.public_url
    if public is not None:  # the route's own path: the public address already holds any prefix
        path = request.app.url_path_for("cds_report")
        return public.rstrip("/") + str(path) + "?" + urlencode({"t": token})
    if not is_loopback(request.url.hostname or ""):
        _log.warning("CDS Hooks: no report link (set CALCINOSIS_PUBLIC_URL): the request's Host is not this machine")
        return None
    return str(request.url_for("cds_report").include_query_params(t=token))


@router.get(
    "",
    response_model=ServiceList,
    responses={503: {"description": "The code tables of the knowledge base are missing.", "content": _PROBLEM}},
    summary="CDS Hooks discovery: the services this server offers",
)
async def discovery(request: Request, lang: Lang) -> Response:
    """The CDS Hooks 2.0 discovery document (one service, on patient-view)."""
    try:
        services = ServiceList(services=[service_definition(_codes(request), lang=lang)])
    except CdsHooksError as exc:
        return _cds_problem(request, exc.status, str(exc).splitlines()[0], exc.issues)
    return JSONResponse(services.to_json())


def _json_body(raw: bytes, lang: str) -> Any:
    """The body as JSON: duplicate keys, NaN and Infinity refused (a FHIR document has none)."""

    def constant(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")

    try:
        return json.loads(raw.decode("utf-8"), object_pairs_hook=unique_keys, parse_constant=constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        text = "le corps n'est pas un JSON valide\u00a0:" if lang == "fr" else "the body is not valid JSON:"
        raise CdsHooksError(f"{text} {str(exc)[:200]}", status=400) from None


@router.post(
    f"/{SERVICE_ID}",
    response_model=HookResponse,
    responses={
        412: {"description": "The Patient is not prefetched (this service never fetches).", "content": _PROBLEM},
        503: {"description": "The interop extra or the code tables are missing.", "content": _PROBLEM},
    },
    openapi_extra=_hook_body(),
    summary="CDS Hooks patient-view: a soft-tissue calcification card, or none",
)
async def patient_view(request: Request, kb: Kb, lang: Lang) -> Response:
    """Cards for the open record: at most one, and only when the record shows a calcification or a must-not-miss cause."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in ("application/json", "application/fhir+json"):
        shown = media[:60] or "none"
        return _cds_problem(request, 415, f"a hook request is sent as application/json; this one is {shown!r}")
    try:
        hook = parse_request(_json_body(await request.body(), lang), lang=lang)
        codes = _codes(request)
        advice = await anyio.to_thread.run_sync(
            lambda: advise(hook, kb, codes, lang=lang, report_url=lambda case: report_link(request, case, lang))
        )
    except CdsHooksError as exc:
        return _cds_problem(request, exc.status, str(exc).splitlines()[0], exc.issues)
    return JSONResponse(advice.response.to_json())


# A report is a document to read, not an app: no script at all, its own inline styles only.
_REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'"


@router.get(f"/{SERVICE_ID}/report", name="cds_report", include_in_schema=False)
async def cds_report(request: Request, kb: Kb, t: Annotated[str, Query(max_length=16_000)] = "") -> Response:
    """The clinician report (HTML) of the case a card's link carries."""
    from calcinosis.reports.kinds import ReportAudience, ReportFormat
    from calcinosis.web.api.clinical import report_document
    from calcinosis.web.lang import lang_of

    try:
        payload = _signer(request).loads(t, max_age=LINK_MAX_AGE_S)
    except SignatureExpired:
        fr = lang_of(request) == "fr"
        text = (
            "ce lien a expiré\u00a0: rouvrir le dossier du patient"
            if fr
            else "this link has expired: open the record again"
        )
        return _cds_problem(request, 410, text)
    except BadSignature:
        text = (
            "ce lien n'a pas été émis par ce serveur"
            if lang_of(request) == "fr"
            else "this link was not issued by this server"
        )
        return _cds_problem(request, 403, text)
    lang = payload.get("lang") if payload.get("lang") in ("en", "fr") else "en"
    case = parse_case(payload.get("case"), kb, source="CDS Hooks link", lang=lang)
    content, media = await anyio.to_thread.run_sync(
        lambda: report_document(case, kb, lang, ReportFormat.html, ReportAudience.clinician)
    )
    return Response(content, media_type=media, headers={"content-security-policy": _REPORT_CSP})
