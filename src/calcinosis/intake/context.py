"""What both language engines return: sentences, and the context of each mention.

The engines (``french.py``, ``english.py``) differ in how they judge a mention — negated,
hypothetical, about a relative, historical — but return the same :class:`Analysis`, so the
rest of the intake does not depend on the language. When several qualifiers apply, the
first of family, hypothesis, negation, history wins: what a relative has is not the
patient's, whether affirmed or denied; "no suspicion of" is rare next to "suspicion of no".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from calcinosis.intake.lexicon import fold
from calcinosis.intake.result import Cue, Status

__all__ = ["Analysis", "Context", "PhraseCues", "joined_numbers", "resolve_status"]

# the kinds of mention (the lexicon's lists) that a test's result is said of, and those of a
# diagnosis and of a symptom or sign: a list's scope is judged by them (english.py _own_clause,
# french.py _plural_denials)
TESTS = frozenset({"antibodies", "lab", "lab_group", "genetics"})
DIAGNOSES = frozenset({"conditions"})
SIGNS = frozenset({"findings"})


def head_diagnosis(
    folded: str, span: tuple[int, int], kind: frozenset[str], nxt: frozenset[str], sent: tuple[int, int]
) -> bool:
    """Whether a mention is a diagnosis named at the head of its sentence and what follows it,
    after a bare comma, is a symptom or sign: "Dermatomyosite, fièvre et prurit absents",
    "Dermatomyositis, fever and pruritus were absent". Such a sentence names the disease and
    then its state (the way a clinician heads a line with the diagnosis, as "Known X, ..."
    does in words); a denial said of the symptoms after it is not the disease's. A list that
    is all diagnoses, or all symptoms, or joined to the diagnosis by "and"/"et", stays a list."""
    return (
        bool(kind & DIAGNOSES)
        and not kind & SIGNS
        and bool(nxt & SIGNS)
        and not nxt & DIAGNOSES
        and re.fullmatch(r"[\s*\-•]*", folded[sent[0] : span[0]]) is not None
    )


@dataclass(frozen=True)
class Context:
    """The status of one mention and the cue that set it (None: plainly stated)."""

    status: Status = "present"
    cue: Cue | None = None


@dataclass(frozen=True)
class Analysis:
    """Sentences of a chunk (absolute offsets) and the context of each mention, in order."""

    sentences: list[tuple[int, int]]
    contexts: list[Context]


def joined_numbers(text: str, sentences: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The sentences with those cut inside a number joined again: edsnlp ends a sentence at the
    dot of "CK 1.200,5 UI/l" ("CK 1." and "200,5 UI/l."), and the value then lost its digits
    after the dot (read 1 U/L). A cut right after a digit and a dot, with the next sentence
    starting on a digit without a space, is inside a number. Offsets are into ``text``."""
    out: list[tuple[int, int]] = []
    for a, b in sentences:
        if (
            out
            and out[-1][1] == a
            and a >= 2
            and text[a - 1] == "."
            and text[a - 2].isdigit()
            and a < len(text)
            and text[a].isdigit()
        ):
            out[-1] = (out[-1][0], b)
            continue
        out.append((a, b))
    return out


_ORDER: tuple[tuple[str, Status], ...] = (
    ("family", "family"),
    ("hypothesis", "hypothetical"),
    ("negation", "absent"),
    ("history", "historical"),
)


def resolve_status(cues: dict[str, Cue | None]) -> Context:
    """One status from the qualifiers that fired (family > hypothesis > negation > history)."""
    for kind, status in _ORDER:
        cue = cues.get(kind)
        if cue is not None:
            return Context(status, cue)
    return Context()


class PhraseCues:
    """Cue phrases found on folded text with word boundaries (a small ConText-style matcher).

    ``find`` returns every occurrence in a text as (start, end, phrase), longest phrase first
    where two start at the same place.
    """

    def __init__(self, phrases: Iterable[str]) -> None:
        folded = sorted({fold(p).strip() for p in phrases if p.strip()}, key=lambda p: (-len(p), p))
        if not folded:
            self._re: re.Pattern[str] | None = None
            return
        parts = []
        for p in folded:
            body = re.escape(p).replace(r"\ ", r"\s+")
            left = r"(?<!\w)" if p[0].isalnum() else ""
            right = r"(?!\w)" if p[-1].isalnum() else ""
            parts.append(left + body + right)
        self._re = re.compile("|".join(parts))

    def find(self, folded_text: str) -> list[tuple[int, int, str]]:
        """Occurrences in ``folded_text`` (already folded with :func:`fold`, same length)."""
        if self._re is None:
            return []
        return [(m.start(), m.end(), m.group()) for m in self._re.finditer(folded_text)]


def fold_same_length(text: str) -> str:
    """``fold`` character by character, so offsets stay those of ``text``."""
    out = []
    for ch in text:
        f = fold(ch)
        out.append(f[0] if len(f) == 1 else (f[:1] or " "))
    return "".join(out)


def in_scope(span: tuple[int, int], cues: Sequence[tuple[int, int, str]], stops: Sequence[int]) -> bool:
    """Whether a mention lies in the scope of any cue: nothing but no stop between them."""
    return any(_between_clear(span, cue, stops) for cue in cues)


def _between_clear(span: tuple[int, int], cue: tuple[int, int, str], stops: Sequence[int]) -> bool:
    if cue[1] <= span[0]:
        low, high = cue[1], span[0]
    elif span[1] <= cue[0]:
        low, high = span[1], cue[0]
    else:
        return False
    return not any(low <= s < high for s in stops)


# a relative at the head of its clause: nothing before it but a determiner since the sentence's
# start, a punctuation mark or a bullet ("Sa mère, ...", "His mother, who ...", "- Père : goutte")
_HEAD = re.compile(
    r"(?:^|[.;:,\n(*\-•])\s*(?:(?:his|her|their|its|our|the|a|one|sa|son|ses|la|le|les|leur|leurs|une|un|l['’])\s*)?$"
)


def relative_scopes(
    folded: str,
    relatives: Sequence[tuple[int, int, str]],
    stops: Sequence[tuple[int, int, str]],
    sentences: Sequence[tuple[int, int]],
) -> list[tuple[int, int, tuple[int, int, str]]]:
    """What is said of a relative named at the head of a clause and followed by a comma or a colon:
    (scope start, scope end, the relative's cue).

    A family cue's scope used to stop at the comma, so "Sa mère, suivie pour une dermatomyosite,
    va bien" gave the patient the dermatomyositis (a clinical review). Written with a comma, the
    relative opens an apposition or a relative clause about itself ("His mother, who had
    dermatomyositis, is well"): the scope runs over it and the predicate after it, to the second
    comma. Written with a colon ("Père : goutte, diabète"), the relative labels what follows, to
    the clause's end (";", a new line, the sentence's end). Either stops where the patient is
    named again or a relative is the informant ("the patient", "la patiente", "il", a verb of
    telling: ``stops``), so that a clause about the patient stays the patient's. A relative
    after another word ("après le décès de son père, elle ...", "vue avec sa mère, ...") heads
    no clause and opens no scope."""
    out: list[tuple[int, int, tuple[int, int, str]]] = []
    for a, z, phrase in relatives:
        sent = next(((s, e) for s, e in sentences if s <= a < e), None)
        if sent is None or not _HEAD.search(folded[sent[0] : a]):
            continue
        if phrase.rstrip().endswith(":"):
            mark, opened = ":", z
        else:
            m = re.match(r"[ \t]*([,:])", folded[z : sent[1]])
            if m is None:
                continue
            mark, opened = m.group(1), z + m.end()
        end = sent[1]
        for sign in (";", "\n"):
            k = folded.find(sign, opened, end)
            end = k if k >= 0 else end
        if mark == ",":
            closing = folded.find(",", opened, end)
            after = folded.find(",", closing + 1, end) if closing >= 0 else -1
            end = after if after >= 0 else end
        end = min([s for s, _, _ in stops if opened <= s < end], default=end)
        out.append((opened, end, (a, z, phrase)))
    return out
