"""``/api/v1/intake``: a clinical note (French or English free text) read into a case to review.

The route calls the CLI's function (:func:`calcinosis.intake.extract_case`) and returns its
result object: the case, every item with the span of the note it came from and why it was
placed there, the items set aside, and the phrases not understood. Nothing is diagnosed here:
the case is for the clinician to correct before ``/diagnose`` is trusted with it.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

import anyio
from fastapi import APIRouter, Depends, Query, Request, Response

from calcinosis.intake.result import Extraction
from calcinosis.kb.model import KnowledgeBase
from calcinosis.web.lang import request_lang
from calcinosis.web.problems import problem, unique_keys
from calcinosis.web.state import kb_of

__all__ = ["router"]

router = APIRouter(tags=["clinical"])

Kb = Annotated[KnowledgeBase, Depends(kb_of)]
Lang = Annotated[str, Depends(request_lang)]
MAX_NOTE_CHARS = 1_000_000
"""A referral letter is a few thousand characters; a million bounds the work of one request."""

_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "text/plain": {"schema": {"type": "string"}, "example": "Patiente de 45 ans suivie pour une sclérodermie."},
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["text"],
                    "properties": {"text": {"type": "string"}, "lang": {"enum": ["fr", "en", None]}},
                    "additionalProperties": False,
                }
            },
        },
    }
}


@router.post(
    "/intake",
    response_model=Extraction,
    openapi_extra=_BODY,
    summary="A clinical note (French or English) read into a case, with the evidence of every item",
)
async def intake(
    request: Request,
    kb: Kb,
    lang: Lang,
    note_lang: Annotated[
        Literal["fr", "en"] | None,
        Query(
            description="Language of the note (fr or en); detected when omitted (or given as `lang` in a JSON body)."
        ),
    ] = None,
) -> Response:
    """The extraction ``calcinosis intake NOTE --json`` prints: for review, never a diagnosis."""
    from calcinosis.intake import IntakeError, extract_case

    body = await request.body()
    media = request.headers.get("content-type", "text/plain").split(";")[0].strip().lower()
    try:
        text, given = _note(body, media)
    except ValueError as exc:
        return problem(415 if media not in ("text/plain", "application/json") else 422, str(exc), request=request)
    language = note_lang or given
    if len(text) > MAX_NOTE_CHARS:
        return problem(413, f"the note has {len(text)} characters; the limit here is {MAX_NOTE_CHARS}", request=request)
    try:
        extraction = await anyio.to_thread.run_sync(lambda: extract_case(text, kb, lang=language, reasons=lang))
    except IntakeError as exc:
        return problem(422, exc.text(lang), request=request)
    return Response(extraction.model_dump_json(), media_type="application/json")


def _note(body: bytes, media: str) -> tuple[str, Literal["fr", "en"] | None]:
    """The note's text and the language the body gives, from a text/plain or JSON body."""
    try:
        raw = body.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise ValueError(f"the note is not UTF-8 text (byte {exc.start})") from None
    if media == "text/plain":
        return raw, None
    if media != "application/json":
        raise ValueError(f"a note is sent as text/plain or application/json, not {media}")
    try:
        data: Any = json.loads(raw, object_pairs_hook=unique_keys)
    except json.JSONDecodeError as exc:
        raise ValueError(f"the body is not JSON (line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:  # '[[[[...' a few thousand deep was a 500 (json recurses per level)
        raise ValueError("the body nests too deep to be a note") from None
    if not isinstance(data, dict) or not isinstance(data.get("text"), str) or set(data) - {"text", "lang"}:
        raise ValueError('expected {"text": "...", "lang": "fr" | "en" | null}')
    given = data.get("lang")
    if given not in ("fr", "en", None):
        raise ValueError(f"lang is fr, en or null, not {given!r}")
    return data["text"], given
