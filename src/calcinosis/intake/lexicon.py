"""The intake lexicon: every spelling that names a case term, compiled into one token matcher.

Spellings come from the vocabulary (English and French labels, aliases) and from
``knowledge/intake.yaml`` (synonyms, abbreviations, lab names, imaging phrases). Both the
note and the spellings are cut into words the same way and each word is folded to a *key*:
lower case, no accents, ligatures opened (œ → oe), and French and English plurals and
feminine endings removed (``digitaux`` → ``digital``, ``sous-cutanées`` → ``sous cutane``), so
one spelling covers its inflections. Small words (de, du, des, la, le, l', of, the) are
skipped on both sides, so "douleur de l'épaule" meets "douleur d'épaule". Matching is greedy,
longest first, left to right, so "ulcères digitaux" wins over "ulcères".

Short abbreviations are case-sensitive: a spelling of at most four letters taken from the
vocabulary's aliases, or written with two capitals in the lexicon (SSc, DM, LES, IRC, HD),
matches only a word the note writes with capitals, because "les", "dm" or "us" in lower case
are ordinary words.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import yaml

from calcinosis.kb.vocabulary import Vocabulary

__all__ = [
    "CONCEPT_LISTS",
    "IntakeDataError",
    "Lexicon",
    "Match",
    "Target",
    "Token",
    "check_intake_text",
    "fold",
    "intake_cached",
    "intake_data",
    "key",
    "tokens",
    "use_intake_of",
]

# vocabulary lists whose terms are found as concepts (labs are found with their values, measure.py)
CONCEPT_LISTS = (
    "conditions",
    "exposures",
    "findings",
    "sites",
    "tissues",
    "patterns",
    "distributions",
    "modalities",
    "antibodies",
    "genetics",
)
_WORD = re.compile(r"[^\W_]+")
_SMALL = frozenset({"de", "d", "du", "des", "la", "le", "l", "les", "of", "the"})
# laterality changes neither the site nor the finding ("neck of the right femur" is a femoral
# neck, "épaule gauche" a shoulder): skipped like the small words, on both sides
_SIDE = frozenset({"droit", "droite", "droits", "droites", "gauche", "gauches", "right", "left"})
_SKIP = _SMALL | _SIDE
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss", "µ": "u", "μ": "u"})


_F = TypeVar("_F", bound=Callable[..., Any])
_CLEARS: list[Callable[[], None]] = []  # the caches of every table built from the intake data
# the intake data in use: its text (None: not read yet) and the file's stamp when it was chosen
_SOURCE: dict[str, Any] = {"text": None, "stamp": None, "data": None}


def intake_cached(fn: _F) -> _F:
    """``functools.cache`` for a table built from the intake data: dropped when another
    knowledge folder's ``intake.yaml`` is put in use (:func:`use_intake_of`)."""
    held = cache(fn)
    _CLEARS.append(held.cache_clear)
    return held  # type: ignore[return-value]


def on_intake_change(clear: Callable[[], None]) -> None:
    """Register another holder of tables built from the intake data (cleared with the caches)."""
    _CLEARS.append(clear)


def _bundled_text() -> str:
    return (resources.files("calcinosis") / "knowledge" / "intake.yaml").read_text(encoding="utf-8")


class IntakeDataError(ValueError):
    """A knowledge folder's ``intake.yaml`` cannot be read: where, what was found, what was
    expected. ``key`` and ``values`` name the message of ``intake/messages.yaml`` that says so
    (shown through ``IntakeError``, in the reader's language)."""

    def __init__(self, key: str, **values: object) -> None:
        self.key = key
        self.values = values
        super().__init__(key, values)


# the kinds of value a key of intake.yaml holds, as the messages name them
_KINDS = {dict: "table", list: "list", str: "text", int: "number", float: "number", bool: "yes_no", type(None): "empty"}


def _kinds(data: Mapping[str, Any]) -> dict[str, str]:
    return {k: _KINDS.get(type(v), "other") for k, v in data.items()}


def check_intake_text(text: str, source: str) -> dict[str, Any]:
    """Parse an ``intake.yaml`` and check it has every top-level key of the bundled one with the
    same kind of value (a table, a list, a number); return it, or raise :class:`IntakeDataError`
    saying where and what was expected (a YAML error gives its line and column)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(text, Loader=loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise IntakeDataError(
            "intake_lexicon_yaml",
            file=source,
            line=mark.line + 1 if mark is not None else "?",
            column=mark.column + 1 if mark is not None else "?",
            problem=getattr(exc, "problem", None) or str(exc).splitlines()[0],
        ) from None
    if not isinstance(data, dict):
        raise IntakeDataError(
            "intake_lexicon_not_table", file=source, found=_KINDS.get(type(data), type(data).__name__)
        )
    bundled, found = _kinds(yaml.load(_bundled_text(), Loader=loader)), _kinds(data)
    missing = [k for k in bundled if k not in found]
    if missing:
        raise IntakeDataError("intake_lexicon_missing", file=source, keys=", ".join(missing))
    for k, kind in bundled.items():
        if found[k] != kind:
            raise IntakeDataError("intake_lexicon_kind", file=source, name=k, expected=kind, found=found[k])
    return data


def use_intake_of(folder: Path | None) -> None:
    """Read notes with the intake data of the knowledge folder ``folder`` from now on (its
    ``intake.yaml``; the bundled one when the folder has none or is None).

    Why: ``--kb`` gives a whole knowledge folder, the lexicon included; without this, a copy of
    the knowledge under review would be measured with the installed lexicon. The file is read
    again only when its path, size or time changed; when its text differs from the data in use,
    every table built from it (lexicon, context rules, unit patterns, the NLP pipelines) is
    dropped and rebuilt on the next note.

    Raises
    ------
    IntakeDataError
        The folder's ``intake.yaml`` is not readable YAML or lacks a key the intake reads.
    """
    path = folder / "intake.yaml" if folder is not None and (folder / "intake.yaml").is_file() else None
    stamp = ("bundled",) if path is None else (str(path.resolve()), path.stat().st_mtime_ns, path.stat().st_size)
    if stamp == _SOURCE["stamp"]:
        return
    text = _bundled_text() if path is None else path.read_text(encoding="utf-8")
    if text == _SOURCE["text"]:
        _SOURCE["stamp"] = stamp
        return
    # a bad file raises here and leaves the data in use as it was; a good one is parsed once
    checked = check_intake_text(text, str(path)) if path is not None and text != _bundled_text() else None
    _SOURCE["stamp"] = stamp
    _SOURCE["text"] = text
    for clear in _CLEARS:
        clear()
    _SOURCE["data"] = checked


@intake_cached
def intake_data() -> dict[str, Any]:
    """The intake data in use (``knowledge/intake.yaml`` unless :func:`use_intake_of` chose
    another folder's), read once with the C YAML loader (a read-only table)."""
    if _SOURCE.get("data") is not None:
        checked: dict[str, Any] = _SOURCE["data"]  # parsed when another folder's file was checked
        return checked
    if _SOURCE["text"] is None:
        _SOURCE["text"] = _bundled_text()
    data: dict[str, Any] = yaml.load(_SOURCE["text"], Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return data


def fold(text: str) -> str:
    """Lower case without accents or ligatures ("Œdème" → "oedeme")."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES).lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def key(word: str) -> str:
    """The folded word without its plural or feminine ending, so inflections share one key."""
    k = fold(word)
    if len(k) > 4 and k.endswith("aux"):
        k = k[:-3] + "al"
    elif len(k) > 3 and k[-1] in "sx" and not k.endswith(("ss", "us", "is")):
        k = k[:-1]
    if len(k) > 4 and k.endswith("e"):
        k = k[:-1]
    if len(k) > 4 and k.endswith("eus"):  # douloureuse -> douloureus -> douloureu (= douloureux)
        k = k[:-1]
    if len(k) > 5 and k.endswith(("ienn", "ell")):  # trochantérienne -> trochantérien, artérielle -> artériel
        k = k[:-1]
    return k


@dataclass(frozen=True)
class Token:
    """One word of a text: offsets into the text, the word as written and its key."""

    start: int
    end: int
    raw: str
    key: str


def tokens(text: str, offset: int = 0) -> list[Token]:
    """The words of ``text`` (letters and digits), with offsets shifted by ``offset``."""
    return [Token(m.start() + offset, m.end() + offset, m.group(), key(m.group())) for m in _WORD.finditer(text)]


def _capitals(word: str) -> int:
    return sum(1 for ch in word if ch.isupper())


@dataclass(frozen=True)
class Target:
    """What a spelling means: a vocabulary term (``kind`` "term"), or an intake notion."""

    list_name: str  # vocabulary list, or: negated, topic, lesion, lab, lab_group, derived, imaging
    term: str
    kind: str = "term"


@dataclass(frozen=True)
class Match:
    """A spelling found in the note: its offsets, the words and what they may mean."""

    start: int
    end: int
    text: str
    targets: tuple[Target, ...]

    def first(self, *lists: str) -> Target | None:
        """The first target in one of ``lists`` (any list when none is given)."""
        for target in self.targets:
            if not lists or target.list_name in lists:
                return target
        return None


@dataclass
class _Pattern:
    keys: tuple[str, ...]
    targets: list[Target] = field(default_factory=list)
    case_sensitive: bool = False
    language: str | None = None


class Lexicon:
    """Every spelling of the vocabulary and of ``intake.yaml``, compiled for matching.

    Build it once per knowledge base (:meth:`build`); :meth:`find` is then a dictionary look-up
    per word of the note.
    """

    def __init__(self) -> None:
        self._by_first: dict[str, list[_Pattern]] = {}
        self._index: dict[tuple[str, ...], _Pattern] = {}
        self._lab_ends: set[str] = set()  # the last word of every lab name, for names glued to a value
        self.data: Mapping[str, Any] = {}

    @classmethod
    def build(cls, vocabulary: Vocabulary, data: Mapping[str, Any] | None = None) -> Lexicon:
        """The lexicon of ``vocabulary`` and the intake data (``intake.yaml`` by default)."""
        lex = cls()
        lex.data = data if data is not None else intake_data()
        skip = {fold(s) for s in lex.data.get("skip_aliases", [])}
        only = {fold(w): lang for lang, words in lex.data.get("language_only", {}).items() for w in words}
        max_letters = int(lex.data.get("abbreviation_max_letters", 4))
        for list_name in (*CONCEPT_LISTS, "labs"):
            kind_list = list_name
            for term in vocabulary.lists[list_name].values():
                for label in (term.en, term.fr):
                    lex._add(label, Target(kind_list, term.id), only=only)
                    bare = re.sub(r"\s*\([^)]*\)", "", label).strip()
                    if bare != label:
                        lex._add(bare, Target(kind_list, term.id), only=only)
                for alias in term.aliases:
                    if fold(alias) in skip:
                        continue
                    spelled = alias.replace("_", " ")
                    short = " " not in spelled and len(spelled) <= max_letters
                    lex._add(spelled, Target(kind_list, term.id), only=only, case_sensitive=short)
        for list_name, entries in lex.data.get("terms", {}).items():
            for term_id, spellings in entries.items():
                for spelling in spellings:
                    lex._add(spelling, Target(list_name, term_id), only=only)
        origin = lex.data.get("endemic_origin", {})
        for cue in origin.get("cues", []):
            for place in origin.get("places", []):
                lex._add(f"{cue} {place}", Target("exposures", "endemic_area"), only=only)
        for country in origin.get("countries", []):  # a name that means nothing else: read alone
            lex._add(country, Target("exposures", "endemic_area"), only=only)
        for finding, spec in lex.data.get("growth_verbs", {}).items():
            for spelling in _growth_phrases(spec):
                lex._add(spelling, Target("findings", finding, "growth"), only=only)
        for list_name, entries in lex.data.get("negated_forms", {}).items():
            for term_id, spellings in entries.items():
                for spelling in spellings:
                    lex._add(spelling, Target(list_name, term_id, "negated_form"), only=only)
        for list_name, entries in lex.data.get("unplaced_products", {}).items():
            for term_id, spellings in entries.items():
                for spelling in spellings:
                    lex._add(spelling, Target(list_name, term_id, "unplaced_product"), only=only)
        for list_name, entries in lex.data.get("absent_only", {}).items():
            for term_id, spellings in entries.items():
                for spelling in spellings:
                    lex._add(spelling, Target(list_name, term_id, "absent_only"), only=only)
        topic_keys: set[str] = set()
        for spelling in lex.data.get("topic", []):
            lex._add(spelling, Target("topic", "calcinosis", "topic"), only=only)
            if len(_WORD.findall(spelling)) == 1:  # the deposit nouns: calcification, deposit, ossified
                topic_keys.add(key(spelling))
        # a pattern or tissue spelling that names the deposit itself ("calcifications floues",
        # "ossified mass", "calcific tendinopathy") still names the deposit: the longest match
        # must not hide it (deposit evidence, lesion sentences, heads of sites)
        for list_name in ("patterns", "tissues"):
            for spellings in lex.data.get("terms", {}).get(list_name, {}).values():
                for spelling in spellings:
                    if any(key(w) in topic_keys for w in _WORD.findall(spelling)) and len(_WORD.findall(spelling)) > 1:
                        lex._add(spelling, Target("topic", "calcinosis", "topic"), only=only)
        for spelling in lex.data.get("lesion_words", []):
            lex._add(spelling, Target("lesion", "lesion", "lesion"), only=only)
        for test, spellings in lex.data.get("labs", {}).items():
            for spelling in spellings:
                lex._add(spelling, Target("labs", test), only=only)
        for group, spec in lex.data.get("lab_groups", {}).items():
            for spelling in spec["spellings"]:
                lex._add(spelling, Target("lab_group", group, "lab_group"), only=only)
        for word in lex.data.get("other_heads", []):
            lex._add(word, Target("other_head", "other_head", "other_head"), only=only)
        for phrase in lex.data.get("not_terms", []):
            lex._add(phrase, Target("ignored", "ignored", "ignored"), only=only)
        for test, spellings in lex.data.get("lab_value_words", {}).items():
            for spelling in spellings:
                lex._add(spelling, Target("lab_value_word", test, "lab_value_word"), only=only)
        for test, states in lex.data.get("lab_states", {}).items():
            for interp, spellings in states.items():
                for spelling in spellings:
                    lex._add(spelling, Target("lab_state", test, interp), only=only)
        for finding, spellings in lex.data.get("functions", {}).get("words", {}).items():
            for spelling in spellings:
                lex._add(spelling, Target("function", finding, "function"), only=only)
        for spelling in lex.data.get("derived_labs", []):
            lex._add(spelling, Target("derived", "calcium_phosphate_product", "derived"), only=only)
        for flag, spellings in lex.data.get("imaging", {}).items():
            for spelling in spellings:
                lex._add(spelling, Target("imaging", flag, "imaging_flag"), only=only)
        for first in lex._by_first.values():
            first.sort(key=lambda p: -len(p.keys))
        return lex

    def _add(
        self, spelling: str, target: Target, *, only: Mapping[str, str], case_sensitive: bool | None = None
    ) -> None:
        words = [w for w in _WORD.findall(spelling) if not (fold(w) in _SKIP and not w.isupper())]
        if not words:
            return
        keys = tuple(key(w) for w in words)
        if case_sensitive is None:
            case_sensitive = len(words) == 1 and (
                _capitals(words[0]) >= 2 or (len(words[0]) == 1 and words[0].isupper())
            )
        language = only.get(fold(spelling)) if len(words) == 1 else None
        index_key = (*keys, "\x00cs" if case_sensitive else "", language or "")
        pattern = self._index.get(index_key)
        if pattern is None:
            pattern = _Pattern(keys, case_sensitive=case_sensitive, language=language)
            self._index[index_key] = pattern
            self._by_first.setdefault(keys[0], []).append(pattern)
        if target not in pattern.targets:
            pattern.targets.append(target)
        if target.list_name == "labs":
            self._lab_ends.add(keys[-1])

    def find(self, text: str, lang: str, *, offset: int = 0) -> Iterator[Match]:
        """Every spelling in ``text``, longest first, left to right, without overlaps.

        Offsets are into ``text`` plus ``offset`` (the place of a chunk in the whole note).
        """
        words = self._words(text, offset)
        i = 0
        while i < len(words):
            best: _Pattern | None = None
            targets: list[Target] = []
            for pattern in self._by_first.get(words[i].key, ()):
                if best is not None and len(pattern.keys) < len(best.keys):
                    break
                if not _spelled_at(pattern, words, i, text, offset, lang):
                    continue
                if best is None:
                    best = pattern
                targets.extend(t for t in pattern.targets if t not in targets)
            if best is None:
                i += 1
                continue
            n = len(best.keys)
            start, end = words[i].start, words[i + n - 1].end
            yield Match(start, end, text[start - offset : end - offset], tuple(targets))
            i += n

    def terms_within(self, text: str, lang: str, list_name: str) -> list[str]:
        """Every term of ``list_name`` spelled in ``text``, including those inside a longer
        spelling that :meth:`find` gives to another term ("total hip replacement" names a
        surgery, and the hip), in order of appearance, each once."""
        words = self._words(text, 0)
        out: list[str] = []
        for i, word in enumerate(words):
            for pattern in self._by_first.get(word.key, ()):
                if not _spelled_at(pattern, words, i, text, 0, lang):
                    continue
                out.extend(t.term for t in pattern.targets if t.list_name == list_name and t.term not in out)
        return out

    def lab_names_within(self, text: str, lang: str, *, offset: int = 0) -> list[tuple[int, int, str]]:
        """The single tests a longer spelling names one by one, longest first, left to right,
        without overlaps: (start, end, test). "serum calcium and phosphate" is the calcium and
        phosphate panel for :meth:`find`; a list of values after it ("were 2.9 and 1.1 mmol/L")
        is that of each test it names, in the order written."""
        words = self._words(text, offset)
        out: list[tuple[int, int, str]] = []
        i = 0
        while i < len(words):
            for pattern in self._by_first.get(words[i].key, ()):
                test = next((t.term for t in pattern.targets if t.list_name == "labs"), None)
                if test is not None and _spelled_at(pattern, words, i, text, offset, lang):
                    n = len(pattern.keys)
                    out.append((words[i].start, words[i + n - 1].end, test))
                    i += n
                    break
            else:
                i += 1
        return out

    def _words(self, text: str, offset: int) -> list[Token]:
        """The words :meth:`find` matches: skipped words left out, copy artefacts mended."""
        return self._repaired(
            [t for t in tokens(text, offset) if not (fold(t.raw) in _SKIP and not t.raw.isupper())], text, offset
        )

    def _repaired(self, words: list[Token], text: str, offset: int) -> list[Token]:
        """Words mended from copy artefacts of published or scanned notes, where the lexicon agrees.

        - a word cut at a line end ("phospha-\ntases alcalines") or split after a lost "fi"/"fl"
          ligature ("calcifi cations", "fi èvre") is one word again when the joined word begins a
          spelling and its first piece does not ("sous-\ncutané" stays two words); so is a level
          prefix written apart ("normo phosphatémie", "hypo calcémie", "hyper-calcemia");
        - "anti" written against the antigen ("antiDNA", "antiJo1") is two words, as "anti-DNA";
        - a lab name glued to its value, as a table flattened into text writes it ("Creatinine14.03
          mg/dL", "Uric acid24.9", "WBC5.39"), is the name and the number, when the letters end a
          lab name and the whole word is no spelling ("FGF23" stays one word).
        """
        out: list[Token] = []
        i = 0
        while i < len(words):
            w = words[i]
            if i + 1 < len(words):
                nxt = words[i + 1]
                gap = text[w.end - offset : nxt.start - offset]
                cut = (
                    _LINE_CUT.fullmatch(gap) is not None
                    or (gap == " " and fold(w.raw).endswith(("fi", "fl")) and nxt.raw[:1].islower())
                    or (gap in (" ", "-") and fold(w.raw) in _LEVEL_PREFIXES)
                )
                joined = key(w.raw + nxt.raw)
                if cut and nxt.raw[:1].islower() and joined in self._by_first and w.key not in self._by_first:
                    out.append(Token(w.start, nxt.end, w.raw + nxt.raw, joined))
                    i += 2
                    continue
            glued = _ANTI_GLUED.match(w.raw)
            valued = _NAME_VALUE.fullmatch(w.raw)
            if (
                valued is not None
                and key(valued.group(1)) in self._lab_ends
                and w.key not in self._by_first
                and w.key not in self._lab_ends
            ):
                mid = w.start + len(valued.group(1))
                out.append(Token(w.start, mid, valued.group(1), key(valued.group(1))))
                out.append(Token(mid, w.end, valued.group(2), key(valued.group(2))))
            elif glued is not None:
                out.append(Token(w.start, w.start + 4, w.raw[:4], "anti"))
                out.append(Token(w.start + 4, w.end, w.raw[4:], key(w.raw[4:])))
            else:
                out.append(w)
            i += 1
        return out


def _growth_phrases(spec: Mapping[str, Any]) -> Iterator[str]:
    """A finding said as a verb ("had enlarged", "progressively increasing in size", "augmentant
    progressivement de taille"): every form of the verbs, with or without a manner adverb (before
    or after) and a complement of size. A verb that says growth only with an adverb or a
    complement ("increasing", "augmentant": a level increases too) needs one of them."""
    adverbs = ["", *spec.get("adverbs", [])]
    complements = ["", *spec.get("complements", [])]
    alone = set(spec.get("alone", []))
    for verb in [*spec.get("verbs", []), *alone]:
        for adverb, complement in itertools.product(adverbs, complements):
            if not adverb and not complement and verb not in alone:
                continue
            yield " ".join(w for w in (adverb, verb, complement) if w)
            if adverb:
                yield " ".join(w for w in (verb, adverb, complement) if w)


_LINE_CUT = re.compile(r"-[ \t]*\r?\n[ \t]*")
_ANTI_GLUED = re.compile(r"[Aa]nti(?=[A-Z0-9])")
_LEVEL_PREFIXES = frozenset({"hypo", "hyper", "normo"})
_NAME_VALUE = re.compile(r"([^\W\d_]{3,})(\d+)")


def _written_in_capitals(word: str) -> bool:
    return _capitals(word) >= 2 or (len(word) == 1 and word.isupper())


def _spelled_at(pattern: _Pattern, words: list[Token], i: int, text: str, offset: int, lang: str) -> bool:
    """Whether ``pattern`` is written at word ``i``: its words in a row (not across a sentence
    end), in the note's language when it has one, an abbreviation in capitals and not inside a
    model number."""
    n = len(pattern.keys)
    if i + n > len(words) or tuple(w.key for w in words[i : i + n]) != pattern.keys:
        return False
    if pattern.language is not None and pattern.language != lang:
        return False
    if pattern.case_sensitive and (
        not _written_in_capitals(words[i].raw) or (n == 1 and _in_a_code(text, words[i], offset))
    ):
        return False
    return n == 1 or _adjacent(text, words[i : i + n], offset)


def _in_a_code(text: str, word: Token, offset: int) -> bool:
    """A short abbreviation that is part of a model number or a code ("DP-30", "HD-5", "3-PD"):
    a hyphen and a digit glued to it name a device or an item, not dialysis."""
    after = text[word.end - offset : word.end - offset + 2]
    before = text[max(0, word.start - offset - 2) : word.start - offset]
    return re.fullmatch(r"-\d", after) is not None or re.fullmatch(r"\d-", before) is not None


# words of one spelling are never matched across a sentence end or a line break
_GAP = re.compile(r"[;:!?]|\.\s|\n\s*\n")


def _adjacent(text: str, words: Sequence[Token], offset: int) -> bool:
    for a, b in itertools.pairwise(words):
        gap = text[a.end - offset : b.start - offset]
        if len(gap) > 24 or _GAP.search(gap):  # room for skipped words: 'of the right'
            return False
    return True
