"""English notes: negspacy's NegEx for negation, ConText-style cue rules for the rest.

Decision (measured on 26 English mentions in 19 sentences of our own, listed in docs/intake.md):

- medspaCy's ConText would do negation, hypothesis, family and history in one component, but
  it cannot be installed beside edsnlp (it needs spaCy < 3.8, edsnlp needs >= 3.8.7).
- negspacy 1.1 (NegEx, ``en_clinical`` termset) runs on ``spacy.blank("en")`` with no model.
  With its termset as shipped it judges 18 of the 26 mentions right: it reads "rule out X"
  and "evaluate for X" as negations (we need hypothetical) and misses "X was absent",
  "X: none", "X not present", "X was not seen". With the termset adjusted from
  ``intake.yaml`` (``context.en``: "rule out"/"evaluate for" moved to hypothesis; following
  cues "absent", "not present", "none", "negative", "not seen", "excluded" added) it judges
  24 of 26 (misses: "free of pain since surgery" also negates surgery; "without infection,
  with pain" also negates pain).
- negspacy does negation only: hypothesis ("rule out", "suspected", "consistent with"),
  family ("his brother", "her mother") and history ("history of") are found by the cue
  rules of :class:`~calcinosis.intake.context.PhraseCues`, ConText's algorithm: a cue's scope
  runs to the end of its clause (a termination word such as "but", "however", "which", or
  ";") and a following cue ("was suspected") looks back to the clause start.
- edsnlp's qualifiers with English cue lists were the alternative; their verb handling
  conjugates French verbs and the French tokenizer splits English contractions wrongly
  ("doesn't"), so the English rules would have had to be rewritten there anyway.

The pipeline (``spacy.blank("en")`` + sentencizer + negex) is built once per process, lazily.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from calcinosis.intake.context import (
    TESTS,
    Analysis,
    Context,
    PhraseCues,
    fold_same_length,
    head_diagnosis,
    in_scope,
    joined_numbers,
    relative_scopes,
    resolve_status,
)
from calcinosis.intake.lexicon import intake_cached, intake_data
from calcinosis.intake.result import Cue

__all__ = ["analyse", "pipeline", "termset_patterns"]


def termset_patterns(*, adjusted: bool = True) -> dict[str, list[str]]:
    """negspacy's ``en_clinical`` termset, adjusted from ``intake.yaml`` unless ``adjusted`` is False."""
    from negspacy.termsets import termset

    patterns: dict[str, list[str]] = {k: list(v) for k, v in termset("en_clinical").get_patterns().items()}  # type: ignore[no-untyped-call]
    if not adjusted:
        return patterns
    ctx = intake_data()["context"]["en"]
    gone = set(ctx.get("negation_preceding_remove", []))
    patterns["preceding_negations"] = [p for p in patterns["preceding_negations"] if p not in gone]
    patterns["following_negations"] = [p for p in patterns["following_negations"] if p not in gone]
    for key, extra in (
        ("preceding_negations", ctx.get("negation_preceding_add", [])),
        ("following_negations", ctx.get("negation_following_add", [])),
        ("termination", ctx.get("negation_termination_add", [])),
    ):
        patterns[key].extend(p for p in extra if p not in patterns[key])
    return patterns


@intake_cached
def pipeline(adjusted: bool = True) -> Any:
    """spaCy's blank English with a sentencizer and negspacy's Negex, built once per process."""
    import spacy
    from negspacy.negation import Negex
    from spacy.pipeline import Sentencizer

    # the components are made directly: once edsnlp is imported, spaCy's factory registry for
    # English may not list "sentencizer" (edsnlp's entry points replace the registrations)
    nlp = spacy.blank("en")
    return nlp, Sentencizer(), Negex(nlp, "negex", termset_patterns(adjusted=adjusted), chunk_prefix=[])


@intake_cached
def _cues() -> dict[str, PhraseCues]:
    ctx = intake_data()["context"]["en"]
    return {
        "hypothesis_pre": PhraseCues(ctx.get("hypothesis_preceding", [])),
        "hypothesis_post": PhraseCues(ctx.get("hypothesis_following", [])),
        "family": PhraseCues(ctx.get("family", [])),
        "family_stop": PhraseCues(ctx.get("family_scope_stops", [])),
        "informant": PhraseCues(ctx.get("family_informant_verbs", [])),
        "informant_before": PhraseCues(ctx.get("family_informant_before", [])),
        "history": PhraseCues(ctx.get("history", [])),
        "stop": PhraseCues(ctx.get("termination", [])),
        "hypothesis_stop": PhraseCues(ctx.get("hypothesis_termination", [])),
        "negation": PhraseCues(termset_patterns()["preceding_negations"] + termset_patterns()["following_negations"]),
    }


def analyse(
    text: str,
    spans: Sequence[tuple[int, int]],
    *,
    offset: int = 0,
    adjusted: bool = True,
    kinds: Sequence[frozenset[str]] | None = None,
) -> Analysis:
    """Sentences of ``text`` and the context of each span (offsets into ``text`` + ``offset``);
    ``kinds``: the lexicon lists each span's words are in (a list's scope is judged by them)."""
    from spacy.tokens import Span
    from spacy.util import filter_spans

    nlp, sentencizer, negex = pipeline(adjusted)
    # "not yet on dialysis" is a denial, and "yet" alone ends one ("no fever yet painful
    # nodules"): the "yet" of "not yet" is blanked, same length, so that offsets hold
    text = _NOT_YET.sub(lambda m: m.group(1) + " " * len(m.group(2)), text)
    doc = nlp.make_doc(text)
    doc = sentencizer(doc)
    owner: dict[tuple[int, int], Span] = {}
    for start, end in spans:
        span = doc.char_span(start - offset, end - offset, label="INTAKE", alignment_mode="expand")
        if span is not None:
            owner[(start, end)] = span
    doc.ents = filter_spans(list(owner.values()))
    doc = negex(doc)
    negated = {(e.start, e.end): bool(e._.negex) for e in doc.ents}
    folded = fold_same_length(text)
    cues = _cues()
    sentences = joined_numbers(text, [(s.start_char, s.end_char) for s in doc.sents])
    found = {name: matcher.find(folded) for name, matcher in cues.items()}
    stops = [s for s, _, _ in found["stop"]]
    hypothesis_stops = [s for s, _, _ in found["hypothesis_stop"]]
    # "it was possible to see ...", "we were able": a cue followed by an infinitive says what
    # could be done, not that the mention is doubtful
    for name in ("hypothesis_pre", "hypothesis_post"):
        found[name] = [h for h in found[name] if not _INFINITIVE.match(folded, h[1])]
    # a relative followed by a verb of telling is the informant ("parents revealed heel pricks")
    # ... or is named as the source ("according to the parents, the lesions had enlarged")
    told = {a for a, _, _ in found["informant"]}
    source = {z for _, z, _ in found["informant_before"]}
    found["family"] = [
        h for h in found["family"] if not _told_by(folded, h[1], told) and not _source(folded, h[0], source)
    ]
    family_stops = [s for s, _, _ in found["family_stop"]]
    said_of_relative = relative_scopes(
        folded,
        [h for h in found["family"] if not _PREPOSITION_END.search(h[2])],
        sorted(found["family_stop"] + found["informant"]),
        sentences,
    )
    kind_of = [
        (a - offset, b - offset, k) for (a, b), k in zip(spans, kinds or [frozenset()] * len(spans), strict=True)
    ]
    contexts: list[Context] = []
    for start, end in spans:
        span = owner.get((start, end))
        local = (start - offset, end - offset)
        sent = next(((a, b) for a, b in sentences if a <= local[0] < b), (0, len(text)))
        sentence_stops = [*stops, sent[0] - 1, sent[1]]

        def within(hits: list[tuple[int, int, str]], sent: tuple[int, int] = sent) -> list[tuple[int, int, str]]:
            return [h for h in hits if sent[0] <= h[0] < sent[1]]

        qual: dict[str, Cue | None] = {}
        pre = [h for h in within(found["hypothesis_pre"]) if h[1] <= local[0]]
        # a following cue governs its own clause: "Painful nodules of the fingers, biopsy ordered"
        # says nothing doubtful of the nodules (a code review)
        post = [h for h in within(found["hypothesis_post"]) if h[0] >= local[1] and "," not in text[local[1] : h[0]]]
        # the patient the doubt is about is no part of it: "suspected calciphylaxis in a patient
        # on hemodialysis" doubts the calciphylaxis, not the dialysis
        hit = _first_in_scope(local, pre + post, sentence_stops + hypothesis_stops)
        if hit is not None:
            qual["hypothesis"] = _cue("hypothesis", text, hit, offset)
        # a cue that ends in a preposition ("family history of", "in his mother") governs only
        # what follows it: "no history of pain, ..., trauma or family history of similar
        # disorder" says nothing of a relative's pain
        family = [h for h in within(found["family"]) if h[1] <= local[0] or not _PREPOSITION_END.search(h[2])]
        hit = _first_in_scope(local, family, sentence_stops + family_stops)
        if hit is None:
            # "His mother, who had dermatomyositis, is well", "Father: gout": said of the relative
            hit = next((h for a, z, h in said_of_relative if a <= local[0] and local[1] <= z), None)
        if hit is not None:
            qual["family"] = _cue("family", text, hit, offset)
        hist = [h for h in within(found["history"]) if h[1] <= local[0]]
        hit = _first_in_scope(local, hist, sentence_stops)
        if hit is not None:
            qual["history"] = _cue("history", text, hit, offset)
        if span is not None:
            ent = next((e for e in doc.ents if e.start <= span.start and span.end <= e.end), None)
            # the nearest cue that reaches the mention: one across a clause boundary does not
            hits = within(found["negation"]) if ent is not None else []
            reaching = [h for h in hits if not _own_clause(folded, h, local, sent, kind_of)]
            neg = _nearest(local, reaching)
            if (
                ent is not None
                and negated.get((ent.start, ent.end))
                and (reaching or not hits)
                and not _aside(text, neg, local)
                and not _predicate_denied(folded, neg, local)
            ):
                qual["negation"] = (
                    _cue("negation", text, neg, offset)
                    if neg is not None
                    else Cue(kind="negation", text="", start=start, end=start)
                )
        contexts.append(resolve_status(qual))
    return Analysis([(a + offset, b + offset) for a, b in sentences], contexts)


def _aside(text: str, cue: tuple[int, int, str] | None, span: tuple[int, int]) -> bool:
    """Whether the negation cue sits in a bracket the mention is outside of: "CKD stage IV (not
    on dialysis), secondary hyperparathyroidism, type 2 diabetes" denies the dialysis only."""
    if cue is None:
        return False
    opened = text.rfind("(", 0, cue[0])
    if opened < 0 or text.rfind(")", opened, cue[0]) >= 0:
        return False
    closed = text.find(")", cue[1])
    return closed >= 0 and not opened < span[0] < closed


# "the swelling was not painful", "material that was not foul-smelling": a copula's "not"
# followed by a predicate denies the predicate, not the subject before it ("was not seen" does)
_COPULA_NOT = re.compile(r"(?:was|were|is|are|has\s+been|have\s+been)\s+not")
_SAID_OF_SUBJECT = re.compile(
    r"\s+(?:(?:clinically|radiologically|ever)\s+)?(?:seen|found|present|detected|identified|noted|observed|evident|"
    r"visible|palpable|appreciated|elicited|demonstrated|shown|reported|recorded|confirmed|documented|[.,;:)]|$)"
)


def _predicate_denied(folded: str, cue: tuple[int, int, str] | None, span: tuple[int, int]) -> bool:
    """Whether the negation cue after the mention is a copula's "not" that denies the predicate
    written after it ("the swelling was not painful": the pain is denied, the swelling is not)."""
    if cue is None or cue[0] < span[1] or not _COPULA_NOT.fullmatch(" ".join(cue[2].split())):
        return False
    return _SAID_OF_SUBJECT.match(folded, cue[1]) is None


# what joins the last item of a list to the rest ("fever, weight loss and night sweats")
_COORDINATED = re.compile(r"\b(?:and|or|nor)\b")
# a following cue said of several ("were absent", "are all negative")
_PLURAL_CUE = re.compile(r"(?:were|are|have\s+been|all)\b")


@intake_cached
def _affirmed() -> re.Pattern[str]:
    """intake.yaml ``context.en.negation_scope_affirmed``: words that make a comma-separated
    piece a statement of its own ("known myeloma", "dermatomyositis was diagnosed")."""
    words = sorted(
        (" ".join(w.split()) for w in intake_data()["context"]["en"].get("negation_scope_affirmed", [])),
        key=len,
        reverse=True,
    )
    body = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in words) or "(?!)"
    return re.compile(r"(?<!\w)(?:" + body + r")(?!\w)")


def _own_clause(
    folded: str,
    cue: tuple[int, int, str] | None,
    span: tuple[int, int],
    sent: tuple[int, int],
    kinds: Sequence[tuple[int, int, frozenset[str]]] = (),
) -> bool:
    """Whether a comma puts the mention in a clause of its own, out of the negation's reach.

    negspacy's scope runs to the sentence's ends, commas included: "Known myeloma, TB screen
    negative" denied the myeloma (a clinical review). A cue reaches a mention across a comma only
    along a list: a cue after the mention needs the list to be joined ("X, Y and Z were
    absent"), a plural cue ("X, Y were negative") or a colon before it ("X, Y: none"); in either
    direction the mention's own piece (between the commas) must not be a statement of its own
    ("known", "was diagnosed", "has": ``negation_scope_affirmed``).

    A comma list of tests is a list without "and": laboratories and clinicians write results as
    "ANA, anti-dsDNA negative" (one result for the tests named before it), so a cue after a
    test reaches it across commas when nothing but other tests stands between them. A
    diagnosis heading the sentence before symptoms ("Dermatomyositis, fever and pruritus were
    absent": context.py ``head_diagnosis``) is a clause of its own."""
    if cue is None:
        return False
    after = cue[0] >= span[1]
    gap = folded[span[1] : cue[0]] if after else folded[cue[1] : span[0]]
    if "," not in gap:
        return False
    own = next((k for a, b, k in kinds if (a, b) == span), frozenset())
    nxt = next((k for a, _, k in kinds if a >= span[1]), frozenset())
    if after and head_diagnosis(folded, span, own, nxt, sent):
        return True
    if after and own & TESTS and _only_tests(folded, span[1], cue[0], kinds):
        return False
    if after:
        last = gap[gap.rfind(",") :]
        joined = (
            _COORDINATED.search(last) is not None
            or _PLURAL_CUE.match(cue[2]) is not None
            or gap.rstrip().endswith(":")
            or re.search(r"\b(?:were|are)\s*$", gap) is not None
        )
        if not joined:
            return True
    start = max(folded.rfind(",", sent[0], span[0]), cue[1] if not after else sent[0] - 1) + 1
    stop = folded.find(",", span[1], sent[1])
    stop = sent[1] if stop < 0 else stop
    if after:
        stop = min(stop, cue[0])
    piece = folded[start : span[0]] + " " + folded[span[1] : stop]
    return _affirmed().search(piece) is not None


def _only_tests(folded: str, start: int, end: int, kinds: Sequence[tuple[int, int, frozenset[str]]]) -> bool:
    """Whether nothing but tests named in a list stands between ``start`` and ``end``."""
    gap = list(folded[start:end])
    for a, b, k in kinds:
        if start <= a and b <= end and k & TESTS:
            gap[a - start : b - start] = " " * (b - a)
    return re.fullmatch(r"[\s,]*(?:(?:and|or)\s*)?", "".join(gap)) is not None


_INFINITIVE = re.compile(r"\s+to\s+[a-z]")
_PREPOSITION_END = re.compile(r"\b(?:of|in|with|for|on|among)\s*$", re.IGNORECASE)


def _told_by(folded: str, end: int, told: set[int]) -> bool:
    """Whether a verb of telling follows a relative's word, at most one word on ("the mother also said")."""
    gap = re.match(r"\s+(?:\w+\s+)?", folded[end : end + 30])
    if gap is None:
        return False
    first = end + len(re.match(r"\s+", folded[end:]).group())  # type: ignore[union-attr]
    return first in told or end + gap.end() in told


def _source(folded: str, start: int, source: set[int]) -> bool:
    """Whether a relative's word is named as the source of what is told ("according to the
    mother", "as reported by his parents"): a source cue ends right before it, or one
    possessive or article between them."""
    before = re.search(r"(?:\s+(?:the|her|his|their|its|our|a))?\s+$", folded[max(0, start - 12) : start])
    return before is not None and start - len(before.group()) in source


def _first_in_scope(
    span: tuple[int, int], hits: list[tuple[int, int, str]], stops: list[int]
) -> tuple[int, int, str] | None:
    for hit in sorted(hits, key=lambda h: abs(h[0] - span[0])):
        if in_scope(span, [hit], stops):
            return hit
    return None


def _nearest(span: tuple[int, int], hits: list[tuple[int, int, str]]) -> tuple[int, int, str] | None:
    return min(hits, key=lambda h: abs(h[0] - span[0]), default=None)


def _cue(kind: str, text: str, hit: tuple[int, int, str], offset: int) -> Cue:
    return Cue(kind=kind, text=text[hit[0] : hit[1]], start=hit[0] + offset, end=hit[1] + offset)


_NOT_YET = re.compile(r"\b(not\s+)(yet)\b", re.IGNORECASE)
"""The "yet" of "not yet", which negex would read as the end of the denial it belongs to."""
