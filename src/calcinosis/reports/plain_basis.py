"""A reason's sentence as a clinician reads it on a page: the case-file paths it quotes as its
basis ('findings[1] ulcération', 'labs[0] egfr 12 mL/min/1.73m2', 'patient.age 73') written in
words. Four clinical reviews (English and French) read the paths as internal jargon in the
clinician report; the JSON result keeps them (``Contribution.basis``), for whoever traces a
reason back to the case, and the terminal's detailed table shows them as a short pointer."""

from __future__ import annotations

import re

from calcinosis.case.labs import lab_name
from calcinosis.i18n import message
from calcinosis.kb.model import KnowledgeBase

__all__ = ["plain_basis"]

_LISTED = re.compile(r" \((?:findings|history|exposures|absent|sites|antibodies)\[\d+\] [^()]*\)")
"""A term the case lists, quoted after the sentence's own words for it: the sentence already says it."""
_LAB = re.compile(r"labs\[\d+\] ([a-z0-9_]+)\b")
_LAB_PATH = re.compile(r"labs\[\d+\] ")
_IMAGING = re.compile(r"imaging\[\d+\](?:\.[a-z_]+(?:\[\d+\])?)? ?")
_AGE = re.compile(r"patient\.age ([0-9.,]+)")
_DURATION = re.compile(r"duration_months ([0-9.,]+)")


def plain_basis(text: str, kb: KnowledgeBase, lang: str) -> str:
    """``text`` with the case-file paths it quotes written in words (see the module's docstring)."""
    if "[" not in text and "patient.age" not in text and "duration_months" not in text:
        return text
    text = _LISTED.sub("", text)
    text = _LAB.sub(lambda m: _lab(kb, m.group(1), lang), text)
    text = _LAB_PATH.sub("", text)  # a French label is already in words
    text = _IMAGING.sub(message("plain_basis_imaging", lang), text)
    text = _AGE.sub(lambda m: message("plain_basis_age", lang, age=m.group(1)), text)
    return _DURATION.sub(lambda m: message("plain_basis_duration", lang, months=m.group(1)), text)


def _lab(kb: KnowledgeBase, token: str, lang: str) -> str:
    """A test quoted by its id (the English input echo) as its reader's name; a French label stays."""
    if token in kb.units["tests"]:
        return lab_name(kb, token, lang)
    return token  # not a test id: a label already in words
