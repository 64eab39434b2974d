"""The look-ahead's inputs for one case, as ``next_questions`` builds them: shared by the tests
that hold its shortcuts to the plain computation (issue #17, rounds 3 and 4)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from calcinosis import KnowledgeBase
from calcinosis.case.model import Case
from calcinosis.engine.diagnose import analyse


class LookAhead(NamedTuple):
    live: npt.NDArray[np.int64]  # the diagnoses still in play
    p: npt.NDArray[np.float64]  # their posterior, renormalised
    prior_entropy: float
    askable: npt.NDArray[np.int64]  # the features not observed that may be asked
    f1: npt.NDArray[np.float64]  # P(feature | diagnosis), live x askable
    p_yes: npt.NDArray[np.float64]


def look_ahead_inputs(case: Case, kb: KnowledgeBase) -> LookAhead:
    _, ev, s = analyse(case, kb)
    live = (s.posterior >= 1e-6).nonzero()[0]
    p = s.posterior[live] / np.add.reduce(s.posterior[live])
    prior_entropy = float(-np.add.reduce(p * np.log2(p)))
    mask = kb.askable.copy()
    mask[[kb.feature_pos(f) for f in ev.observations]] = False
    askable = mask.nonzero()[0]
    f1 = kb.frequency[np.ix_(live, askable)]
    return LookAhead(live, p, prior_entropy, askable, f1, p @ f1)
