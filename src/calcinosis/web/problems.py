"""Errors as RFC 9457 problem details (``application/problem+json``), never a traceback.

A bad case gets 422 with the same located issues the CLI prints (``location``, ``expected``,
``suggestions``); an unknown diagnosis 404; a body over the limit 413; a wrong content type 415.
An unexpected error is logged by its type only (no case content) and answered with a 500 that
says nothing about the internals.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from calcinosis.errors import CalcinosisError, CaseValidationError, ImagingError, UnknownEntityError
from calcinosis.issues import Issue
from calcinosis.textsafe import plain

__all__ = ["Problem", "ProblemResponse", "install_problem_handlers", "problem", "unique_keys"]

log = logging.getLogger("calcinosis.web")

PROBLEM_TYPE = "application/problem+json"
_TITLES = {
    400: "Bad request",
    401: "Sign in needed",
    403: "Forbidden",
    404: "Not found",
    429: "Too many requests",
    405: "Method not allowed",
    409: "Conflict",
    413: "Content too large",
    415: "Unsupported media type",
    422: "The input cannot be used",
    500: "Internal error",
}


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``json.loads``' ``object_pairs_hook`` for a body whose keys are all different: a repeated
    key is a ``ValueError`` (the caller's 400 or 422), not the last value silently kept
    (``{"text": A, "text": B}`` read B and dropped A). One hook for the note and CDS Hooks bodies."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"the key {key[:40]!r} is given twice in the body")
        out[key] = value
    return out


class Problem(BaseModel):
    """RFC 9457 problem details, with the located issues of calcinosis."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str | None = None
    issues: list[Issue] = []


class ProblemResponse(JSONResponse):
    """A JSON response with the problem media type."""

    media_type = PROBLEM_TYPE


def problem(
    status: int, detail: str, *, request: Request | None = None, issues: list[Issue] | None = None
) -> ProblemResponse:
    """The response for one problem (``detail`` is plain text without control characters)."""
    body = Problem(
        title=_TITLES.get(status, "Error"),
        status=status,
        detail=plain(detail, limit=4000),
        # the path as the client sent it, decoded: a bidi override or an escape in an id reached a
        # terminal or a log viewer through the problem document (a hostile-input audit)
        instance=plain(request.url.path, limit=500, newlines=False) if request is not None else None,
        issues=issues or [],
    )
    return ProblemResponse(body.model_dump(mode="json", exclude_none=True), status_code=status)


def _calcinosis_error(request: Request, exc: Exception) -> Response:
    from calcinosis.web.lang import LanguageError, lang_of

    lang = lang_of(request)
    if isinstance(exc, UnknownEntityError):
        return problem(404, exc.text(lang), request=request)
    if isinstance(exc, ImagingError):  # said in the request's language, its issues kept
        text = exc.text(lang)
        status = getattr(exc, "status", 422)  # 415: a kind of file the reader does not open
        return problem(status, text.splitlines()[0] if text else type(exc).__name__, request=request, issues=exc.issues)
    if isinstance(exc, CaseValidationError):
        summary = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return problem(refusal_status(exc), summary, request=request, issues=exc.issues)
    if isinstance(exc, LanguageError):
        return problem(422, str(exc), request=request)

    status = getattr(exc, "status", 422)
    said = getattr(exc, "text", None)  # an error kept as a message key says itself in the request's language
    detail = said(lang) if callable(said) else str(exc)
    wants_page = "text/html" in request.headers.get("accept", "")  # a browser's navigation or form post
    if status in (401, 403, 429) and wants_page and not request.url.path.startswith("/api/"):
        return _refused_page(request, lang, status, detail)
    return problem(status if isinstance(status, int) else 422, detail, request=request)


def refusal_status(exc: Exception) -> int:
    """An error's own 4xx (413 for a case over the file limit), else 422: the API's problem and the
    case page that could not read what was sent (it said why with a 200, which a client took for a
    success) give the same status."""
    status = getattr(exc, "status", 422)
    return status if isinstance(status, int) and 400 <= status < 500 else 422


def _refused_page(request: Request, lang: str, status: int, detail: str) -> Response:
    """A page a browser shows for a refusal on the registry's pages (an ended session, an old
    form): it was the API's JSON, in English, on a French page. Not signed in: the sign-in page,
    back to where the reader was."""
    from urllib.parse import quote

    from fastapi.responses import RedirectResponse

    from calcinosis.web.pages.view import templates

    if status == 401:
        target = quote(request.url.path if request.method == "GET" else "/registry", safe="")
        return RedirectResponse(f"/login?next={target}&lang={lang}", status_code=303)
    referer = request.headers.get("referer", "")
    back = referer if referer.startswith(str(request.base_url)) else f"/registry?lang={lang}"
    return templates.TemplateResponse(
        request, "refused.html", {"lang": lang, "error": detail, "back": back, "csrf": ""}, status_code=status
    )


def _validation_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, RequestValidationError)
    issues = []
    for err in exc.errors()[:50]:
        loc = ".".join(str(p) for p in err.get("loc", ()))
        issues.append(Issue.error("request.invalid", plain(str(err.get("msg", "")), limit=300), plain(loc, limit=200)))
    return problem(422, "the request does not match the API", request=request, issues=issues)


def _http_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, HTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else _TITLES.get(exc.status_code, "error")
    if exc.status_code in (404, 405) and detail == HTTPStatus(exc.status_code).phrase:
        # the router's own English phrase ("Method Not Allowed"), said in the request's language
        from calcinosis.i18n import message
        from calcinosis.web.lang import lang_of

        if exc.status_code == 404:
            detail = message("web_http_404", lang_of(request))
        else:
            methods = [m.strip() for m in (exc.headers or {}).get("Allow", "").split(",") if m.strip()]
            if "GET" in methods and "HEAD" not in methods:  # as the Allow header says it (HeadAsGet)
                methods.insert(methods.index("GET") + 1, "HEAD")
            allowed = ", ".join(methods) or "-"
            method = plain(request.method, limit=20, newlines=False)
            detail = message("web_http_405", lang_of(request), method=method, allowed=allowed)
    response = problem(exc.status_code, detail, request=request)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


def _unexpected(request: Request, exc: Exception) -> ProblemResponse:
    log.error("unexpected %s on %s %s", type(exc).__name__, request.method, request.url.path)
    return problem(
        500, "an unexpected error stopped this request; it has been logged (without its content)", request=request
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Route every error of ``app`` through :func:`problem`."""
    handlers: dict[Any, Any] = {
        CalcinosisError: _calcinosis_error,
        RequestValidationError: _validation_error,
        HTTPException: _http_error,
        Exception: _unexpected,
    }
    for exc_type, handler in handlers.items():
        app.add_exception_handler(exc_type, handler)
