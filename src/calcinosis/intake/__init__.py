"""Free-text clinical note (French or English) → a case of format v1, with the evidence of each item.

>>> from calcinosis import load_kb
>>> from calcinosis.intake import extract_case
>>> x = extract_case("Patiente de 45 ans suivie pour une sclérodermie systémique. Pas d'ulcération.", load_kb())
>>> x.case["patient"], x.case["history"], x.case["absent"]
({'age': 45.0, 'sex': 'female'}, ['systemic_sclerosis'], ['ulceration'])

The case is for a clinician to review before the engine runs: every item says which words
of the note it came from and why it was placed where it is; hypothetical and family items
are listed but not placed; medical-looking words that were not understood are listed too.
This package may import the case and kb layers, never the engine, the CLI or the web app;
the NLP libraries (edsnlp, negspacy: ``pip install 'calcinosis[intake]'``) are imported only
when a note is read.
"""

from __future__ import annotations

from calcinosis.intake.language import IntakeError, detect_language
from calcinosis.intake.result import Cue, ExtractedItem, Extraction, NotUnderstood

__all__ = ["Cue", "ExtractedItem", "Extraction", "IntakeError", "NotUnderstood", "detect_language", "extract_case"]


def extract_case(text: str, kb: object, *, lang: str | None = None, reasons: str | None = None) -> Extraction:
    """Read a note and return the case with the evidence of every item.

    Parameters
    ----------
    text
        The note, as written (offsets of every item refer to it).
    kb
        The knowledge base (:func:`calcinosis.load_kb`): its vocabulary and units.
    lang
        ``"fr"`` or ``"en"``; detected from the text when None.
    reasons
        The language of every reason an item carries (``"fr"`` or ``"en"``): the output
        language, which is the note's when None. French output has no English in it.

    Raises
    ------
    IntakeError
        Empty or too short note, a note in another language, or the NLP extra missing.
    """
    from calcinosis.intake._assemble import extract
    from calcinosis.kb.model import KnowledgeBase

    if not isinstance(kb, KnowledgeBase):
        raise TypeError("kb must be a KnowledgeBase (calcinosis.load_kb())")
    return extract(text, kb, lang=lang, reasons=reasons)
