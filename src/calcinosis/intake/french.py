"""French notes: edsnlp's rule-based qualifiers judge each mention.

edsnlp (AP-HP, BSD-3) is made for French clinical text and needs no model: ``eds.sentences``
cuts sentences, ``eds.normalizer`` folds case and accents, and ``eds.negation``,
``eds.hypothesis``, ``eds.family`` and ``eds.history`` mark each entity with the cue that
qualifies it, with the scopes French needs ("pas de fièvre ni de douleur", "absence
d'ulcération ou d'infection", "ne présente pas de"). The mentions themselves are found by
the intake lexicon (``lexicon.py``: vocabulary labels and aliases in both languages, plurals)
and handed to the qualifiers as the document's entities, so the same lexicon serves French
and English and every span keeps its offsets in the original note.

Cue lists are edsnlp's own, adjusted from ``intake.yaml`` (``context.fr``): "à éliminer",
"suspicion de", "compatible avec" added to hypothesis; "enfant", "fille", "parent(s)" taken
out of the family cues (a note about a child says "enfant de 8 ans" of the patient); "discret",
"selon", "soit", "risque" taken out of the hypothesis cues (they qualify intensity or
introduce lists more often than doubt in referral letters).

The pipeline costs about 3 s to build (spaCy compiles its French tokenizer exceptions): it is
built once per process, lazily, on the first French note.

Dates and measurements: lab values, ages and durations are read by ``measure.py`` on the
original text, in one code path for both languages, because the case format's units (mmol/L,
µmol/L, pg/mL, mL/min/1.73m2...) and the binding of a value to its lab name matter more than
the physical dimensions ``eds.quantities`` knows.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

from calcinosis.intake.context import (
    Analysis,
    Context,
    PhraseCues,
    fold_same_length,
    head_diagnosis,
    joined_numbers,
    relative_scopes,
    resolve_status,
)
from calcinosis.intake.lexicon import fold, intake_cached, intake_data
from calcinosis.intake.result import Cue

__all__ = ["analyse", "pipeline"]

_QUALIFIERS = ("negation", "hypothesis", "family", "history")


def _adjusted(defaults: Sequence[str], add: Sequence[str] = (), remove: Sequence[str] = ()) -> list[str]:
    """edsnlp's cue list with ours added and removed, each cue with an apostrophe in both its
    spellings: published French writes the typographic ’ ("permettaient d’éliminer", "suspicion
    d’une"), and a cue written with ' would not meet it (the negation cue "éliminer" inside it
    then won)."""
    gone = set(remove)
    out = [p for p in defaults if p not in gone]
    out.extend(p for p in add if p not in out)
    for p in list(out):
        for a, b in (("'", "’"), ("’", "'")):
            twin = p.replace(a, b)
            if twin != p and twin not in out and twin not in gone:
                out.append(twin)
    return out


@intake_cached
def pipeline() -> Any:
    """The edsnlp pipeline, built once per process (about 3 s)."""
    import edsnlp  # type: ignore[import-untyped]
    import edsnlp.pipes as eds  # type: ignore[import-untyped]
    from edsnlp.pipes.qualifiers.family import patterns as family_patterns  # type: ignore[import-untyped]
    from edsnlp.pipes.qualifiers.history import patterns as history_patterns  # type: ignore[import-untyped]
    from edsnlp.pipes.qualifiers.hypothesis import patterns as hyp_patterns  # type: ignore[import-untyped]
    from edsnlp.pipes.qualifiers.negation import patterns as neg_patterns  # type: ignore[import-untyped]
    from edsnlp.pipes.terminations import termination as default_termination  # type: ignore[import-untyped]

    ctx = intake_data()["context"]["fr"]
    nlp = edsnlp.blank("eds")
    nlp.add_pipe(eds.sentences())
    nlp.add_pipe(eds.normalizer())
    nlp.add_pipe(
        eds.negation(
            preceding=_adjusted(neg_patterns.preceding, ctx.get("negation_preceding_add", [])),
            following=_adjusted(
                neg_patterns.following,
                ctx.get("negation_following_add", []),
                remove=ctx.get("negation_following_remove", []),
            ),
            explain=True,
        )
    )
    nlp.add_pipe(
        eds.hypothesis(
            preceding=_adjusted(
                hyp_patterns.preceding,
                ctx.get("hypothesis_preceding_add", []),
                ctx.get("hypothesis_preceding_remove", []),
            ),
            following=_adjusted(hyp_patterns.following, ctx.get("hypothesis_following_add", [])),
            termination=_adjusted(default_termination, ctx.get("hypothesis_termination_add", [])),
            explain=True,
        )
    )
    nlp.add_pipe(
        eds.family(
            family=_adjusted(family_patterns.family, ctx.get("family_add", []), ctx.get("family_remove", [])),
            use_sections=False,
            explain=True,
        )
    )
    nlp.add_pipe(eds.history(history=_adjusted(history_patterns.history, ctx.get("history_add", [])), explain=True))
    logging.getLogger("edsnlp").setLevel(logging.ERROR)
    return nlp


def analyse(
    text: str, spans: Sequence[tuple[int, int]], *, offset: int = 0, kinds: Sequence[frozenset[str]] | None = None
) -> Analysis:
    """Sentences of ``text`` and the context of each span (offsets into ``text`` + ``offset``);
    ``kinds``: the lexicon lists each span's words are in (a list's scope is judged by them)."""
    from spacy.tokens import Span
    from spacy.util import filter_spans

    nlp = pipeline()
    # "no" before a number is numéro, not the English denial a mixed note may use ("Observation
    # no 2": a code review); rewritten as "n°", of the same length, so that offsets hold
    text = _NUMERO.sub("n°", text)
    doc = nlp.tokenizer(text) if hasattr(nlp, "tokenizer") else nlp.make_doc(text)
    pipes = dict(nlp.pipeline)
    doc = pipes["sentences"](doc)
    doc = pipes["normalizer"](doc)
    ents: list[Span] = []
    owner: dict[tuple[int, int], Span] = {}
    probes = _bracket_probes(text, spans, offset)
    for start, end in [*spans, *probes]:
        span = doc.char_span(start - offset, end - offset, label="INTAKE", alignment_mode="expand")
        if span is not None:
            ents.append(span)
            owner[(start, end)] = span
    kept = filter_spans(ents)
    doc.ents = kept
    for name in _QUALIFIERS:
        doc = pipes[name](doc)
    contexts: list[Context] = []
    kept_by_tokens = {(s.start, s.end): s for s in doc.ents}
    for start, end in [*spans, *probes]:
        span = owner.get((start, end))
        ent = None
        if span is not None:
            ent = kept_by_tokens.get((span.start, span.end))
            if ent is None:  # overlapped by a longer mention: take the context of the one that covers it
                ent = next((e for e in doc.ents if e.start <= span.start and span.end <= e.end), None)
        contexts.append(_context(ent, offset) if ent is not None else Context())
    sentences = [
        (a + offset, b + offset) for a, b in joined_numbers(text, [(s.start_char, s.end_char) for s in doc.sents])
    ]
    contexts = _bracketed(
        text, spans, contexts[: len(spans)], dict(zip(probes, contexts[len(spans) :], strict=True)), offset
    )
    contexts = _denied_hypotheses(text, spans, contexts, offset)
    contexts = _negated_lists(text, spans, contexts, [(a - offset, b - offset) for a, b in sentences], offset)
    local_sentences = [(a - offset, b - offset) for a, b in sentences]
    contexts = _plural_denials(text, spans, contexts, offset, kinds or [frozenset()] * len(spans), local_sentences)
    contexts = _said_of_relatives(text, spans, contexts, [(a - offset, b - offset) for a, b in sentences], offset)
    return Analysis(sentences, contexts)


# a bracket that lists what the words before it name: "(fracture, dissection artérielle)"
_BRACKET = re.compile(r"(\w+)\s*\(([^()]{1,200})\)")


def _bracket_probes(text: str, spans: Sequence[tuple[int, int]], offset: int) -> list[tuple[int, int]]:
    """The word right before each bracket that holds a mention, when it is no mention itself:
    edsnlp is asked its context too ("les causes traumatiques (fracture, ...)": "traumatiques")."""
    taken = [(a - offset, b - offset) for a, b in spans]
    out: list[tuple[int, int]] = []
    for m in _BRACKET.finditer(text):
        inside = any(m.start(2) <= a < m.end(2) for a, _ in taken)
        word = (m.start(1), m.end(1))
        if inside and not any(a < word[1] and word[0] < b for a, b in taken):
            out.append((word[0] + offset, word[1] + offset))
    return out


def _bracketed(
    text: str,
    spans: Sequence[tuple[int, int]],
    contexts: list[Context],
    probes: dict[tuple[int, int], Context],
    offset: int,
) -> list[Context]:
    """What a bracket lists shares the status of the words it explains.

    "permettaient d'éliminer les causes traumatiques (fracture, dissection artérielle)", "pas de
    connectivite (lupus, sclérodermie)": edsnlp ends the cue's scope at the bracket, so the
    examples in it read as stated. A mention inside a bracket, plainly stated, takes the
    hypothesis or negation of the mention (or word) right before the bracket."""
    before: dict[int, Context] = {}  # bracket start -> the context of what precedes it
    for m in _BRACKET.finditer(text):
        word = (m.start(1) + offset, m.end(1) + offset)
        ctx = probes.get(word)
        if ctx is None:
            ctx = next((c for (a, b), c in zip(spans, contexts, strict=True) if a < word[1] <= b), None)
        if ctx is not None and ctx.status in ("hypothetical", "absent"):
            before[m.start(2)] = ctx
    if not before:
        return contexts
    out = list(contexts)
    for m in _BRACKET.finditer(text):
        ctx = before.get(m.start(2))
        if ctx is None:
            continue
        for i, (a, _b) in enumerate(spans):
            if m.start(2) <= a - offset < m.end(2) and out[i].status == "present" and out[i].cue is None:
                out[i] = ctx
    return out


# a verb of doubt before the mention, itself negated: "ne semble pas", "n'évoque pas"
_NE_BEFORE = re.compile(r"(?:\bn['’]\s*|\bne\s+)$")
_PAS_AFTER = re.compile(r"\s*(?:pas|jamais|plus|guere)\b")
# a verb of doubt after the mention, itself negated: "aucun contexte traumatique n'a été évoqué"
_DENIED_VERB = re.compile(r"(?:\bn['’]\s*|\bne\s+)(?:\w+\s+){0,2}?(?:pas\s+|jamais\s+)?(?:\w+\s+)?$")


def _denied_hypotheses(
    text: str, spans: Sequence[tuple[int, int]], contexts: list[Context], offset: int
) -> list[Context]:
    """A hypothesis cue that follows the mention and is itself negated ("n'a été évoqué",
    "n'a pas été retrouvé", "ne fut jamais suspecté") denies the mention: it is absent. So does
    a negated cue before it ("l'enfant ne semble pas algique", "n'évoque pas une infection"):
    "ne ... pas" around the cue denies what it would have made doubtful."""
    folded = fold_same_length(text)
    out = list(contexts)
    for i, (start, end) in enumerate(spans):
        ctx = out[i]
        cue = ctx.cue
        if ctx.status != "hypothetical" or cue is None:
            continue
        if cue.end <= start:
            around = (
                folded[max(0, cue.start - offset - 4) : cue.start - offset],
                folded[cue.end - offset : start - offset],
            )
            if _NE_BEFORE.search(around[0]) and _PAS_AFTER.match(around[1]):
                out[i] = Context("absent", Cue(kind="negation", text=cue.text, start=cue.start, end=cue.end))
            continue
        if cue.start < end:
            continue
        before = folded[max(end - offset, cue.start - offset - 30) : cue.start - offset]
        if _DENIED_VERB.search(before):
            out[i] = Context("absent", Cue(kind="negation", text=cue.text, start=cue.start, end=cue.end))
    return out


# a list item that goes on with a negation: after a comma, "et", "ou" or "ni", the partitive
# "de"/"d'" (or another negative word) is the grammar of a negated list in French ("pas de
# fièvre, d'adénopathies ni de prurit"; "absence de fièvre et d'amaigrissement")
_LIST_BREAK = re.compile(r",|\bet\b|\bou\b|\bni\b")
_NEGATED_ITEM = re.compile(
    r"\s*(?:(?:et|ou|ni)\s+)?(?:ni\s+)?(?:de\s+la\b|de\s+l['’]|de\b|d['’]|du\b|des\b|aucune?s?\b|pas\b|sans\b|ni\b)"
)


@intake_cached
def _list_stop() -> re.Pattern[str]:
    words = intake_data()["context"]["fr"].get("negation_list_stops", [])
    body = "|".join(re.escape(fold(w)).replace(r"\ ", r"\s+") for w in sorted(words, key=len, reverse=True))
    return re.compile(r"[.;:!?()]|(?<!\w)(?:" + body + r")(?!\w)")


def _negated_lists(
    text: str,
    spans: Sequence[tuple[int, int]],
    contexts: list[Context],
    sentences: Sequence[tuple[int, int]],
    offset: int,
) -> list[Context]:
    """Negation carried along a list ("pas de fièvre, d'adénopathies ni de prurit").

    edsnlp ends a negation's scope at every comma and at "et", so only the first item of a
    negated list is read as absent. Here a mention that edsnlp left plainly stated takes the
    negation of the nearest negated mention before it in the same sentence when nothing stops
    the list between them (a full stop, "mais", "avec", "qui"...) and every item break ("," "et"
    "ou" "ni") is followed by the partitive "de"/"d'" or another negative word, as French
    writes a negated list ("présence de nodules, de fièvre" stays affirmative: its cue is no
    negation)."""
    folded = fold_same_length(text)
    out = list(contexts)
    last: tuple[int, Context] | None = None
    for i, (start, end) in enumerate(spans):
        a, z = start - offset, end - offset
        ctx = out[i]
        if ctx.status == "absent":
            last = (z, ctx)
            continue
        if ctx.status != "present" or ctx.cue is not None or last is None:
            last = None if ctx.status != "present" else last
            continue
        gap_from, negation = last
        sentence = next(((s, e) for s, e in sentences if s <= a < e), None)
        between = folded[gap_from:a]
        if (
            sentence is None
            or gap_from < sentence[0]
            or _list_stop().search(between) is not None
            or not any(_LIST_BREAK.finditer(between))
            or any(_NEGATED_ITEM.match(between, b.end()) is None for b in _LIST_BREAK.finditer(between))
        ):
            continue
        out[i] = negation
        last = (z, negation)
    return out


# what joins two items of a list that a plural denial after them governs ("fièvre et
# amaigrissement absents", "fièvre, prurit et amaigrissement non retrouvés")
_LIST_LINK = re.compile(
    r"\s*(?:,\s*(?:et\s+|ou\s+)?|et\s+|ou\s+)(?:(?:le|la|les|l['’]|un|une|des|du|de|d['’])\s*)?", re.IGNORECASE
)
# a denial said of several: its last word is plural ("absents", "négatives", "non retrouvés")
_PLURAL_WORD = re.compile(r"\w+[sx]$")


def _plural_denials(
    text: str,
    spans: Sequence[tuple[int, int]],
    contexts: list[Context],
    offset: int,
    kinds: Sequence[frozenset[str]],
    sentences: Sequence[tuple[int, int]],
) -> list[Context]:
    """A plural denial after a list denies every item of it.

    edsnlp ends a scope at every comma and "et", so "fièvre et amaigrissement absents" denied the
    weight loss and left the fever stated. A mention left plainly stated takes the negation of the
    next mention when only a list link ("," "et" "ou", an article) stands between them and that
    negation is a plural cue written after its mention; a singular one ("dermatomyosite, fièvre
    absente") is said of its own item only. A diagnosis heading the sentence before a list of
    symptoms ("Dermatomyosite, fièvre et prurit absents": context.py ``head_diagnosis``) is
    not in the list: the plural agrees with the symptoms, as "connue" would say in words."""
    folded = fold_same_length(text)
    out = list(contexts)
    for i in range(len(spans) - 2, -1, -1):
        ctx, nxt = out[i], out[i + 1]
        cue = nxt.cue
        if ctx.status != "present" or ctx.cue is not None or nxt.status != "absent" or cue is None:
            continue
        if cue.start < spans[i + 1][1] or not _PLURAL_WORD.search(cue.text.strip()):
            continue
        link = text[spans[i][1] - offset : spans[i + 1][0] - offset]
        local = (spans[i][0] - offset, spans[i][1] - offset)
        sent = next(((a, b) for a, b in sentences if a <= local[0] < b), (0, len(text)))
        bare = "," in link and re.search(r"\b(?:et|ou)\b", link) is None
        if bare and head_diagnosis(folded, local, kinds[i], kinds[i + 1], sent):
            continue
        if spans[i + 1][0] > spans[i][1] and _LIST_LINK.fullmatch(link):
            out[i] = nxt
    return out


@intake_cached
def _relative_cues() -> tuple[PhraseCues, PhraseCues]:
    """edsnlp's family cues as adjusted (the relatives), and what ends what is said of one: the
    patient named again, a contrast, a verb of telling (``family_scope_stops``,
    ``family_informant_verbs``)."""
    from edsnlp.pipes.qualifiers.family import patterns as family_patterns

    ctx = intake_data()["context"]["fr"]
    relatives = _adjusted(family_patterns.family, ctx.get("family_add", []), ctx.get("family_remove", []))
    stops = [*ctx.get("family_scope_stops", []), *ctx.get("family_informant_verbs", [])]
    return PhraseCues(relatives), PhraseCues(stops)


def _said_of_relatives(
    text: str,
    spans: Sequence[tuple[int, int]],
    contexts: list[Context],
    sentences: Sequence[tuple[int, int]],
    offset: int,
) -> list[Context]:
    """What an apposition or a colon says of a relative is the relative's (context.py
    ``relative_scopes``): edsnlp ends the family cue's scope at the comma, so "Sa mère, suivie
    pour une dermatomyosite, va bien" gave the patient the dermatomyositis."""
    folded = fold_same_length(text)
    relatives, stops = _relative_cues()
    scopes = relative_scopes(folded, relatives.find(folded), stops.find(folded), sentences)
    if not scopes:
        return contexts
    out = list(contexts)
    for i, (start, end) in enumerate(spans):
        a, z = start - offset, end - offset
        hit = next((h for s, e, h in scopes if s <= a and z <= e), None)
        if hit is not None and out[i].status != "family":
            out[i] = Context(
                "family", Cue(kind="family", text=text[hit[0] : hit[1]], start=hit[0] + offset, end=hit[1] + offset)
            )
    return out


@intake_cached
def _informant() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """What makes a relative the one who came or told, not the one with the finding: a cue
    right before the relative ("vu avec son père", "accompagnée de sa mère", "selon ses
    parents") or a verb of telling or noticing right after ("les parents ont remarqué")."""
    ctx = intake_data()["context"]["fr"]

    def alternatives(key: str) -> str:
        words = sorted((fold(w) for w in ctx.get(key, [])), key=len, reverse=True)
        return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in words) or "(?!)"

    before = re.compile(
        r"(?<!\w)(?:" + alternatives("family_informant_before") + r")\s+(?:(?:son|sa|ses|le|la|les|leur|leurs)\s+)?$"
    )
    after = re.compile(r"\s+(?:(?:lui|leur)\s+)?(?:aussi\s+)?(?:" + alternatives("family_informant_verbs") + r")(?!\w)")
    return before, after


def _is_informant(ent: Any, cue: Any) -> bool:
    """Whether the family cue of ``ent`` names the relative who came with the patient or told
    the story: the finding is the patient's."""
    text = ent.doc.text
    before, after = _informant()
    folded = fold_same_length(text[max(0, cue.start_char - 40) : cue.end_char + 40])
    cut = cue.start_char - max(0, cue.start_char - 40)
    return bool(before.search(folded[:cut]) or after.match(folded, cut + cue.end_char - cue.start_char))


def _context(ent: Any, offset: int) -> Context:
    found: dict[str, Cue | None] = {}
    for kind in _QUALIFIERS:
        if getattr(ent._, kind, False):
            cues = getattr(ent._, f"{kind}_cues", None) or []
            cue = cues[0] if cues else None
            if kind == "family" and cue is not None and _is_informant(ent, cue):
                continue
            found[kind] = (
                Cue(kind=kind, text=cue.text, start=cue.start_char + offset, end=cue.end_char + offset)
                if cue is not None
                else Cue(kind=kind, text="", start=ent.start_char + offset, end=ent.start_char + offset)
            )
    return resolve_status(found)


_NUMERO = re.compile(r"\b[Nn]o(?=\.?\s*\d)")
"""'no' (or 'No') before a number: numéro."""
