"""The web app factory: the REST API under ``/api/v1``, its documentation, and the pages.

``create_app()`` loads the knowledge base once and wires the routers, the error handlers
(RFC 9457 problem details) and the middleware (body limit, security headers, access log
without case content). Nothing here decides anything clinical: routes call the functions the
CLI calls and serialise their result objects.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from calcinosis import __version__
from calcinosis.kb.model import KnowledgeBase
from calcinosis.web.middleware import AccessLog, BodyLimit, SecurityHeaders
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
            _document_problems(operation, body=method == "post", path_params="{" in path)
    app.openapi_schema = schema
    return schema


_PROBLEMS = {
    "400": "The request cannot be parsed (malformed multipart or headers).",
    "404": "No such diagnosis, list or resource; close ids named.",
    "413": "The body is over the size limit.",
    "415": "The body is not in a supported media type.",
    "422": "The input cannot be used: located issues (path, expected, closest terms).",
}


def _document_problems(operation: dict[str, Any], *, body: bool, path_params: bool) -> None:
    """Every error an operation can answer, as RFC 9457 problem details (application/problem+json)."""
    codes = ["422", "400"] + (["413", "415"] if body else []) + (["404"] if path_params or body else [])
    responses = operation.setdefault("responses", {})
    for code in codes:
        responses[code] = {
            "description": _PROBLEMS[code],
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }


def create_app(settings: Settings | None = None, *, kb: KnowledgeBase | None = None) -> FastAPI:
    """A ready app: ``settings`` default to the environment's, ``kb`` to the bundled knowledge base."""
    from calcinosis.kb.loader import load_kb
    from calcinosis.web.api import clinical, imaging, knowledge, meta
    from calcinosis.web.pages import routes as pages

    settings = settings or Settings.from_env()
    app = FastAPI(
        title="calcinosis",
        version=__version__,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.calcinosis = AppState(settings=settings, kb=kb or load_kb(settings.kb_path))
    for module in (clinical, knowledge, imaging, meta):
        app.include_router(module.router, prefix=API_PREFIX)
    app.include_router(pages.router)
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
    app.add_middleware(SecurityHeaders)
    app.add_middleware(AccessLog)
    return app
