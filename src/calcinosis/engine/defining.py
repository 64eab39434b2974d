"""Which diagnoses a case confirms, or leaves unconfirmed, by their own defining features.

Read from what scoring already paid for each block of defining features (``Scores.block_cost``):
the work-up (a deep mass whose leading diagnosis rests on none of its defining features is
biopsied as a possible sarcoma) and management (an option for an unconfirmed diagnosis alone
waits for its work-up) ask the same question, so it is answered here, once.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

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


def own_defining_blocks(kb: KnowledgeBase, block_cost: np.ndarray) -> Iterator[tuple[str, float, float]]:
    """Each diagnosis' own block of defining features (a diagnosis' row, not a form's; not the
    setting block): (diagnosis, what the case pays for it, its log reporting probability)."""
    t = tables(kb)
    n = len(kb.diseases)  # a diagnosis' own row; a form's rows come after
    for b, (r, kind) in enumerate(zip(t.block_row.tolist(), t.block_kind, strict=True)):
        if r < n and kind == "defining":
            yield kb.diseases[r].id, float(block_cost[b]), float(t.block_log[b])


def unconfirmed(kb: KnowledgeBase, block_cost: np.ndarray) -> frozenset[str]:
    """The diagnoses whose own block of defining features (the lesion, the disease, the exposure:
    not the setting, a kidney failure for calciphylaxis) the case leaves unreported and pays for
    below ``UNCONFIRMED_BELOW`` (a code review: a calciphylaxis at 89 % with retiform purpura and
    necrosis but no kidney setting was called 'none of its defining features reported')."""
    return frozenset(d for d, cost, _ in own_defining_blocks(kb, block_cost) if cost < UNCONFIRMED_BELOW)


def shown_by_a_defining_feature(kb: KnowledgeBase, block_cost: np.ndarray) -> frozenset[str]:
    """The diagnoses whose own block of defining features the case satisfies (a feature of it
    reported present: the block costs nothing)."""
    return frozenset(d for d, cost, log in own_defining_blocks(kb, block_cost) if cost == 0.0 and log < 0.0)
