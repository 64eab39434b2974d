"""The one exception tree of calcinosis.

::

    CalcinosisError
    ├── KnowledgeBaseError        the knowledge files are missing, malformed or inconsistent
    │   └── UnknownEntityError    a diagnosis / feature id that the knowledge base lacks (also a KeyError)
    ├── CaseValidationError       a case file cannot be read or breaks the case format
    ├── ImagingError              an image study cannot be read or measured
    └── OutputError               an output would overwrite an input or an existing file, or cannot be written

Every exception carries its context as attributes (``.issues``, ``.path``,
``.entity_id``) and a message that says what to do next. Callers that show errors to
people (the CLI, later the REST API) print ``str(error)``; nothing needs a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from calcinosis.issues import Issue

__all__ = [
    "CalcinosisError",
    "CaseValidationError",
    "ImagingError",
    "KnowledgeBaseError",
    "LocalisedValueError",
    "OutputError",
    "UnknownEntityError",
]


class CalcinosisError(Exception):
    """Base of every error raised by calcinosis."""


class LocalisedValueError(ValueError):
    """A validation message kept as a ``messages.yaml`` key and its values, so that the reader
    of a case can say it in the user's language; ``str()`` is the English text."""

    def __init__(self, key: str, /, *, at: str = "", **values: object) -> None:
        self.key = key
        self.values = values
        # the case path the message is about, for a check of the whole case (pydantic gives a
        # model validator's error no location: a batch reject of a duration longer than the
        # patient's life named no column)
        self.at = at
        super().__init__(self.text("en"))

    def text(self, lang: str) -> str:
        """The message in ``lang`` (numbers as ``{:g}`` in English, with the decimal comma in French)."""
        from calcinosis.i18n import decimal, message

        def shown(v: object) -> object:
            if isinstance(v, float):
                return decimal(v, lang, 6) if lang == "fr" else f"{v:g}"
            return v

        return message(self.key, lang, **{k: shown(v) for k, v in self.values.items()})


class _IssueCarrier(CalcinosisError):
    """An error made of one or more located issues (rendered in ``lang``, 'en' or 'fr')."""

    def __init__(
        self, summary: str, *, issues: Sequence[Issue] = (), path: Path | str | None = None, lang: str = "en"
    ) -> None:
        self.issues: list[Issue] = list(issues)
        self.path = Path(path) if path is not None else None
        lines = [summary]
        lines.extend(f"  - {issue.render(lang)}" for issue in self.issues)
        super().__init__("\n".join(lines))


class KnowledgeBaseError(_IssueCarrier):
    """The knowledge base cannot be loaded or is inconsistent."""


class UnknownEntityError(KnowledgeBaseError, KeyError):
    """A diagnosis, feature or reference id that the knowledge base does not hold."""

    def __init__(self, summary: str, *, entity_id: str, close: Sequence[str] = (), kind: str = "") -> None:
        self.entity_id = entity_id
        self.close = list(close)
        self.kind = kind  # "diagnosis", "feature"... ("" when not said)
        hint = f"; did you mean: {', '.join(close)}?" if close else ""
        super().__init__(summary + hint)

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])

    def text(self, lang: str) -> str:
        """The message in ``lang`` (the English one when the kind of entity is not known)."""
        from calcinosis.i18n import message

        if lang != "fr" or not self.kind:
            return str(self)
        hint = message("err_did_you_mean", lang, close=", ".join(self.close)) if self.close else ""
        return message(f"err_unknown_{self.kind}", lang, id=repr(self.entity_id)) + hint


class CaseValidationError(_IssueCarrier):
    """A case file cannot be read, or breaks case format version 1."""


class ImagingError(_IssueCarrier):
    """An image study cannot be read or measured (missing slices, mixed series, no spacing...).

    The message is kept as a key of ``calcinosis/imaging/messages.yaml`` (``err_*``) and its
    values, so that it is said in the reader's language (:meth:`text`); ``str()`` is the English
    text. ``path``, when given, is also the value of the message's ``{path}``. A message that is
    no key of that table is shown as it is, in every language.
    """

    def __init__(
        self, key: str, /, *, issues: Sequence[Issue] = (), path: Path | str | None = None, **values: object
    ) -> None:
        self.key = key
        self.values: dict[str, object] = ({"path": path} if path is not None else {}) | values
        super().__init__(self._summary("en"), issues=issues, path=path)

    def _summary(self, lang: str) -> str:
        from calcinosis.imaging.texts import is_key, render

        return render(self.key, lang, self.values) if is_key(self.key) else self.key

    def text(self, lang: str) -> str:
        """The message in ``lang`` (en or fr), with its issues: numbers with the language's decimal
        mark, file names and tags as they are."""
        lines = [self._summary(lang)]
        lines.extend(f"  - {issue.render(lang)}" for issue in self.issues)
        return "\n".join(lines)

    def with_values(self, values: dict[str, object]) -> ImagingError:
        """The same error said with other ``values`` (a private folder's name hidden...), its issues kept."""
        given: dict[str, Any] = dict(values)
        path = given.pop("path", None)
        return type(self)(self.key, issues=self.issues, path=path, **given)


class OutputError(_IssueCarrier):
    """An output cannot be written safely (it is an input, exists without --force, is a link...)."""
