"""A reason's sentence as a clinician reads it on a page: the case-file paths it quotes as its
basis ('findings[1] ulcération', 'labs[0] egfr 12 mL/min/1.73m2', 'patient.age 73') written in
words. Four clinical reviews (English and French) read the paths as internal jargon in the
clinician report; the JSON result keeps them (``Contribution.basis``), for whoever traces a
reason back to the case, and the terminal's detailed table shows them as a short pointer."""

from __future__ import annotations

import re

from calcinosis.case.labs import lab_name
from calcinosis.i18n import age_text, lower_first, message
from calcinosis.kb.model import KnowledgeBase

__all__ = ["plain_basis"]

_NESTED = r"(?:[^()]|\([^()]*\))*"
"""One level of parentheses inside a quoted term ('écoulement crayeux (aspect de dentifrice)')."""
_LISTED = re.compile(r" \(((?:findings|history|exposures|absent|sites|antibodies)\[\d+\] " + _NESTED + r")\)")
"""The terms the case lists, quoted after the sentence's own words for them."""
_LISTED_PATH = re.compile(r"^[a-z]+\[\d+\] ")
_ITEMS = re.compile(r"[\s\u202f\u00a0]?; ")
_PATH = re.compile(r"\b(?:findings|history|exposures|absent|sites|antibodies)\[\d+\] ")
"""A listed term's path anywhere else ('present: by history[0] limited systemic sclerosis')."""
_PATIENT = re.compile(r" \(patient\.(?:sex|postmenopausal) [^()]*\)")
"""The patient's sex or menopause, quoted after the sentence that names it ('Female sex')."""
_LAB = re.compile(r"labs\[\d+\] ([a-z0-9_]+)(?=\s+[<>≤≥]?[-\d]|\s*[:;)]|$)")
"""A test quoted by its id (English), never the first word of a French label ('calcium ionisé')."""
_LAB_PATH = re.compile(r"labs\[\d+\] ")
_IMAGING_FLAG = re.compile(r"imaging\[\d+\]\.[a-z_]+ (?:true|oui)\b")
_IMAGING_TERM = re.compile(r"imaging\[\d+\]\.(sites|tissues|patterns|distribution)(?:\[\d+\])? ([a-z][a-z_]*)\b")
"""An imaging term the English echo quotes by its id ('imaging[0].patterns[0] tendon_deposit'): its
label is written (two clinical reviews read '(imaging: tendon_deposit)')."""
_VOCABULARY_LIST = {"sites": "sites", "tissues": "tissues", "patterns": "patterns", "distribution": "distributions"}
_IMAGING = re.compile(r"imaging\[\d+\](?:\.[a-z_]+(?:\[\d+\])?)? ?")
_AGE = re.compile(r"patient\.age ([0-9.,]+)")
_DURATION = re.compile(r"duration_months ([0-9.,]+)")
_ONSET = re.compile(r"onset_days_after\.[a-z_]+ ([0-9.,]+)(?: jours| days)?")
_REPEATED = re.compile(r"\(([^();]+)(?:[\s\u202f\u00a0]?; \1)+\)")
"""'(imaging: muscle; imaging: muscle)': the same words for two deposits, said once."""


def plain_basis(text: str, kb: KnowledgeBase, lang: str) -> str:
    """``text`` with the case-file paths it quotes written in words (see the module's docstring)."""
    if "[" not in text and "patient." not in text and "duration_months" not in text and "onset_days" not in text:
        return text
    text = _LISTED.sub(lambda m: _listed(m, text, lang), text)
    text = _PATH.sub("", text)
    text = _PATIENT.sub("", text)
    text = _LAB.sub(lambda m: _lab(kb, m.group(1), lang), text)
    text = _LAB_PATH.sub("", text)  # a French label is already in words
    text = _IMAGING_FLAG.sub(message("plain_basis_imaging_seen", lang), text)
    text = _IMAGING_TERM.sub(lambda m: _imaging_term(kb, m, lang), text)
    text = _IMAGING.sub(message("plain_basis_imaging", lang), text)
    text = _AGE.sub(lambda m: message("plain_basis_age", lang, age=age_text(_number(m.group(1)), lang)), text)
    text = _DURATION.sub(lambda m: message("plain_basis_duration", lang, months=m.group(1)), text)
    text = _ONSET.sub(lambda m: message("plain_basis_onset", lang, days=m.group(1)), text)
    return _REPEATED.sub(r"(\1)", text)


def _listed(match: re.Match[str], text: str, lang: str) -> str:
    """The sites the case reported that the sentence does not already say, without their paths:
    'Pelvis involved' keeps the 'penis' of the case; a finding, a history or a site the sentence
    names ('Ulceration present', 'Thigh involved') is said once."""
    said = text[: match.start()].lower()
    kept = []
    for item in _ITEMS.split(match.group(1)):
        term = _LISTED_PATH.sub("", item).replace("_", " ")
        if item.startswith("sites[") and term.lower() not in said:
            kept.append(term)
    return f" ({message('list_separator', lang).join(dict.fromkeys(kept))})" if kept else ""


def _imaging_term(kb: KnowledgeBase, match: re.Match[str], lang: str) -> str:
    """An imaging term quoted by its id, as 'imaging: <its label>' (a French echo is already a label)."""
    terms = kb.vocabulary.lists[_VOCABULARY_LIST[match.group(1)]]
    term = match.group(2)
    said = lower_first(terms[term].label(lang)) if term in terms else term
    return message("plain_basis_imaging", lang) + said


def _number(text: str) -> float:
    """A number as the reason wrote it, with a decimal point or a French decimal comma."""
    return float(text.replace(",", "."))


def _lab(kb: KnowledgeBase, token: str, lang: str) -> str:
    """A test quoted by its id (the English input echo) as its reader's name."""
    if token in kb.units["tests"]:
        return lab_name(kb, token, lang)
    return token  # not a test id: a label already in words
