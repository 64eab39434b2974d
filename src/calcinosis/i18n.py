"""Bilingual user-facing strings (``messages.yaml``); English and French only."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml

__all__ = ["LANGUAGES", "decimal", "message", "messages", "percent"]

LANGUAGES = ("en", "fr")


@cache
def messages() -> dict[str, dict[str, str]]:
    """All messages, read once (a read-only table, not mutable state)."""
    text = (resources.files("calcinosis") / "messages.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def message(key: str, lang: str, **values: object) -> str:
    """The message ``key`` in ``lang``, formatted with ``values``."""
    template = messages()[key]["fr" if lang == "fr" else "en"]
    return template.format(**values) if values else template


def percent(p: float, lang: str, digits: int = 0) -> str:
    """A probability as a percentage in the language's typography (Babel: '98,5 %' in French)."""
    from babel import Locale
    from babel.numbers import format_percent

    locale = Locale.parse("fr_FR" if lang == "fr" else "en_GB")
    pattern = str(locale.percent_formats[None].pattern)  # '#,##0 %' with a no-break space in French
    if digits:
        head, _, tail = pattern.rpartition("0")
        pattern = f"{head}0.{'0' * digits}{tail}"
    return str(format_percent(p, format=pattern, locale=locale))


def decimal(x: float, lang: str, digits: int = 2) -> str:
    """A number with the language's decimal separator (Babel: '4,4' in French), at most ``digits`` decimals."""
    from babel.numbers import format_decimal

    return str(format_decimal(round(x, digits), locale="fr_FR" if lang == "fr" else "en_GB"))
