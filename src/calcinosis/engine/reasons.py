"""The reasons for and against each listed diagnosis: which observed features moved it, and how.

A reason is one (diagnosis, observed feature, state): its likelihood ratio, the frequencies
behind it, its references and a sentence. Almost all of it depends on the knowledge base only;
the case adds which inputs set the feature (the basis) and the dependency weight. So the
knowledge-base part of each reason, its sentence included (with the basis and the weight left
as slots), is written the first time a case needs it and kept with the knowledge base's tables
(``tables.py``); explaining a case then fills two slots per reason. The result is the same
text, character for character, as formatting the whole sentence each time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter
from typing import Any

import numpy as np

from calcinosis.engine.evidence import Evidence
from calcinosis.engine.results import CONTRIBUTION_FIELDS, Contribution, built
from calcinosis.engine.scoring import Scores
from calcinosis.engine.tables import TEXTS_KEPT, Tables, tables
from calcinosis.i18n import agree, de, decimal, message, percent, significant
from calcinosis.kb.model import Feature, KnowledgeBase

__all__ = ["MIN_SHOWN_LOG_LR", "Shown", "fmt_lr", "literal", "reasons", "state_word", "stated"]

MIN_SHOWN_LOG_LR = math.log(1.1)
"""A feature is listed as a reason when it moves the diagnosis by a likelihood ratio beyond 1.1 either way."""


@lru_cache(maxsize=8192)
def fmt_lr(lr: float, lang: str = "en") -> str:
    """A likelihood ratio as shown: two significant figures below 10, whole above ('RV 4,4' in French).

    Cached: a knowledge base has a few thousand (diagnosis, feature, state) ratios, met again
    case after case, and the French form goes through Babel (tens of microseconds each)."""
    if lang != "fr":
        return f"{lr:.2g}" if lr < 10 else f"{lr:.0f}"
    return significant(lr, lang) if lr < 10 else decimal(lr, lang, 0)


def stated(feature: Feature, present: bool, lang: str, *, brackets: bool = False) -> str:
    """A feature in its state as a reader writes it: a finding with its state ('Hypercalcaemia
    present', 'Buttock not involved'; in brackets when ``brackets``), a case attribute by itself
    when present and by its absent wording when it has one ('Male or other sex')."""
    label = feature.label(lang)
    if feature.attribute:  # "Age 18 to 29 years", "Present for less than 12 months"
        if present:
            return label
        negated = feature.absent_label(lang)
        if negated:
            return negated
    word = state_word(feature.namespace, present, lang, gender=feature.gender, plural=feature.plural)
    return f"{label} ({word})" if brackets else f"{label} {word}"


def state_word(namespace: str, present: bool, lang: str, *, gender: str = "m", plural: bool = False) -> str:
    """'present' / 'absent' agreed with the feature's French label; a site or a tissue is
    'atteint' / 'non atteint' rather than present ('Fesse non atteinte')."""
    if namespace in ("site", "tissue"):
        key = "involved" if present else "not_involved"
    else:
        key = "present" if present else "absent"
    return agree(key, lang, gender=gender, plural=plural)


@lru_cache(maxsize=256)
def _damped(weight: float, lang: str) -> str:
    """The damping clause of a reason ('' when counted in full). The weights of a knowledge base
    are a handful of numbers (powers of the damping constant, times the unlisted-site weight)."""
    if weight >= 0.999:
        return ""
    return message("damped", lang, weight=f"{weight:.2g}" if lang != "fr" else significant(weight, lang))


@lru_cache(maxsize=1024)
def _weighting(weight: float, lang: str) -> tuple[float, str]:
    """A damped reason's weight as shown (``round(weight, 4)``) and its damping clause,
    remembered: the weights of a knowledge base are a handful of numbers (powers of the damping
    constant, times the unlisted-site weight) and rounding is slow. A weight of 1 (most
    reasons) does not come here: it shows as 1.0 with no clause."""
    return round(weight, 4), _damped(weight, lang)


def literal(text: str) -> str:
    """``text`` as a literal inside a format string (a sentence written once, its slots filled later)."""
    return text.replace("{", "{{").replace("}", "}}")


_BASIS, _WEIGHT = "\x00", "\x01"  # where a reason's sentence takes the case's inputs and its weight


@dataclass(frozen=True, slots=True)
class _Sentence:
    """A reason's sentence around its two slots: the inputs behind the feature and the damping
    clause. Filling it joins five strings (formatting a template each time cost more)."""

    parts: tuple[str, str, str]
    basis_first: bool
    undamped: tuple[str, str]  # the text before and after the inputs when there is no damping clause (most reasons)

    @staticmethod
    def of(text: str) -> _Sentence:
        """``text``, written with the slot marks, cut at them."""
        if text.count(_BASIS) != 1 or text.count(_WEIGHT) != 1:
            raise ValueError(f"a reason's sentence must hold each slot once: {text!r}")
        basis_first = text.index(_BASIS) < text.index(_WEIGHT)
        first, second = (_BASIS, _WEIGHT) if basis_first else (_WEIGHT, _BASIS)
        head, rest = text.split(first)
        middle, tail = rest.split(second)
        undamped = (head, middle + tail) if basis_first else (head + middle, tail)
        return _Sentence((head, middle, tail), basis_first, undamped)

    def fill(self, basis: str, weight: str) -> str:
        """The sentence with the inputs and the damping clause in place."""
        head, middle, tail = self.parts
        if self.basis_first:
            return f"{head}{basis}{middle}{weight}{tail}"
        return f"{head}{weight}{middle}{basis}{tail}"


@dataclass(frozen=True, slots=True)
class _Reason:
    """What a reason says that the knowledge base alone decides, in one language."""

    feature: str
    strength: float  # |log LR| as shown: reasons are listed by strength times weight, strongest first
    rank: float  # -strength: its place in that order when counted in full
    side: int  # 1: a reason for (LR as shown above 1), -1: against (below 1), 0: neither (exactly 1)
    references: tuple[str, ...]
    sentence: _Sentence
    fields: dict[str, Any]  # every Contribution field, those of the case as placeholders (never changed)


def _reason(kb: KnowledgeBase, t: Tables, d: int, column: int, lang: str) -> _Reason:
    """The knowledge-base part of row ``d``'s reason for feature state ``column`` (tables.py): a
    diagnosis' own row, or one of its forms' (``KnowledgeBase.forms``)."""
    kept = _kept_reasons(t, lang)
    key = d * 2 * t.n_features + column
    found = kept.get(key)
    if found is not None:
        return found
    present = column < t.n_features
    fpos = column if present else column - t.n_features
    fid = kb.feature_ids[fpos]
    feature = kb.features[fid]
    src = kb.source(d, fpos)
    lr = math.exp(float(t.log_lr_by_state[column, d]))
    name = kb.row_name(d, lang)
    if lang == "fr":  # inside a sentence: 'en cas de sclérodermie systémique', 'en cas d'ossification'
        name = de(name)
    label = feature.label(lang)
    shown_frequency = src.frequency if present else 1 - src.frequency
    shown_baseline = feature.baseline if present else 1 - feature.baseline
    key_text = "explanation"
    raised = _raised_state(kb, fid) if not present else None
    if raised is not None:  # scored given the raised state's absence (kb/loader.py _log_absent)
        h, b_h = kb.source(d, raised).frequency, float(kb.baseline[raised])
        shown_frequency = max(0.0, 1 - h - src.frequency) / (1 - h)
        shown_baseline = (1 - b_h - feature.baseline) / (1 - b_h)
        key_text = "explanation_not_raised"
    sentence = message(key_text, lang).format(
        stated=stated(feature, present, lang),
        basis=_BASIS,
        lr=fmt_lr(lr, lang),
        frequency=percent(shown_frequency, lang),
        name=name,
        baseline=percent(shown_baseline, lang),
        weight=_WEIGHT,
    ) + (message("estimate_mark", lang) if src.estimate else "")
    shown_lr = round(lr, 4)
    state_name = "present" if present else "absent"
    frequency, baseline = round(src.frequency, 4), round(feature.baseline, 4)
    if raised is not None:  # the low state among the readings not raised, as scored and said
        frequency, baseline = round(1 - shown_frequency, 4), round(1 - shown_baseline, 4)
    strength = abs(math.log(shown_lr))
    found = _Reason(
        feature=fid,
        strength=strength,
        rank=-strength,
        side=(shown_lr > 1) - (shown_lr < 1),
        references=src.references,
        sentence=_Sentence.of(sentence),
        fields={
            "feature": fid,
            "label": label,
            "state": state_name,
            "basis": None,
            "frequency": frequency,
            "baseline": baseline,
            "likelihood_ratio": shown_lr,
            "weight": None,
            "origin": src.origin,
            "references": None,
            "estimate": bool(src.estimate),
            "note": src.note,
            "text": None,
        },
    )
    if len(kept) < TEXTS_KEPT:  # (diagnosis, feature state): a few thousand per language in practice
        kept[key] = found
    return found


def _raised_state(kb: KnowledgeBase, fid: str) -> int | None:
    """The column of the raised state of the test whose low state ``fid`` is (features.yaml
    opposite_states), None for any other feature."""
    for high, low in kb.opposite_states.items():
        if low == fid:
            return kb.feature_pos(high)
    return None


def _kept_reasons(t: Tables, lang: str) -> dict[int, _Reason]:
    """The reasons written so far in ``lang``, by ``diagnosis * 2F + feature state column``: an
    integer key, as the loop over a case's reasons looks one up for each (a tuple key cost a
    tuple per look-up). Kept among the knowledge base's texts, so that clearing them clears these."""
    key = ("reasons", lang)
    kept: dict[int, _Reason] | None = t.texts.get(key)
    if kept is None:
        kept = t.texts[key] = {}
    return kept


@dataclass(frozen=True, slots=True)
class Shown:
    """A listed diagnosis' reasons, strongest first, and what the diagnosis shows of them: the
    texts of those for it and against it, and their references (read here, once per reason,
    rather than from the built reasons again)."""

    evidence: list[Contribution]
    for_: list[str]
    against: list[str]
    references: list[tuple[str, ...]]  # each reason's references, in the order of the reasons


def reasons(scores: Scores, evidence: Evidence, kb: KnowledgeBase, listed: list[int], lang: str) -> dict[int, Shown]:
    """For each listed diagnosis, the observed features that moved it (LR beyond 1.1 either way
    after weighting), strongest first.

    Features a diagnosis says nothing about (its frequency is the baseline, LR 1) are left out.
    The listed diagnoses are screened in one array operation; each reason then costs two
    look-ups and the filling of its sentence.
    """
    if not listed or not len(scores.feature_pos):
        return {d: Shown([], [], [], []) for d in listed}
    t = tables(kb)
    n_f = t.n_features
    rows, cols = (np.abs(scores.weighted[listed]) >= MIN_SHOWN_LOG_LR).nonzero()  # listed x m
    columns = scores.state_columns
    weights = scores.weight[listed][rows, cols].tolist()
    separator = message("list_separator", lang)
    bases: dict[int, tuple[list[str], str]] = {}  # observed column -> its inputs, and as written
    keyed: dict[int, list[tuple[float, _Reason, str, Contribution]]] = {d: [] for d in listed}
    kept = _kept_reasons(t, lang)
    width = 2 * n_f
    shown_row = scores.row.tolist()  # each diagnosis' row: itself, or the form its reasons are read in
    for row, j, w in zip(rows.tolist(), cols.tolist(), weights, strict=True):
        d = listed[row]
        at = shown_row[d]
        r = kept.get(at * width + columns[j]) or _reason(kb, t, at, columns[j], lang)
        basis = bases.get(j)
        if basis is None:
            inputs = evidence.observations[r.feature].basis
            basis = bases[j] = (inputs, separator.join(inputs))
        if w == 1.0:  # counted in full: no damping clause, the sentence is two strings around the inputs
            shown_weight = 1.0
            before, after = r.sentence.undamped
            text = f"{before}{basis[1]}{after}"
        else:
            shown_weight, clause = _weighting(w, lang)
            text = r.sentence.fill(basis[1], clause)
        # the reason's fields (in the model's order, which the JSON keeps), then the case's
        fields = r.fields.copy()
        fields["basis"] = list(basis[0])
        fields["weight"] = shown_weight
        fields["references"] = list(r.references)
        fields["text"] = text
        rank = r.rank if w == 1.0 else -r.strength * shown_weight  # listed by strength times weight
        keyed[d].append((rank, r, text, built(Contribution, fields, CONTRIBUTION_FIELDS)))
    return {d: _shown(items) for d, items in keyed.items()}


def _shown(items: list[tuple[float, _Reason, str, Contribution]]) -> Shown:
    """One diagnosis' reasons put in order (stable: equal strengths keep the order of the
    features) and read into what the diagnosis shows."""
    items.sort(key=itemgetter(0))
    out = Shown([], [], [], [])
    for _, r, text, c in items:
        out.evidence.append(c)
        if r.side > 0:
            out.for_.append(text)
        elif r.side < 0:
            out.against.append(text)
        out.references.append(r.references)
    return out
