"""The web app factory: the REST API under ``/api/v1``, its documentation, and the pages.

``create_app()`` loads the knowledge base once and wires the routers, the error handlers
(RFC 9457 problem details) and the middleware (body limit, security headers, access log
without case content). Nothing here decides anything clinical: routes call the functions the
CLI calls and serialise their result objects.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from calcinosis import __version__
from calcinosis.kb.model import KnowledgeBase
from calcinosis.web.middleware import AccessLog, BodyLimit, HeadAsGet, SecurityHeaders, TrustedHosts
from calcinosis.web.problems import install_problem_handlers
from calcinosis.web.settings import Settings
from calcinosis.web.state import AppState

__all__ = ["API_PREFIX", "create_app"]

API_PREFIX = "/api/v1"
STATIC = resources.files("calcinosis") / "web" / "static"

_DOCS_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>calcinosis API</title>
<link rel="stylesheet" href="/static/vendor/swagger/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/static/vendor/swagger/swagger-ui-bundle.js"></script>
<script src="/static/swagger-init.js"></script></body></html>"""
# Swagger UI sets inline styles through its own stylesheet engine; scripts stay 'self' only.
_DOCS_CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'"


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document, with the case model's schema (request bodies refer to it)."""
    if app.openapi_schema:
        return app.openapi_schema
    from calcinosis.case.model import Case

    schema = get_openapi(
        title="calcinosis API",
        version=__version__,
        description=(
            "Decision support for soft-tissue calcification: category, calibrated differential with reasons, "
            "work-up, management, staging, reports and image measurement. Every result shows its basis; "
            "the decision is the clinician's. Errors are RFC 9457 problem details."
        ),
        routes=app.routes,
    )
    from calcinosis.web.problems import Problem

    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name, model in (("Case", Case), ("Problem", Problem)):
        model_schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(model_schema.pop("$defs", {}))
        components[name] = model_schema
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            _document_problems(
                operation,
                body=method == "post",
                path_params="{" in path,
                signed_in=path.startswith(f"{API_PREFIX}/registry"),
                records=path.startswith(f"{API_PREFIX}/registry/patients") and method == "post",
            )
    app.openapi_schema = schema
    return schema


_PROBLEMS = {
    "400": "The request cannot be parsed (malformed multipart or headers).",
    "401": "Sign in first (POST /api/v1/registry/session).",
    "403": "Not allowed: a researcher cannot write, or the CSRF token is missing or wrong.",
    "429": "Too many failed sign-ins: wait 15 minutes.",
    "404": "No such diagnosis, list or resource; close ids named.",
    "409": "Conflicts with a record already there (a patient, visit, measurement or user that exists; a lesion at another site); nothing was changed.",
    "413": "The body is over the size limit.",
    "415": "The body is not in a supported media type.",
    "422": "The input cannot be used: located issues (path, expected, closest terms).",
}


def _document_problems(
    operation: dict[str, Any], *, body: bool, path_params: bool, signed_in: bool = False, records: bool = False
) -> None:
    """Every error an operation can answer, as RFC 9457 problem details (application/problem+json);
    ``records``: it adds to the registry, so it can conflict with what is there (409)."""
    codes = ["422", "400"] + (["413", "415"] if body else []) + (["404"] if path_params or body else [])
    codes += ["401", "403", "429"] if signed_in else []
    codes += ["409"] if records else []
    responses = operation.setdefault("responses", {})
    for code in codes:
        responses[code] = {
            "description": _PROBLEMS[code],
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }


class _App(FastAPI):
    """FastAPI with the security headers and the access log outside every other layer, the error
    handler's included: an unexpected error's 500 is sent by Starlette's outermost middleware,
    below which the user middleware sits, so it went out without the CSP, nosniff, frame and
    no-store headers (a hostile-input review)."""

    def build_middleware_stack(self) -> Any:
        # HEAD inside the log: the access log says HEAD, the app below sees the GET it answers;
        # a foreign Host is refused before anything else runs, with the security headers
        hosts = self.state.calcinosis.settings.trusted_hosts()
        return AccessLog(SecurityHeaders(TrustedHosts(HeadAsGet(super().build_middleware_stack()), hosts=hosts)))


def create_app(settings: Settings | None = None, *, kb: KnowledgeBase | None = None) -> FastAPI:
    """A ready app: ``settings`` default to the environment's, ``kb`` to the bundled knowledge base."""
    from calcinosis.kb.loader import load_kb
    from calcinosis.web.api import cds_hooks, clinical, imaging, intake, knowledge, meta, registry
    from calcinosis.web.pages import registry as registry_pages
    from calcinosis.web.pages import routes as pages

    settings = settings or Settings.from_env()
    state = AppState(settings=settings, kb=kb or load_kb(settings.kb_path))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        state.close()

    app = _App(
        lifespan=lifespan,
        title="calcinosis",
        version=__version__,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.calcinosis = state
    for module in (clinical, intake, knowledge, imaging, meta, registry):
        app.include_router(module.router, prefix=API_PREFIX)
    app.include_router(pages.router)
    app.include_router(registry_pages.router)
    app.include_router(cds_hooks.router)  # CDS Hooks fixes the path: {base}/cds-services
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")

    @app.get("/api/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(_DOCS_HTML, headers={"content-security-policy": _DOCS_CSP})

    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    install_problem_handlers(app)
    if settings.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["*"],
        )
    app.add_middleware(
        BodyLimit,
        max_body=settings.max_body_bytes,
        max_upload=settings.max_upload_bytes,
        upload_paths=(f"{API_PREFIX}/image/", "/imaging"),
    )
    from starlette.middleware.sessions import SessionMiddleware

    from calcinosis.web.auth import SESSION_SECONDS

    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.session_secret or settings.secret or secrets.token_urlsafe(32),
        session_cookie="calcinosis_session",
        max_age=SESSION_SECONDS,  # a working day
        same_site="strict",
        https_only=settings.https,
    )
    return app
