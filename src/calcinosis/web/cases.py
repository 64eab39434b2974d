"""A case from an HTTP request body, through the same strict reader as a case file.

The body is parsed by :func:`calcinosis.case.document.load_document` (duplicate keys refused,
YAML 1.2 scalars, limits) and validated by :func:`calcinosis.case.reader.parse_case`, so the API
accepts exactly what ``calcinosis diagnose FILE`` accepts and refuses it with the same located
issues. JSON and YAML bodies are both accepted; anything else is 415.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request, UploadFile
from starlette.datastructures import UploadFile as StarletteUpload

from calcinosis.case.document import LIMITS, load_document, too_large_message
from calcinosis.case.model import Case
from calcinosis.errors import CalcinosisError, CaseValidationError
from calcinosis.kb.model import KnowledgeBase
from calcinosis.textsafe import plain

__all__ = [
    "CASE_MEDIA_TYPES",
    "DocumentTooLarge",
    "UnsupportedMediaType",
    "case_body_schema",
    "case_data",
    "fhir_not_used_warnings",
    "read_posted_document",
    "read_request_case",
]

CASE_MEDIA_TYPES = {
    "application/json": "json",
    "application/fhir+json": "json",
    "application/yaml": "yaml",
    "application/x-yaml": "yaml",
    "text/yaml": "yaml",
}
SOURCE = "request body"


class UnsupportedMediaType(CalcinosisError):
    """The body is not JSON or YAML."""

    status = 415


class DocumentTooLarge(CaseValidationError):
    """A case file or pasted text over the case file limit: 413 Content Too Large (the page and
    the problem handler read ``status``)."""

    status = 413


def body_format(request: Request) -> str:
    """``json`` or ``yaml`` from Content-Type; raises UnsupportedMediaType otherwise."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    fmt = CASE_MEDIA_TYPES.get(media)
    if fmt is None:
        shown = media[:60] or "none"
        raise UnsupportedMediaType(
            f"a case is sent as {', '.join(CASE_MEDIA_TYPES)}; this request's Content-Type is {shown!r}"
        )
    return fmt


async def read_request_case(request: Request, kb: KnowledgeBase, lang: str) -> Case:
    """The validated case in the request body, a case or a FHIR R4 Bundle (raises
    CaseValidationError or UnsupportedMediaType). What a Bundle held that did not make it into
    the case is kept on the request (``fhir_not_used``), for the response to say it."""
    from calcinosis.interop.fhir.read import read_document_case

    fmt = body_format(request)
    data = load_document(await request.body(), source=SOURCE, fmt=fmt, lang=lang)
    case, imported = read_document_case(data, kb, source=SOURCE, lang=lang)
    request.state.fhir_not_used = imported.not_used if imported is not None else []
    return case


def fhir_not_used_warnings(request: Request, lang: str) -> list[str]:
    """One line per element of a posted FHIR Bundle that is not in the case (resource, element,
    value, why), so that an API client is never left to think everything was read."""
    from calcinosis.i18n import message

    entries = getattr(request.state, "fhir_not_used", None) or []
    return [
        message("fhir_not_used_line", lang, resource=e.resource, element=e.element, value=e.value, reason=e.reason)
        for e in entries
    ]


def case_data(data: Any, kb: KnowledgeBase, *, source: str, lang: str) -> Any:
    """A posted document as case data: a FHIR Bundle becomes its case (the form then shows it);
    anything else is returned as it is, for the form's own checks."""
    from calcinosis.interop.fhir.read import is_fhir_document, read_document_case

    if not is_fhir_document(data):
        return data
    case = read_document_case(data, kb, source=source, lang=lang)[0]
    return case.model_dump(mode="json", exclude_none=True, exclude_defaults=True)


async def read_posted_document(
    case_file: UploadFile | str | None, case_text: str, *, lang: str, file_wins: bool = False
) -> tuple[Any, str]:
    """The document of a case file posted from a page, read by the strict reader (JSON when the
    file's name ends in .json, else YAML), and its name. A file and pasted text together are
    refused (the text was dropped without a word), unless ``file_wins``: the case page, which
    gives a refused text back in its box, so that a file chosen next is what is meant."""
    source, raw, fmt = "pasted text", case_text.encode("utf-8"), "yaml"
    if isinstance(case_file, StarletteUpload) and case_file.filename and case_text.strip() and not file_wins:
        # which one was meant? the file won and the text was dropped without a word
        from calcinosis.i18n import message

        raise CaseValidationError(message("ui_file_and_text", lang))
    if isinstance(case_file, StarletteUpload) and case_file.filename:
        source = plain(case_file.filename, limit=100, newlines=False)
        raw = await case_file.read(LIMITS["file_bytes"] + 1)
        fmt = "json" if source.lower().endswith(".json") else "yaml"
    if len(raw) > LIMITS["file_bytes"]:  # a file cut at the limit was parsed as it was cut
        raise DocumentTooLarge(too_large_message(source, lang), path=source)
    return load_document(raw, source=source, fmt=fmt, lang=lang), source


def case_body_schema() -> dict[str, Any]:
    """The OpenAPI request body of a case: the case model's JSON Schema, in JSON or YAML."""
    schema = {"$ref": "#/components/schemas/Case"}
    return {
        "requestBody": {
            "required": True,
            "description": "A case in case format v1 (JSON or YAML), or a FHIR R4 Bundle (application/fhir+json).",
            "content": {
                "application/json": {"schema": schema},
                "application/yaml": {"schema": schema},
                "application/fhir+json": {
                    "schema": {"type": "object", "required": ["resourceType"], "description": "A FHIR R4 Bundle"}
                },
            },
        }
    }
