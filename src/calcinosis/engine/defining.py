"""Which diagnoses a case confirms, or leaves unconfirmed, by their own defining features.

Read from what scoring already paid for each block of defining features (``Scores.block_cost``;
a block costs nothing when a feature of it is reported present; one the case only denies,
``Scores.denied_blocks``, is read at the cost of silence, not confirmed by its denials, even
where every feature of it is denied and scoring leaves it to the denials):
the work-up (a deep mass whose leading diagnosis rests on none of its defining features is
biopsied as a possible sarcoma) and management (an option for an unconfirmed diagnosis alone
waits for its work-up) ask the same question, so it is answered here, once.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import compress

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

    A block the case only denies costs what silence costs in scoring, or nothing beyond its
    denials when every feature of it is denied, but it is no nearer confirmation than one left
    unsaid: its cost here is the silence's (a French
    clinical review: a child whose Gottron papules, heliotrope rash and weakness were all
    reported absent lost the 'not before it is confirmed' caution that the same child with
    them unreported had, on pulses of methylprednisolone for a juvenile dermatomyositis).
    """
    yield from _own_blocks(kb, scores, "defining")


def _own_blocks(kb: KnowledgeBase, scores: Scores, kind: str) -> Iterator[tuple[str, float, bool]]:
    """Each diagnosis' own block of ``kind``: (diagnosis, its cost, whether it is satisfied)."""
    index, paid, satisfied = _block_state(kb, scores, kind)
    yield from zip(index.ids, paid.tolist(), satisfied.tolist(), strict=True)


def _block_state(kb: KnowledgeBase, scores: Scores, kind: str) -> tuple[_BlockIndex, np.ndarray, np.ndarray]:
    """The blocks of ``kind`` of the diagnoses' own rows, what the case pays for each (a block it
    only denies at the silence's cost) and whether a feature of it is reported present."""
    index = _block_index(kb, kind)
    paid = scores.block_cost[index.blocks]  # a copy: the denied ones are read at the silence's cost
    # the places of the blocks the case only denies (a few), in index order
    denied = sorted(index.place[b] for b in scores.denied_blocks if b in index.place) if scores.denied_blocks else []
    if denied:
        paid[denied] = kb.constants.defining_strength.value * index.logs[denied]
    satisfied = (paid == 0.0) & (index.logs < 0.0)
    if denied:
        satisfied[denied] = False
    return index, paid, satisfied


@dataclass(frozen=True, slots=True)
class _BlockIndex:
    """The blocks of one kind that belong to a diagnosis' own row (a form's rows come after)."""

    blocks: np.ndarray  # their positions among all blocks
    ids: tuple[str, ...]  # their diagnoses
    rows: np.ndarray  # their diagnoses' positions
    logs: np.ndarray  # their log unreported probabilities
    confirms: np.ndarray  # a setting block that confirms its diagnosis (DiseaseSetting.confirms)
    place: dict[int, int]  # block position -> its place in ``blocks`` (to find a case's denied blocks)


def _block_index(kb: KnowledgeBase, kind: str) -> _BlockIndex:
    """The blocks of ``kind`` of the diagnoses' own rows, gathered once per knowledge base: the
    work-up, the result and management read them for every case (a loop over every block cost
    more than the rest of the question)."""
    t = tables(kb)
    key = ("own_blocks", kind)
    found: _BlockIndex | None = t.texts.get(key)
    if found is None:
        n = len(kb.diseases)
        blocks = [
            b for b, (r, k) in enumerate(zip(t.block_row.tolist(), t.block_kind, strict=True)) if r < n and k == kind
        ]
        index = np.array(blocks, dtype=np.int64)
        rows = t.block_row[index].astype(np.int64)
        diseases = [kb.diseases[r] for r in rows.tolist()]
        confirms = np.array([d.setting is not None and d.setting.confirms for d in diseases], dtype=bool)
        found = _BlockIndex(
            index,
            tuple(d.id for d in diseases),
            rows,
            t.block_log[index].astype(np.float64),
            confirms,
            {b: n for n, b in enumerate(blocks)},
        )
        t.texts[key] = found
    return found


def unconfirmed(kb: KnowledgeBase, scores: Scores) -> frozenset[str]:
    """The diagnoses whose own block of defining features (the lesion, the disease, the exposure:
    not the setting, a kidney failure for calciphylaxis) the case leaves unreported and pays for
    below ``UNCONFIRMED_BELOW`` (a code review: a calciphylaxis at 89 % with retiform purpura and
    necrosis but no kidney setting was called 'none of its defining features reported'), unless
    a setting that confirms the diagnosis is reported (a French clinical review: a familial
    tumoral calcinosis with a high phosphate and an affected brother was called so, its lesion
    being a gluteal mass rather than a periarticular one). One array operation per case."""
    defining, paid, _ = _block_state(kb, scores, "defining")
    held = paid < UNCONFIRMED_BELOW
    if not held.any():
        return frozenset()
    setting, _, satisfied = _block_state(kb, scores, "setting")
    by_setting = np.zeros(len(kb.diseases), dtype=bool)
    by_setting[setting.rows[satisfied & setting.confirms]] = True
    held &= ~by_setting[defining.rows]
    # most diagnoses are held in a typical case (about 50 of 54): their ids picked in one call
    return frozenset(compress(defining.ids, held.tolist()))


def shown_by_a_defining_feature(kb: KnowledgeBase, scores: Scores) -> frozenset[str]:
    """The diagnoses whose own block of defining features the case satisfies (a feature of it
    reported present; a block the case only denies may cost nothing too, and is not shown)."""
    return frozenset(d for d, _, satisfied in own_defining_blocks(kb, scores) if satisfied)
