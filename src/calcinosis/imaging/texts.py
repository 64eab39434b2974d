"""The texts of imaging in English and French: its errors (``err_*``), the assumptions a result
records, its disclaimer and the messages of the imaging commands, all in ``messages.yaml`` of this
package (French typography applied when read).

A text kept as a key and its values (:class:`Text`, :class:`calcinosis.errors.ImagingError`) is
said in the reader's language when it is shown: in French a number takes the decimal comma and
the narrow no-break space between thousands (``{count:,}`` gives '524 288', ``{dz:g}`` '2,5');
strings (file names, DICOM tags, a library's own words) are shown as they are, and a value that
is itself a :class:`Text` or :class:`Numbers` is said in the same language.

.. versionadded:: 2026.12
"""

from __future__ import annotations

import numbers
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, TypeGuard

__all__ = ["Listed", "Numbers", "Text", "imaging_messages", "is_key", "render", "said", "say"]

_NNBSP = "\u202f"
_FR_NUMBER = str.maketrans({",": _NNBSP, ".": ","})
_KEY = re.compile(r"[a-z][a-z0-9_]*")


@cache
def imaging_messages() -> dict[str, dict[str, str]]:
    """The table of this package's ``messages.yaml`` (key -> {en, fr}), its French typeset.

    Read once a process and kept in the cache folder as JSON, under a key made of the sizes and
    modification times of the file and of the code that typesets it (as ``calcinosis.i18n``
    keeps the main table): a measurement does not parse YAML at each start.
    """
    from calcinosis import i18n
    from calcinosis._version import __version__
    from calcinosis.cache import cached_table, files_key

    source = resources.files("calcinosis.imaging") / "messages.yaml"
    key = files_key("imaging-messages", [__version__], [Path(str(source)), Path(__file__), Path(i18n.__file__)])
    return cached_table("imaging-messages", key, _is_table, lambda: _typeset(source.read_text(encoding="utf-8")))


def _typeset(text: str) -> dict[str, dict[str, str]]:
    import yaml

    from calcinosis.i18n import french_typography

    data: dict[str, dict[str, str]] = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    for entry in data.values():
        entry["fr"] = french_typography(entry["fr"])
    return data


def _is_table(data: object) -> TypeGuard[dict[str, dict[str, str]]]:
    return isinstance(data, dict) and all(
        isinstance(entry, dict) and isinstance(entry.get("en"), str) and isinstance(entry.get("fr"), str)
        for entry in data.values()
    )


def is_key(text: str) -> bool:
    """Whether ``text`` is a key of the table (rather than a message written out)."""
    return bool(_KEY.fullmatch(text)) and text in imaging_messages()


def _is_number(value: object) -> bool:
    return isinstance(value, numbers.Number) and not isinstance(value, bool)


class _Formatter(string.Formatter):
    """``str.format`` in a language: numbers with the language's separators, texts said in it."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def format_field(self, value: Any, format_spec: str) -> Any:
        if isinstance(value, Text | Numbers | Listed):
            return format(value.text(self.lang), format_spec)
        shown = format(value, format_spec)
        if self.lang == "fr" and _is_number(value):
            return shown.translate(_FR_NUMBER)
        return shown


def render(key: str, lang: str, values: Mapping[str, Any]) -> str:
    """The message ``key`` in ``lang`` (en or fr) with ``values`` (see the module docstring)."""
    template = imaging_messages()[key]["fr" if lang == "fr" else "en"]
    return _Formatter("fr" if lang == "fr" else "en").vformat(template, (), values) if values else template


def say(key: str, lang: str, /, **values: object) -> str:
    """A message of the imaging commands in ``lang`` (en or fr)."""
    return render(key, lang, values)


def said(text: object, lang: str) -> str:
    """``text`` in ``lang``: a :class:`Text` or :class:`Numbers` said in it, anything else as it is."""
    if isinstance(text, Text | Numbers | Listed):
        return text.text(lang)
    return str(text)


class Text(str):
    """A text kept as its message key and values: the string itself is the English text (so that
    it reads as before wherever a string is expected), :meth:`text` says it in any language.

    The assumptions a reader records on a :class:`~calcinosis.imaging.volume.Volume` are such
    texts; a measurement says them in the caller's language.
    """

    key: str
    values: dict[str, Any]

    def __new__(cls, key: str, /, **values: Any) -> Text:
        self = super().__new__(cls, render(key, "en", values))
        self.key = key
        self.values = values
        return self

    def __getnewargs_ex__(self) -> tuple[tuple[str], dict[str, Any]]:  # copies and pickles keep the key
        return (self.key,), dict(self.values)

    def text(self, lang: str) -> str:
        """The text in ``lang`` (en or fr)."""
        return render(self.key, lang, self.values)


@dataclass(frozen=True)
class Numbers:
    """Numbers shown one after the other ('0.5, 0.5, 2.5'; '0,5 ; 0,5 ; 2,5' in French, where the
    comma is the decimal mark) or with another separator (' x ')."""

    values: tuple[float, ...]
    spec: str = "g"
    sep: str = ", "

    def text(self, lang: str) -> str:
        formatter = _Formatter("fr" if lang == "fr" else "en")
        sep = f"{_NNBSP}; " if lang == "fr" and self.sep == ", " else self.sep
        return sep.join(formatter.format_field(v, self.spec) for v in self.values)

    def __str__(self) -> str:
        return self.text("en")


@dataclass(frozen=True)
class Listed:
    """Texts shown one after the other, each in the language of the message ('3 slices, 2 slices')."""

    items: tuple[object, ...]
    sep: str = ", "

    def text(self, lang: str) -> str:
        return self.sep.join(said(item, lang) for item in self.items)

    def __str__(self) -> str:
        return self.text("en")
