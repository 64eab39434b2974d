"""Fixtures of the intake tests: one extraction helper over the shipped knowledge base."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from calcinosis import KnowledgeBase
from calcinosis.case.reader import parse_case
from calcinosis.intake import Extraction, extract_case


@pytest.fixture(scope="session")
def read(kb: KnowledgeBase) -> Callable[..., Extraction]:
    """Extract a note and check that the case passes the case reader."""

    def run(text: str, lang: str | None = None) -> Extraction:
        x = extract_case(text, kb, lang=lang)
        for item in [*x.items, *x.dropped]:
            assert text[item.start : item.end] == item.text
        if not x.missing:
            parse_case(x.case, kb, source="<note>")
        return x

    return run
