"""Which diagnoses a case confirms, or leaves unconfirmed, by their own defining features.

Read from what scoring already paid for each block of defining features (``Scores.block_cost``;
a block costs nothing when a feature of it is reported present; one the case only denies,
``Scores.denied_blocks``, is read at the cost of silence, not confirmed by its denials):
the work-up (a deep mass whose leading diagnosis rests on none of its defining features is
biopsied as a possible sarcoma) and management (an option for an unconfirmed diagnosis alone
waits for its work-up) ask the same question, so it is answered here, once.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from calcinosis.engine.scoring import Scores
from calcinosis.engine.tables import tables
from calcinosis.kb.model import KnowledgeBase

__all__ = ["UNCONFIRMED_BELOW", "own_defining_blocks", "shown_by_a_defining_feature", "unconfirmed"]

UNCONFIRMED_BELOW = math.log(0.5)
"""A diagnosis none of whose defining features the case reports is unconfirmed
when a referral would leave them all unsaid less often than not (its defining block's cost,
the defining strength applied, below log 0.5: juvenile dermatomyositis 0.08, an overlap syndrome
0.2; the setting block, a kidney failure for calciphylaxis, does not count): an
option for it alone says 'not before it is confirmed'. Judgement: above it (idiopathic
calcinosis cutis 0.94, defined by absences) the unreported features say little, and the
caution would stand on every option of a diagnosis that is rarely confirmed by a feature."""


def own_defining_blocks(kb: KnowledgeBase, scores: Scores) -> Iterator[tuple[str, float, bool]]:
    """Each diagnosis' own block of defining features (a diagnosis' row, not a form's; not the
    setting block): (diagnosis, what leaving it unshown costs, whether a feature of it is
    reported present).

    A block the case only denies costs nothing in scoring (its denials already counted), but it
    is no nearer confirmation than one left unsaid: its cost here is the silence's (a French
    clinical review: a child whose Gottron papules, heliotrope rash and weakness were all
    reported absent lost the 'not before it is confirmed' caution that the same child with
    them unreported had, on pulses of methylprednisolone for a juvenile dermatomyositis).
    """
    yield from _own_blocks(kb, scores, "defining")


def _own_blocks(kb: KnowledgeBase, scores: Scores, kind: str) -> Iterator[tuple[str, float, bool]]:
    """Each diagnosis' own block of ``kind``: (diagnosis, its cost, whether it is satisfied)."""
    blocks, ids, logs = _block_index(kb, kind)
    paid = scores.block_cost[blocks]  # a copy: the denied ones are read at the silence's cost
    strength = kb.constants.defining_strength.value
    denied = [n for n, b in enumerate(blocks.tolist()) if b in scores.denied_blocks] if scores.denied_blocks else []
    if denied:
        paid[denied] = strength * logs[denied]
    satisfied = (paid == 0.0) & (logs < 0.0)
    if denied:
        satisfied[denied] = False
    yield from zip(ids, paid.tolist(), satisfied.tolist(), strict=True)


def _block_index(kb: KnowledgeBase, kind: str) -> tuple[np.ndarray, tuple[str, ...], np.ndarray]:
    """The blocks of ``kind`` that belong to a diagnosis' own row (a form's rows come after),
    their diagnoses and their log unreported probabilities, gathered once per knowledge base:
    the work-up and management read them for every case (a loop over every block cost more
    than the rest of the question)."""
    t = tables(kb)
    key = ("own_blocks", kind)
    found: tuple[np.ndarray, tuple[str, ...], np.ndarray] | None = t.texts.get(key)
    if found is None:
        n = len(kb.diseases)
        blocks = [
            b for b, (r, k) in enumerate(zip(t.block_row.tolist(), t.block_kind, strict=True)) if r < n and k == kind
        ]
        index = np.array(blocks, dtype=np.int64)
        ids = tuple(kb.diseases[r].id for r in t.block_row[index].tolist())
        found = t.texts[key] = (index, ids, t.block_log[index].astype(np.float64))
    return found


def _confirmed_by_setting(kb: KnowledgeBase, scores: Scores) -> frozenset[str]:
    """The diagnoses whose setting block confirms them (``confirms``) and is satisfied by a
    feature the case reports present."""
    confirming = {d.id for d in kb.diseases if d.setting is not None and d.setting.confirms}
    return frozenset(d for d, _, satisfied in _own_blocks(kb, scores, "setting") if satisfied and d in confirming)


def unconfirmed(kb: KnowledgeBase, scores: Scores) -> frozenset[str]:
    """The diagnoses whose own block of defining features (the lesion, the disease, the exposure:
    not the setting, a kidney failure for calciphylaxis) the case leaves unreported and pays for
    below ``UNCONFIRMED_BELOW`` (a code review: a calciphylaxis at 89 % with retiform purpura and
    necrosis but no kidney setting was called 'none of its defining features reported'), unless
    a setting that confirms the diagnosis is reported (a French clinical review: a familial
    tumoral calcinosis with a high phosphate and an affected brother was called so, its lesion
    being a gluteal mass rather than a periarticular one)."""
    by_setting = _confirmed_by_setting(kb, scores)
    return frozenset(
        d for d, cost, _ in own_defining_blocks(kb, scores) if cost < UNCONFIRMED_BELOW and d not in by_setting
    )


def shown_by_a_defining_feature(kb: KnowledgeBase, scores: Scores) -> frozenset[str]:
    """The diagnoses whose own block of defining features the case satisfies (a feature of it
    reported present; a block the case only denies may cost nothing too, and is not shown)."""
    return frozenset(d for d, _, satisfied in own_defining_blocks(kb, scores) if satisfied)
