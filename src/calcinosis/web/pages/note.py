"""A pasted note shown back with the words of every extracted item marked (presentation only).

The extraction itself is :func:`calcinosis.intake.extract_case`; this module only cuts the note
into runs of plain text and marked spans for the template, each mark with the item's field,
term, status and reason (its title), so the clinician sees where each field of the form came
from. Jinja2 escapes every run.
"""

from __future__ import annotations

from dataclasses import dataclass

from calcinosis.intake.result import Extraction

__all__ = ["NoteReview", "Run", "note_review"]

SHOWN_CHARS = 20_000
"""Characters of the note shown back (a referral letter is far shorter; the rest is not marked)."""


@dataclass(frozen=True)
class Run:
    """A stretch of the note: plain (status "") or the words of an item."""

    text: str
    status: str = ""
    title: str = ""


@dataclass(frozen=True)
class NoteReview:
    """The note in runs, the items set aside and the phrases not understood."""

    runs: list[Run]
    lang: str
    placed: int
    dropped: list[str]
    not_understood: list[str]
    cut: bool


def note_review(text: str, extraction: Extraction) -> NoteReview:
    """Runs of ``text`` with each item's span marked (overlapping spans: the first one wins)."""
    shown = text[:SHOWN_CHARS]
    spans = sorted(
        (i for i in [*extraction.items, *extraction.dropped] if i.start < i.end <= len(shown)),
        key=lambda i: (i.start, -i.end),
    )
    runs: list[Run] = []
    at = 0
    for item in spans:
        if item.start < at:
            continue
        if item.start > at:
            runs.append(Run(shown[at : item.start]))
        runs.append(Run(shown[item.start : item.end], item.status, f"{item.field}: {item.term} ({item.reason})"))
        at = item.end
    if at < len(shown):
        runs.append(Run(shown[at:]))
    return NoteReview(
        runs=runs,
        lang=extraction.lang,
        placed=len(extraction.items),
        dropped=[f"{i.text} → {i.reason}" for i in extraction.dropped],
        not_understood=[u.text for u in extraction.not_understood],
        cut=len(text) > SHOWN_CHARS,
    )
