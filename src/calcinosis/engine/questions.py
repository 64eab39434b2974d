"""Next best questions: the unreported features with the largest expected information gain.

For each unobserved feature f, with current posterior p over diagnoses:
EIG(f) = H(p) - [P(f) H(p | f present) + P(not f) H(p | f absent)], with P(f) = sum_d p_d P(f | d).
The update ignores dependency damping (it is a one-step look-ahead, ranked, not reported as a
probability). Features sharing one question (the lab states of one test) or one dependency
group (dialysis, CKD, eGFR) are merged: only the most informative of them is asked. At least
three questions are always given (the issue asks for 3 to 5), even when the differential is
already settled and each would change little; up to five while the gain is worth showing.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from calcinosis.engine.results import Question
from calcinosis.engine.scoring import Scores
from calcinosis.kb.model import KnowledgeBase

__all__ = ["next_questions"]


def _entropy(p: npt.NDArray[np.float64], axis: int = 0) -> npt.NDArray[np.float64]:
    safe = np.where(p > 0, p, 1.0)
    return np.asarray(-(p * np.log2(safe)).sum(axis=axis))


def next_questions(scores: Scores, kb: KnowledgeBase, *, lang: str) -> list[Question]:
    """The most informative unreported items, best first."""
    mask = kb.askable.copy()
    mask[scores.feature_pos] = False
    askable = np.flatnonzero(mask)
    # diagnoses below 1e-6 cannot move the entropy measurably: leave them out of the look-ahead
    live = np.flatnonzero(scores.posterior >= 1e-6)
    p = scores.posterior[live] / scores.posterior[live].sum()
    f1 = kb.frequency[np.ix_(live, askable)]
    p_yes = p @ f1
    joint_yes = p[:, None] * f1
    joint_no = p[:, None] * (1 - f1)
    post_yes = joint_yes / p_yes
    post_no = joint_no / (1 - p_yes)
    gain = _entropy(p) - (p_yes * _entropy(post_yes) + (1 - p_yes) * _entropy(post_no))
    order = np.argsort(-gain, kind="stable")
    want = int(kb.constants.next_questions.value)
    floor = kb.constants.next_question_min_gain_bits.value
    out: list[Question] = []
    seen_text: set[str] = set()
    seen_groups: set[str] = set()
    top = np.argsort(-p)[:8]
    names = [kb.diseases[int(d)].name(lang) for d in live]
    for j in order:
        if len(out) >= want or (gain[j] < floor and len(out) >= 3):
            break
        feature = kb.features[kb.feature_ids[askable[j]]]
        text = feature.question(lang)
        if text in seen_text or feature.group in seen_groups:
            continue
        seen_text.add(text)
        seen_groups.add(feature.group)
        shift = post_yes[:, j] - p
        raise_ = [names[d] for d in top if shift[d] > 0.02][:3]
        lower = [names[d] for d in top if shift[d] < -0.02][:3]
        out.append(
            Question(
                feature=feature.id,
                question=text,
                expected_information_bits=round(float(gain[j]), 4),
                would_raise=raise_,
                would_lower=lower,
            )
        )
    return out
