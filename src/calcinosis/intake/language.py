"""Which language a note is written in: French, English, or another one (refused).

Deterministic and dependency-free: the share of the note's words that are frequent function
words of each language (lists in ``intake.yaml``). Function words are the most reliable
signal on short clinical text, where names of diseases are shared across languages. A note
that is empty, too short, or closer to another language is refused with a clear message in
both languages rather than read with the wrong rules.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from importlib import resources
from typing import Any

import yaml

from calcinosis.errors import CalcinosisError
from calcinosis.i18n import decimal, french_typography
from calcinosis.intake.lexicon import IntakeDataError, fold, intake_cached, intake_data

__all__ = ["IntakeError", "LanguageGuess", "detect_language", "say"]

_WORD = re.compile(r"[^\W\d_]+")
_SAMPLE_CHARS = 20_000  # the start of a long note says its language as well as the whole


@intake_cached
def _messages() -> dict[str, dict[str, str]]:
    text = (resources.files("calcinosis.intake") / "messages.yaml").read_text(encoding="utf-8")
    data: dict[str, dict[str, str]] = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    for entry in data.values():
        # French quotes hold their words with no-break spaces: « mot »
        entry["fr"] = french_typography(entry["fr"]).replace("« ", "«\u00a0").replace(" »", "\u00a0»")
        # a reason that goes on another (" ; intervalle du laboratoire ...") begins with its sign:
        # no word before it for french_typography to see, so its space is set here
        if entry["fr"].startswith((" ;", " :")):
            entry["fr"] = ("\u202f;" if entry["fr"][1] == ";" else "\u00a0:") + entry["fr"][2:]
    return data


class Word(str):
    """A value of a message that is itself a message key: a word said in the message's language."""

    __slots__ = ()


class Number(float):
    """A value of a message that is a number the reader computed: written in the message's
    language (Babel: "2,5" in French), at most two decimals."""

    __slots__ = ()


def say(key: str, lang: str, /, **values: object) -> str:
    """The intake message ``key`` in ``lang`` ('fr' or 'en')."""
    template = _messages()[key]["fr" if lang == "fr" else "en"]
    if not values:
        return template
    return template.format(**{k: _said(v, lang) for k, v in values.items()})


def _said(value: object, lang: str) -> object:
    if isinstance(value, Word):
        return say(value, lang)
    if isinstance(value, Number):
        return decimal(float(value), lang, 2)
    return value


class IntakeError(CalcinosisError):
    """A note cannot be read: empty, too short, in another language, or unreadable.

    ``str()`` gives the English and the French message; :meth:`text` one of them.
    """

    def __init__(self, key: str, /, **values: object) -> None:
        self.key = key
        self.values = values
        super().__init__(f"{say(key, 'en', **values)} / {say(key, 'fr', **values)}")

    def text(self, lang: str) -> str:
        """The message in ``lang``."""
        return say(self.key, lang, **self.values)


class LanguageGuess:
    """The language chosen for a note, and how (``given`` or the detection's scores)."""

    def __init__(self, lang: str, *, given: bool, scores: Mapping[str, float]) -> None:
        self.lang = lang
        self.given = given
        self.scores = dict(scores)

    def how(self) -> str:
        """A short account of the decision ("given", or the shares of function words)."""
        if self.given:
            return "given"
        top = sorted(self.scores.items(), key=lambda kv: -kv[1])[:3]
        return ", ".join(f"{k} {v:.2f}" for k, v in top)


def detect_language(text: str, *, given: str | None = None, data: Mapping[str, Any] | None = None) -> LanguageGuess:
    """The language of ``text``: ``given`` when set (checked), else detected.

    Raises
    ------
    IntakeError
        The note is empty or too short, ``given`` is not fr/en, or the note reads as another
        language (or as none) — each with a message in English and French.
    """
    spec = (data or intake_data())["language"]
    words = [fold(w) for w in _WORD.findall(text[:_SAMPLE_CHARS])]
    if not text.strip():
        raise IntakeError("intake_empty")
    if given is not None and given not in ("fr", "en"):
        raise IntakeError("intake_bad_lang", lang=given)
    minimum = int(spec.get("min_words", 3))
    if len(words) < minimum:
        raise IntakeError("intake_too_short", count=len(words), minimum=minimum)
    counts = Counter(words)
    total = len(words)
    scores: dict[str, float] = {}
    for lang, stop in spec["stopwords"].items():
        folded = {fold(w) for w in stop}
        scores[lang] = sum(n for w, n in counts.items() if w in folded) / total
    if given is not None:
        return LanguageGuess(given, given=True, scores=scores)
    best = max(sorted(scores), key=lambda k: scores[k])
    if scores[best] < float(spec.get("min_share", 0.08)):
        raise IntakeError("intake_unknown_language")
    if best not in ("fr", "en"):
        names = spec.get("names", {}).get(best, {"en": best, "fr": best})
        raise IntakeError("intake_other_language", name=names["en"], name_fr=names["fr"])
    return LanguageGuess(best, given=False, scores=scores)


def lexicon_error(exc: IntakeDataError) -> IntakeError:
    """The error to show for an unusable ``intake.yaml``: the kinds of value it names (a table,
    a list, a text) said in the reader's language too."""
    values = {k: Word(f"kind_{v}") if k in ("expected", "found") else v for k, v in exc.values.items()}
    return IntakeError(exc.key, **values)
