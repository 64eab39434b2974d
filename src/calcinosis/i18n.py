"""Bilingual user-facing strings (``messages.yaml``); English and French only."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml

__all__ = ["LANGUAGES", "message", "messages"]

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
