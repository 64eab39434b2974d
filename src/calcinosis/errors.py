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

from calcinosis.issues import Issue

__all__ = [
    "CalcinosisError",
    "CaseValidationError",
    "ImagingError",
    "KnowledgeBaseError",
    "OutputError",
    "UnknownEntityError",
]


class CalcinosisError(Exception):
    """Base of every error raised by calcinosis."""


class _IssueCarrier(CalcinosisError):
    """An error made of one or more located issues."""

    def __init__(self, summary: str, *, issues: Sequence[Issue] = (), path: Path | str | None = None) -> None:
        self.issues: list[Issue] = list(issues)
        self.path = Path(path) if path is not None else None
        lines = [summary]
        lines.extend(f"  - {issue.render()}" for issue in self.issues)
        super().__init__("\n".join(lines))


class KnowledgeBaseError(_IssueCarrier):
    """The knowledge base cannot be loaded or is inconsistent."""


class UnknownEntityError(KnowledgeBaseError, KeyError):
    """A diagnosis, feature or reference id that the knowledge base does not hold."""

    def __init__(self, summary: str, *, entity_id: str, close: Sequence[str] = ()) -> None:
        self.entity_id = entity_id
        self.close = list(close)
        hint = f"; did you mean: {', '.join(close)}?" if close else ""
        super().__init__(summary + hint)

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class CaseValidationError(_IssueCarrier):
    """A case file cannot be read, or breaks case format version 1."""


class ImagingError(_IssueCarrier):
    """An image study cannot be read or measured (missing slices, mixed series, no spacing...)."""


class OutputError(_IssueCarrier):
    """An output cannot be written safely (it is an input, exists without --force, is a link...)."""
