"""Located validation issues, collected rather than raised one by one.

Case and knowledge-base checks return lists of :class:`Issue`; the caller decides what is
fatal (errors) and what is shown beside the result (warnings). Modelled on LIRICAL's
sanity issues and pydicom's validation modes.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

__all__ = ["Issue", "IssueLevel", "closest", "normalise_term"]


class IssueLevel(StrEnum):
    """How serious an issue is: errors stop the run, warnings travel with the result."""

    ERROR = "error"
    WARNING = "warning"


class Issue(BaseModel):
    """One problem, where it is, and what would fix it."""

    model_config = ConfigDict(frozen=True)

    level: IssueLevel
    code: str
    message: str
    location: str = ""
    expected: str = ""
    suggestions: list[str] = []

    @classmethod
    def error(
        cls, code: str, message: str, location: str = "", *, expected: str = "", suggestions: list[str] | None = None
    ) -> Issue:
        """An error issue."""
        return cls(
            level=IssueLevel.ERROR,
            code=code,
            message=message,
            location=location,
            expected=expected,
            suggestions=suggestions or [],
        )

    @classmethod
    def warning(cls, code: str, message: str, location: str = "") -> Issue:
        """A warning issue."""
        return cls(level=IssueLevel.WARNING, code=code, message=message, location=location)

    def render(self, lang: str = "en", *, located: bool = True) -> str:
        """One line for people: location, message, what was expected, what is close (in ``lang``).
        ``located=False`` leaves the case-file location out, for a page a clinician reads: the
        message names the test or the term, and 'labs[0]:' or 'exposures[1]:' read as internal
        jargon (two clinical reviews); the terminal and the JSON keep it, to edit the file."""
        from calcinosis.i18n import message

        where = message("issue_location", lang, location=self.location) if self.location and located else ""
        parts = [where, self.message]
        if self.expected:
            parts.append(message("issue_expected", lang, expected=self.expected))
        if self.suggestions:
            parts.append(message("issue_closest", lang, terms=", ".join(self.suggestions)))
        return "".join(parts)


# the separators folded to '_' (str.translate: one pass instead of a replace per sign)
_SEPARATORS = str.maketrans(dict.fromkeys(" -'’/.,()", "_"))


def normalise_term(text: str) -> str:
    """Fold case, accents, spaces and hyphens so that 'Sclérodermie  systémique' matches.

    ASCII text has no accent to take off (NFKD leaves it as it is), so only other text is
    decomposed: the knowledge base folds a thousand terms on every start.
    """
    folded = text.strip().lower()
    if not folded.isascii():
        folded = "".join(ch for ch in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(ch))
    folded = folded.translate(_SEPARATORS)
    while "__" in folded:
        folded = folded.replace("__", "_")
    return folded.strip("_")


def closest(word: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """The known terms nearest to ``word``, for 'did you mean' messages."""
    pool = list(candidates)
    found = difflib.get_close_matches(normalise_term(word), pool, n=n, cutoff=0.6)
    if not found:
        found = [c for c in pool if normalise_term(word) in c or c in normalise_term(word)][:n]
    return found
