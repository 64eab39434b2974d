"""The language of a request: ``?lang=fr|en`` first, then ``Accept-Language``, else English."""

from __future__ import annotations

from fastapi import Query, Request

from calcinosis.errors import CalcinosisError

__all__ = ["LANGS", "LanguageError", "lang_of", "request_lang"]

LANGS = ("en", "fr")


class LanguageError(CalcinosisError):
    """``?lang=`` names a language the app does not speak."""


def _from_header(header: str) -> str | None:
    """The preferred of en/fr in an Accept-Language header (RFC 9110 q-values), or None."""
    best: tuple[float, str] | None = None
    for part in header.split(",")[:20]:
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in LANGS:
            continue
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > 0 and (best is None or q > best[0]):
            best = (q, primary)
    return best[1] if best else None


def lang_of(request: Request) -> str:
    """The request's language without refusing anything: what an error message is written in."""
    lang = request.query_params.get("lang")
    return lang if lang in LANGS else (_from_header(request.headers.get("accept-language", "")) or "en")


async def request_lang(
    request: Request, lang: str | None = Query(None, description="en or fr (default: Accept-Language, else en)")
) -> str:
    """FastAPI dependency: the language every text of the response is written in (async: a plain
    function would cost a thread-pool hop per request)."""
    if lang is not None:
        if lang not in LANGS:
            raise LanguageError(f"lang must be one of {', '.join(LANGS)}, not {lang[:20]!r}")
        return lang
    return _from_header(request.headers.get("accept-language", "")) or "en"
