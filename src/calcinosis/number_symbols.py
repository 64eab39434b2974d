"""English and French number symbols as Babel gives them, kept between runs.

Babel reads a locale's whole CLDR data the first time any of it is asked for: for British
English the pickles of ``root``, ``en`` and ``en_GB`` (370 kB), which also import
``babel.dates`` and look up the local time zone. That took 35 ms of every start of the command
line (a third of what a command adds to its imports, issue #17) for the one thing the output
needs from it: how to write a number. Writing a number needs only the locale's number symbols
(decimal and group separators, percent and minus signs) and its percent pattern. They are read
from Babel once, cached as JSON beside the compiled knowledge (under a key made of Babel's
version and this module), and numbers are still written by Babel's own ``NumberPattern``,
given a locale that holds those symbols and nothing else.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TypedDict, TypeGuard

import babel
from babel import Locale
from babel.localedata import LocaleDataDict

from calcinosis.cache import cached_table, files_key

__all__ = ["NumbersOnlyLocale", "number_locale"]

# the locale that writes each language's numbers
_LOCALES = {"en": ("en", "GB"), "fr": ("fr", "FR")}
_NUMBERING_SYSTEM = "latn"  # Babel's default for NumberPattern.apply


class _Entry(TypedDict):
    symbols: dict[str, str]  # Babel's name of each symbol ('decimal', 'group', 'percentSign', ...)
    percent: str  # the percent pattern


class NumbersOnlyLocale(Locale):
    """A Babel locale that holds its number symbols and nothing else.

    Given to Babel's ``NumberPattern.apply``, which reads only ``number_symbols`` from the
    locale: any other question about the locale (its names, its dates) raises ``KeyError``
    rather than loading the CLDR data this class exists to avoid. ``_data`` is the private
    property where Babel's ``Locale`` keeps that data; ``tests/test_cold_start_numbers.py``
    compares every number written this way with Babel's full locale, so a Babel that changes it
    fails there rather than writing numbers differently.
    """

    def __init__(self, language: str, territory: str, symbols: dict[str, str]) -> None:
        super().__init__(language, territory)
        self._numbers = LocaleDataDict({"number_symbols": {_NUMBERING_SYSTEM: dict(symbols)}})

    @property
    def _data(self) -> LocaleDataDict:
        return self._numbers


@cache
def number_locale(lang: str) -> tuple[NumbersOnlyLocale, str]:
    """The locale that writes numbers in ``lang`` ('fr', else English) and its percent pattern
    as CLDR writes it ('#,##0 %' with a no-break space in French, '#,##0%' in English)."""
    language = "fr" if lang == "fr" else "en"
    entry = _symbols()[language]
    return NumbersOnlyLocale(*_LOCALES[language], entry["symbols"]), entry["percent"]


def _symbols() -> dict[str, _Entry]:
    """Each language's number symbols and percent pattern: from the cache, else from Babel."""
    return cached_table("numbers", _key(), _is_table, _from_babel)


def _from_babel() -> dict[str, _Entry]:
    """The symbols and percent pattern read from Babel's full locale data (the slow path)."""
    table: dict[str, _Entry] = {}
    for language, parts in _LOCALES.items():
        full = Locale(*parts)
        symbols = full.number_symbols[_NUMBERING_SYSTEM]
        table[language] = {
            "symbols": {name: str(symbols[name]) for name in symbols},
            "percent": str(full.percent_formats[None].pattern),
        }
    return table


def _key() -> str | None:
    """The cache key: Babel's version and the path, size and modification time (ns) of this
    module; None when the module cannot be read."""
    return files_key("numbers", [babel.__version__], [Path(__file__)])


def _is_table(data: object) -> TypeGuard[dict[str, _Entry]]:
    """Whether ``data`` holds, for each language, a table of symbols and a percent pattern."""
    if not isinstance(data, dict) or set(data) != set(_LOCALES):
        return False
    for entry in data.values():
        if not isinstance(entry, dict) or not isinstance(entry.get("percent"), str):
            return False
        symbols = entry.get("symbols")
        if not isinstance(symbols, dict) or not all(isinstance(v, str) for v in symbols.values()):
            return False
    return True
