"""Bilingual user-facing strings (``messages.yaml``); English and French only.

French is written as French, not translated word for word: the helpers here give numbers their
French typography (decimal comma, '98,5 %'), put the no-break space before ``: ; ? !``, and
make words agree with the grammatical gender and number of the label they qualify (each French
label of the vocabulary and of the derived features carries its ``gender`` and ``plural``).
"""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_EVEN, Decimal
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, TypeGuard

from calcinosis.cache import cached_table, files_key

__all__ = [
    "LANGUAGES",
    "age_text",
    "agree",
    "colon",
    "de",
    "decimal",
    "french_typography",
    "inline",
    "lower_first",
    "message",
    "messages",
    "percent",
    "significant",
]

LANGUAGES = ("en", "fr")

NBSP = "\u00a0"  # before ':' (espace insécable)
NNBSP = "\u202f"  # before ';', '?', '!' (espace fine insécable)
# a ':;?!' that ends a word (followed by a space, a closing bracket or the end), after a
# non-space character other than an opening bracket, with or without ordinary spaces before it
_FR_PUNCT = re.compile(r"(?<=[^\s(\[«\u00a0\u202f])[ \t]*([:;?!])(?=[\s)\]»]|$)")
# words that begin with an 'h aspiré': no elision before them ('de hanche', 'la hanche')
_H_ASPIRE = ("hanche", "haltère", "hernie", "haut", "hauteur")


@cache
def messages() -> dict[str, dict[str, str]]:
    """All messages, read once (a read-only table, not mutable state).

    Parsing the YAML took a tenth of a command's start (PyYAML builds its objects in Python even
    with libyaml), so the typeset table is cached as JSON beside the compiled knowledge, under a
    key made of the size and modification time of ``messages.yaml`` and of this module (which
    typesets it): an edit of either is read again, as Python checks its bytecode cache.
    """
    source = resources.files("calcinosis") / "messages.yaml"
    return cached_table(
        "messages", _messages_key(Path(str(source))), _is_table, lambda: _typeset(source.read_text(encoding="utf-8"))
    )


def _typeset(text: str) -> dict[str, Any]:
    """The messages of ``messages.yaml``'s ``text``, their French typeset."""
    import yaml

    # libyaml's loader when PyYAML has it: the pure-Python one took a fifth of a command's start
    data: dict[str, Any] = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    for entry in data.values():
        if isinstance(entry, dict) and isinstance(entry.get("fr"), str):
            entry["fr"] = french_typography(entry["fr"])
    return data


def _messages_key(source: Path) -> str | None:
    """The cache key of the messages table: code version, and path, size and modification time
    (ns) of ``messages.yaml`` and of this module; None when either cannot be read."""
    from calcinosis._version import __version__

    return files_key("messages", [__version__], [source, Path(__file__)])


def _is_table(data: object) -> TypeGuard[dict[str, dict[str, str]]]:
    """Whether ``data`` maps each message key to its texts (only such a table is cached or used)."""
    return isinstance(data, dict) and all(
        isinstance(entry, dict) and all(isinstance(text, str) for text in entry.values()) for entry in data.values()
    )


def message(key: str, lang: str, /, **values: object) -> str:
    """The message ``key`` in ``lang``, formatted with ``values``."""
    template = messages()[key]["fr" if lang == "fr" else "en"]
    return template.format(**values) if values else template


# the other rules of French typography an author types with ordinary characters: each
# (pattern, replacement), applied in order after the punctuation spacing
_FR_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    # a no-break space before '%' ("2 à 5 %", "5%"), so that a line never starts with it
    (re.compile(r"(?<=\d)[ \t]?%"), NBSP + "%"),
    # no-break spaces inside guillemets
    (re.compile(r"«[ \t]*(?=\S)"), "«" + NBSP),
    (re.compile(r"(?<=\S)[ \t]*»"), NBSP + "»"),
    # thousands grouped by a narrow no-break space ("1 500", "12 000"), never broken across lines
    (re.compile(r"(?<![\d,.])(\d{1,3})[ \t](?=\d{3}(?![\d,]))"), r"\1" + NNBSP),
    # a minus sign, not a hyphen, before a number standing alone ("IC -1,0 à -0,1", "<= -2,5")
    (re.compile(r"(?<=[\s(\[])-(?=\d)"), "\u2212"),
    (re.compile(r"<="), "≤"),
    (re.compile(r">="), "≥"),
    # square metres of body surface ("1,73 m2"), and 'n = 226' spaced as the rest of the texts write it
    (re.compile(r"(?<=\d)[ \t]?m2\b"), NBSP + "m²"),
    (re.compile(r"\bn=(?=\d)"), "n" + NBSP + "=" + NBSP),
)


def french_typography(text: str) -> str:
    """French typography from ordinary typing: a no-break space before ':' and a narrow one
    before ';', '?', '!'; a no-break space before '%' and inside « »; thousands grouped by a
    narrow no-break space; a minus sign before a number standing alone; '≤', '≥', 'm²'.

    Ordinary spaces before a sign are replaced, a missing one is added; a sign inside a word
    or a URL ('http://', '10:30', '(?)') is left alone, and so is a hyphen inside a range
    ('2,1-2,6') or a word ('T-score').
    """
    text = _FR_PUNCT.sub(lambda m: (NBSP if m.group(1) == ":" else NNBSP) + m.group(1), text)
    for pattern, replacement in _FR_RULES:
        text = pattern.sub(replacement, text)
    return text


def age_text(years: float, lang: str) -> str:
    """A patient's age as a clinician writes it: '24 days' in the first month, '3 months' until
    two years, then whole years ('0.1 years' read oddly for a newborn)."""
    days = years * 365.25
    if days < 30.5:
        n, unit = max(0, round(days)), "day"
    elif years < 2:
        n, unit = max(1, round(days / 30.44)), "month"
    else:
        n, unit = int(years), "year"
    if n == 1:
        return message(f"age_{unit}", lang)
    return message(f"age_{unit}s", lang, n=decimal(n, lang, 0))


def colon(lang: str) -> str:
    """':' as the language writes it after a word ('\u00a0:' in French)."""
    return NBSP + ":" if lang == "fr" else ":"


@cache
def _number_format(lang: str, kind: str, digits: int) -> tuple[Any, Any]:
    """The locale and the parsed number pattern for ``lang`` (parsed once: numbers are
    formatted thousands of times per report). The locale holds only the number symbols
    (``number_symbols``: reading Babel's whole locale data took a third of a command's start)."""
    from babel.numbers import parse_pattern

    from calcinosis.number_symbols import number_locale

    locale, pattern = number_locale(lang)
    if kind == "percent":  # '#,##0 %' with a no-break space in French
        if digits:
            head, _, tail = pattern.rpartition("0")
            pattern = f"{head}0.{'0' * digits}{tail}"
    else:
        pattern = "#,##0." + "#" * digits if digits > 0 else "#,##0"
    return locale, parse_pattern(pattern)


_ONE = Decimal(1)


@cache
def _percent_affixes(lang: str) -> tuple[str, str]:
    """What Babel writes before and after a whole percentage in ``lang`` ('' and '%' in English,
    '' and '\u00a0%' in French)."""
    head, found, tail = _babel_percent(0.42, lang, 0).partition("42")
    if not found:  # a locale writing digits otherwise would need Babel every time
        raise ValueError(f"no whole percentage in {lang!r}'s percent pattern")
    return head, tail


def percent(p: float, lang: str, digits: int = 0) -> str:
    """A probability as a percentage in the language's typography (Babel: '98,5 %' in French).

    A whole percentage (``digits`` 0, the reports' case) is Babel's: half to even, from the
    decimal the float prints as, between the affixes Babel writes around it; read here rather
    than formatted by Babel each time (about 5 microseconds each, and a result writes dozens).
    ``tests/test_i18n.py`` holds the two equal."""
    if digits == 0 and 0.0 <= p <= 1.0:
        whole = int(
            Decimal(repr(float(p))).scaleb(2).quantize(_ONE, rounding=ROUND_HALF_EVEN)
        )  # numpy's repr is not a number
        head, tail = _percent_affixes(lang)
        # never round a probability to a certainty or to nothing: '> 99 %', '< 1 %'
        if whole == 0 and p > 0:
            return f"< {head}1{tail}"
        if whole == 100 and p < 1:
            return f"> {head}99{tail}"
        return f"{head}{whole}{tail}"
    return _babel_percent(p, lang, digits)


def _babel_percent(p: float, lang: str, digits: int) -> str:
    """``percent`` formatted by Babel."""
    locale, pattern = _number_format(lang, "percent", digits)
    step = 10.0 ** -(digits + 2)
    if 1 - step / 2 <= p < 1:
        return "> " + str(pattern.apply(1 - step, locale))
    if p > 0 and round(p / step) == 0:  # below half a step, or at it (rounded half to even: 0.5 % is '0 %')
        return "< " + str(pattern.apply(step, locale))
    return str(pattern.apply(p, locale))


def decimal(x: float, lang: str, digits: int = 2) -> str:
    """A number with the language's decimal separator (Babel: '4,4' in French), at most ``digits`` decimals."""
    locale, pattern = _number_format(lang, "decimal", digits)
    return str(pattern.apply(round(x, digits), locale))


def significant(x: float, lang: str, digits: int = 2) -> str:
    """``x`` to ``digits`` significant figures (as ``{x:.2g}``), in the language's typography."""
    rounded = float(f"{x:.{digits}g}")
    if rounded == 0 or abs(rounded) >= 10 ** (digits - 1):
        return decimal(rounded, lang, 0)
    places = digits - 1 - int(f"{abs(rounded):e}".split("e")[1])
    return decimal(rounded, lang, max(places, 0))


def agree(key: str, lang: str, /, *, gender: str = "m", plural: bool = False, **values: object) -> str:
    """The message ``key`` agreed in gender and number: ``key_m``, ``key_f``, ``key_mp`` or ``key_fp``."""
    suffix = ("f" if gender == "f" else "m") + ("p" if plural else "")
    return message(f"{key}_{suffix}", lang, **values)


def _folded(word: str) -> str:
    """``word`` lowered and without accents (ASCII has none: only other text is decomposed)."""
    word = word.lower()
    if word.isascii():
        return word
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


_H_ASPIRE_FOLDED = tuple(_folded(h) for h in _H_ASPIRE)


def elides(word: str) -> bool:
    """A French word (or acronym) that takes 'd'', 'l'', 'qu'' before it: vowel, or h muet."""
    head = word.lstrip("«( ")
    first = head[:1]
    if first.isascii() and first not in ("h", "H"):  # an ASCII first letter other than h decides alone
        return first != "" and first.lower() in "aeiouy"
    folded = _folded(head)
    if not folded:
        return False
    if folded.startswith("h"):
        return not folded.startswith(_H_ASPIRE_FOLDED)
    return folded[0] in "aeiouy"


def inline(name: str, lang: str) -> str:
    """A name as it reads inside a sentence: lowered in French (:func:`lower_first`: 'la
    sclérodermie', a diagnosis after a colon), as written in English."""
    return lower_first(name) if lang == "fr" else name


def lower_first(label: str) -> str:
    """A label as it reads inside a sentence: first letter lowered unless it starts an acronym
    or a proper name kept capitalised in French ('IRM', 'PTHrP', 'FGF23', 'TmP/DFG' stay; 'Sclérodermie'
    becomes 'sclérodermie'; 'phénomène de Raynaud' keeps its eponym)."""
    if not label:
        return label
    head = label.split(" ", 1)[0]
    stem = re.split(r"[-/]", head, maxsplit=1)[0]  # 'Anti-Jo-1' is lowered, 'TmP/DFG' is not
    if len(head) > 1 and (head[1].isupper() or head[1].isdigit() or any(c.isupper() for c in stem[2:])):
        return label  # an acronym, or a symbol with capitals inside it ('TmP/DFG', 'CaSR')
    return label[0].lower() + label[1:]


def de(label: str) -> str:
    """'de sclérodermie', 'd'obésité' (the label lowered as inside a sentence)."""
    text = lower_first(label)
    return f"d'{text}" if elides(text) else f"de {text}"


def french_forms(label: str, gender: str, plural: bool) -> dict[str, str]:
    """A French label with the articles its gender and number call for, inside a sentence.

    ``label`` 'cuisse', ``de_label`` 'de cuisse' / 'd'épaule', ``un_label`` 'une cuisse' /
    'des papules', ``le_label`` 'la cuisse' / 'l'épaule' / 'les viscères', ``a_label``
    'à la cuisse' / 'au coude' / 'à l'épaule' / 'aux pieds'.
    """
    text = lower_first(label)
    vowel = elides(text)
    if plural:
        un, le, a = "des ", "les ", "aux "
    elif vowel:
        un, le, a = ("une " if gender == "f" else "un "), "l'", "à l'"
    else:
        un, le, a = ("une ", "la ", "à la ") if gender == "f" else ("un ", "le ", "au ")
    return {
        "label": text,
        "de_label": de(label),
        "un_label": un + text,
        "le_label": le + text,
        "a_label": a + text,
    }


# English labels whose first word is a proper name, kept capitalised inside a sentence
_EN_EPONYMS = ("Gottron", "Raynaud", "Ehlers", "Achilles", "Sharp", "Gronblad", "Winer", "Porter")


def english_inline(label: str) -> str:
    """An English label as it reads inside a sentence ('raynaud' keeps its capital: 'Raynaud phenomenon')."""
    if label.startswith(_EN_EPONYMS):
        return label
    return lower_first(label)


def os_reason(exc: OSError, lang: str) -> str:
    """Why the system refused a file: its own words in English, the error's code in French."""
    if lang != "fr":
        return exc.strerror or str(exc)
    import errno

    code = errno.errorcode.get(exc.errno or 0, str(exc.errno))
    return message("err_os", lang, errno=code, reason=exc.strerror or "")
