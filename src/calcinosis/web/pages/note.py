"""A pasted note shown back with the words of every extracted item marked (presentation only).

The extraction itself is :func:`calcinosis.intake.extract_case`; this module only cuts the note
into runs of plain text and marked spans for the template, each mark with the item's field,
term, status and reason (its title), so the clinician sees where each field of the form came
from. Jinja2 escapes every run.
"""

from __future__ import annotations

from dataclasses import dataclass

from calcinosis.i18n import message
from calcinosis.intake.result import Extraction
from calcinosis.kb.model import KnowledgeBase

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


# case field -> (form heading key, vocabulary list of its terms)
_FIELDS = {
    "patient": ("patient", None),
    "history": ("history", "conditions"),
    "exposures": ("exposures", "exposures"),
    "findings": ("findings", "findings"),
    "absent": ("absent", None),
    "sites": ("sites", "sites"),
    "duration_months": ("duration", None),
    "labs": ("labs", "labs"),
    "antibodies": ("antibodies", "antibodies"),
    "imaging": ("imaging", None),
}


def _title(field: str, term: str, reason: str, kb: KnowledgeBase, lang: str) -> str:
    """What a marked phrase says on hover, in the page's language: where it went, as what, why."""
    heading, list_name = _FIELDS.get(field, (None, None))
    where = message(f"ui_{heading}", lang) if heading else field
    label = message(f"ui_{term}", lang) if field == "patient" and term in ("age", "sex") else term
    for name in [list_name] if list_name else ("findings", "conditions", "exposures", "sites", "patterns", "tissues"):
        if term in kb.vocabulary.lists.get(name, {}):
            label = kb.vocabulary.label(name, term, lang)
            break
    return f"{where}\u00a0: {label} ({reason})" if lang == "fr" else f"{where}: {label} ({reason})"


def note_review(text: str, extraction: Extraction, kb: KnowledgeBase, lang: str) -> NoteReview:
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
        title = _title(item.field, item.term, item.reason, kb, lang)
        runs.append(Run(shown[item.start : item.end], item.status, title))
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
