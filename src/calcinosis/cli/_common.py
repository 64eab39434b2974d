"""Helpers shared by the CLI commands: error handling, language, knowledge-base loading."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer

if TYPE_CHECKING:
    from calcinosis.kb.model import KnowledgeBase

__all__ = ["KB_OPTION", "LANG_OPTION", "check_lang", "fail", "handles_errors", "keep_no_break_spaces", "load", "safe"]

F = TypeVar("F", bound=Callable[..., Any])

LANG_OPTION = typer.Option("en", "--lang", "-l", help="Language of labels and text: en or fr.")
KB_OPTION = typer.Option(None, "--kb", help="Knowledge-base folder (default: the bundled one).")


def safe(text: object, limit: int = 120) -> str:
    """Untrusted text (a case id, a path) ready for rich: no control characters, markup escaped, bounded."""
    from rich.markup import escape

    from calcinosis.textsafe import plain

    return escape(plain(text, limit=limit, newlines=False))


def keep_no_break_spaces() -> None:
    """Make rich wrap lines at breakable spaces only.

    rich breaks a line at any Unicode space, the no-break ones of French typography included
    (U+00A0 before ':', U+202F before ';', '?', '!'), so a ':' could start a line. Its word
    pattern (``rich._wrap.re_word``, read at each wrap) is made to keep them inside words; a
    rich without that pattern is left as it is.
    """
    import re

    try:
        from rich import _wrap
    except ImportError:  # pragma: no cover - depends on the rich version
        return
    if hasattr(_wrap, "re_word"):
        _wrap.re_word = re.compile(r"[^\S\u00a0\u202f]*[\S\u00a0\u202f]+[^\S\u00a0\u202f]*")


def fail(message: object, lang: str = "en") -> typer.Exit:
    """Print ``error: message`` once on stderr (control characters removed) and return Exit(2) to raise."""
    from calcinosis.i18n import message as say
    from calcinosis.textsafe import plain

    typer.echo(f"{say('err_prefix', lang)}{plain(message)}", err=True)
    return typer.Exit(2)


def handles_errors(func: F) -> F:
    """Print expected errors (bad input, bad knowledge) as one clear message, in the command's
    ``--lang``, and exit 2."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from calcinosis.errors import CalcinosisError, ImagingError, UnknownEntityError

        lang = "fr" if kwargs.get("lang") == "fr" else "en"
        try:
            return func(*args, **kwargs)
        except (UnknownEntityError, ImagingError) as exc:  # said in the command's language
            raise fail(exc.text(lang), lang) from None
        except CalcinosisError as exc:
            raise fail(exc, lang) from None

    return wrapper  # type: ignore[return-value]


def check_lang(lang: str) -> str:
    """Accept en/fr only, with a clear message otherwise."""
    if lang not in ("en", "fr"):
        raise fail(f"--lang must be en or fr, not {lang!r}")
    return lang


def load(kb_path: Path | None) -> KnowledgeBase:
    """Load the knowledge base once for a command."""
    from calcinosis.kb.loader import load_kb

    return load_kb(kb_path)
