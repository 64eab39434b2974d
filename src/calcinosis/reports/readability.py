"""Readability of patient texts: Flesch reading ease (English) and its French adaptation by
Kandel and Moles (1958), on a simple syllable count.

    English (Flesch 1948):       206.835 - 1.015 x words/sentence - 84.6 x syllables/word
    French (Kandel & Moles 1958): 207 - 1.015 x words/sentence - 73.6 x syllables/word

60-70 is "plain" in both scales; the patient leaflet aims at 60 or more. Syllables are
counted as groups of vowels, less a silent final e (English "-e", French "-e"/"-es"/"-ent"
endings); accurate to about a syllable a sentence, enough to compare texts.
"""

from __future__ import annotations

import re

__all__ = ["reading_ease", "syllables"]

_VOWELS = re.compile(r"[aeiouyàâäéèêëîïôöùûüœæ]+", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿœŒæÆ]+(?:['’-][A-Za-zÀ-ÖØ-öø-ÿœŒæÆ]+)*")
_SENTENCE_END = re.compile(r"[.!?;:]+(?:\s|$)")


def syllables(word: str, lang: str) -> int:
    """Vowel groups of ``word``, less a silent final e; at least 1."""
    w = word.lower()
    n = len(_VOWELS.findall(w))
    if lang == "fr":
        if re.search(r"[^aeiouy](e|es|ent)$", w) and n > 1:
            n -= 1
    elif re.search(r"[^aeiouyl]e$", w) and n > 1:
        n -= 1
    return max(n, 1)


def reading_ease(text: str, lang: str) -> float:
    """Flesch reading ease (en) or Kandel-Moles (fr) of ``text``; higher is easier."""
    words = _WORD.findall(text)
    if not words:
        return 0.0
    sentences = max(len(_SENTENCE_END.findall(text)), 1)
    syl = sum(syllables(w, lang) for w in words)
    wps, spw = len(words) / sentences, syl / len(words)
    if lang == "fr":
        return 207 - 1.015 * wps - 73.6 * spw
    return 206.835 - 1.015 * wps - 84.6 * spw
